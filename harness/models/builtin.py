"""The built-in tiny test models, built on first use into the cache and reused after that.

Their tokenizers are trained on the texts of the bundled samples' train splits, so every task's sample data
tokenizes into real sub-words while validation and test text stays unseen (a vocabulary fitted to the test split
would leak it). The cache key covers the builder's code and the corpus, so editing either builds afresh.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.data.readers import lines_of
from harness.models.build_once import build_once
from harness.models.tiny import TINY_MODELS, build_tiny_model
from harness.paths import cache_dir, cards_dir

__all__ = ["TINY_MODELS", "ensure_tiny_model", "sample_corpus"]


def sample_corpus() -> list[str]:
    """Every string in the bundled samples' train files, in a fixed order."""
    texts: list[str] = []
    for file in sorted((cards_dir() / "samples").glob("*/train.jsonl")):
        for line in lines_of(file.read_text(encoding="utf-8")):
            if line.strip():
                _strings(json.loads(line), texts)
    return texts


def _strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            out.append(" ".join(value))
        else:
            for v in value:
                _strings(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)


def ensure_tiny_model(name: str) -> Path:
    """The directory of built-in model `name`, building it once (under a lock, atomically) if needed."""
    corpus = sample_corpus()
    digest = hashlib.sha256(Path(__file__).with_name("tiny.py").read_bytes())
    digest.update("\n".join(corpus).encode())
    target = cache_dir() / "models" / f"{name}-{digest.hexdigest()[:12]}"
    return build_once(target, lambda staging: build_tiny_model(name, staging, corpus))
