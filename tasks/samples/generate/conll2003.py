"""CoNLL-2003: tokenized news sentences with IOB2 tags for PER, ORG, LOC and MISC."""
from __future__ import annotations

import random
import re

from .common import DAYS, LAST_NAMES, SIZES, draw_splits, number_idx, person, load_words

WORDS = load_words("conll2003")
NER_TAGS = WORDS["NER_TAGS"]
NER_COMPANIES = WORDS["NER_COMPANIES"]
NER_INSTITUTIONS = WORDS["NER_INSTITUTIONS"]
NER_MEDIA = WORDS["NER_MEDIA"]
NER_CLUBS = WORDS["NER_CLUBS"]
NER_COUNTRIES = WORDS["NER_COUNTRIES"]
NER_CITIES = WORDS["NER_CITIES"]
NER_NATS = WORDS["NER_NATS"]
NER_EVENTS = WORDS["NER_EVENTS"]
NER_PARTICLE_NAMES = WORDS["NER_PARTICLE_NAMES"]
NER_TEMPLATES = WORDS["NER_TEMPLATES"]
NER_NO_ENTITY = WORDS["NER_NO_ENTITY"]


def ner_fill(rng: random.Random, template: str) -> tuple[list[str], list[str]]:
    tokens: list[str] = []
    tags: list[str] = []
    used: set[str] = set()

    def unique(choose):
        for _ in range(50):
            v = choose()
            if v not in used:
                used.add(v)
                return v
        return v

    def ent(text: str, typ: str):
        for j, tok in enumerate(text.split()):
            tokens.append(tok)
            tags.append(("B-" if j == 0 else "I-") + typ)

    for part in template.split():
        m = re.fullmatch(r"\{([A-Z]+)\}(.*)", part)
        if not m:
            tokens.append(part)
            tags.append("O")
            continue
        slot = m.group(1)
        if slot == "PER":
            ent(unique(lambda: rng.choice(NER_PARTICLE_NAMES) if rng.random() < 0.08 else person(rng)), "PER")
        elif slot == "SURNAME":
            ent(unique(lambda: rng.choice(LAST_NAMES)), "PER")
        elif slot == "CO":
            ent(unique(lambda: rng.choice(NER_COMPANIES)), "ORG")
        elif slot == "INST":
            ent(unique(lambda: rng.choice(NER_INSTITUTIONS)), "ORG")
        elif slot == "MEDIA":
            ent(rng.choice(NER_MEDIA), "ORG")
        elif slot == "CLUB":
            ent(unique(lambda: rng.choice(NER_CLUBS)), "ORG")
        elif slot == "COUNTRY":
            ent(unique(lambda: rng.choice(NER_COUNTRIES)), "LOC")
        elif slot == "CITY":
            ent(unique(lambda: rng.choice(NER_CITIES)), "LOC")
        elif slot == "NAT":
            ent(unique(lambda: rng.choice(NER_NATS)), "MISC")
        elif slot == "EVENT":
            ent(rng.choice(NER_EVENTS), "MISC")
        else:
            if slot == "WDAY":
                val = rng.choice(DAYS)
            elif slot == "DAY":
                val = rng.choice(DAYS + ["Saturday", "Sunday"])
            elif slot == "N":
                val = str(rng.randint(2, 40))
            elif slot == "JOBS":
                val = f"{rng.randint(2, 60) * 50:,}"
            elif slot == "GOALS":
                val = str(rng.randint(0, 4))
            elif slot == "SCORE":
                val = f"{rng.randint(1, 5)}-{rng.randint(0, 2)}"
            elif slot == "TIME":
                val = f"{rng.randint(1, 2)}:{rng.randint(0, 59):02d}.{rng.randint(0, 99):02d}"
            elif slot == "YEAR":
                val = str(rng.randint(1990, 2022))
            elif slot == "AGE":
                val = str(rng.randint(19, 36))
            elif slot == "DATE":
                val = f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            elif slot == "SETS":
                val = " ".join(f"{6}-{rng.randint(0, 4)}" for _ in range(rng.randint(2, 3)))
            elif slot == "WICKETS":
                val = str(rng.randint(1, 9))
            elif slot == "ATT":
                val = f"{rng.randint(2, 60)},{rng.randint(0, 999):03d}"
            else:  # pragma: no cover
                raise KeyError(slot)
            for tok in val.split():
                tokens.append(tok)
                tags.append("O")
        if m.group(2):
            tokens.append(m.group(2))
            tags.append("O")
    return tokens, tags


def gen_conll(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        pool = NER_NO_ENTITY if rng.random() < 0.12 else NER_TEMPLATES
        tokens, tags = ner_fill(rng, rng.choice(pool))
        return {"id": "0", "tokens": tokens, "ner_tags": tags}

    splits = draw_splits(rng, SIZES, make, key=lambda r: tuple(r["tokens"]))
    number_idx(splits, field="id", as_str=True)
    return splits
