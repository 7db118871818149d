"""The training loop's parts: batching, the static-shape path (CUDA graphs' data path, run eagerly on CPU),
out-of-memory retry, compile decisions, FLOPs and memory measurement."""
from __future__ import annotations

import pytest
import torch

from harness.data.batching import collate_features, length_grouped_batches, padded_length
from harness.flops import device_peak_tflops, flops_per_token, mfu
from harness.measure import PeakRSS, percentile
from harness.settings import Hyperparameters
from harness.train.batches import StaticBatches, bucket_width
from harness.train.graphs import COMPILE_MIN_STEPS, SHAPE_WARMUP_STEPS, compile_for_graphs, use_compile
from harness.train.loop import train_model


def test_length_grouped_batches_cover_every_example_once_and_group_lengths():
    lengths = [(i * 37) % 120 + 1 for i in range(1000)]
    batches = length_grouped_batches(lengths, 16, seed=1)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(1000))
    assert batches == length_grouped_batches(lengths, 16, seed=1) != length_grouped_batches(lengths, 16, seed=2)
    assert max(lengths[i] for i in batches[0]) == max(lengths)         # longest batch first: OOM shows early
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 15          # vs ~110 for random batches


def test_collate_pads_to_multiple_of_8_and_labels_with_minus_100():
    rows = [{"input_ids": [5, 6, 7], "attention_mask": [1, 1, 1], "labels": [1, 2, 3]},
            {"input_ids": [5] * 10, "attention_mask": [1] * 10, "labels": [0] * 10}]
    batch = collate_features(rows, pad_id=0)
    assert batch["input_ids"].shape == (2, 16) and batch["labels"][0, 3:].eq(-100).all()
    assert batch["attention_mask"][0].sum() == 3 and padded_length(17) == 24
    separate = collate_features([{"input_ids": [1] * 20, "labels": [2] * 3}], 0, separately_padded=("labels",))
    assert separate["input_ids"].shape[1] == 24 and separate["labels"].shape[1] == 8


def test_static_batches_fixed_shapes_fillers_ignored_every_example_once():
    lengths = [3, 5, 9, 12, 17, 30, 31, 33, 40, 7, 8, 2, 16]
    data = {"input_ids": [[1] * n for n in lengths], "attention_mask": [[1] * n for n in lengths],
            "labels": list(range(len(lengths)))}
    source = StaticBatches(data, pad_id=0, batch_size=4, device=torch.device("cpu"))
    seen = []
    for batch in source.epoch(seed=0):
        width = batch.shape[0]
        assert batch.tensors["input_ids"].shape == (4, width)          # always the full micro-batch
        labels = batch.tensors["labels"].tolist()
        real = [x for x in labels if x != -100]
        assert len(real) == batch.examples and labels[batch.examples:] == [-100] * (4 - batch.examples)
        assert all(lengths[x] <= width for x in real) and batch.tokens == sum(lengths[x] for x in real)
        seen += real
    assert sorted(seen) == list(range(len(lengths)))
    assert {bucket_width(n, 40) for n in lengths} == set(source.buckets) == {16, 32, 40}


def _tiny_classification_features(n=64):
    from datasets import Dataset

    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    spec = resolve_model("tiny-bert")
    tokenizer = load_tokenizer(spec)
    words = ["good", "great", "fine", "bad", "awful", "poor"]
    texts = [" ".join(words[(i * k) % 6] for k in range(1, 2 + i % 9)) for i in range(n)]
    labels = [int(words.index(t.split()[0]) < 3) for t in texts]
    enc = tokenizer(texts, truncation=True, max_length=32)
    return spec, tokenizer, Dataset.from_dict({**enc, "labels": labels})


