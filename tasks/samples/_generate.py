#!/usr/bin/env python3
"""Generate the small SYNTHETIC sample datasets bundled with the harness.

Every row is produced here from hand-written templates and word lists; nothing is
copied from any real dataset.  Column names match the Hugging Face hub datasets
(glue/sst2, glue/mrpc, glue/stsb, conll2003, squad, wmt16 ro-en, xsum) so that one
column mapping serves both the bundled samples and the real data.

Usage:
    python tasks/samples/_generate.py            # (re)write every file, then validate
    python tasks/samples/_generate.py --check    # validate the files on disk and check
                                                 # that they equal a fresh generation
    python tasks/samples/_generate.py --out DIR  # write somewhere else

The output is byte-for-byte deterministic: every task uses its own seeded
random.Random, nothing iterates over a set or dict of unknown order, and the JSON
is written with a fixed layout.  Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import string
import sys
from pathlib import Path
from typing import Callable

SEED = 20240611
SIZES = {"train": 320, "validation": 64, "test": 96}
XSUM_SIZES = {"train": 160, "validation": 32, "test": 48}
SPLITS = ("train", "validation", "test")
MAX_TOTAL_BYTES = 1_500_000

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- helpers


def task_rng(task: str) -> random.Random:
    """One independent, reproducible generator per task."""
    digest = hashlib.sha256(f"{SEED}:{task}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


_ALT = re.compile(r"\[([^\[\]]*)\]")


def alt(rng: random.Random, text: str) -> str:
    """Resolve '[a|b|c]' choices in a template string."""
    return _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), text)


def draw_splits(
    rng: random.Random,
    sizes: dict[str, int],
    make: Callable[[random.Random, int, str], dict],
    key: Callable[[dict], object],
) -> dict[str, list[dict]]:
    """Draw rows split by split from one generator; no row key occurs twice overall.

    `make(rng, i, split)` builds row i of a split (i lets callers balance labels).
    Each split is shuffled afterwards so balanced labels are not in a fixed pattern.
    """
    seen: set = set()
    out: dict[str, list[dict]] = {}
    for split in SPLITS:
        rows = []
        for i in range(sizes[split]):
            for _attempt in range(5000):
                row = make(rng, i, split)
                k = key(row)
                if k not in seen:
                    seen.add(k)
                    rows.append(row)
                    break
            else:  # pragma: no cover - only hit if a generator is too small
                raise RuntimeError(f"could not draw a new unique row ({split} #{i})")
        rng.shuffle(rows)
        out[split] = rows
    return out


def number_idx(splits: dict[str, list[dict]], field: str = "idx", as_str: bool = False) -> None:
    for rows in splits.values():
        for i, row in enumerate(rows):
            row[field] = str(i) if as_str else i


# ============================================================================ SST-2

SST_POS_ADJ = [
    "wonderful", "brilliant", "charming", "moving", "delightful", "superb", "engaging",
    "funny", "beautiful", "gripping", "heartfelt", "clever", "stunning", "memorable",
    "warm", "touching", "masterful", "witty", "refreshing", "captivating", "inventive",
    "exhilarating", "tender", "smart", "lovely", "powerful", "entertaining", "graceful",
]
SST_NEG_ADJ = [
    "dull", "boring", "tedious", "clumsy", "awful", "bland", "lifeless", "messy",
    "predictable", "shallow", "tiresome", "forgettable", "painful", "flat", "incoherent",
    "lazy", "dreary", "sloppy", "pointless", "annoying", "bloated", "stale", "cheap",
    "mediocre", "overlong", "contrived", "unfunny", "hollow",
]
# (phrase, is_plural)
SST_SUBJECTS = [
    ("the acting", False), ("the film", False), ("the movie", False), ("the script", False),
    ("the plot", False), ("the story", False), ("the direction", False),
    ("the soundtrack", False), ("the performances", True), ("the dialogue", False),
    ("the cinematography", False), ("this picture", False), ("the ending", False),
    ("the cast", False), ("the pacing", False), ("the characters", True),
    ("the jokes", True), ("the visuals", True), ("the lead actor", False),
    ("the screenplay", False), ("the final act", False), ("the special effects", True),
    ("the score", False), ("the editing", False), ("the first half", False),
    ("the supporting players", True), ("the action scenes", True), ("the premise", False),
]
SST_INTENS = [
    "very", "really", "truly", "remarkably", "quite", "thoroughly", "utterly",
    "surprisingly", "consistently", "so", "genuinely", "rather", "downright", "often",
]
SST_FILM = [
    "film", "movie", "comedy", "drama", "thriller", "picture", "documentary", "romance",
    "western", "debut", "sequel", "musical", "fable", "satire",
]
SST_POS_VERB = [
    "i loved", "we enjoyed", "i really liked", "audiences will adore", "i admired",
    "critics will praise", "everyone will appreciate", "i was moved by", "kids will love",
    "i was charmed by",
]
SST_NEG_VERB = [
    "i hated", "we disliked", "i could barely sit through", "audiences will resent",
    "i was bored by", "i regret watching", "i was annoyed by", "viewers will be tired of",
    "i was embarrassed by", "critics will pan",
]
SST_POS_NP = [
    "a triumph", "a small gem", "a joy to watch", "a real treat", "a rare delight",
    "a must-see", "a crowd-pleaser", "a pleasure from start to finish",
    "one of the best films of the year", "a welcome surprise",
]
SST_NEG_NP = [
    "a mess", "a chore to sit through", "a waste of time", "a complete disaster",
    "a tired retread", "an embarrassment", "one of the worst films of the year",
    "a long , dull slog", "a missed opportunity", "a letdown",
]
SST_NEG_BASE = ["enjoy", "like", "love", "care for", "believe", "laugh at"]
SST_EXTRA = [
    "", "", "", "", " from start to finish", " throughout", " in the end",
    " for most of its running time", " despite its length", " at times",
]


def sst_sentence(rng: random.Random, label: int) -> str:
    pos = label == 1
    adjs, opp = (SST_POS_ADJ, SST_NEG_ADJ) if pos else (SST_NEG_ADJ, SST_POS_ADJ)
    subj, plural = rng.choice(SST_SUBJECTS)
    be = "are" if plural else "is"
    a1, a2 = rng.sample(adjs, 2)
    inten = rng.choice(SST_INTENS)
    film = rng.choice(SST_FILM)
    extra = rng.choice(SST_EXTRA)
    r = rng.random()
    if r < 0.10:  # negation: polarity comes from the negated word of the other polarity
        o = rng.choice(opp)
        if pos:
            t = rng.randrange(4)
            if t == 0:
                return f"{subj} {be} never {o} ."
            if t == 1:
                return f"there is nothing {o} about this {film} ."
            if t == 2:
                return f"{subj} {be} not {o} at all ."
            return f"this {film} is n't {o} , it 's {a1} ."
        t = rng.randrange(4)
        if t == 0:
            return f"{subj} {be} not {o} ."
        if t == 1:
            return f"{subj} {'are' if plural else 'is'} n't {rng.choice(['very', 'particularly', 'remotely'])} {o} ."
        if t == 2:
            return f"i did n't {rng.choice(SST_NEG_BASE)} {subj} ."
        return f"this {film} is not {o} , just {a1} ."
    if r < 0.20:  # contrast: the main clause decides
        s2, pl2 = rng.choice(SST_SUBJECTS)
        o = rng.choice(opp)
        t = rng.randrange(3)
        if t == 0:
            return f"although {s2} {'are' if pl2 else 'is'} {o} , the {film} is {inten} {a1} overall ."
        if t == 1:
            return f"{s2} {'are' if pl2 else 'is'} {o} , but {subj} {be} {inten} {a1} ."
        return f"even with {s2} being {o} , this {film} {rng.choice(['feels', 'remains', 'is'])} {a1} ."
    t = rng.randrange(11)
    if t == 0:
        return f"{subj} {be} {inten} {a1}{extra} ."
    if t == 1:
        return f"{subj} {be} {a1} and {a2} ."
    if t == 2:
        return f"{rng.choice(SST_POS_VERB if pos else SST_NEG_VERB)} {subj} ."
    if t == 3:
        return f"this {film} is {rng.choice(SST_POS_NP if pos else SST_NEG_NP)} ."
    if t == 4:
        return f"{article(a1)} {a1} , {a2} {film} ."
    if t == 5:
        return f"{inten} {a1} ."
    if t == 6:
        return f"{inten} {a1} , {subj} {be} {a2}{extra} ."
    if t == 7:
        return f"it 's {article(a1)} {a1} {film} , and {subj} {be} {inten} {a2} ."
    if t == 8:
        return f"the director 's latest {film} is {inten} {a1} ."
    if t == 9:
        s2, pl2 = rng.choice(SST_SUBJECTS)
        return f"{subj} {be} {a1} , and {s2} {'are' if pl2 else 'is'} even more {a2} ."
    return f"{a1} and {a2} , {subj} {'make' if plural else 'makes'} this {film} {rng.choice(SST_POS_NP if pos else SST_NEG_NP)} ."


def gen_sst2(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        label = i % 2
        return {"sentence": sst_sentence(rng, label), "label": label, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: r["sentence"])
    number_idx(splits)
    return splits


# ============================================================================ MRPC

COMPANIES = [
    "Norcast Industries", "Halvern Corp", "Brightwell Systems", "Delmont Energy",
    "Quillon Pharmaceuticals", "Vestra Airlines", "Pellham Foods", "Corbin Steel",
    "Ardent Networks", "Tamsin Motors", "Lorwick Bank", "Meridale Telecom",
    "Oakhurst Chemicals", "Silvane Software", "Redmarsh Mining", "Cobalt Ridge Media",
]
MRPC_CITIES = [
    "Chicago", "Dallas", "Detroit", "Leeds", "Lyon", "Toronto", "Denver", "Atlanta",
    "Seattle", "Phoenix", "Glasgow", "Rotterdam", "Cleveland", "Sacramento",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
FIRST_NAMES = [
    "Maria", "Tomas", "Elena", "Jonas", "Priya", "Kofi", "Lena", "Marco", "Yuki", "Omar",
    "Sofia", "Pieter", "Ingrid", "Rafael", "Nadia", "Stefan", "Amara", "Lukas", "Mei",
    "Fatima", "Henrik", "Olga", "Diego", "Aisha", "Gareth", "Ruth", "Colin", "Brenda",
]
LAST_NAMES = [
    "Jensen", "Okafor", "Moreau", "Kowalski", "Lindqvist", "Haddad", "Novak", "Ferreira",
    "Tanaka", "Brennan", "Petrov", "Mensah", "Albers", "Castillo", "Varga", "Holm",
    "Nakamura", "Dubois", "Rahman", "Eriksen", "Marquez", "Schultz", "Bianchi", "Osei",
    "Whitfield", "Pryce", "Calloway", "Hendry",
]
MRPC_TITLES = ["spokesperson", "Chief Executive", "Senator", "Governor", "Finance Minister",
               "Commissioner", "Mayor", "press secretary"]
MRPC_ORGS = ["transport ministry", "state health department", "city council", "school board",
             "central bank", "energy regulator", "port authority", "football league"]
MRPC_TOPICS = ["pricing", "hiring", "safety", "travel", "lending", "recycling", "overtime",
               "admissions", "data privacy"]
MRPC_WHEN = ["next year", "this summer", "by the end of the month", "in the coming weeks",
             "before the election", "early next year"]
MRPC_CRIMES = ["bank robbery", "warehouse fire", "theft of rare paintings",
               "attack on a security guard", "series of car thefts", "jewellery store raid",
               "fraud at a local charity", "vandalism of a school"]
MRPC_BODIES = ["city council", "Senate committee", "school board", "state assembly",
               "county commission", "planning board"]
MRPC_THINGS = ["new budget", "transit plan", "tax increase", "zoning change",
               "stadium proposal", "teachers' contract", "water rate hike"]
NUM_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
             9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


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


UP = {"up": "[rose|gained|climbed|jumped]", "down": "[fell|lost|dropped|slid]"}

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


# ============================================================================ STS-B

# subject concepts: (kind, surface variants)
STS_SUBJECTS = {
    "man": ("person", ["a man", "a guy", "a young man"]),
    "woman": ("person", ["a woman", "a lady", "a young woman"]),
    "boy": ("person", ["a boy", "a young boy", "a little boy"]),
    "girl": ("person", ["a girl", "a young girl", "a little girl"]),
    "men": ("people", ["two men", "a pair of men"]),
    "people": ("people", ["a group of people", "several people", "some people"]),
    "dog": ("animal", ["a dog", "a brown dog", "a small dog"]),
    "cat": ("animal", ["a cat", "a kitten", "a grey cat"]),
    "horse": ("animal", ["a horse", "a brown horse"]),
}
# action concepts: (domain, subject kinds, singular variants) ; plural forms derived
STS_ACTIONS = {
    "guitar": ("music", ("person", "people"), ["is playing a guitar", "is playing the guitar", "is strumming a guitar", "plays a guitar"]),
    "piano": ("music", ("person", "people"), ["is playing the piano", "is playing a piano", "plays the piano"]),
    "sing": ("music", ("person", "people"), ["is singing a song", "is singing", "sings a song"]),
    "drums": ("music", ("person", "people"), ["is playing the drums", "is drumming", "plays the drums"]),
    "onion": ("cooking", ("person", "people"), ["is slicing an onion", "is cutting an onion", "is chopping an onion", "cuts up an onion"]),
    "egg": ("cooking", ("person", "people"), ["is frying an egg", "is cooking an egg in a pan", "fries an egg"]),
    "potato": ("cooking", ("person", "people"), ["is peeling a potato", "is peeling potatoes", "peels a potato"]),
    "oil": ("cooking", ("person", "people"), ["is pouring oil into a pan", "is adding oil to a pan", "pours oil into a pan"]),
    "bike": ("sport", ("person", "people"), ["is riding a bicycle", "is riding a bike", "rides a bike"]),
    "ball": ("sport", ("person", "people"), ["is kicking a ball", "is kicking a soccer ball", "kicks a football"]),
    "swim": ("sport", ("person", "people", "animal"), ["is swimming", "is swimming in the water", "swims"]),
    "run": ("sport", ("person", "people", "animal"), ["is running", "is jogging", "runs"]),
    "chase": ("animals", ("animal",), ["is chasing a ball", "is running after a ball", "chases a ball"]),
    "sleep": ("animals", ("animal", "person", "people"), ["is sleeping", "is asleep", "is napping"]),
    "drink": ("animals", ("animal",), ["is drinking water", "is drinking from a bowl", "drinks some water"]),
    "snow": ("animals", ("animal", "person", "people"), ["is playing in the snow", "plays in the snow", "is running through the snow"]),
    "read": ("home", ("person", "people"), ["is reading a book", "is reading", "reads a book"]),
    "phone": ("home", ("person", "people"), ["is talking on a phone", "is talking on the phone", "is speaking on a phone"]),
    "type": ("home", ("person", "people"), ["is typing on a laptop", "is using a laptop", "types on a computer"]),
}
STS_PLACES = {
    "park": ["in the park", "at the park", "in a park"],
    "street": ["on the street", "in the street", "on a street"],
    "stage": ["on a stage", "on stage", "on the stage"],
    "kitchen": ["in the kitchen", "in a kitchen"],
    "beach": ["on the beach", "at the beach", "on a beach"],
    "room": ["in a room", "in the living room"],
    "field": ["in a field", "in the grass", "on the grass"],
}
STS_HUMAN_PLURAL = {"is": "are", "plays": "play", "sings": "sing", "cuts": "cut", "fries": "fry",
                    "peels": "peel", "pours": "pour", "rides": "ride", "kicks": "kick",
                    "swims": "swim", "runs": "run", "chases": "chase", "drinks": "drink",
                    "reads": "read", "types": "type"}
STS_UNRELATED = [
    "the stock market fell sharply today .", "a red car is parked outside a house .",
    "the train arrived two hours late .", "a plane is taking off .",
    "the committee will meet again next week .", "an old building is being torn down .",
    "the price of oil rose on Monday .", "a bowl of fruit sits on a table .",
    "the river flooded after heavy rain .", "a bus is driving down a road .",
]


def sts_clause(rng: random.Random, subj: str, action: str, place: str | None) -> str:
    kind, subj_forms = STS_SUBJECTS[subj]
    s = rng.choice(subj_forms)
    v = rng.choice(STS_ACTIONS[action][2])
    if kind == "people":
        first, _, rest = v.partition(" ")
        v = f"{STS_HUMAN_PLURAL.get(first, first)} {rest}".strip()
    out = f"{s} {v}"
    if place is not None:
        out += " " + rng.choice(STS_PLACES[place])
    return out + " ."


def sts_pick_subject(rng, action, exclude=()):
    kinds = STS_ACTIONS[action][1]
    options = [s for s in STS_SUBJECTS if STS_SUBJECTS[s][0] in kinds and s not in exclude]
    return rng.choice(options)


def sts_pick_action(rng, subj, domain=None, same_domain=True, exclude=()):
    kind = STS_SUBJECTS[subj][0]
    options = [a for a, (d, kinds, _) in STS_ACTIONS.items()
               if kind in kinds and a not in exclude
               and (domain is None or (d == domain) == same_domain)]
    return rng.choice(options) if options else None


def sts_pair(rng: random.Random) -> tuple[str, str, float]:
    def score(lo, hi):
        return rng.randint(int(lo * 100), int(hi * 100)) / 100

    action = rng.choice(list(STS_ACTIONS))
    subj = sts_pick_subject(rng, action)
    place = rng.choice(list(STS_PLACES)) if rng.random() < 0.6 else None
    s1 = sts_clause(rng, subj, action, place)
    level = rng.randrange(6)
    domain = STS_ACTIONS[action][0]
    if level == 0:  # paraphrase
        s2 = sts_clause(rng, subj, action, place)
        sc = score(4.4, 5.0)
    elif level == 1:  # place changed / dropped / added
        other = [p for p in STS_PLACES if p != place] + [None] * 2
        new_place = rng.choice(other) if place is not None else rng.choice(list(STS_PLACES))
        s2 = sts_clause(rng, subj, action, new_place)
        sc = score(3.4, 4.2) if (place is None or new_place is None) else score(3.0, 3.8)
    elif level == 2:  # subject changed, same action
        subj2 = sts_pick_subject(rng, action, exclude=(subj,))
        s2 = sts_clause(rng, subj2, action, place)
        sc = score(2.4, 3.4)
    elif level == 3:  # same subject, different action in the same domain
        a2 = sts_pick_action(rng, subj, domain, True, exclude=(action,)) or sts_pick_action(rng, subj, exclude=(action,))
        s2 = sts_clause(rng, subj, a2, place if rng.random() < 0.5 else None)
        sc = score(1.4, 2.4)
    elif level == 4:  # same broad topic, different subject and action
        a2 = sts_pick_action(rng, subj, domain, True, exclude=(action,)) or sts_pick_action(rng, subj, exclude=(action,))
        subj2 = sts_pick_subject(rng, a2, exclude=(subj,))
        s2 = sts_clause(rng, subj2, a2, None)
        sc = score(0.6, 1.6)
    else:  # unrelated
        if rng.random() < 0.5:
            s2 = rng.choice(STS_UNRELATED)
        else:
            subj2 = rng.choice([s for s in STS_SUBJECTS if s != subj])
            a2 = sts_pick_action(rng, subj2, domain, False) or sts_pick_action(rng, subj2, exclude=(action,))
            s2 = sts_clause(rng, subj2, a2, None)
        sc = score(0.0, 0.6)
    if s1 == s2:  # identical strings: force full score
        sc = 5.0
    if rng.random() < 0.5:
        s1, s2 = s2, s1
    return cap(s1), cap(s2), float(sc)


def gen_stsb(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        s1, s2, sc = sts_pair(rng)
        return {"sentence1": s1, "sentence2": s2, "label": sc, "idx": 0}

    splits = draw_splits(rng, SIZES, make, key=lambda r: (r["sentence1"], r["sentence2"]))
    number_idx(splits)
    return splits


# ============================================================================ CoNLL-2003

NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
NER_COMPANIES = [  # used without an article
    "Northfield Bank", "Baltic Shipping Company", "Orion Motors", "Velden Group",
    "Astra Telecom", "Halvern Energy", "Kestrel Airlines", "Meridian Pharmaceuticals",
    "Lindholm Capital", "Tidewater Insurance", "Corbin Steel", "Saltmarsh Brewery",
]
NER_INSTITUTIONS = [  # used after "the"
    "European Union", "United Nations", "World Bank", "Finance Ministry", "Red Cross",
    "Central Statistics Office", "National Farmers Union", "Supreme Court",
    "International Monetary Fund", "Foreign Ministry",
]
NER_MEDIA = ["Reuters", "Nordic Radio", "Channel Nine", "Evening Courier"]
NER_CLUBS = [
    "Greyhaven Rovers", "Port Alder United", "Ashby Town", "Kelso Athletic", "Real Oriola",
    "Dynamo Varna", "Northgate", "Westbury Wanderers", "Sporting Lemos", "Brookfield",
]
NER_COUNTRIES = [
    "Germany", "France", "Brazil", "Japan", "Kenya", "Poland", "Canada", "South Africa",
    "Sri Lanka", "Argentina", "Norway", "Egypt", "Australia", "Mexico", "New Zealand",
]
NER_CITIES = [
    "New York", "Hong Kong", "Rio de Janeiro", "Buenos Aires", "Berlin", "Paris", "Tokyo",
    "Nairobi", "Warsaw", "Lisbon", "Oslo", "Cairo", "Sydney", "Los Angeles", "Mexico City",
    "Frankfurt", "Geneva", "Cape Town",
]
NER_NATS = ["German", "French", "Brazilian", "Japanese", "Kenyan", "Polish", "Canadian",
            "Dutch", "Swedish", "Italian", "Egyptian", "Australian", "Mexican", "Norwegian"]
NER_EVENTS = ["World Cup", "Olympic Games", "Nobel Peace Prize", "Champions League",
              "Davis Cup", "Asian Games", "US Open", "Tour de France"]
NER_PARTICLE_NAMES = ["Jan van Dijk", "Ana de Souza", "Karl von Berg", "Luis da Silva",
                      "Pieter de Vries"]

# slot -> (entity type or None, sampler)
NER_TEMPLATES = [
    "{CO} said on {DAY} it would open a new office in {CITY} .",
    "{NAT} Prime Minister {PER} arrived in {COUNTRY} on {DAY} for talks with {PER} .",
    "{PER} , the {NAT} striker , scored twice as {CLUB} beat {CLUB} {SCORE} in {CITY} .",
    "{CLUB} {GOALS} {CLUB} {GOALS}",
    "{PER} ( {COUNTRY} ) {TIME}",
    "{NAT} {PER} won the final of the {EVENT} on {DAY} .",
    "Shares in {CO} rose {N} percent in {CITY} trading on {WDAY} .",
    "The {INST} warned that growth in {COUNTRY} would slow next year , {PER} told {MEDIA} .",
    "{COUNTRY} 's central bank left interest rates unchanged on {DAY} .",
    "{SURNAME} said the {NAT} government would not change its position .",
    "{PER} , who joined {CO} in {YEAR} , will take over as chief executive .",
    "Officials from the {INST} and the {INST} will meet in {CITY} on {DAY} .",
    "{PER} beat {PER} {SETS} in the second round of the {EVENT} .",
    "{CITY} {DATE}",
    "{CLUB} have signed {NAT} defender {PER} from {CLUB} for an undisclosed fee .",
    "Police in {CITY} said {N} people were hurt when a bus overturned near {CITY} .",
    "{SURNAME} , {AGE} , has won {N} caps for {COUNTRY} .",
    "{CO} plans to cut {JOBS} jobs in {COUNTRY} , a spokesman in {CITY} said .",
    "{PER} will represent {COUNTRY} at the {EVENT} in {CITY} .",
    "Flights between {CITY} and {CITY} were cancelled because of fog .",
    "{CO} chairman {PER} told reporters the {NAT} market remained weak .",
    "A {INST} report published in {CITY} said {COUNTRY} had met its targets .",
    "{SURNAME} replaces {PER} , who resigned on {DAY} after {N} years in charge .",
    "Rain stopped play in {CITY} with {COUNTRY} on {N} for {WICKETS} .",
    "The {NAT} and {NAT} foreign ministers met in {CITY} .",
]
NER_NO_ENTITY = [
    "Prices rose sharply in the second quarter , the report said .",
    "Talks are expected to resume next week .",
    "The match was postponed because of heavy rain .",
    "Trading was thin ahead of the holiday weekend .",
    "Police said {N} people were injured in the blast .",
    "The company did not give details of the deal .",
    "Analysts had expected a smaller loss .",
    "Results of matches played on {DAY} :",
    "The government is expected to announce the budget on {DAY} .",
    "Attendance : {ATT}",
    "Half-time {GOALS}-{GOALS} .",
    "He said the decision would be reviewed after the season .",
]


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


# ============================================================================ SQuAD

SYLL = ["vel", "mor", "kas", "tri", "dal", "nen", "bra", "ost", "lin", "qua", "sel", "dun",
        "fen", "ari", "mon", "tes", "ul", "ran", "vo", "zel", "hal", "pe", "rin", "sko"]
SQ_FIELDS = ["chemistry", "economics", "civil engineering", "medieval history", "marine biology",
             "architecture", "mathematics", "linguistics", "geology", "music composition"]
SQ_JOBS = ["research director", "senior engineer", "chief economist", "head designer",
           "legal adviser", "lead architect", "data analyst", "project manager"]
SQ_PRIZES = ["Halden Medal", "Orsa Prize", "Keller Award", "Vantor Fellowship",
             "Grey Owl Prize", "Marlen Medal"]
SQ_TOPICS = ["river pollution", "bridge design", "rural schools", "solar batteries",
             "coastal erosion", "early printing", "crop disease", "urban transport"]
SQ_PRODUCTS = ["farm machinery", "glass bottles", "bicycle parts", "wool blankets",
               "medical scanners", "paper", "ship engines", "solar panels", "chocolate"]
SQ_ORG_KIND = ["Industries", "Instruments", "Textiles", "Foods", "Shipping", "Works",
               "Engineering", "Brewing Company"]
SQ_LANDMARKS = ["Old Bridge", "Clock Tower", "Harbour Lighthouse", "Salt Market",
                "Stone Abbey", "Red Fort", "Glass Museum", "North Gate"]
SQ_TOWN_KIND = ["mining", "fishing", "market", "railway", "garrison", "trading"]


def made_up_name(rng: random.Random, n: int | None = None) -> str:
    n = n or rng.choice([2, 2, 3])
    return cap("".join(rng.choice(SYLL) for _ in range(n)))


class Ctx:
    """Builds a context from templates, remembering where every slot landed."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: dict[str, tuple[int, int]] = {}

    def add(self, template: str, **values: str) -> None:
        sentence = ""
        local: dict[str, tuple[int, int]] = {}
        for literal, field, _spec, _conv in string.Formatter().parse(template):
            sentence += literal
            if field is not None:
                v = values[field]
                local[field] = (len(sentence), len(sentence) + len(v))
                sentence += v
        base = len(self.text) + (1 if self.text else 0)
        self.text = (self.text + " " + sentence) if self.text else sentence
        for k, (s, e) in local.items():
            if k not in self.spans:  # first mention is the answer location
                self.spans[k] = (base + s, base + e)

    def answer(self, slot: str, extend_left: str = "", extend_right: str = "") -> tuple[str, int]:
        s, e = self.spans[slot]
        s -= len(extend_left)
        e += len(extend_right)
        t = self.text[s:e]
        assert self.text[s:e] == t and t.startswith(extend_left) and t.endswith(extend_right)
        return t, s


