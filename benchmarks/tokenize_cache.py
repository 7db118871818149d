"""Tokenization cache: time tokenizing SST-2 train (67k sentences) cold, then again from the cache.

    python benchmarks/tokenize_cache.py [--data-dir ../shared/data] [--model minilm]

Prints both times and their ratio (target: the cached second pass at least 10x faster). Uses a fresh cache folder.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ["HARNESS_CACHE"] = tempfile.mkdtemp(prefix="tok-bench-")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--model", default="minilm")
    args = parser.parse_args()

    from harness.api import plan_run
    from harness.data.prepare import PreparedData
    from harness.executors.worker import quiet_libraries
    from harness.job import _tokenized
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import ModelSpec
    from harness.settings import Hyperparameters
    from harness.tasks.card import load_card
    from harness.tasks.registry import load_kind

    quiet_libraries()
    job = plan_run(args.model, "sst2", [0], data_dir=args.data_dir).jobs[0]
    spec, card = ModelSpec(**job.model_spec), load_card(Path(job.card_path))
    kind, hp = load_kind(card.kind), Hyperparameters(**job.hyperparameters)
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec), spec)
    data = job.data
    train = PreparedData(Path(data["path"]), data["fingerprint"], data["sizes"], data["source"]).load("train")

    timings = []
    for attempt in ("cold", "cached"):
        start = time.perf_counter()
        features = _tokenized(train, "train", kind, card, spec, tokenizer, hp, data["fingerprint"], job.card_hash)
        _ = features["input_ids"][len(features) - 1]      # touch the data
        timings.append(time.perf_counter() - start)
        print(f"{attempt:>7}: {timings[-1]:.3f} s for {len(features)} examples")
    print(f"cached pass {timings[0] / timings[1]:.1f}x faster than the first")


if __name__ == "__main__":
    main()
