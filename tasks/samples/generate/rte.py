"""RTE: a short text and a hypothesis, 0 = entailment / 1 = not_entailment (a contradiction or an unsupported
claim; balanced)."""
from __future__ import annotations

import random

from .common import SIZES, draw_splits, number_idx
from .nli_facts import extra, fact, hypothesis, premise


def gen_rte(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 2
        f = fact(rng)
        relation = "entailment" if label == 0 else rng.choice(["contradiction", "neutral"])
        return {"sentence1": f"{premise(rng, f)} {extra(rng)}", "sentence2": hypothesis(rng, f, relation),
                "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["sentence1"], r["sentence2"]))
    number_idx(splits)
    return splits