def squad_person(rng):
    sex = rng.choice(["f", "m"])
    first = rng.choice([f for f in FIRST_NAMES if (f in ("Maria", "Elena", "Priya", "Lena", "Yuki", "Sofia", "Ingrid", "Nadia", "Amara", "Mei", "Fatima", "Olga", "Aisha", "Ruth", "Brenda")) == (sex == "f")])
    name = f"{first} {made_up_name(rng, 2)}{rng.choice(['', 'sen', 'ova', 'er', 'is'])}"
    he, his = ("she", "her") if sex == "f" else ("he", "his")
    v = {"name": name, "town": made_up_name(rng), "year": str(rng.randint(1921, 1994)),
         "field": rng.choice(SQ_FIELDS), "uni": "University of " + made_up_name(rng),
         "org": f"{made_up_name(rng)} {rng.choice(SQ_ORG_KIND)}", "job": rng.choice(SQ_JOBS),
         "prize": rng.choice(SQ_PRIZES), "topic": rng.choice(SQ_TOPICS)}
    v["pyear"] = str(int(v["year"]) + rng.randint(28, 50))
    c = Ctx()
    qs = []
    c.add(rng.choice(["{name} was born in {town} in {year}.",
                      "{name} was born in {year} in the town of {town}.",
                      "Born in {town} in {year}, {name} grew up near the coast."]), **v)
    qs += [
        (rng.choice(["Where was {name} born?", "In which town was {name} born?", "What is the birthplace of {name}?"]), [("town", "", "")]),
        (rng.choice(["In what year was {name} born?", "When was {name} born?", "What year was {name} born in?"]), [("year", "", ""), ("year", "in ", "")]),
    ]
    facts = [
        ("{He} studied {field} at the {uni}.",
         [(rng.choice(["What did {name} study?", "Which subject did {name} study at university?"]), [("field", "", "")]),
          (rng.choice(["Where did {name} study?", "At which university did {name} study {field}?"]), [("uni", "", ""), ("uni", "the ", "")])]),
        ("{He} later worked for {org} as a {job}.",
         [(rng.choice(["Which company did {name} work for?", "For what organisation did {name} work?"]), [("org", "", "")]),
          (rng.choice(["What was {name}'s job at {org}?", "What position did {name} hold at {org}?"]), [("job", "", ""), ("job", "a ", "")])]),
        ("In {pyear}, {he} won the {prize} for {his} work on {topic}.",
         [(rng.choice(["What prize did {name} win in {pyear}?", "Which award did {name} receive in {pyear}?"]), [("prize", "", ""), ("prize", "the ", "")]),
          (rng.choice(["In what year did {name} win the {prize}?", "When did {name} receive the {prize}?"]), [("pyear", "", ""), ("pyear", "In ", "")]),
          (rng.choice(["For work on what did {name} win the {prize}?", "What was the prize-winning work of {name} about?"]), [("topic", "", "")])]),
    ]
    return "person", v, c, qs, facts, {"he": he, "He": cap(he), "his": his}


