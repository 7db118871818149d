"""WNLI: Winograd-style sentences with a pronoun between two people of the same gender; the hypothesis names one of
them in the pronoun's place. 1 = the right one (entailment) / 0 = the other (balanced)."""
from __future__ import annotations

import random

from .common import SIZES, draw_splits, number_idx, load_words

WORDS = load_words("glue")
SCHEMAS = WORDS["WNLI_SCHEMAS"]
NAMES = {"he": WORDS["MALE_NAMES"], "she": WORDS["FEMALE_NAMES"]}


def gen_wnli(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 2
        sentence, clause, referent = rng.choice(SCHEMAS)
        pronoun = rng.choice(["he", "she"])
        a, b = rng.sample(NAMES[pronoun], 2)
        right, wrong = (a, b) if referent == "A" else (b, a)
        return {"sentence1": sentence.format(A=a, B=b, P=pronoun),
                "sentence2": clause.format(P=right if label == 1 else wrong), "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["sentence1"], r["sentence2"]))
    number_idx(splits)
    return splits