@pytest.mark.parametrize("static", [False, True])
def test_train_model_runs_both_batch_paths(static, monkeypatch):
    import torch._dynamo
    from transformers import AutoModelForSequenceClassification

    monkeypatch.setattr(torch._dynamo, "reset", lambda: pytest.fail("nothing was compiled, nothing to release"))

    spec, tokenizer, features = _tiny_classification_features()
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(spec.source, num_labels=2)
    calls = []
    outcome = train_model(model, features, columns=("input_ids", "attention_mask", "token_type_ids", "labels"),
                          pad_id=tokenizer.pad_token_id, hp=Hyperparameters(epochs=2, batch_size=8, lr=1e-3),
                          seed=0, device="cpu", precision="fp32", validate=lambda m: calls.append(1) or {"acc": 0.5},
                          primary="acc", higher_is_better=True, static=static)
    assert outcome.static_shapes is static and not outcome.compiled
    per_epoch = len(StaticBatches(features.select_columns(["input_ids", "attention_mask", "labels"]).to_dict(),
                                  0, 8, torch.device("cpu"))) if static else 8      # buckets split partial batches
    assert outcome.steps == 2 * per_epoch and len(calls) == 2 and outcome.samples_per_s > 0
    assert all(e.train_loss == e.train_loss for e in outcome.history)      # finite, not NaN


def test_long_epochs_report_their_step_to_the_progress_display(monkeypatch):
    import harness.train.loop as loop
    from transformers import AutoModelForSequenceClassification

    monkeypatch.setattr(loop, "STEP_REPORT_EVERY_S", 0.0)         # report every step
    spec, tokenizer, features = _tiny_classification_features(32)
    model = AutoModelForSequenceClassification.from_pretrained(spec.source, num_labels=2)
    logged = []
    train_model(model, features, columns=("input_ids", "attention_mask", "labels"), pad_id=tokenizer.pad_token_id,
                hp=Hyperparameters(epochs=2, batch_size=8, lr=1e-3), seed=0, device="cpu", precision="fp32",
                validate=lambda m: {"acc": 0.5}, primary="acc", higher_is_better=True, log=logged.append)
    steps = [line for line in logged if ": step " in line]
    assert steps == [f"epoch {e}/2: step {s}/4" for e in (1, 2) for s in range(1, 5)]
    assert [line.split(":")[0] for line in logged if "validation" in line] == ["epoch 1", "epoch 2"]


def test_best_epoch_weights_are_restored():
    from transformers import AutoModelForSequenceClassification

    spec, tokenizer, features = _tiny_classification_features(32)
    model = AutoModelForSequenceClassification.from_pretrained(spec.source, num_labels=2)
    snapshots, scores = [], iter([0.9, 0.1, 0.2])

    def validate(m):
        snapshots.append({k: v.clone() for k, v in m.state_dict().items()})
        return {"acc": next(scores)}
    outcome = train_model(model, features, columns=("input_ids", "attention_mask", "labels"),
                          pad_id=tokenizer.pad_token_id, hp=Hyperparameters(epochs=3, batch_size=8, lr=1e-2),
                          seed=0, device="cpu", precision="fp32", validate=validate, primary="acc",
                          higher_is_better=True)
    assert outcome.best_epoch == 1 and outcome.best_validation == {"acc": 0.9}
    final = model.state_dict()
    assert all(torch.equal(final[k], snapshots[0][k]) for k in final)


def test_out_of_memory_halves_micro_batch_and_keeps_effective_batch(monkeypatch, tmp_path):
    import harness
    import harness.train.loop as loop

    real = loop.train_model

    def fake(model, features, **kwargs):
        if kwargs["hp"].batch_size > 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(model, features, **kwargs)
    monkeypatch.setattr(loop, "train_model", fake)
    result = harness.run(models="tiny-bert", tasks="sst2", data="sample", executor="inline", batch_size=16,
                         max_train_samples=32, max_eval_samples=16, epochs=1, latency_requests=0,
                         output=tmp_path, write_report=False, progress=lambda _: None)[0]
    assert result["status"] == "ok", result["error"]
    train = result["train"]
    assert (train["micro_batch"], train["grad_accum"], train["oom_retries"]) == (4, 4, 2)
    assert train["steps"] == 2          # 32 examples / effective batch 16


