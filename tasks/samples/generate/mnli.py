"""MNLI: premise and hypothesis, 0 = entailment / 1 = neutral / 2 = contradiction (balanced)."""
from __future__ import annotations

import random

from .common import SIZES, draw_splits, number_idx
from .nli_facts import fact, hypothesis, premise

MNLI_LABELS = ("entailment", "neutral", "contradiction")


def gen_mnli(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 3
        f = fact(rng)
        return {"premise": premise(rng, f), "hypothesis": hypothesis(rng, f, MNLI_LABELS[label]), "label": label,
                "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["premise"], r["hypothesis"]))
    number_idx(splits)
    return splits
