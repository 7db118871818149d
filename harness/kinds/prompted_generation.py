"""Answers generated from prompts by a pretrained model, nothing trained: what translation, summarization,
extractive QA and similarity (a prompt asking for a score) do under tuning `none` and `icl:K`.

- The model: a decoder's causal LM or an encoder-decoder's seq2seq LM, as pretrained (seq2seq's builders). An
  encoder has no pretrained head that writes text: `unsupported`.
- The prompts: harness.prompting's PromptBuilder (the card's template, K demonstrations from train, the chat
  template). A prompt longer than the model can take (a decoder: its positions less the tokens to generate; an
  encoder-decoder: its encoder's limit) loses demonstrations from the front, one at a time; one still too long with
  none left keeps its last tokens, where the question and the cue to answer are. The record's `prompting` section
  says how many demonstrations were kept (mean and fewest) and how many prompts were cut.
- Generation: seq2seq's batched `_generate` (greedy or beam search, never sampling), batches sorted by length.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from harness.errors import Unsupported
from harness.kinds.base import EvalContext


@dataclass
class Prompts:
    """The token ids of every example's prompt, and what fitting them into the model cost."""
    ids: list[list[int]]
    kept: list[int]          # demonstrations kept per example
    cut: int = 0             # prompts that kept only their last tokens

    def describe(self, shots: int) -> dict[str, Any]:
        """What the record's `prompting` section adds: only what a few-shot job dropped or any job cut."""
        section: dict[str, Any] = {}
        if shots:
            section["demonstrations_kept"] = {"mean": round(sum(self.kept) / max(1, len(self.kept)), 3),
                                              "min": min(self.kept, default=0)}
        if self.cut:
            section["prompts_cut"] = self.cut
        return section


def generator_model(spec, tokenizer):
    """The pretrained model that writes the answers: a decoder's or encoder-decoder's LM head."""
    from harness.kinds.seq2seq import _causal_lm, _native_seq2seq

    if spec.architecture == "encoder":
        raise Unsupported("an encoder has no pretrained head that writes text, so it cannot answer from a prompt "
                          "without training (a new head would be random)")
    return (_causal_lm if spec.architecture == "decoder" else _native_seq2seq)(spec, tokenizer)


def prompt_room(ctx: EvalContext, new_tokens: int) -> int:
    """How many prompt tokens the model takes: a decoder's positions less those it generates into; an
    encoder-decoder's encoder limit (its tokenizer's, else its position table's)."""
    from harness.kinds.seq2seq import _position_limit, _position_limit_of

    if ctx.spec.architecture == "decoder":      # a batch pads its prompts to a multiple of 8 on the left
        return max(1, _position_limit_of(ctx.model) - new_tokens - 8)
    return min(_position_limit(ctx.tokenizer), _position_limit_of(ctx.model))


def fitted_prompts(ctx: EvalContext, prompting, template: str, rows, answer_of: Callable[[dict], str],
                   new_tokens: int) -> Prompts:
    """The prompts of `rows` (a Dataset) from `template`, demonstrations from ctx.train_rows answered by
    answer_of(row), each fitted into what the model takes besides `new_tokens` generated ones. An answer follows
    its prompt after a space, unless the template ends with a line break or space of its own."""
    from harness.prompting import PromptBuilder

    space = "" if template[-1:].isspace() else " "
    builder = PromptBuilder.create(prompting, template, ctx.tokenizer, ctx.train_rows,
                                   lambda row: space + answer_of(row))
    return build_prompts(builder, row_dicts(rows), prompt_room(ctx, new_tokens))


def build_prompts(builder, rows: list[dict], room: int) -> Prompts:
    """Each row's prompt as token ids, within `room` tokens (see the module's docstring)."""
    ids, kept, cut = [], [], 0
    for row in rows:
        shots = builder.shots_for(row)
        prompt = builder.encode(builder.render(row, shots))
        while len(prompt) > room and shots:
            shots = shots[1:]
            prompt = builder.encode(builder.render(row, shots))
        if len(prompt) > room:
            prompt, cut = prompt[-room:], cut + 1
        ids.append(prompt)
        kept.append(len(shots))
    return Prompts(ids, kept, cut)


def generate_texts(ctx: EvalContext, ids: list[list[int]], settings: dict, stop: str, decode=None) -> list[str]:
    """The text generated for each prompt, in example order, up to `stop` (where a model that follows the
    demonstrations' pattern goes on with a prompt of its own). decode: ids -> texts (default: the tokenizer's,
    special tokens skipped)."""
    import torch

    from harness.data.batching import sorted_batches
    from harness.kinds.seq2seq import _generate

    decode = decode or (lambda rows: ctx.tokenizer.batch_decode(rows, skip_special_tokens=True))
    texts: list[Any] = [None] * len(ids)
    ctx.model.eval()
    for indices in sorted_batches([len(x) for x in ids], ctx.batch_size):
        output, _ = _generate(ctx.model, ctx.tokenizer, ctx.spec.architecture, [ids[i] for i in indices], settings,
                              ctx.device, ctx.autocast, torch)
        for index, text in zip(indices, decode(output)):
            texts[index] = text.strip().split(stop)[0].strip()      # leading blank lines are no answer's end
    return texts


def generate_request(ctx: EvalContext, prompt: list[int], settings: dict) -> Callable[[], Any]:
    """One latency request: generating for one prompt with `settings`."""
    import torch

    from harness.kinds.seq2seq import _generate

    def request():
        return _generate(ctx.model, ctx.tokenizer, ctx.spec.architecture, [prompt], settings, ctx.device,
                         ctx.autocast, torch)
    return request


def card_template(card, default: str) -> str:
    """The card's prompt template, else the kind's default for it."""
    return getattr(card, "prompt", None) or default


def row_dicts(rows) -> list[dict]:
    """A datasets.Dataset's rows as plain dicts (row access on Arrow is slow)."""
    columns = rows.to_dict()
    return [dict(zip(columns, values)) for values in zip(*columns.values())]
