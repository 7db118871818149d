"""SQuAD v2.0: the SQuAD sample's made-up paragraphs, a third of whose questions ask about a fact the paragraph leaves
out (about its own subject, so they look answerable): those have no answers (`text` and `answer_start` empty)."""
from __future__ import annotations

import random

from .common import draw_splits
from .squad import squad_org, squad_person, squad_place
from .superglue_check import SUPERGLUE_SIZES


def squad_v2_row(rng: random.Random, split: str, answerable: bool) -> dict:
    _kind, v, c, qs, facts, pron = rng.choice([squad_person, squad_org, squad_place])(rng)
    told = sorted(rng.sample(range(len(facts)), rng.randint(1, len(facts) - (0 if answerable else 1))))
    for j in told:                                          # the facts in story order
        c.add(facts[j][0], **v, **pron)
        qs = qs + facts[j][1]
    if not answerable:
        untold = [q for j, (_template, questions) in enumerate(facts) if j not in told for q in questions]
        question, _ = rng.choice(untold)
        texts, starts = [], []
    else:
        question, specs = rng.choice(qs)
        # like SQuAD dev: 1-3 reference answers (variants or repeats) outside train
        specs = [specs[0]] + ([] if split == "train" else [rng.choice(specs) for _ in range(rng.randint(0, 2))])
        texts, starts = [list(t) for t in zip(*(c.answer(*spec) for spec in specs))]
    return {"id": f"{rng.getrandbits(96):024x}", "title": v["name"].replace(" ", "_"), "context": c.text,
            "question": question.format(**v), "answers": {"text": texts, "answer_start": starts}}


def gen_squad_v2(rng: random.Random) -> dict[str, list[dict]]:
    return draw_splits(rng, SUPERGLUE_SIZES, lambda rng, i, split: squad_v2_row(rng, split, i % 3 != 0),
                       key=lambda r: (r["context"], r["question"]))
