"""Facts for the entailment samples (MNLI, RTE, QNLI): one event (a person did something somewhere on some day),
stated as a premise, and hypotheses or questions that it entails, contradicts or leaves open."""
from __future__ import annotations

import random

from .common import DAYS, cap, load_words, person

WORDS = load_words("glue")
EVENTS = WORDS["NLI_EVENTS"]
CITIES = WORDS["NLI_CITIES"]
EXTRAS = WORDS["NLI_EXTRAS"]


def fact(rng: random.Random) -> dict:
    past, base, thing = rng.choice(EVENTS)
    return {"who": person(rng), "past": past, "base": base, "thing": thing, "city": rng.choice(CITIES),
            "day": rng.choice(DAYS)}


def premise(rng: random.Random, f: dict) -> str:
    template = rng.choice(["{who} {past} {thing} in {city} on {day} .", "On {day} , {who} {past} {thing} in {city} .",
                           "In {city} , {who} {past} {thing} on {day} ."])
    return template.format(**f)


def hypothesis(rng: random.Random, f: dict, relation: str) -> str:
    """A statement the premise entails, contradicts, or neither (neutral)."""
    templates = {
        "entailment": ["{who} {past} {thing} .", "{who} was in {city} on {day} .", "Someone {past} {thing} in {city} ."],
        "contradiction": ["{who} did not {base} {thing} .", "{who} was not in {city} on {day} .",
                          "Nobody {past} {thing} in {city} ."],
        "neutral": ["{who} {past} {thing} with a friend .", "{who} {past} {thing} for the first time .",
                    "{who} was glad to {base} {thing} ."],
    }[relation]
    return rng.choice(templates).format(**f)


def extra(rng: random.Random) -> str:
    """A sentence that adds nothing the hypotheses are about (RTE's premises are longer than MNLI's)."""
    return rng.choice(EXTRAS)


def question(rng: random.Random, f: dict) -> tuple[str, str]:
    """A question about the fact and the slot it asks for (city, day or thing)."""
    slot = rng.choice(["city", "day", "thing"])
    text = {"city": "Where did {who} {base} {thing} ?", "day": "When did {who} {base} {thing} ?",
            "thing": "What did {who} {base} in {city} ?"}[slot]
    return cap(text.format(**f)), slot


def sentence_without(rng: random.Random, f: dict, slot: str) -> str:
    """A sentence about the same event that leaves out the asked slot, so it does not answer the question."""
    templates = {"city": ["{who} {past} {thing} on {day} .", "On {day} , {who} {past} {thing} ."],
                 "day": ["{who} {past} {thing} in {city} .", "In {city} , {who} {past} {thing} ."],
                 "thing": ["{who} was in {city} on {day} .", "On {day} , {who} spent the day in {city} ."]}[slot]
    return rng.choice(templates).format(**f)
