"""CB (CommitmentBank): a premise that embeds a clause under a verb or phrase that commits the speaker to it, to its
falsehood, or to neither, and that clause as the hypothesis; label 0 = entailment, 1 = contradiction, 2 = neutral
(balanced; the hub's label order)."""
from __future__ import annotations

import random

from .common import DAYS, draw_splits, made_up_name, number_idx, person
from .squad import SQ_LANDMARKS, SQ_PRODUCTS
from .superglue_check import SUPERGLUE_SIZES

# (what someone did, to what): the embedded clauses
DEEDS = [("sold", "{product}"), ("visited", "the {landmark}"), ("painted", "the {landmark}"),
         ("bought", "{product}"), ("opened a shop in", "{town}"), ("moved to", "{town}")]

FRAMES = {
    0: ["{speaker} knew that {clause}.", "It turned out that {clause}.", "{speaker} was glad that {clause}."],
    1: ["{speaker} wrongly believed that {clause}.", "It is not true that {clause}.",
        "{speaker} pretended that {clause}, but it never happened."],
    2: ["{speaker} wondered whether {clause}.", "{speaker} thought that maybe {clause}.",
        "Nobody could say if {clause}."],
}


def gen_cb(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 3
        verb, thing = rng.choice(DEEDS)
        thing = thing.format(product=rng.choice(SQ_PRODUCTS), landmark=rng.choice(SQ_LANDMARKS),
                             town=made_up_name(rng))
        clause = f"{person(rng)} {verb} {thing} on {rng.choice(DAYS)}"
        premise = rng.choice(FRAMES[label]).format(speaker=person(rng), clause=clause)
        return {"premise": premise, "hypothesis": clause, "label": label, "idx": 0}

    splits = draw_splits(rng, SUPERGLUE_SIZES, make, key=lambda r: (r["premise"], r["hypothesis"]))
    number_idx(splits)
    return splits
