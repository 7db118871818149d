"""CLUENER2020: a Chinese news sentence with named entities of the ten CLUENER types, as characters and their IOB2
tags (how the harness reads the original span annotation)."""
from __future__ import annotations

import random
import re

from .clue_check import CLUE_SIZES
from .common import draw_splits, load_words

WORDS = load_words("clue")
ENTITIES, TEMPLATES = WORDS["NER_ENTITIES"], WORDS["NER_TEMPLATES"]
_SLOT = re.compile(r"\{(\w+)\}")


def sentence(rng: random.Random, template: str) -> tuple[list[str], list[str]]:
    """The template's characters with each {type} slot filled by an entity of that type, tagged B-/I-type."""
    tokens: list[str] = []
    tags: list[str] = []
    position = 0
    for slot in _SLOT.finditer(template):
        literal = template[position:slot.start()]
        tokens += list(literal)
        tags += ["O"] * len(literal)
        kind = slot.group(1)
        mention = rng.choice(ENTITIES[kind])
        tokens += list(mention)
        tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(mention) - 1)
        position = slot.end()
    tokens += list(template[position:])
    tags += ["O"] * (len(template) - position)
    return tokens, tags


def gen_cluener(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        tokens, tags = sentence(rng, rng.choice(TEMPLATES))
        return {"id": "0", "tokens": tokens, "ner_tags": tags}

    splits = draw_splits(rng, CLUE_SIZES, make, key=lambda r: "".join(r["tokens"]))
    for rows in splits.values():
        for i, row in enumerate(rows):
            row["id"] = str(i)
    return splits
