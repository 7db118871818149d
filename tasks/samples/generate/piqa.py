"""PIQA: a goal and two solutions, one that works and one that does not (labels 0 = sol1, 1 = sol2)."""
from __future__ import annotations

import random

from .common import cap, draw_splits, load_words
from .mc_check import MC_SIZES

WORDS = load_words("multiple_choice")
GOALS, FORMS = WORDS["PIQA_GOALS"], WORDS["PIQA_FORMS"]


def gen_piqa(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        goal, right, wrong = rng.choice(GOALS)
        if rng.random() < 0.5:       # a method that works for another goal, not this one
            wrong = rng.choice([g for g in GOALS if g[0] != goal])[1]
        label = i % 2
        sol1, sol2 = (right, wrong) if label == 0 else (wrong, right)
        return {"goal": cap(rng.choice(FORMS).format(goal=goal)), "sol1": cap(sol1) + ".", "sol2": cap(sol2) + ".",
                "label": label}

    return draw_splits(rng, MC_SIZES, make, key=lambda r: (r["goal"], r["sol1"], r["sol2"]))
