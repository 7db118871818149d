"""COPA: a premise, its cause or its effect to pick from two alternatives (the other from another scene)."""
from __future__ import annotations

import random

from .common import FIRST_NAMES, draw_splits, load_words, number_idx
from .mc_check import MC_SIZES

SCENES = load_words("multiple_choice")["COPA_SCENES"]


def gen_copa(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        question = "cause" if i % 2 == 0 else "effect"
        column = 1 if question == "cause" else 2
        scene, other = rng.sample(SCENES, 2)
        name = rng.choice(FIRST_NAMES)
        right, wrong = (s[column].format(name=name) for s in (scene, other))
        label = rng.randrange(2)
        choice1, choice2 = (right, wrong) if label == 0 else (wrong, right)
        return {"premise": scene[0].format(name=name), "choice1": choice1, "choice2": choice2,
                "question": question, "label": label, "idx": 0}

    splits = draw_splits(rng, MC_SIZES, make, key=lambda r: (r["premise"], r["choice1"], r["choice2"]))
    number_idx(splits)
    return splits
