"""No evaluation data leaks into training: the tiny models' tokenizers see train splits only, carved QA splits never
share a paragraph, and rows that repeat a train row verbatim are removed from train (carved splits) or counted
(given splits)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.paths import cards_dir


def _sample_strings(split: str) -> set[str]:
    """Every string in the bundled samples' `split` files (lists of words joined by spaces)."""
    found: set[str] = set()

    def collect(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            found.add(" ".join(value))
        elif isinstance(value, (list, dict)):
            for v in value.values() if isinstance(value, dict) else value:
                collect(v)

    for file in sorted((cards_dir() / "samples").glob(f"*/{split}.jsonl")):
        for line in file.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                collect(json.loads(line))
    return found


def test_tiny_tokenizers_are_trained_on_the_train_samples_only():
    from harness.models.builtin import sample_corpus

    corpus = set(sample_corpus())
    train = _sample_strings("train")
    held_out = (_sample_strings("validation") | _sample_strings("test")) - train
    assert corpus == train
    assert len(held_out) > 500 and not corpus & held_out
