"""MRPC: news-style sentence pairs, 1 = paraphrase / 0 = related but different."""
from __future__ import annotations

import random

from .common import DAYS, SIZES, alt, cap, draw_splits, number_idx, person, load_words

WORDS = load_words("mrpc")
COMPANIES = WORDS["COMPANIES"]
MRPC_CITIES = WORDS["MRPC_CITIES"]
MRPC_TITLES = WORDS["MRPC_TITLES"]
MRPC_ORGS = WORDS["MRPC_ORGS"]
MRPC_TOPICS = WORDS["MRPC_TOPICS"]
MRPC_WHEN = WORDS["MRPC_WHEN"]
MRPC_CRIMES = WORDS["MRPC_CRIMES"]
MRPC_BODIES = WORDS["MRPC_BODIES"]
MRPC_THINGS = WORDS["MRPC_THINGS"]
UP = WORDS["UP"]


NUM_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
             9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}


def money(rng: random.Random, lo: int, hi: int) -> str:
    return f"{rng.randint(lo * 100, hi * 100) / 100:.2f}"


# Each frame: slot sampler, realisations (format strings with [a|b] choices),
# and the slots that may be changed to make a related-but-different statement.
def _jobs_slots(rng):
    return {"company": rng.choice(COMPANIES), "n": f"{rng.randint(2, 90) * 50:,}",
            "city": rng.choice(MRPC_CITIES), "day": rng.choice(DAYS)}


def _shares_slots(rng):
    return {"company": rng.choice(COMPANIES), "dir": rng.choice(["up", "down"]),
            "pct": f"{rng.randint(12, 150) / 10:.1f}", "price": money(rng, 5, 120),
            "day": rng.choice(DAYS)}


def _arrest_slots(rng):
    n = rng.randint(2, 12)
    return {"city": rng.choice(MRPC_CITIES), "n": NUM_WORDS[n], "crime": rng.choice(MRPC_CRIMES),
            "day": rng.choice(DAYS)}


def _deal_slots(rng):
    a, b = rng.sample(COMPANIES, 2)
    return {"company": a, "target": b, "x": str(rng.randint(12, 950))}


def _policy_slots(rng):
    return {"title": rng.choice(MRPC_TITLES), "person": person(rng), "org": rng.choice(MRPC_ORGS),
            "topic": rng.choice(MRPC_TOPICS), "when": rng.choice(MRPC_WHEN)}


