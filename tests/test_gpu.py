"""The CUDA paths, end to end on a real GPU: CUDA graphs over length buckets (torch.compile reduce-overhead) in
bf16, and what a GPU job records (peak memory, MFU, compile time). Skipped where no GPU is visible; the same code
runs eagerly on CPU in test_training.py. `benchmarks/gpu_check.sh` runs this module first."""
from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _features(rows: int):
    from datasets import Dataset

    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    spec = resolve_model("tiny-bert")
    tokenizer = load_tokenizer(spec)
    words = ["good", "great", "fine", "bad", "awful", "poor"]
    texts = [" ".join(words[(i * k) % 6] for k in range(1, 2 + i % 9)) for i in range(rows)]
    labels = [int(words.index(t.split()[0]) < 3) for t in texts]
    return spec, tokenizer, Dataset.from_dict({**tokenizer(texts, truncation=True, max_length=32), "labels": labels})


def test_cuda_graph_training_runs_without_falling_back():
    """Several epochs (graphs replayed across validation passes), gradient clipping, fused AdamW, bf16 autocast:
    every compiled step must replay; a fallback to eager would leave compile_error set."""
    from transformers import AutoModelForSequenceClassification

    from harness.settings import Hyperparameters
    from harness.train.loop import train_model

    spec, tokenizer, features = _features(640)
    model = AutoModelForSequenceClassification.from_pretrained(spec.source, num_labels=2).to("cuda")
    validated = []
    outcome = train_model(model, features, columns=("input_ids", "attention_mask", "labels"),
                          pad_id=tokenizer.pad_token_id, hp=Hyperparameters(epochs=3, batch_size=16, lr=1e-3),
                          seed=0, device="cuda", precision="bf16", compile="on",
                          validate=lambda m: validated.append(m.training) or {"acc": 0.5}, primary="acc",
                          higher_is_better=True, log=print)
    assert outcome.compile_error is None, outcome.compile_error
    assert outcome.compiled and outcome.static_shapes and len(validated) == 3
    assert outcome.compile_seconds > 0 and outcome.samples_per_s > 0 and outcome.measured_steps > 0
    assert all(e.train_loss == e.train_loss for e in outcome.history)


def test_gpu_job_records_memory_mfu_and_compile_time(tmp_path):
    import harness

    record = harness.run(models="tiny-bert", tasks="sst2", data="sample", executor="inline", device="cuda",
                         precision="bf16", compile="on", epochs=3, latency_requests=20, output=tmp_path,
                         write_report=False, progress=lambda _: None)[0]
    assert record["status"] == "ok", record["error"]
    train, memory = record["train"], record["memory"]
    assert train["compiled"] and train["compile_error"] is None, train["compile_error"]
    assert train["compile_seconds"] > 0 and train["mfu"] is not None and 0 < train["mfu"] < 1
    assert 0 < memory["peak_gpu_bytes"] <= memory["peak_gpu_reserved_bytes"]
    assert record["eval"]["latency_ms_p50"] <= record["eval"]["latency_ms_p95"]


def test_device_discovery_leaves_the_driver_without_a_cuda_context():
    import subprocess
    import sys

    code = ("import torch; from harness.schedule.devices import discover; found = discover('cuda'); "
            "print(len(found), min(d.free_bytes for d in found) > 0, torch.cuda.is_initialized())")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert child.stdout.split() == [str(torch.cuda.device_count()), "True", "False"], child.stderr[-2000:]
