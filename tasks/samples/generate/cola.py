"""CoLA: single sentences, 1 = acceptable / 0 = unacceptable (about 70 % acceptable, as in CoLA). Unacceptable
sentences break one rule of an acceptable pattern: subject-verb agreement, the participle after 'has' or in a
passive, the infinitive after 'to', or the order of verb and object."""
from __future__ import annotations

import random

from .common import SIZES, cap, draw_splits, number_idx, person, load_words

WORDS = load_words("glue")
NOUNS = WORDS["COLA_NOUNS"]
VERBS = WORDS["COLA_VERBS"]
TIMES = WORDS["COLA_TIMES"]


def _subject(rng: random.Random) -> tuple[str, bool]:
    """A subject and whether it is plural."""
    if rng.random() < 0.3:
        return person(rng), False
    singular, plural = rng.choice(NOUNS)
    many = rng.random() < 0.5
    return f"the {plural if many else singular}", many


def _sentence(rng: random.Random, acceptable: bool) -> str:
    subject, many = _subject(rng)
    base, third, past, participle, thing = rng.choice(VERBS)
    present, wrong_present = (base, third) if many else (third, base)
    has, wants, want_wrong = ("have", "want", "wants") if many else ("has", "wants", "want")
    pattern = rng.randrange(5)
    if pattern == 0:
        words = f"{subject} {present if acceptable else wrong_present} {thing}"
    elif pattern == 1:
        words = f"{subject} {has} {participle if acceptable else past} {thing}"
    elif pattern == 2:
        words = (f"{subject} {past} {thing} {rng.choice(TIMES)}" if acceptable
                 else f"{subject} {thing} {past} {rng.choice(TIMES)}")
    elif pattern == 3:
        words = f"{subject} {wants} to {base} {thing}" if acceptable else f"{subject} {want_wrong} to {past} {thing}"
    else:
        words = f"{thing} was {participle if acceptable else past} by {subject}"
    return cap(words) + "."


def gen_cola(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = 0 if i % 10 < 3 else 1
        return {"sentence": _sentence(rng, label == 1), "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: r["sentence"])
    number_idx(splits)
    return splits
