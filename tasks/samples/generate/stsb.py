"""STS-B: sentence pairs scored 0 (unrelated) to 5 (same meaning)."""
from __future__ import annotations

import random

from .common import SIZES, cap, draw_splits, number_idx, load_words

WORDS = load_words("stsb")
STS_SUBJECTS = WORDS["STS_SUBJECTS"]
STS_ACTIONS = WORDS["STS_ACTIONS"]
STS_PLACES = WORDS["STS_PLACES"]
STS_HUMAN_PLURAL = WORDS["STS_HUMAN_PLURAL"]
STS_UNRELATED = WORDS["STS_UNRELATED"]


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
