"""SWAG: the start of a scene and four endings, one of which follows (the others belong to other scenes)."""
from __future__ import annotations

import random

from .common import FIRST_NAMES, draw_splits, load_words
from .mc_check import MC_SIZES

SCRIPTS = load_words("multiple_choice")["SWAG_SCRIPTS"]


def gen_swag(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        (start, follows), *others = rng.sample(SCRIPTS, 4)
        name = rng.choice(FIRST_NAMES)
        endings = [rng.choice(follows)] + [rng.choice(o[1]) for o in others]
        rng.shuffle(endings)
        label = next(n for n, e in enumerate(endings) if e in follows)
        sent1 = start.format(name=name)
        return {"startphrase": f"{sent1} {name}", "sent1": sent1, "sent2": name,
                **{f"ending{n}": e for n, e in enumerate(endings)}, "label": label}

    return draw_splits(rng, MC_SIZES, make, key=lambda r: (r["startphrase"], *(r[f"ending{n}"] for n in range(4))))
