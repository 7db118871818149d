"""BoolQ: a short made-up encyclopedia passage ("Title -- text") and a lower-case yes/no question about it, without a
question mark, as in BoolQ; label 1 = true, 0 = false (balanced)."""
from __future__ import annotations

import random

from .common import draw_splits, made_up_name, number_idx
from .squad import SQ_LANDMARKS, SQ_TOWN_KIND
from .superglue_check import SUPERGLUE_SIZES


def _town(rng: random.Random) -> dict:
    return {"name": made_up_name(rng), "region": made_up_name(rng), "river": made_up_name(rng, 2),
            "kind": rng.choice(SQ_TOWN_KIND), "year": rng.randint(900, 1890), "landmark": rng.choice(SQ_LANDMARKS)}


def _passage(rng: random.Random, v: dict) -> str:
    first = rng.choice(["{name} is a {kind} town in the {region} region.",
                        "{name} is a town of the {region} region, founded as a {kind} town."])
    rest = rng.sample(["It lies on the {river} River.", "The town was founded in {year}.",
                       "Its best known landmark is the {landmark}."], 3)
    return f"{v['name']} -- " + " ".join([first, *rest]).format(**v)


def _question(rng: random.Random, v: dict, true: bool) -> str:
    other = _town(rng)
    while other["landmark"] == v["landmark"]:
        other["landmark"] = rng.choice(SQ_LANDMARKS)
    year = v["year"] + rng.randint(5, 300) * (1 if true else -1)
    template = rng.choice(["is {name} in the {region} region", "does {name} lie on the {river} river",
                           "was {name} founded before {year}", "is the {landmark} in {name}"])
    slots = dict(v) if true else {**v, "region": other["region"], "river": other["river"],
                                  "landmark": other["landmark"]}
    return template.format(**{**slots, "year": year}).lower()


def gen_boolq(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        v = _town(rng)
        label = i % 2
        return {"question": _question(rng, v, bool(label)), "passage": _passage(rng, v), "idx": 0, "label": label}

    splits = draw_splits(rng, SUPERGLUE_SIZES, make, key=lambda r: (r["question"], r["passage"]))
    number_idx(splits)
    return splits
