"""CMRC 2018: a short Chinese paragraph about a made-up town and a question whose answer is a span of it, in the
SQuAD layout of the original files (answer texts with their character offsets)."""
from __future__ import annotations

import random

from .clue_check import CLUE_SIZES
from .common import draw_splits, load_words

WORDS = load_words("clue")
# (question, slot) pairs; the paragraph states every slot once.
QUESTIONS = [("{place}位于哪个省？", "province"), ("{place}是哪一年建立的？", "year"),
             ("{place}由谁建立？", "founder"), ("{place}有多少人口？", "people"),
             ("{place}旁边是哪条河？", "river"), ("{place}出产什么？", "product")]


def paragraph(rng: random.Random) -> tuple[str, dict[str, str]]:
    facts = {"place": rng.choice(WORDS["CMRC_PLACES"]), "province": rng.choice(WORDS["CMRC_PROVINCES"]),
             "year": rng.choice(WORDS["CMRC_YEARS"]), "founder": rng.choice(WORDS["CMRC_FOUNDERS"]),
             "people": rng.choice(WORDS["CMRC_PEOPLE"]) + "人", "river": rng.choice(WORDS["CMRC_RIVERS"]),
             "product": rng.choice(WORDS["CMRC_PRODUCTS"])}
    sentences = ["{place}是{province}的一个小城，位于{river}的北岸。", "它由{founder}在{year}建立，",
                 "现在约有{people}居住。", "当地出产的{product}很有名，每年都吸引很多游客。"]
    first, rest = sentences[0], sentences[1:]
    rng.shuffle(rest)
    return "".join([first, *rest]).format(**facts), facts


def gen_cmrc2018(rng: random.Random) -> dict[str, list[dict]]:
    def make(rng, i, split):
        context, facts = paragraph(rng)
        question, slot = rng.choice(QUESTIONS)
        answer = facts[slot]
        return {"id": f"{split}-{i}", "context": context, "question": question.format(**facts),
                "answers": {"text": [answer], "answer_start": [context.index(answer)]}}

    return draw_splits(rng, CLUE_SIZES, make, key=lambda r: r["context"])