def squad_org(rng):
    v = {"name": f"{made_up_name(rng)} {rng.choice(SQ_ORG_KIND)}", "year": str(rng.randint(1850, 2005)),
         "founder": f"{rng.choice(FIRST_NAMES)} {made_up_name(rng, 2)}", "city": made_up_name(rng),
         "river": made_up_name(rng, 2), "n": f"{rng.randint(3, 95) * 100:,}",
         "product": rng.choice(SQ_PRODUCTS), "ceo": f"{rng.choice(FIRST_NAMES)} {made_up_name(rng, 2)}"}
    c = Ctx()
    c.add(rng.choice(["{name} was founded in {year} by {founder}.",
                      "{name} is a company founded by {founder} in {year}.",
                      "In {year}, {founder} founded {name}."]), **v)
    qs = [
        (rng.choice(["Who founded {name}?", "Who was the founder of {name}?"]), [("founder", "", "")]),
        (rng.choice(["When was {name} founded?", "In what year was {name} founded?"]), [("year", "", ""), ("year", "in ", "")]),
    ]
    facts = [
        ("The company is based in {city}, a city on the {river} River.",
         [(rng.choice(["Where is {name} based?", "In which city is {name} based?"]), [("city", "", "")]),
          (rng.choice(["Which river is {city} on?", "On what river does {city} lie?"]), [("river", "", ""), ("river", "the ", " River")])]),
        ("It employs about {n} people and makes {product}.",
         [(rng.choice(["How many people does {name} employ?", "How many employees does {name} have?"]), [("n", "about ", ""), ("n", "", "")]),
          (rng.choice(["What does {name} make?", "What products does {name} make?"]), [("product", "", "")])]),
        ("Its current chief executive is {ceo}.",
         [(rng.choice(["Who is the chief executive of {name}?", "Who runs {name}?"]), [("ceo", "", "")])]),
    ]
    return "org", v, c, qs, facts, {}