def _vote_slots(rng):
    total = rng.choice([5, 7, 9, 11, 13])
    yes = rng.randint(total // 2 + 1, total)
    return {"body": rng.choice(MRPC_BODIES), "yes": str(yes), "no": str(total - yes),
            "thing": rng.choice(MRPC_THINGS), "day": rng.choice(DAYS)}


MRPC_FRAMES = {
    "jobs": (_jobs_slots, [
        "{company} [said|announced] on {day} it would cut {n} jobs at its {city} [plant|factory] .",
        "On {day} , {company} announced plans to [eliminate|cut] {n} positions at its {city} [plant|factory] .",
        "{company} will [shed|cut] {n} jobs at its [plant|factory] in {city} , the company said on {day} .",
        "{n} jobs will be [eliminated|lost] at the {city} [plant|factory] of {company} , the company said {day} .",
    ], ["company", "n", "city", "day"]),
    "shares": (_shares_slots, [
        "Shares of {company} {DIR} {pct} percent to ${price} on {day} .",
        "{company} stock {DIR} {pct} percent on {day} , closing at ${price} .",
        "On {day} , {company} shares {DIR} {pct} percent to close at ${price} .",
        "{company} 's shares ended {day} {dir} {pct} percent at ${price} .",
    ], ["company", "dir", "pct", "price"]),
    "arrest": (_arrest_slots, [
        "Police in {city} arrested {n} people on {day} in connection with the {crime} .",
        "{N} [suspects|people] were [detained|arrested] by {city} police on {day} over the {crime} .",
        "On {day} , {city} police took {n} people into custody [in connection with|over] the {crime} .",
        "{city} police said they had arrested {n} people on {day} after the {crime} .",
    ], ["city", "n", "crime", "day"]),
    "deal": (_deal_slots, [
        "{company} agreed to buy {target} for ${x} million , the companies said .",
        "{target} will be acquired by {company} in a deal [worth|valued at] ${x} million .",
        "{company} has agreed to [acquire|purchase] {target} for ${x} million , the companies [said|announced] .",
        "In a ${x} million deal , {company} will [buy|take over] {target} .",
    ], ["company", "target", "x", "swap"]),
    "policy": (_policy_slots, [
        "{Title} {person} said the {org} would review its {topic} policy {when} .",
        "The {org} will review its {topic} policy {when} , {title} {person} said .",
        "According to {title} {person} , the {org} plans to [re-examine|review] its {topic} policy {when} .",
        "The {org} [intends|plans] to look again at its {topic} policy {when} , {title} {person} [said|told reporters] .",
    ], ["person", "org", "topic", "when"]),
    "vote": (_vote_slots, [
        "The {body} voted {yes}-{no} on {day} to approve the {thing} .",
        "The {thing} was approved by the {body} in {a} {yes}-{no} vote on {day} .",
        "On {day} , the {body} approved the {thing} by a vote of {yes} to {no} .",
        "By {a} {yes}-{no} margin , the {body} [backed|passed] the {thing} on {day} .",
    ], ["yes", "thing", "body", "day"]),
}


MRPC_FRAME_NAMES = list(MRPC_FRAMES)


def mrpc_render(rng: random.Random, template: str, slots: dict) -> str:
    s = dict(slots)
    if "dir" in s:
        s["DIR"] = alt(rng, UP[s["dir"]])
    if "n" in s:
        s["N"] = cap(s["n"])
    if "title" in s:
        s["Title"] = cap(s["title"])
    if "yes" in s:
        s["a"] = "an" if s["yes"] in ("8", "11", "18") else "a"
    return cap(alt(rng, template).format(**s))


def mrpc_perturb(rng: random.Random, frame: str, slots: dict) -> dict:
    sampler, _, changeable = MRPC_FRAMES[frame]
    new = dict(slots)
    what = rng.choice(changeable)
    if what == "swap":
        new["company"], new["target"] = slots["target"], slots["company"]
        return new
    if what == "dir":
        new["dir"] = "down" if slots["dir"] == "up" else "up"
        return new
    if what == "yes":
        total = int(slots["yes"]) + int(slots["no"])
        choices = [y for y in range(total // 2 + 1, total + 1) if y != int(slots["yes"])]
        y = rng.choice(choices)
        new["yes"], new["no"] = str(y), str(total - y)
        return new
    for _ in range(100):
        fresh = sampler(rng)[what]
        if fresh != slots[what] and not (what == "company" and fresh == slots.get("target")):
            new[what] = fresh
            return new
    raise RuntimeError("perturbation failed")


def gen_mrpc(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = 0 if i % 3 == 0 else 1
        frame = rng.choice(MRPC_FRAME_NAMES)
        sampler, templates, _ = MRPC_FRAMES[frame]
        slots = sampler(rng)
        t1, t2 = rng.sample(templates, 2)
        s1 = mrpc_render(rng, t1, slots)
        if label == 1:
            s2 = mrpc_render(rng, t2, slots)
        elif rng.random() < 0.25 and ("company" in slots or "city" in slots):
            # same company / city, but a different event
            for _ in range(50):
                other = rng.choice(MRPC_FRAME_NAMES)
                if other == frame:
                    continue
                o_sampler, o_templates, _ = MRPC_FRAMES[other]
                o = o_sampler(rng)
                shared = [k for k in ("company", "city") if k in slots and k in o]
                if shared:
                    for k in shared:
                        o[k] = slots[k]
                    break
            s2 = mrpc_render(rng, rng.choice(o_templates), o)
        else:
            t = t1 if rng.random() < 0.3 else t2
            s2 = mrpc_render(rng, t, mrpc_perturb(rng, frame, slots))
        if rng.random() < 0.5:
            s1, s2 = s2, s1
        if s1 == s2:
            s2 = mrpc_render(rng, t2, slots)  # only possible for label 1; retried by key
        return {"sentence1": s1, "sentence2": s2, "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["sentence1"], r["sentence2"]))
    number_idx(splits)
    return splits
