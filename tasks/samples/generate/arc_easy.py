"""ARC-Easy: which of 3-5 things belongs to a kind; choices labelled A-E, or 1-4 as some ARC questions are."""
from __future__ import annotations

import random

from .common import article, draw_splits, load_words
from .mc_check import MC_SIZES

WORDS = load_words("multiple_choice")
KINDS, FORMS = WORDS["ARC_KINDS"], WORDS["ARC_FORMS"]
KIND_NAMES = list(KINDS)


def gen_arc_easy(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        count = 3 if i % 10 == 0 else 5 if i % 10 == 1 else 4
        kind, *others = rng.sample(KIND_NAMES, count)
        texts = [rng.choice(KINDS[kind])] + [rng.choice(KINDS[k]) for k in others]
        rng.shuffle(texts)
        names = list("1234"[:count]) if i % 7 == 0 and count <= 4 else list("ABCDE"[:count])
        answer = next(n for n, t in zip(names, texts) if t in KINDS[kind])
        question = rng.choice(FORMS).format(a=article(kind), kind=kind)
        return {"id": "", "question": question, "choices": {"text": texts, "label": names}, "answerKey": answer}

    splits = draw_splits(rng, MC_SIZES, make, key=lambda r: (r["question"], tuple(r["choices"]["text"])))
    for split, rows in splits.items():
        for i, row in enumerate(rows):
            row["id"] = f"synthetic-{split}-{i}"
    return splits