def squad_place(rng):
    v = {"name": made_up_name(rng), "region": made_up_name(rng), "river": made_up_name(rng, 2),
         "km": str(rng.randint(12, 480)), "city2": made_up_name(rng), "year": str(rng.randint(900, 1890)),
         "kind": rng.choice(SQ_TOWN_KIND), "pop": f"{rng.randint(4, 900) * 1000:,}",
         "landmark": rng.choice(SQ_LANDMARKS)}
    c = Ctx()
    c.add(rng.choice(["{name} is the capital of the {region} region.",
                      "{name} serves as the capital of the {region} region.",
                      "The capital of the {region} region is {name}."]), **v)
    qs = [(rng.choice(["{name} is the capital of which region?", "Which region has {name} as its capital?"]),
           [("region", "", ""), ("region", "the ", " region")])]
    facts = [
        ("It lies on the {river} River, about {km} kilometres from {city2}.",
         [(rng.choice(["On which river does {name} lie?", "What river runs through {name}?"]), [("river", "", ""), ("river", "the ", " River")]),
          (rng.choice(["How far is {name} from {city2}?", "What is the distance between {name} and {city2}?"]), [("km", "about ", " kilometres"), ("km", "", " kilometres")])]),
        ("The city was founded in {year} as a {kind} town.",
         [(rng.choice(["When was {name} founded?", "In what year was {name} founded?"]), [("year", "", ""), ("year", "in ", "")]),
          (rng.choice(["What kind of town was {name} when it was founded?", "{name} was founded as what kind of town?"]), [("kind", "", ""), ("kind", "a ", " town")])]),
        ("Today {name} has a population of about {pop}.",
         [(rng.choice(["What is the population of {name}?", "How many people live in {name}?"]), [("pop", "about ", ""), ("pop", "", "")])]),
        ("Its best known landmark is the {landmark}.",
         [(rng.choice(["What is the best known landmark in {name}?", "Which landmark is {name} best known for?"]), [("landmark", "the ", ""), ("landmark", "", "")])]),
    ]
    return "place", v, c, qs, facts, {}


def squad_row(rng: random.Random, split: str) -> dict:
    kind, v, c, qs, facts, pron = rng.choice([squad_person, squad_org, squad_place])(rng)
    n_more = rng.randint(1, min(3, len(facts)))
    for j in sorted(rng.sample(range(len(facts)), n_more)):  # keep the facts in story order
        tmpl, fqs = facts[j]
        c.add(tmpl, **v, **pron)
        qs = qs + fqs
    q_tmpl, answer_specs = rng.choice(qs)
    question = q_tmpl.format(**v)
    if split == "train":
        specs = answer_specs[:1]
    else:
        # like SQuAD dev: 1-3 reference answers, variants ("1987" / "in 1987") or repeats
        k = rng.randint(1, 3)
        specs = [answer_specs[0]] + [rng.choice(answer_specs) for _ in range(k - 1)]
    texts, starts = [], []
    for slot, left, right in specs:
        t, s = c.answer(slot, left, right)
        assert c.text[s:s + len(t)] == t
        texts.append(t)
        starts.append(s)
    title = v["name"].replace(" ", "_")
    return {"id": f"{rng.getrandbits(96):024x}", "title": title, "context": c.text,
            "question": question, "answers": {"text": texts, "answer_start": starts}}


def gen_squad(rng: random.Random) -> dict[str, list[dict]]:
    return draw_splits(rng, SIZES, lambda rng, i, split: squad_row(rng, split),
                       key=lambda r: (r["context"], r["question"]))


# ============================================================================ WMT16 en-ro