def test_compile_is_used_only_where_it_pays():
    many = COMPILE_MIN_STEPS
    assert use_compile("auto", "cuda", "bf16", 1, many)
    assert not use_compile("auto", "cuda", "bf16", 1, many - 1)
    assert not use_compile("auto", "cpu", "fp32", 1, 10 ** 6)
    assert not use_compile("auto", "cuda", "bf16", 2, 10 ** 6)
    assert not use_compile("on", "cuda", "fp16", 1, 10 ** 6)
    assert use_compile("on", "cuda", "fp32", 1, 1) and not use_compile("off", "cuda", "bf16", 1, 10 ** 6)


def _train_compiled(monkeypatch, compile_fn, rows=96):
    """The compiled path on CPU: the decision forced on, `compile_fn` in place of CUDA-graph compilation."""
    import harness.train.loop as loop
    import harness.train.step as step
    from transformers import AutoModelForSequenceClassification

    monkeypatch.setattr(loop, "use_compile", lambda *args, **kwargs: True)
    monkeypatch.setattr(step, "compile_for_graphs", compile_fn)
    spec, tokenizer, features = _tiny_classification_features(rows)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(spec.source, num_labels=2)
    logged = []
    outcome = train_model(model, features, columns=("input_ids", "attention_mask", "labels"),
                          pad_id=tokenizer.pad_token_id, hp=Hyperparameters(epochs=2, batch_size=8, lr=1e-3),
                          seed=0, device="cpu", precision="fp32", validate=lambda m: {"acc": 0.5}, primary="acc",
                          higher_is_better=True, log=logged.append)
    source = StaticBatches(features.select_columns(["input_ids", "attention_mask", "labels"]).to_dict(), 0, 8,
                           torch.device("cpu"))
    return outcome, source, logged


def test_compiled_path_traces_the_model_and_reports_compile_time_apart(monkeypatch):
    """Dynamo captures forward and backward of a real model over static buckets (aot_eager: the graph capture
    without the minutes of code generation); the first steps of each shape are compile time, not throughput."""
    import torch._dynamo

    resets = []
    real_reset = torch._dynamo.reset
    monkeypatch.setattr(torch._dynamo, "reset", lambda: resets.append(1) or real_reset())
    outcome, source, _ = _train_compiled(
        monkeypatch, lambda model: torch.compile(model, backend="aot_eager", dynamic=False))
    assert outcome.compiled and outcome.static_shapes and outcome.compile_error is None
    assert outcome.steps == 2 * len(source) and outcome.compile_seconds > 0
    assert resets == [1]            # graphs and their memory released for the worker's next job
    assert 0 < outcome.measured_steps <= outcome.steps - SHAPE_WARMUP_STEPS * len(source.buckets)
    assert all(e.train_loss == e.train_loss for e in outcome.history)


class _FailingAtCall:
    """Stands in for a compiled model: runs the model eagerly but raises `error` on call number `at`."""

    def __init__(self, model, error: Exception, at: int):
        self.model, self.error, self.at, self.calls = model, error, at, 0

    def __call__(self, **batch):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return self.model(**batch)


def test_a_compiled_step_that_fails_after_warm_up_continues_eagerly(monkeypatch):
    error = RuntimeError("Error: accessing tensor output of CUDAGraphs that has been overwritten by a subsequent run")
    outcome, source, logged = _train_compiled(monkeypatch, lambda model: _FailingAtCall(model, error, at=15))
    assert not outcome.compiled and "overwritten by a subsequent run" in outcome.compile_error
    assert outcome.steps == 2 * len(source)              # the failed batch ran again eagerly; none was lost
    assert any("continuing eagerly" in line for line in logged)
    assert 0 < outcome.measured_steps <= outcome.steps - 14    # throughput: the eager remainder (from call 15) only


def test_no_gradient_outlives_its_compiled_step(monkeypatch):
    """The invariant CUDA graphs need: a graph replay's gradients are its outputs, overwritten by the next replay,
    so every compiled step must start with no gradient left from the previous one (None, not zeros)."""
    seen = []

    class Checking:
        def __init__(self, model):
            self.model = model

        def __call__(self, **batch):
            seen.append(all(p.grad is None for p in self.model.parameters()))
            return self.model(**batch)
    outcome, source, _ = _train_compiled(monkeypatch, Checking)
    assert outcome.compiled and len(seen) == outcome.steps == 2 * len(source) and all(seen)


