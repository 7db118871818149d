"""Similarity without training for decoders and encoder-decoders: a prompt asks for the score on the task's scale
(the training scores' range: STS-B 0 to 5), and the first number of the greedy answer is the prediction, clipped to
the scale. An answer without a number (a small model's usual answer) gets the scale's midpoint, a defined fallback
rather than a failed job, and the record's `prompting` section counts such answers (`unparsed`) and the clipped ones.
Few-shot demonstrations show their gold score, rounded to one decimal, as the answer.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from harness.kinds.base import EvalContext

DEFAULT_PROMPT = ("Sentence 1: {text}\nSentence 2: {text_pair}\nHow similar in meaning are the two sentences, from "
                  "{low} (unrelated) to {high} (the same meaning)? Answer with the number only.\nScore:")
NEW_TOKENS = 6           # a number such as " 3.8" and the line break after it
ANSWER_END = "\n"
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def predict(ctx: EvalContext, prompting) -> tuple[list[float], dict[str, Any]]:
    """Each pair's parsed score, and the record's `prompting` section."""
    from harness.kinds.embedding_similarity import score_range
    from harness.kinds.prompted_generation import generate_texts

    low, high = score_range(ctx.train_rows)
    template = _template(ctx, low, high)
    prompts = _prompts(ctx, prompting, template, ctx.rows)
    answers = generate_texts(ctx, prompts.ids, _SETTINGS, stop=ANSWER_END)
    parsed = [parse_score(answer) for answer in answers]
    predictions = [(low + high) / 2 if p is None else min(high, max(low, p)) for p in parsed]
    section = {"method": "a score asked for in the prompt, the first number of the answer", "template": template,
               "scale": [low, high], "unparsed": sum(p is None for p in parsed),
               "clipped": sum(p is not None and not low <= p <= high for p in parsed),
               "fallback": (low + high) / 2, **prompts.describe(prompting.shots)}
    return predictions, section


def parse_score(answer: str) -> float | None:
    """The first number in a generated answer ("3.8", "Score: 4", "-1"), or None without one."""
    found = _NUMBER.search(answer)
    return float(found.group()) if found else None


def request(ctx: EvalContext, prompting, index: int) -> Callable[[], Any]:
    """One latency request: generating the score of pair `index % len(ctx.rows)`, its prompt built before."""
    from harness.kinds.embedding_similarity import score_range
    from harness.kinds.prompted_generation import generate_request

    one = ctx.rows.select([index % len(ctx.rows)])
    template = _template(ctx, *score_range(ctx.train_rows))
    return generate_request(ctx, _prompts(ctx, prompting, template, one).ids[0], _SETTINGS)


_SETTINGS = {"max_new_tokens": NEW_TOKENS, "num_beams": 1}


def _template(ctx: EvalContext, low: float, high: float) -> str:
    from harness.kinds.prompted_generation import card_template

    return card_template(ctx.card, DEFAULT_PROMPT.replace("{low}", f"{low:g}").replace("{high}", f"{high:g}"))


def _prompts(ctx: EvalContext, prompting, template: str, rows):
    from harness.kinds.prompted_generation import fitted_prompts

    return fitted_prompts(ctx, prompting, template, rows, lambda row: f"{round(float(row['label']), 1):g}",
                          NEW_TOKENS)