# subjects: en, ro, person (1s, 1p, 3s, 3p), gender for agreement (m/f)
RO_SUBJECTS = [
    ("the boy", "băiatul", "3s", "m"), ("the girl", "fata", "3s", "f"),
    ("the teacher", "profesorul", "3s", "m"), ("the doctor", "medicul", "3s", "m"),
    ("my mother", "mama mea", "3s", "f"), ("my father", "tatăl meu", "3s", "m"),
    ("my sister", "sora mea", "3s", "f"), ("my brother", "fratele meu", "3s", "m"),
    ("the woman", "femeia", "3s", "f"), ("the man", "bărbatul", "3s", "m"),
    ("our neighbour", "vecinul nostru", "3s", "m"), ("Maria", "Maria", "3s", "f"),
    ("Andrei", "Andrei", "3s", "m"), ("the children", "copiii", "3p", "m"),
    ("the students", "studenții", "3p", "m"), ("the girls", "fetele", "3p", "f"),
    ("the boys", "băieții", "3p", "m"), ("my parents", "părinții mei", "3p", "m"),
    ("I", "", "1s", "m"), ("we", "", "1p", "m"), ("they", "ei", "3p", "m"),
]
# verb: en (base, 3sg, past), ro present (1s, 3s, 1p, 3p), subj 3rd person, infinitive,
# participle, allowed objects
RO_VERBS = [
    (("read", "reads", "read"), ("citesc", "citește", "citim", "citesc"), "citească", "citi", "citit",
     ["book", "newspaper", "letter", "poem"]),
    (("buy", "buys", "bought"), ("cumpăr", "cumpără", "cumpărăm", "cumpără"), "cumpere", "cumpăra", "cumpărat",
     ["book", "newspaper", "apple", "car", "house", "flower", "bicycle", "cake", "chair", "bread", "milk", "coffee"]),
    (("write", "writes", "wrote"), ("scriu", "scrie", "scriem", "scriu"), "scrie", "scrie", "scris",
     ["letter", "poem", "book"]),
    (("see", "sees", "saw"), ("văd", "vede", "vedem", "văd"), "vadă", "vedea", "văzut",
     ["dog", "cat", "car", "house", "bicycle", "ball", "castle", "church"]),
    (("eat", "eats", "ate"), ("mănânc", "mănâncă", "mâncăm", "mănâncă"), "mănânce", "mânca", "mâncat",
     ["apple", "cake", "bread", "soup", "rice"]),
    (("cook", "cooks", "cooked"), ("gătesc", "gătește", "gătim", "gătesc"), "gătească", "găti", "gătit",
     ["soup", "rice", "dinner"]),
    (("drink", "drinks", "drank"), ("beau", "bea", "bem", "beau"), "bea", "bea", "băut",
     ["water", "coffee", "tea", "milk"]),
    (("sell", "sells", "sold"), ("vând", "vinde", "vindem", "vând"), "vândă", "vinde", "vândut",
     ["car", "house", "bicycle", "flower", "apple", "book", "chair"]),
    (("find", "finds", "found"), ("găsesc", "găsește", "găsim", "găsesc"), "găsească", "găsi", "găsit",
     ["key", "book", "letter", "ball", "cat", "dog"]),
    (("open", "opens", "opened"), ("deschid", "deschide", "deschidem", "deschid"), "deschidă", "deschide", "deschis",
     ["door", "window", "letter", "book"]),
    (("wash", "washes", "washed"), ("spăl", "spală", "spălăm", "spală"), "spele", "spăla", "spălat",
     ["car", "window", "chair", "dishes"]),
    (("paint", "paints", "painted"), ("pictez", "pictează", "pictăm", "pictează"), "picteze", "picta", "pictat",
     ["house", "door", "chair", "flower"]),
    (("visit", "visits", "visited"), ("vizitez", "vizitează", "vizităm", "vizitează"), "viziteze", "vizita", "vizitat",
     ["museum", "castle", "church", "school", "hospital"]),
]
# countable nouns: en sg, en pl, ro indefinite sg, ro definite sg, ro bare pl, ro definite pl,
# gender (m/f/n), adjective class
RO_NOUNS = {
    "book": ("book", "books", "o carte", "cartea", "cărți", "cărțile", "f", "text"),
    "newspaper": ("newspaper", "newspapers", "un ziar", "ziarul", "ziare", "ziarele", "n", "paper"),
    "letter": ("letter", "letters", "o scrisoare", "scrisoarea", "scrisori", "scrisorile", "f", "text"),
    "poem": ("poem", "poems", "o poezie", "poezia", "poezii", "poeziile", "f", "text"),
    "apple": ("apple", "apples", "un măr", "mărul", "mere", "merele", "n", "food"),
    "cake": ("cake", "cakes", "o prăjitură", "prăjitura", "prăjituri", "prăjiturile", "f", "cake"),
    "car": ("car", "cars", "o mașină", "mașina", "mașini", "mașinile", "f", "thing"),
    "house": ("house", "houses", "o casă", "casa", "case", "casele", "f", "building"),
    "flower": ("flower", "flowers", "o floare", "floarea", "flori", "florile", "f", "flower"),
    "bicycle": ("bicycle", "bicycles", "o bicicletă", "bicicleta", "biciclete", "bicicletele", "f", "thing"),
    "chair": ("chair", "chairs", "un scaun", "scaunul", "scaune", "scaunele", "n", "thing"),
    "key": ("key", "keys", "o cheie", "cheia", "chei", "cheile", "f", "small"),
    "dog": ("dog", "dogs", "un câine", "câinele", "câini", "câinii", "m", "animal"),
    "cat": ("cat", "cats", "o pisică", "pisica", "pisici", "pisicile", "f", "animal"),
    "ball": ("ball", "balls", "o minge", "mingea", "mingi", "mingile", "f", "thing"),
    "door": ("door", "doors", "o ușă", "ușa", "uși", "ușile", "f", "thing"),
    "window": ("window", "windows", "o fereastră", "fereastra", "ferestre", "ferestrele", "f", "thing"),
    "museum": ("museum", "museums", "un muzeu", "muzeul", "muzee", "muzeele", "n", "building"),
    "castle": ("castle", "castles", "un castel", "castelul", "castele", "castelele", "n", "building"),
    "church": ("church", "churches", "o biserică", "biserica", "biserici", "bisericile", "f", "building"),
    "school": ("school", "schools", "o școală", "școala", "școli", "școlile", "f", "building"),
    "hospital": ("hospital", "hospitals", "un spital", "spitalul", "spitale", "spitalele", "n", "building"),
}
# mass / fixed objects: en, ro
RO_MASS = {
    "bread": ("bread", "pâine"), "milk": ("milk", "lapte"), "coffee": ("coffee", "cafea"),
    "water": ("water", "apă"), "tea": ("tea", "ceai"), "soup": ("soup", "supă"),
    "rice": ("rice", "orez"), "dinner": ("dinner", "cina"), "dishes": ("the dishes", "vasele"),
}
# adjectives: en, m sg, f sg, m pl, f pl (neuter: sg like m, pl like f)
RO_ADJ = {
    "new": ("new", "nou", "nouă", "noi", "noi"), "old": ("old", "vechi", "veche", "vechi", "vechi"),
    "big": ("big", "mare", "mare", "mari", "mari"), "small": ("small", "mic", "mică", "mici", "mici"),
    "red": ("red", "roșu", "roșie", "roșii", "roșii"), "white": ("white", "alb", "albă", "albi", "albe"),
    "beautiful": ("beautiful", "frumos", "frumoasă", "frumoși", "frumoase"),
    "expensive": ("expensive", "scump", "scumpă", "scumpi", "scumpe"),
    "cheap": ("cheap", "ieftin", "ieftină", "ieftini", "ieftine"),
    "green": ("green", "verde", "verde", "verzi", "verzi"),
    "long": ("long", "lung", "lungă", "lungi", "lungi"), "short": ("short", "scurt", "scurtă", "scurți", "scurte"),
    "fresh": ("fresh", "proaspăt", "proaspătă", "proaspeți", "proaspete"),
    "black": ("black", "negru", "neagră", "negri", "negre"),
    "tired": ("tired", "obosit", "obosită", "obosiți", "obosite"),
    "happy": ("happy", "fericit", "fericită", "fericiți", "fericite"),
    "hungry": ("hungry", "flămând", "flămândă", "flămânzi", "flămânde"),
    "busy": ("busy", "ocupat", "ocupată", "ocupați", "ocupate"),
    "sick": ("sick", "bolnav", "bolnavă", "bolnavi", "bolnave"),
    "tall": ("tall", "înalt", "înaltă", "înalți", "înalte"),
    "angry": ("angry", "supărat", "supărată", "supărați", "supărate"),
}
RO_ADJ_CLASS = {
    "text": ["new", "old", "long", "short", "beautiful"],
    "paper": ["new", "old"],
    "cake": ["big", "small", "fresh"],
    "food": ["big", "small", "fresh", "red", "green"],
    "thing": ["new", "old", "big", "small", "red", "white", "black", "green", "expensive", "cheap"],
    "building": ["new", "old", "big", "small", "beautiful", "white"],
    "flower": ["red", "white", "beautiful", "fresh", "small"],
    "small": ["new", "old", "small", "black"],
    "animal": ["big", "small", "white", "black", "beautiful", "old", "hungry"],
}
RO_PEOPLE_ADJ = ["tired", "happy", "hungry", "busy", "sick", "tall", "angry"]
RO_NUMS = [("two", "doi", "două"), ("three", "trei", "trei"), ("four", "patru", "patru"),
           ("five", "cinci", "cinci"), ("six", "șase", "șase"), ("seven", "șapte", "șapte"),
           ("eight", "opt", "opt"), ("nine", "nouă", "nouă"), ("ten", "zece", "zece")]
RO_PLACES = [("in the park", "în parc"), ("at school", "la școală"), ("in the kitchen", "în bucătărie"),
             ("at the market", "la piață"), ("in the garden", "în grădină"), ("in the city", "în oraș"),
             ("at home", "acasă"), ("in the village", "în sat"), ("at the library", "la bibliotecă")]
RO_WHERE = [("on the table", "pe masă"), ("in the garden", "în grădină"), ("in the room", "în cameră"),
            ("in the yard", "în curte"), ("near the door", "lângă ușă")]
RO_TIME = {
    "present": [("every day", "în fiecare zi"), ("every morning", "în fiecare dimineață"),
                ("on Sundays", "duminica"), ("in the evening", "seara"), ("", ""), ("", "")],
    "past": [("yesterday", "ieri"), ("last week", "săptămâna trecută"), ("on Monday", "luni"),
             ("this morning", "azi-dimineață"), ("", "")],
    "future": [("tomorrow", "mâine"), ("next week", "săptămâna viitoare"), ("on Saturday", "sâmbătă"),
               ("", "")],
}
RO_PERSON_IDX = {"1s": 0, "3s": 1, "1p": 2, "3p": 3}
RO_BE = {"1s": ("am", "sunt"), "3s": ("is", "este"), "1p": ("are", "suntem"), "3p": ("are", "sunt")}
RO_HAVE = {"1s": ("have", "am"), "3s": ("has", "are"), "1p": ("have", "avem"), "3p": ("have", "au")}
RO_AUX_PAST = {"1s": "am", "3s": "a", "1p": "am", "3p": "au"}
RO_AUX_FUT = {"1s": "voi", "3s": "va", "1p": "vom", "3p": "vor"}
RO_WANT = {"1s": ("want", "vreau"), "3s": ("wants", "vrea"), "1p": ("want", "vrem"), "3p": ("want", "vor")}


def ro_adj_form(adj: str, gender: str, plural: bool) -> str:
    _, msg, fsg, mpl, fpl = RO_ADJ[adj]
    if plural:
        return mpl if gender == "m" else fpl
    return fsg if gender == "f" else msg