def test_out_of_memory_in_a_compiled_step_goes_to_the_micro_batch_retry(monkeypatch):
    error = torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
    with pytest.raises(torch.cuda.OutOfMemoryError):
        _train_compiled(monkeypatch, lambda model: _FailingAtCall(model, error, at=2), rows=32)


def test_compile_for_graphs_allows_a_recompilation_per_bucket():
    import torch._dynamo.config as dynamo_config

    from harness.train.batches import BUCKETS

    compile_for_graphs(torch.nn.Linear(2, 2))            # lazy: nothing is compiled before the first call
    assert dynamo_config.recompile_limit >= len(BUCKETS)


def test_flops_and_mfu():
    from transformers import BertConfig, BertModel

    model = BertModel(BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                                 vocab_size=1000))
    params = sum(p.numel() for p in model.parameters()) - (1000 + 512 + 2) * 64     # embedding tables: lookups
    assert flops_per_token(model, 10) == pytest.approx(6 * params + 12 * 2 * 64 * 10)
    assert device_peak_tflops("cuda:NVIDIA H200", "bf16") == 989.0
    assert device_peak_tflops("cuda:NVIDIA H100 PCIe", "bf16") == 756.0
    assert device_peak_tflops("cuda:NVIDIA A100-SXM4-80GB", "fp32") == 156.0
    assert device_peak_tflops("cpu:x86_64", "fp32") is None and device_peak_tflops("cuda:Unknown", "bf16") is None
    assert mfu(1e9, 1000.0, 1.0) == pytest.approx(1.0) and mfu(1e9, None, 1.0) is None


def test_peak_rss_sees_a_short_allocation():
    with PeakRSS() as tracker:
        start = tracker.peak_bytes
        block = bytearray(200 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])        # touch every page
        import time
        time.sleep(0.1)
        del block
    assert tracker.peak_bytes - start > 150 * 1024 * 1024


def test_percentile_matches_numpy():
    import numpy as np

    values = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0]
    for q in (0, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


@pytest.mark.parametrize("examples, world, limit", [
    (41, 2, None), (41, 2, 7), (41, 3, 5), (16, 2, 5), (5, 4, None), (3, 2, None), (1, 2, None), (1, 4, 1)])
def test_data_parallel_ranks_run_the_same_steps_and_share_every_row_once(examples, world, limit):
    """Each global step gives every rank one batch; a last step with fewer batches than ranks deals its rows out,
    and a rank left without a row trains on a stand-in at loss weight 0, so the ranks stay in lockstep."""
    from harness.train.batches import HostBatches

    lengths = [1 + (i * 7) % 40 for i in range(examples)]
    data = {"input_ids": [[1] * n for n in lengths], "attention_mask": [[1] * n for n in lengths],
            "labels": list(range(examples))}
    ranks = [HostBatches(data, 0, 4, torch.device("cpu"), rank=r, world=world) for r in range(world)]
    assert len(ranks[0]) == -(-examples // 4)            # global micro-batches per epoch: none left out
    steps = [list(source.epoch(seed=5, limit=limit)) for source in ranks]
    assert len({len(s) for s in steps}) == 1 and steps[0]
    taken = length_grouped_batches(lengths, 4, seed=5)[:limit]
    seen = []
    for step in zip(*steps):
        real = [b.tensors["labels"].tolist() if b.weight else [] for b in step]
        rows = sum(len(r) for r in real)
        assert all(b.examples == rows and b.tokens == sum(lengths[i] for r in real for i in r) for b in step)
        # Weights make the ranks' averaged gradient the mean over the step's rows, however they were split.
        assert [b.weight for b in step] == pytest.approx([world * len(r) / rows for r in real])
        assert all(b.tensors["labels"].numel() == 1 for b in step if not b.weight)      # the stand-in row
        seen += [i for r in real for i in r]
    assert sorted(seen) == sorted(i for b in taken for i in b)
