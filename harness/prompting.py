"""Prompts for evaluating a pretrained model without training (tuning `none` and `icl:K`).

One place builds every prompt the zero- and few-shot kinds score or generate from:

- `fill`: a card's `prompt` template with a row's standard fields (`{text}`, `{text_pair}`, `{question}`, ...).
- `demonstrations`: the K training rows placed before each evaluated example, fixed per seed: one seeded order of
  the train split, of which each example takes the first K whose inputs differ from its own (an evaluated example
  never appears among its own demonstrations, even where train and validation/test share a row).
- `render`: the demonstrations and the query as one text: plain (each demonstration's prompt followed by its
  answer, a blank line between them) or, with the tokenizer's chat template, as alternating user/assistant turns
  ending with the assistant's turn about to begin.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHAT_TEMPLATE_MODES = ("auto", "on", "off")
DEMONSTRATION_SEPARATOR = "\n\n"
# Fields that are answers, not inputs: two rows with the same inputs are the same example whatever their answers.
_ANSWER_FIELDS = {"label", "tags", "answers", "target", "idx", "id", "title"}


@dataclass(frozen=True)
class Prompting:
    """How a job evaluates without training: `shots` demonstrations (0 for `none`), drawn with `seed`; the chat
    template applied (`auto`: when the tokenizer has one)."""
    shots: int = 0
    seed: int = 0
    chat_template: str = "auto"

    def uses_chat_template(self, tokenizer) -> bool:
        if self.chat_template == "off":
            return False
        has_one = bool(getattr(tokenizer, "chat_template", None))
        if self.chat_template == "on" and not has_one:
            from harness.errors import Unsupported
            raise Unsupported("--chat-template on, but the tokenizer has no chat template")
        return has_one

    def describe(self, tokenizer) -> dict[str, Any]:
        """The record's `prompting` section."""
        return {"shots": self.shots, "seed": self.seed, "chat_template": self.uses_chat_template(tokenizer)}


class PromptedKind:
    """A kind as a zero- or few-shot job sees it: `evaluate` and `latency_inputs` are the kind's prompted
    evaluation and request (TaskKind.evaluate_prompted, prompted_request), so the job's validation, test and
    latency steps run unchanged; everything else is the kind's own."""

    def __init__(self, kind, prompting: Prompting):
        self._kind, self.prompting = kind, prompting

    def __getattr__(self, name: str):
        return getattr(self._kind, name)

    def prompted_model(self, card, spec, tokenizer):
        model = self._kind.prompted_model(card, spec, tokenizer)
        model.requires_grad_(False)         # nothing trains: no trainable parameters, no optimizer state
        return model

    def evaluate(self, ctx):
        evaluation = self._kind.evaluate_prompted(ctx, self.prompting)
        described = {**self.prompting.describe(ctx.tokenizer), **evaluation.record_sections.get("prompting", {})}
        evaluation.record_sections = {**evaluation.record_sections, "prompting": described}
        return evaluation

    def latency_inputs(self, ctx, index: int):
        return self._kind.prompted_request(ctx, self.prompting, index)
