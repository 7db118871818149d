"""Synthetic result records (the real schema, made-up numbers) for report tests and the report benchmark."""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from harness.record import Data, Eval, Memory, Record, Train

TASKS = [("sst2", "classification", "classification", "accuracy", True),
         ("mrpc", "classification", "classification", "f1", True),
         ("conll2003", "ner", "token_classification", "f1", True),
         ("squad", "qa", "extractive_qa", "f1", True),
         ("wmt16_en_ro", "translation", "seq2seq", "bleu", True),
         ("xsum", "summarization", "seq2seq", "rougeL", True),
         ("stsb", "similarity", "regression", "pearson", True)]
ARCHS = ("encoder", "decoder", "encoder-decoder")


def record(model: str, task: tuple, seed: int, *, arch: str = "encoder", score: float | None = None,
           status: str = "ok", error: str | None = None, params: int = 110_000_000, samples_per_s: float = 500.0,
           latency_ms: float = 10.0, peak_gpu: int | None = 4 * 2 ** 30, peak_rss: int = 3 * 2 ** 30,
           sample: bool = False, tuning: str = "full", run: str = "synthetic", examples: int = 500,
           error_type: str | None = None) -> dict:
    name, family, kind, metric, higher = task
    job = hashlib.sha256(f"{model}|{tuning}|{name}|{seed}|{run}".encode()).hexdigest()[:16]
    made = Record(
        run=run, job=job, model=model, model_id=f"org/{model}", architecture=arch, task=name, task_family=family,
        kind=kind, seed=seed, status=status, error=error, primary_metric=metric, higher_is_better=higher,
        error_type=error_type or (None if status == "ok" else status if status == "unsupported" else "internal"),
        tuning=tuning, device="cuda:NVIDIA H200" if peak_gpu else "cpu:x86_64",
        precision="bf16" if peak_gpu else "fp32", hyperparameters={"epochs": 1.0, "lr": 2e-5, "batch_size": 32},
        data=Data(origin="sample" if sample else "local", sample=sample, description="synthetic"),
        versions={"harness": "0.1.0", "torch": "2.4.0"}, started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:01:00+00:00")
    if status == "ok":
        made.metrics, made.score, made.params, made.trainable_params = {metric: score}, score, params, params
        made.train = Train(samples_per_s=samples_per_s, tokens_per_s=samples_per_s * 40, seconds=100.0, steps=300,
                           epochs=1.0)
        made.eval = Eval(samples_per_s=samples_per_s * 3, latency_ms_p50=latency_ms, latency_ms_p95=latency_ms * 1.3,
                         examples=examples)
        made.memory = Memory(peak_rss_bytes=peak_rss, peak_gpu_bytes=peak_gpu)
    return made.to_dict()


def write_run(run_dir: Path, records: list[dict], info: dict | None = None,
              predictions: dict[str, dict] | None = None) -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "results.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    if info is not None:
        (run_dir / "run.json").write_text(json.dumps(info))
    for job, payload in (predictions or {}).items():
        (run_dir / "predictions").mkdir(exist_ok=True)
        (run_dir / "predictions" / f"{job}.json").write_text(json.dumps(payload))
    return run_dir


def sweep(n_records: int = 10_000, n_models: int = 100, seed: int = 0) -> list[dict]:
    """About n_records records: n_models models × the 7 task kinds × enough seeds, with some failures."""
    rng = random.Random(seed)
    seeds = max(1, -(-n_records // (n_models * len(TASKS))))       # enough seeds; stop at n_records
    out = []
    for m in range(n_models):
        arch = ARCHS[m % 3]
        quality = rng.uniform(0.3, 0.9)
        params = int(rng.choice([14, 66, 110, 125, 184, 335, 770]) * 1e6)
        speed = 2e11 / params * rng.uniform(0.6, 1.4)
        for task in TASKS:
            scale = 100 if task[3] in ("bleu",) or task[2] == "extractive_qa" else 1
            for s in range(seeds):
                if len(out) >= n_records:
                    return out
                roll = rng.random()
                if arch == "decoder" and task[2] == "extractive_qa":
                    out.append(record(f"model-{m:03d}", task, s, arch=arch, status="unsupported",
                                      error="decoder-only models have no span-extraction head here"))
                elif roll < 0.01:
                    out.append(record(f"model-{m:03d}", task, s, arch=arch, status="failed",
                                      error="RuntimeError: CUDA out of memory", error_type="out_of_memory"))
                else:
                    score = min(1.0, max(0.0, quality + rng.gauss(0, 0.02))) * scale
                    out.append(record(f"model-{m:03d}", task, s, arch=arch, score=score, params=params,
                                      samples_per_s=speed * rng.uniform(0.95, 1.05),
                                      latency_ms=params / 1e7 * rng.uniform(0.9, 1.1),
                                      peak_gpu=int(params * 18 + 2 ** 30)))
    return out
