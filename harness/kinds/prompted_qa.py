"""Extractive QA without training: a decoder or encoder-decoder writes the answer after a prompt that holds the
context and the question (the card's `prompt`, else DEFAULT_PROMPT), greedily, at most the card's
`max_answer_length` tokens, up to the first line break; scored with the EM/F1 of extracted spans (SQuAD's, CMRC's).

SQuAD v2.0 (`options.no_answer`): the prompt asks for "unanswerable" when the context does not answer; an answer
that normalises to that word, or to nothing, is the abstention (None), scored as the official v2.0 script scores a
question left unanswered. No threshold is tuned: the model's own words decide. Few-shot demonstrations of
unanswerable questions show "unanswerable" as their answer.
"""
from __future__ import annotations

from harness.kinds.base import EvalContext

NO_ANSWER = "unanswerable"
DEFAULT_PROMPT = "Answer the question with words from the context.\nContext: {context}\nQuestion: {question}\nAnswer:"
DEFAULT_PROMPT_V2 = ("Answer the question with words from the context, or with \"unanswerable\" if the context does "
                     "not answer it.\nContext: {context}\nQuestion: {question}\nAnswer:")
ANSWER_END = "\n"


def generated_answers(ctx: EvalContext, prompting, opts: dict) -> tuple[list[str | None], dict]:
    """Each question's generated answer (None: an abstention), and the record's `prompting` section."""
    from harness.kinds.prompted_generation import generate_texts
    from harness.metrics.qa import normalize_answer

    template, settings = _template(ctx, opts), _settings(opts)
    prompts = _prompts(ctx, prompting, template, ctx.rows, settings)
    texts = generate_texts(ctx, prompts.ids, settings, stop=ANSWER_END)
    section = {"template": template, "max_new_tokens": settings["max_new_tokens"],
               "answer_ends_at": "the first line break", **prompts.describe(prompting.shots)}
    if not opts["no_answer"]:
        return texts, section
    answers = [None if normalize_answer(text) in ("", NO_ANSWER) else text for text in texts]
    section["abstentions"] = sum(answer is None for answer in answers)
    return answers, section


def answer_request(ctx: EvalContext, prompting, opts: dict, index: int):
    """One latency request: generating the answer to question `index % len(ctx.rows)`, its prompt built before."""
    from harness.kinds.prompted_generation import generate_request

    settings = _settings(opts)
    one = ctx.rows.select([index % len(ctx.rows)])
    return generate_request(ctx, _prompts(ctx, prompting, _template(ctx, opts), one, settings).ids[0], settings)


def _settings(opts: dict) -> dict:
    return {"max_new_tokens": opts["max_answer_length"], "num_beams": 1}


def _template(ctx: EvalContext, opts: dict) -> str:
    from harness.kinds.prompted_generation import card_template

    return card_template(ctx.card, DEFAULT_PROMPT_V2 if opts["no_answer"] else DEFAULT_PROMPT)


def _prompts(ctx: EvalContext, prompting, template: str, rows, settings: dict):
    from harness.kinds.prompted_generation import fitted_prompts

    return fitted_prompts(ctx, prompting, template, rows,
                          lambda row: row["answers"]["text"][0] if row["answers"]["text"] else NO_ANSWER,
                          settings["max_new_tokens"])
