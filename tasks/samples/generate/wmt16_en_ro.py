"""WMT16 English-Romanian: short parallel sentences (comma-below ș ț)."""
from __future__ import annotations

import random

from .common import SIZES, article, cap, draw_splits, load_words

WORDS = load_words("wmt16_en_ro")
RO_SUBJECTS = WORDS["RO_SUBJECTS"]
RO_VERBS = WORDS["RO_VERBS"]
RO_NOUNS = WORDS["RO_NOUNS"]
RO_MASS = WORDS["RO_MASS"]
RO_ADJ = WORDS["RO_ADJ"]
RO_ADJ_CLASS = WORDS["RO_ADJ_CLASS"]
RO_PEOPLE_ADJ = WORDS["RO_PEOPLE_ADJ"]
RO_NUMS = WORDS["RO_NUMS"]
RO_PLACES = WORDS["RO_PLACES"]
RO_WHERE = WORDS["RO_WHERE"]
RO_TIME = WORDS["RO_TIME"]
RO_PERSON_IDX = WORDS["RO_PERSON_IDX"]
RO_BE = WORDS["RO_BE"]
RO_HAVE = WORDS["RO_HAVE"]
RO_AUX_PAST = WORDS["RO_AUX_PAST"]
RO_AUX_FUT = WORDS["RO_AUX_FUT"]
RO_WANT = WORDS["RO_WANT"]


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
