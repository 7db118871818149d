"""SST-2: one-sentence film reviews, 0 = negative / 1 = positive (balanced)."""
from __future__ import annotations

import random

from .common import SIZES, article, draw_splits, number_idx, load_words

WORDS = load_words("sst2")
SST_POS_ADJ = WORDS["SST_POS_ADJ"]
SST_NEG_ADJ = WORDS["SST_NEG_ADJ"]
SST_SUBJECTS = WORDS["SST_SUBJECTS"]
SST_INTENS = WORDS["SST_INTENS"]
SST_FILM = WORDS["SST_FILM"]
SST_POS_VERB = WORDS["SST_POS_VERB"]
SST_NEG_VERB = WORDS["SST_NEG_VERB"]
SST_POS_NP = WORDS["SST_POS_NP"]
SST_NEG_NP = WORDS["SST_NEG_NP"]
SST_NEG_BASE = WORDS["SST_NEG_BASE"]
SST_EXTRA = WORDS["SST_EXTRA"]


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
