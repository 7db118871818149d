"""QQP: two questions, 1 = duplicate (the same intent about the same thing, asked in other words) / 0 = not (another
intent about the same thing, or the same intent about another thing); about 3/8 are duplicates, as in QQP."""
from __future__ import annotations

import random

from .common import SIZES, cap, draw_splits, number_idx, load_words

FRAMES = load_words("glue")["QQP_FRAMES"]
FRAME_NAMES = list(FRAMES)


def gen_qqp(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = 1 if i % 8 < 3 else 0
        slots, intents = FRAMES[rng.choice(FRAME_NAMES)]
        x = rng.choice(slots)
        intent = rng.randrange(len(intents))
        first, second = rng.sample(intents[intent], 2)
        q1 = first.format(x=x)
        if label == 1:
            q2 = second.format(x=x)
        elif rng.random() < 0.5:
            other = rng.choice([j for j in range(len(intents)) if j != intent])
            q2 = rng.choice(intents[other]).format(x=x)
        else:
            q2 = second.format(x=rng.choice([s for s in slots if s != x]))
        return {"question1": cap(q1), "question2": cap(q2), "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["question1"], r["question2"]))
    number_idx(splits)
    return splits
