"""TNEWS: a Chinese news headline and its topic (15 topics, the original codes and names; balanced)."""
from __future__ import annotations

import random

from .clue_check import CLUE_SIZES
from .common import draw_splits, load_words

WORDS = load_words("clue")
TOPICS = WORDS["TNEWS_TOPICS"]


def gen_tnews(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        code, name, subjects, events = TOPICS[i % len(TOPICS)]
        headline = rng.choice(WORDS["TNEWS_OPENERS"]) + rng.choice(subjects) + rng.choice(events)
        return {"label": code, "label_desc": name, "sentence": headline + rng.choice(WORDS["TNEWS_TAILS"])}

    return draw_splits(rng, CLUE_SIZES, make, key=lambda r: r["sentence"])
