"""QNLI: a question and a sentence, 0 = entailment (the sentence answers it) / 1 = not_entailment (the sentence is
about the same event but leaves out what is asked; balanced)."""
from __future__ import annotations

import random

from .common import SIZES, draw_splits, number_idx
from .nli_facts import fact, premise, question, sentence_without


def gen_qnli(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 2
        f = fact(rng)
        text, slot = question(rng, f)
        sentence = premise(rng, f) if label == 0 else sentence_without(rng, f, slot)
        return {"question": text, "sentence": sentence, "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["question"], r["sentence"]))
    number_idx(splits)
    return splits
