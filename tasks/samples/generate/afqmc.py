"""AFQMC: two customer questions about a payment product; "1" when they ask the same thing in other words, "0"
when they ask about another matter or another product (balanced)."""
from __future__ import annotations

import random

from .clue_check import CLUE_SIZES
from .common import draw_splits, load_words

WORDS = load_words("clue")
PRODUCTS, INTENTS = WORDS["AFQMC_PRODUCTS"], WORDS["AFQMC_INTENTS"]


def gen_afqmc(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        same = i % 2 == 1
        product, (_, asks) = rng.choice(PRODUCTS), rng.choice(INTENTS)
        first, second = rng.sample(asks, 2)
        other = product
        if not same:
            if rng.random() < 0.5:
                second = rng.choice(rng.choice([a for a in INTENTS if a[1] is not asks])[1])
            else:
                other = rng.choice([p for p in PRODUCTS if p != product])
        return {"sentence1": first.format(p=product), "sentence2": second.format(p=other), "label": str(int(same))}

    return draw_splits(rng, CLUE_SIZES, make, key=lambda r: (r["sentence1"], r["sentence2"]))
