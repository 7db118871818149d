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
    from harness.kinds.prompted_generation import build_prompts, generate_texts, prompt_room, row_dicts
    from harness.metrics.qa import normalize_answer

    builder, template = _builder(ctx, prompting, opts)
    settings = _settings(opts)
    prompts = build_prompts(builder, row_dicts(ctx.rows), prompt_room(ctx, settings["max_new_tokens"]))
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
    from harness.kinds.prompted_generation import build_prompts, generate_request, prompt_room, row_dicts

    builder, _ = _builder(ctx, prompting, opts)
    settings = _settings(opts)
    row = row_dicts(ctx.rows.select([index % len(ctx.rows)]))
    prompt = build_prompts(builder, row, prompt_room(ctx, settings["max_new_tokens"])).ids[0]
    return generate_request(ctx, prompt, settings)


def _settings(opts: dict) -> dict:
    return {"max_new_tokens": opts["max_answer_length"], "num_beams": 1}


def _builder(ctx: EvalContext, prompting, opts: dict):
    from harness.kinds.prompted_generation import card_template
    from harness.prompting import PromptBuilder

    template = card_template(ctx.card, DEFAULT_PROMPT_V2 if opts["no_answer"] else DEFAULT_PROMPT)

    def answer_of(row: dict) -> str:
        return " " + (row["answers"]["text"][0] if row["answers"]["text"] else NO_ANSWER)
    return PromptBuilder.create(prompting, template, ctx.tokenizer, ctx.train_rows, answer_of), template