def ro_object(rng: random.Random, obj: str, adj_ok: bool = True) -> tuple[str, str]:
    """English and Romanian noun phrase for a direct object."""
    if obj in RO_MASS:
        return RO_MASS[obj]
    en_sg, en_pl, ro_indef, ro_def, ro_pl, ro_defpl, g, cls = RO_NOUNS[obj]
    adj = rng.choice(RO_ADJ_CLASS[cls]) if adj_ok and rng.random() < 0.45 else None
    form = rng.choice(["indef", "indef", "def", "num", "defpl"])
    if form == "indef":
        en_noun = f"{adj} {en_sg}" if adj else en_sg
        en = f"{article(en_noun)} {en_noun}"
        ro = ro_indef + (f" {ro_adj_form(adj, g, False)}" if adj else "")
    elif form == "def":
        en = f"the {adj + ' ' if adj else ''}{en_sg}"
        ro = ro_def + (f" {ro_adj_form(adj, g, False)}" if adj else "")
    elif form == "num":
        en_n, ro_m, ro_f = rng.choice(RO_NUMS)
        en = f"{en_n} {adj + ' ' if adj else ''}{en_pl}"
        ro = f"{ro_m if g == 'm' else ro_f} {ro_pl}" + (f" {ro_adj_form(adj, g, True)}" if adj else "")
    else:
        en = f"the {adj + ' ' if adj else ''}{en_pl}"
        ro = ro_defpl + (f" {ro_adj_form(adj, g, True)}" if adj else "")
    return en, ro


def ro_join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def wmt_pair(rng: random.Random) -> tuple[str, str]:
    s_en, s_ro, per, g = rng.choice(RO_SUBJECTS)
    i = RO_PERSON_IDX[per]
    pattern = rng.choices(["verb", "want", "be", "have", "there", "thing"], [5, 1.5, 1.5, 1.5, 1, 1])[0]
    end = "."
    if pattern == "verb":
        (v_base, v_3s, v_past), pres, subj3, inf, part, objs = rng.choice(RO_VERBS)
        o_en, o_ro = ro_object(rng, rng.choice(objs), adj_ok=v_base != "write")
        tense = rng.choice(["present", "present", "past", "past", "future"])
        neg = rng.random() < 0.15
        t_en, t_ro = rng.choice(RO_TIME[tense])
        p_en, p_ro = rng.choice(RO_PLACES) if rng.random() < 0.35 else ("", "")
        if tense == "present":
            if neg:
                v_en = f"{'does' if per == '3s' else 'do'} not {v_base}"
            else:
                v_en = v_3s if per == "3s" else v_base
            v_ro = ("nu " if neg else "") + pres[i]
        elif tense == "past":
            v_en = f"did not {v_base}" if neg else v_past
            v_ro = ("nu " if neg else "") + f"{RO_AUX_PAST[per]} {part}"
        else:
            v_en = f"will {'not ' if neg else ''}{v_base}"
            v_ro = ("nu " if neg else "") + f"{RO_AUX_FUT[per]} {inf}"
        en = ro_join(s_en, v_en, o_en, p_en, t_en)
        ro = ro_join(s_ro, v_ro, o_ro, p_ro, t_ro)
    elif pattern == "want":
        (v_base, _, _), pres, subj3, inf, part, objs = rng.choice(RO_VERBS)
        o_en, o_ro = ro_object(rng, rng.choice(objs), adj_ok=v_base != "write")
        w_en, w_ro = RO_WANT[per]
        v_sub = subj3 if per in ("3s", "3p") else pres[i]
        t_en, t_ro = rng.choice(RO_TIME["future"])
        en = ro_join(s_en, w_en, "to", v_base, o_en, t_en)
        ro = ro_join(s_ro, w_ro, "să", v_sub, o_ro, t_ro)
    elif pattern == "be":
        adj = rng.choice(RO_PEOPLE_ADJ)
        b_en, b_ro = RO_BE[per]
        very = rng.random() < 0.4
        neg = rng.random() < 0.2
        t_en, t_ro = rng.choice([("today", "astăzi"), ("now", "acum"), ("", ""), ("", "")])
        en = ro_join(s_en, b_en, "not" if neg else "", "very" if very else "", RO_ADJ[adj][0], t_en)
        ro = ro_join(s_ro, "nu" if neg else "", b_ro, "foarte" if very else "",
                     ro_adj_form(adj, g, per in ("1p", "3p")), t_ro)
        if len(en.split()) < 5:
            en, ro = ro_join(en, "after work"), ro_join(ro, "după serviciu")
    elif pattern == "have":
        obj = rng.choice([k for k in RO_NOUNS if RO_NOUNS[k][7] not in ("building",)])
        o_en, o_ro = ro_object(rng, obj)
        h_en, h_ro = RO_HAVE[per]
        p_en, p_ro = rng.choice(RO_PLACES) if rng.random() < 0.5 else ("", "")
        en = ro_join(s_en, h_en, o_en, p_en)
        ro = ro_join(s_ro, h_ro, o_ro, p_ro)
    elif pattern == "there":
        obj = rng.choice([k for k in RO_NOUNS if RO_NOUNS[k][7] in ("text", "paper", "food", "animal", "small", "flower")])
        en_sg, en_pl, ro_indef, _, ro_pl, _, gen, cls = RO_NOUNS[obj]
        w_en, w_ro = rng.choice(RO_WHERE)
        adj = rng.choice(RO_ADJ_CLASS[cls]) if rng.random() < 0.4 else None
        if rng.random() < 0.3:
            noun = f"{adj} {en_sg}" if adj else en_sg
            en = f"there is {article(noun)} {noun} {w_en}"
            ro = f"{w_ro} este {ro_indef}" + (f" {ro_adj_form(adj, gen, False)}" if adj else "")
        else:
            n_en, n_m, n_f = rng.choice(RO_NUMS)
            en = f"there are {n_en} {adj + ' ' if adj else ''}{en_pl} {w_en}"
            ro = f"{w_ro} sunt {n_m if gen == 'm' else n_f} {ro_pl}" + (f" {ro_adj_form(adj, gen, True)}" if adj else "")
    else:  # "thing": the house is very old
        obj = rng.choice(list(RO_NOUNS))
        en_sg, en_pl, _, ro_def, _, ro_defpl, gen, cls = RO_NOUNS[obj]
        adj = rng.choice(RO_ADJ_CLASS[cls])
        plural = rng.random() < 0.35
        very = rng.random() < 0.4
        q = rng.random() < 0.2
        if q:
            en = f"{'are' if plural else 'is'} the {en_pl if plural else en_sg} {'very ' if very else ''}{adj}"
            ro = f"{ro_defpl if plural else ro_def} {'sunt' if plural else 'este'} {'foarte ' if very else ''}{ro_adj_form(adj, gen, plural)}"
            end = "?"
        else:
            en = f"the {en_pl if plural else en_sg} {'are' if plural else 'is'} {'very ' if very else ''}{adj}"
            ro = f"{ro_defpl if plural else ro_def} {'sunt' if plural else 'este'} {'foarte ' if very else ''}{ro_adj_form(adj, gen, plural)}"
        t_en, t_ro = rng.choice([("now", "acum"), ("", ""), ("", "")])
        en, ro = ro_join(en, t_en), ro_join(ro, t_ro)
    return cap(en) + end, cap(ro) + end


