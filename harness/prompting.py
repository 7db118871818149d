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

import random
import string
from dataclasses import dataclass
from typing import Any, Callable

CHAT_TEMPLATE_MODES = ("auto", "on", "off")
DEMONSTRATION_SEPARATOR = "\n\n"
# Candidates drawn beyond K, so that an example that repeats some training rows still gets K others.
_SPARE_CANDIDATES = 16


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


def template_fields(template: str) -> list[str]:
    """The field names a prompt template uses (`{text}`); ValueError for a malformed template."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a field name (write a literal brace as {{{{ or }}}})")
    return names


def fill(template: str, row: dict) -> str:
    """The template with each `{field}` replaced by the row's value."""
    return template.format_map({name: row[name] for name in template_fields(template)})


def input_key(row: dict) -> bytes:
    """What identifies an example by its inputs (as splits.py compares rows): its answers and ids left out."""
    from harness.data.splits import NOT_INPUT_FIELDS, input_keys

    return input_keys({name: [value] for name, value in row.items() if name not in NOT_INPUT_FIELDS | {"idx"}})[0]


class Demonstrations:
    """The training rows few-shot prompts show, fixed per seed: one seeded order of the train split (its first
    K + spare rows kept), of which each evaluated example takes the first K whose inputs differ from its own."""

    def __init__(self, train_rows, shots: int, seed: int):
        if shots > len(train_rows):
            from harness.errors import Unsupported
            raise Unsupported(f"icl:{shots} needs {shots} training examples; the train split has {len(train_rows)}")
        order = random.Random(seed).sample(range(len(train_rows)), min(len(train_rows), shots + _SPARE_CANDIDATES))
        picked = train_rows.select(order).to_dict() if order else {}
        self.rows = [dict(zip(picked, values)) for values in zip(*picked.values())]
        self.keys = [input_key(row) for row in self.rows]
        self.shots = shots

    def for_example(self, key: bytes | None) -> tuple[int, ...]:
        """The demonstrations (indices into `rows`) of the example with input key `key`."""
        return tuple([i for i, k in enumerate(self.keys) if k != key][:self.shots])


@dataclass
class PromptBuilder:
    """Prompts of one evaluation: the card's template, the demonstrations, plain text or the chat template."""
    template: str
    tokenizer: Any
    chat: bool
    demonstrations: Demonstrations | None
    answer_of: Callable[[dict], str]        # a training row's answer, as it follows its prompt (e.g. " positive")

    @classmethod
    def create(cls, prompting: Prompting, template: str, tokenizer, train_rows, answer_of) -> "PromptBuilder":
        shots = Demonstrations(train_rows, prompting.shots, prompting.seed) if prompting.shots else None
        return cls(template, tokenizer, prompting.uses_chat_template(tokenizer), shots, answer_of)

    def shots_for(self, row: dict) -> tuple[int, ...]:
        """The demonstrations of one evaluated row: never a training row with the same inputs."""
        return self.demonstrations.for_example(input_key(row)) if self.demonstrations else ()

    def answer(self, text: str) -> str:
        """An answer as it follows a prompt: a chat turn starts afresh, so without its leading space."""
        return text.lstrip() if self.chat else text

    def render(self, row: dict, shots: tuple[int, ...] = ()) -> str:
        """The whole prompt for `row`: its demonstrations (each followed by its answer), then the row's prompt."""
        demos = [self.demonstrations.rows[i] for i in shots]
        if not self.chat:
            return "".join(fill(self.template, d) + self.answer_of(d) + DEMONSTRATION_SEPARATOR for d in demos) + \
                fill(self.template, row)
        messages = []
        for demo in demos:
            messages += [{"role": "user", "content": fill(self.template, demo)},
                         {"role": "assistant", "content": self.answer(self.answer_of(demo))}]
        messages.append({"role": "user", "content": fill(self.template, row)})
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def encode(self, text: str) -> list[int]:
        """A rendered prompt's token ids: the chat template writes its own special tokens as text."""
        return self.tokenizer(text, add_special_tokens=not self.chat)["input_ids"]


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
