"""ChnSentiCorp: a short Chinese review of a hotel, a laptop or a book; 1 = positive, 0 = negative (balanced)."""
from __future__ import annotations

import random

from .clue_check import CLUE_SIZES
from .common import draw_splits, load_words

WORDS = load_words("clue")


def gen_chnsenticorp(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 2
        judged = WORDS["SENTI_POSITIVE"] if label else WORDS["SENTI_NEGATIVE"]
        first, second = rng.sample(WORDS["SENTI_ASPECTS"], 2)
        text = (rng.choice(WORDS["SENTI_OPENERS"]) + first + rng.choice(judged) + "，" + second + rng.choice(judged)
                + rng.choice(WORDS["SENTI_CLOSERS"]))
        return {"label": label, "text_a": text}

    return draw_splits(rng, CLUE_SIZES, make, key=lambda r: r["text_a"])