def gen_wmt(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        while True:
            en, ro = wmt_pair(rng)
            if 5 <= len(en.split()) <= 12:
                return {"translation": {"en": en, "ro": ro}}

    return draw_splits(rng, SIZES, make, key=lambda r: r["translation"]["en"])


# ============================================================================ XSum

TOWN_A = ["Ash", "Brook", "Carn", "Dun", "Elm", "Fen", "Glen", "Hart", "Kings", "Lang", "Mill",
          "North", "Oak", "Red", "Stan", "Thorn", "West", "Wick", "Hol", "Bram"]
TOWN_B = ["bury", "ford", "ley", "ton", "wick", "field", "mouth", "bridge", "stead", "ham", "moor",
          "dale", "gate"]
X_FACILITIES = [("leisure centre", "sports and leisure complex"), ("library", "public library"),
                ("primary school", "school for younger pupils"), ("health centre", "medical centre"),
                ("bus station", "transport hub"), ("housing estate", "development of new homes"),
                ("swimming pool", "public pool"), ("arts centre", "venue for the arts")]
X_OLD_SITES = ["gasworks", "cattle market", "textile mill", "car park", "bus depot", "brewery",
               "police station", "shopping arcade"]
X_SPORTS = [("football", "Cup", ["goal", "header", "penalty"]), ("rugby", "Shield", ["try", "drop goal", "penalty"]),
            ("hockey", "Trophy", ["goal", "penalty corner", "shot"]), ("netball", "Championship", ["goal"])]
X_CLUB_SUFFIX = ["Town", "United", "Rovers", "Athletic", "Albion", "City", "Wanderers"]
X_INDUSTRY = [("distribution centre", "warehouse"), ("factory", "manufacturing plant"),
              ("call centre", "customer service office"), ("bakery", "food production site"),
              ("data centre", "computer facility"), ("research laboratory", "research site")]
X_COMPANY_SUFFIX = ["Logistics", "Foods", "Engineering", "Systems", "Group", "Packaging", "Textiles"]
X_CHARITIES = ["a children's hospice", "a cancer charity", "a mental health charity",
               "the local air ambulance", "a homeless shelter", "a dementia charity"]
X_FEATS = [("cycling {n} miles from {a} to {b}", "a {n}-mile bike ride"),
           ("walking {n} miles along the coast", "a {n}-mile coastal walk"),
           ("swimming the length of {lake}", "a swim across {lake}"),
           ("running {k} marathons in {k} days", "{k} marathons in {k} days"),
           ("climbing {k} mountains in a single weekend", "a {k}-peak challenge")]
X_WEATHER = [("snow", "heavy snow"), ("flooding", "torrential rain"), ("high winds", "a storm")]
X_ROLES = ["council leader", "cabinet member for planning", "local councillor", "ward councillor"]


def town(rng):
    while True:
        a, b = rng.choice(TOWN_A), rng.choice(TOWN_B)
        if a[-1] != b[0]:  # no "Millley"
            return a + b


def pounds(rng, lo, hi):
    v = rng.randint(lo * 10, hi * 10) / 10
    return f"£{v:g}m"


def xsum_council(rng):
    t = town(rng)
    fac, fac2 = rng.choice(X_FACILITIES)
    old = rng.choice(X_OLD_SITES)
    cost = pounds(rng, 2, 40)
    year = rng.randint(2025, 2029)
    who, role = person(rng), rng.choice(X_ROLES)
    objections = rng.randint(12, 400)
    votes = rng.randint(5, 12), rng.randint(0, 4)
    lead = rng.choice([
        f"Councillors in {t} have approved plans for a new {fac} on the site of the former {old}.",
        f"Plans for a new {fac} on the site of the former {old} in {t} have been approved by councillors.",
        f"A new {fac} will be built in {t} after councillors voted in favour of the scheme on the former {old} site.",
    ])
    body = [
        f"The {cost} scheme was backed by {votes[0]} votes to {votes[1]} at a meeting of the planning committee on {rng.choice(DAYS)}.",
        f"Work is expected to begin next spring, with the {fac} due to open in {year}.",
        f"{who}, {role}, said the decision was \"a big step forward for the whole town\".",
        f"The council received {objections} objections, most of them about traffic and parking.",
        f"The {old} closed more than {rng.randint(5, 30)} years ago and the land has been empty since.",
        f"A report to the committee said the project would be paid for partly by government grants.",
        f"Residents will be able to see the final designs at an exhibition in the town hall next month.",
        f"Opponents said they were disappointed but would not challenge the decision.",
    ]
    summaries = [
        (f"A {fac2} is to be built on an empty {old} site in {t} after councillors gave the go-ahead.", ()),
        (f"Plans for a {cost} {fac} in {t} have been given the green light despite {objections} objections.", (0, 3)),
        (f"{t} is to get a new {fac} after the scheme won council approval.", ()),
        (f"A new {fac} for {t} should open in {year} after the {cost} project was approved.", (0, 1)),
    ]
    return lead, body, summaries


def xsum_sport(rng):
    sport, trophy, scoring = rng.choice(X_SPORTS)
    t1, t2 = town(rng), town(rng)
    while t2 == t1:
        t2 = town(rng)
    c1 = f"{t1} {rng.choice(X_CLUB_SUFFIX)}"
    c2 = f"{t2} {rng.choice(X_CLUB_SUFFIX)}"
    comp = f"{rng.choice(['County', 'Regional', 'Northern', 'Western', 'National'])} {trophy}"
    s1, s2 = rng.randint(2, 5), rng.randint(0, 1)
    if sport == "rugby":
        s1, s2 = rng.randint(18, 40), rng.randint(3, 17)
    if sport == "netball":
        s1, s2 = rng.randint(40, 60), rng.randint(25, 39)
    wait = rng.randint(6, 40)
    scorer, manager = person(rng), person(rng)
    minute = rng.randint(2, 88)
    crowd = f"{rng.randint(2, 30)},{rng.randint(0, 999):03d}"
    lead = rng.choice([
        f"{c1} won the {comp} for the first time in {wait} years with a {s1}-{s2} win over {c2}.",
        f"{c1} beat {c2} {s1}-{s2} in the final of the {comp}, their first title for {wait} years.",
    ])
    body = [
        f"{scorer} opened the scoring with a {rng.choice(scoring)} in the {minute}th minute.",
        f"{c2} had the better of the early exchanges but could not find a way through.",
        f"A crowd of {crowd} watched the final at a sold-out ground on {rng.choice(DAYS + ['Saturday', 'Sunday'])}.",
        f"Manager {manager} said: \"I am so proud of the players, they deserved this.\"",
        f"{c1} finished the season unbeaten at home.",
        f"The two sides will meet again in the league next month.",
        f"It was {c2}'s third defeat in a final in five years.",
    ]
    summaries = [
        (f"{c1} ended a {wait}-year wait for the {comp} by beating {c2}.", ()),
        (f"A {s1}-{s2} victory against {c2} gave {c1} their first {comp} title in {wait} years.", ()),
        (f"{c2} were beaten in the {comp} final as {c1} lifted the trophy.", ()),
        (f"{scorer} was on target as {c1} beat {c2} to claim the {comp}.", (0,)),
    ]
    return lead, body, summaries


def xsum_jobs(rng):
    t = town(rng)
    comp = f"{made_up_name(rng, 2)} {rng.choice(X_COMPANY_SUFFIX)}"
    fac, fac2 = rng.choice(X_INDUSTRY)
    n = rng.randint(4, 60) * 10
    cost = pounds(rng, 5, 90)
    boss = person(rng)
    if rng.random() < 0.55:
        lead = rng.choice([
            f"{comp} is to create {n} jobs at a new {fac} in {t}, the firm has announced.",
            f"A new {fac} in {t} will create {n} jobs, {comp} has said.",
        ])
        body = [
            f"The company said it would invest {cost} in the site, which is due to open next year.",
            f"Recruitment will start in the autumn, with most roles in engineering and logistics.",
            f"Chief executive {boss} said {t} had been chosen because of its skilled workforce and good transport links.",
            f"Local MP {person(rng)} described the news as \"a real vote of confidence in the area\".",
            f"{comp} already employs about {rng.randint(2, 30) * 100} people across the country.",
            f"The new {fac} will be built on land next to the town's ring road.",
            f"The firm said it also hoped to offer apprenticeships to school leavers.",
        ]
        summaries = [
            (f"About {n} new posts are coming to {t} after {comp} confirmed a {cost} investment.", (0,)),
            (f"A {fac2} that will employ {n} people is to be built in {t}.", ()),
            (f"{comp} has picked {t} as the home of a new {fac}, bringing {n} jobs.", ()),
        ]
    else:
        lead = rng.choice([
            f"{comp} is to close its {fac} in {t} with the loss of {n} jobs.",
            f"{n} jobs will go after {comp} confirmed it is closing its {fac} in {t}.",
        ])
        body = [
            f"The firm blamed rising costs and falling demand for its products.",
            f"Staff were told of the decision at a meeting on {rng.choice(DAYS)} morning.",
            f"A union spokesperson said workers were \"shocked and angry\" at the news.",
            f"The site has been open for {rng.randint(10, 60)} years and is one of the town's biggest employers.",
            f"{comp} said it would try to find other roles for some staff at its remaining sites.",
            f"The closure is expected to be completed by the end of next year.",
            f"Council leader {boss} said the authority would do everything it could to help those affected.",
        ]
        summaries = [
            (f"{n} workers face losing their jobs after {comp} said it would shut its {t} site.", ()),
            (f"A {fac2} in {t} is to shut down, putting {n} people out of work.", ()),
            (f"Rising costs have led {comp} to announce the closure of its base in {t}.", (0,)),
        ]
    return lead, body, summaries


def xsum_charity(rng):
    who = person(rng)
    first = who.split()[0]
    age = rng.randint(14, 76)
    t = town(rng)
    charity = rng.choice(X_CHARITIES)
    feat, feat2 = rng.choice(X_FEATS)
    vals = {"n": rng.randint(40, 900), "a": town(rng), "b": town(rng), "k": rng.randint(3, 12),
            "lake": f"Loch {made_up_name(rng, 2)}"}
    feat, feat2 = feat.format(**vals), feat2.format(**vals)
    raised = f"£{rng.randint(2, 90) * 1000:,}"
    lead = f"{who}, {age}, from {t}, has raised {raised} for {charity} by {feat}."
    body = [
        f"{first} said the idea came after a close friend was helped by the charity last year.",
        f"The challenge was completed on {rng.choice(DAYS + ['Saturday', 'Sunday'])} in front of a small crowd of supporters.",
        f"Friends and family joined {first} for the final stretch.",
        f"\"There were times I wanted to give up, but the messages of support kept me going,\" {first} said.",
        f"The charity said the money would pay for {rng.choice(['two nurses', 'a new minibus', 'a year of counselling sessions', 'emergency beds'])}.",
        f"{first} is already planning another challenge for next summer.",
        f"Donations are still being accepted through an online fundraising page.",
    ]
    summaries = [
        (f"A {age}-year-old from {t} has collected {raised} for {charity} after completing {feat2}.", ()),
        (f"{who} has completed {feat2} to raise money for {charity}.", ()),
    ]
    return lead, body, summaries


def xsum_weather(rng):
    kind, cause = rng.choice(X_WEATHER)
    t1, t2 = town(rng), town(rng)
    county = f"{rng.choice(['North', 'South', 'East', 'West', 'Upper'])} {made_up_name(rng, 2)}shire"
    n_roads = rng.randint(24, 70)
    n_schools = rng.randint(4, 80)
    lead = rng.choice([
        f"Dozens of roads across {county} have been closed after {cause} hit the area overnight.",
        f"{cap(cause)} has caused disruption across {county}, with dozens of roads closed.",
    ])
    body = [
        f"Police said {n_roads} routes were shut and urged drivers not to travel unless necessary.",
        f"At least {n_schools} schools did not open on {rng.choice(DAYS)}.",
        f"Train services between {t1} and {t2} were cancelled for most of the day.",
        f"A yellow warning for {kind} remains in place until midnight.",
        f"The fire service said crews had helped people from several stranded vehicles.",
        f"Forecasters expect conditions to improve later in the week.",
        f"The council said its teams had been working through the night to clear the worst-hit areas.",
    ]
    summaries = [
        (f"Travel across {county} has been badly disrupted by {cause}, with {n_roads} roads shut.", (0,)),
        (f"{cap(cause)} has closed {n_schools} schools and many roads in {county}.", (1,)),
        (f"Drivers in {county} have been told to stay at home after {cause} shut many roads.", (0,)),
    ]
    return lead, body, summaries


def xsum_doc(rng: random.Random) -> tuple[str, str]:
    maker = rng.choice([xsum_council, xsum_sport, xsum_jobs, xsum_charity, xsum_weather])
    for _ in range(200):
        lead, body, summaries = maker(rng)
        summary, needs = rng.choice(summaries)
        k = rng.randint(max(3, len(needs)), min(7, len(body)))
        rest = [j for j in range(len(body)) if j not in needs]
        picked = sorted(list(needs) + rng.sample(rest, k - len(needs)))
        if rng.random() < 0.3:  # occasionally move a sentence, so order is not fixed
            j = picked.pop(rng.randrange(len(picked)))
            picked.insert(rng.randrange(len(picked) + 1), j)
        lines = [lead] + [body[j] for j in picked]
        words = sum(len(line.split()) for line in lines)
        if 4 <= len(lines) <= 8 and 60 <= words <= 120:
            return "\n".join(lines), summary
    raise RuntimeError("could not build an xsum document in range")


def gen_xsum(rng: random.Random) -> dict[str, list[dict]]:
    used_ids: set[str] = set()

    def make(rng, i, split):
        doc, summary = xsum_doc(rng)
        while True:
            xid = str(rng.randint(10_000_000, 49_999_999))
            if xid not in used_ids:
                used_ids.add(xid)
                break
        return {"document": doc, "summary": summary, "id": xid}

    return draw_splits(rng, XSUM_SIZES, make, key=lambda r: r["document"])


# ============================================================================ driver

GENERATORS = {
    "sst2": gen_sst2,
    "mrpc": gen_mrpc,
    "stsb": gen_stsb,
    "conll2003": gen_conll,
    "squad": gen_squad,
    "wmt16_en_ro": gen_wmt,
    "xsum": gen_xsum,
}


def render(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def generate_all() -> dict[str, dict[str, bytes]]:
    return {task: {split: render(rows) for split, rows in gen(task_rng(task)).items()}
            for task, gen in GENERATORS.items()}


# ---------------------------------------------------------------------------- checks


class CheckError(Exception):
    pass


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckError(msg)


def _keys(row: dict, keys: list[str], where: str) -> None:
    _need(isinstance(row, dict) and sorted(row) == sorted(keys), f"{where}: keys {sorted(row)} != {sorted(keys)}")


def _str(v, where):
    _need(isinstance(v, str) and v.strip() != "" and v == v.strip(), f"{where}: bad string {v!r}")


def _int(v, where):
    _need(isinstance(v, int) and not isinstance(v, bool), f"{where}: not an int {v!r}")


def check_row(task: str, split: str, i: int, row: dict) -> None:
    w = f"{task}/{split}.jsonl:{i + 1}"
    if task == "sst2":
        _keys(row, ["sentence", "label", "idx"], w)
        _str(row["sentence"], w)
        _need(row["sentence"] == row["sentence"].lower(), f"{w}: not lowercased")
        _need(row["label"] in (0, 1) and isinstance(row["label"], int), f"{w}: label")
        _int(row["idx"], w)
        _need(row["idx"] == i, f"{w}: idx {row['idx']} != {i}")
    elif task in ("mrpc", "stsb"):
        _keys(row, ["sentence1", "sentence2", "label", "idx"], w)
        _str(row["sentence1"], w)
        _str(row["sentence2"], w)
        _int(row["idx"], w)
        _need(row["idx"] == i, f"{w}: idx")
        if task == "mrpc":
            _need(row["label"] in (0, 1) and isinstance(row["label"], int), f"{w}: label")
        else:
            lab = row["label"]
            _need(isinstance(lab, float) and 0.0 <= lab <= 5.0 and round(lab, 2) == lab, f"{w}: label {lab!r}")
    elif task == "conll2003":
        _keys(row, ["id", "tokens", "ner_tags"], w)
        _need(row["id"] == str(i), f"{w}: id")
        toks, tags = row["tokens"], row["ner_tags"]
        _need(isinstance(toks, list) and len(toks) > 0 and len(toks) == len(tags), f"{w}: lengths")
        prev = "O"
        for t, g in zip(toks, tags):
            _need(isinstance(t, str) and t != "" and not any(c.isspace() for c in t), f"{w}: token {t!r}")
            _need(g in NER_TAGS, f"{w}: tag {g!r}")
            if g.startswith("I-"):
                _need(prev[2:] == g[2:] and prev != "O", f"{w}: {g} after {prev} (not IOB2)")
            prev = g
    elif task == "squad":
        _keys(row, ["id", "title", "context", "question", "answers"], w)
        for k in ("id", "title", "context", "question"):
            _str(row[k], f"{w}.{k}")
        ans = row["answers"]
        _keys(ans, ["text", "answer_start"], f"{w}.answers")
        n = len(ans["text"])
        _need(n == len(ans["answer_start"]), f"{w}: answers lengths")
        _need(n == 1 if split == "train" else 1 <= n <= 3, f"{w}: {n} answers in {split}")
        for t, s in zip(ans["text"], ans["answer_start"]):
            _str(t, w)
            _int(s, w)
            _need(row["context"][s:s + len(t)] == t, f"{w}: answer {t!r} not at {s}")
    elif task == "wmt16_en_ro":
        _keys(row, ["translation"], w)
        tr = row["translation"]
        _keys(tr, ["en", "ro"], f"{w}.translation")
        _str(tr["en"], w)
        _str(tr["ro"], w)
        _need(5 <= len(tr["en"].split()) <= 12, f"{w}: en length")
        _need("\u015f" not in tr["ro"] + tr["ro"].lower() and "\u0163" not in tr["ro"].lower(),
              f"{w}: cedilla s/t instead of comma-below")
    elif task == "xsum":
        _keys(row, ["document", "summary", "id"], w)
        for k in ("document", "summary", "id"):
            _str(row[k], f"{w}.{k}")
        lines = row["document"].split("\n")
        _need(4 <= len(lines) <= 8, f"{w}: {len(lines)} sentences")
        words = len(row["document"].split())
        _need(60 <= words <= 120, f"{w}: {words} words")
        _need("\n" not in row["summary"], f"{w}: multi-line summary")
        _need(row["summary"] not in lines, f"{w}: summary copies a document sentence")
    else:  # pragma: no cover
        raise CheckError(f"unknown task {task}")


def row_key(task: str, row: dict):
    return {
        "sst2": lambda r: r["sentence"],
        "mrpc": lambda r: (r["sentence1"], r["sentence2"]),
        "stsb": lambda r: (r["sentence1"], r["sentence2"]),
        "conll2003": lambda r: tuple(r["tokens"]),
        "squad": lambda r: (r["context"], r["question"]),
        "wmt16_en_ro": lambda r: r["translation"]["en"],
        "xsum": lambda r: r["document"],
    }[task](row)


def check_dir(root: Path, expected: dict[str, dict[str, bytes]] | None = None) -> int:
    """Validate every file under root; return the total number of bytes."""
    total = 0
    for task in GENERATORS:
        sizes = XSUM_SIZES if task == "xsum" else SIZES
        seen_keys: set = set()
        for split in SPLITS:
            path = root / task / f"{split}.jsonl"
            _need(path.is_file(), f"missing {path}")
            data = path.read_bytes()
            total += len(data)
            if expected is not None:
                _need(data == expected[task][split], f"{path} differs from a fresh generation")
            text = data.decode("utf-8")
            _need(text.endswith("\n") and "\r" not in text, f"{path}: line endings")
            lines = text.split("\n")[:-1]
            _need(len(lines) == sizes[split], f"{path}: {len(lines)} rows, want {sizes[split]}")
            rows = [json.loads(line) for line in lines]
            for i, row in enumerate(rows):
                check_row(task, split, i, row)
                k = row_key(task, row)
                _need(k not in seen_keys, f"{path}:{i + 1}: duplicate row (within or across splits)")
                seen_keys.add(k)
            if task in ("sst2", "mrpc"):
                share = sum(r["label"] for r in rows) / len(rows)
                lo, hi = (0.45, 0.55) if task == "sst2" else (0.55, 0.78)
                _need(lo <= share <= hi, f"{path}: label-1 share {share:.2f} outside [{lo}, {hi}]")
            if task == "stsb":
                buckets = {min(int(r["label"]), 4) for r in rows}
                _need(buckets == {0, 1, 2, 3, 4}, f"{path}: scores do not cover 0..5")
            if task in ("squad", "xsum"):
                ids = [r["id"] for r in rows]
                _need(len(set(ids)) == len(ids), f"{path}: duplicate ids")
            if task == "conll2003":
                types = {t[2:] for r in rows for t in r["ner_tags"] if t != "O"}
                _need(types == {"PER", "ORG", "LOC", "MISC"}, f"{path}: entity types {sorted(types)}")
    _need(total < MAX_TOTAL_BYTES, f"samples total {total} bytes >= {MAX_TOTAL_BYTES}")
    return total


def write_all(root: Path, files: dict[str, dict[str, bytes]]) -> None:
    for task, splits in files.items():
        d = root / task
        d.mkdir(parents=True, exist_ok=True)
        for split, data in splits.items():
            (d / f"{split}.jsonl").write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="validate the files on disk (schema, sizes, determinism) without writing")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = ap.parse_args(argv)

    files = generate_all()
    if not args.check:
        write_all(args.out, files)
    try:
        total = check_dir(args.out, expected=files)
    except CheckError as e:
        print(f"check failed: {e}", file=sys.stderr)
        return 1
    for task in GENERATORS:
        sizes = ", ".join(f"{s}={len(files[task][s])}B" for s in SPLITS)
        print(f"{task:12s} {sizes}")
    print(f"{'wrote' if not args.check else 'checked'} {args.out} ({total} bytes in all): OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
