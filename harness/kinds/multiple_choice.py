"""Multiple choice (COPA, PIQA, ARC, SWAG): pick the right one of 2 to `max_choices` answers to a context.

Every architecture is fine-tuned the same way: a scoring head on each (context, choice) pair, softmax over the
choices, cross entropy on the right one (harness.models.choice_scorer). Encoders get transformers'
*ForMultipleChoice head exactly (a linear layer on the pooled output); decoders score the last token of
`context \\n choice` and encoder-decoders the final </s>, through their sequence-classification heads with one
output. Why a head and not the likelihood of each choice under the LM: one training objective and one decision rule
for all three architectures, so their scores compare; it is how GPT-1 was fine-tuned on multiple choice (a linear
layer on the last token of each pair); and a choice's likelihood depends on its length and wording, which a
likelihood ranking must normalise one way or another, while a trained head learns what a right answer looks like.

Features: each example is one row of `max_choices` pairs side by side, each padded to the example's longest pair
(`choice_width`); an example with fewer choices repeats its first pair in the empty places, and `choice_count`
says how many are real (the others' scores never count). The shared batching code thus sees ordinary rows, and
the model cuts a batch into pairs by shape, padded only to the batch's longest pair.

Rows: `context` (text), `choices` (2 or more texts, or ARC's {text, label} records), `label` (the right choice: its
index, or its name where the choices have names, e.g. ARC's "A"-"D" or "1"-"4"), optionally `relation` (COPA's
cause/effect: the context becomes "premise because" / "premise so") and `id`.
"""
from __future__ import annotations

from typing import Callable

from harness.errors import UserError
from harness.kinds.base import INPUT_COLUMNS, EvalContext, Evaluation, TaskKind, Unsupported, batched_forward
from harness.kinds.classification import DECODER_PAIR_SEPARATOR
from harness.metrics.classification import classification_spec
from harness.models.loading import load_pretrained
from harness.tasks.card import CardError, TaskCard

# COPA asks for the cause or the effect of its premise; the context then ends with the word that asks for it.
RELATION_WORDS = {"cause": "because", "effect": "so"}
MIN_CHOICES = 2
CHOICE_COLUMNS = ("choice_width", "choice_count")      # per example: tokens per pair, real choices


class MultipleChoiceKind(TaskKind):
    name = "multiple_choice"
    fields = {"context": True, "choices": True, "label": True, "relation": False, "id": False}
    metric_specs = {"accuracy": classification_spec("accuracy")}
    peft_task = None            # a plain PeftModel around the scorer: peft's task wrappers expect a bare HF model

    # --- card and data ---------------------------------------------------------------------------------------
    def check_card(self, card: TaskCard) -> None:
        super().check_card(card)
        value = card.options.get("max_choices")
        if isinstance(value, bool) or not isinstance(value, int) or not MIN_CHOICES <= value <= 32:
            raise CardError(card.path, "options.max_choices", "multiple choice needs the most choices an example "
                            f"has, an integer from {MIN_CHOICES} to 32 (got {value!r})")

    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        limit = max_choices(card)
        choices, labels, contexts = [], [], []
        relations = batch.get("relation") or [None] * len(batch["choices"])
        for number, (context, options, label, relation) in enumerate(
                zip(batch["context"], batch["choices"], batch["label"], relations), start=1):
            texts, option_names = _choice_texts(options, f"{where}: example {number}")
            if not MIN_CHOICES <= len(texts) <= limit:
                raise UserError(f"{where}: example {number} has {len(texts)} choices; the card allows "
                                f"{MIN_CHOICES} to {limit}", hint="raise options.max_choices in the card")
            if relation is not None:
                context, texts = _with_relation(context, texts, relation, f"{where}: example {number}")
            contexts.append(context)
            choices.append(texts)
            labels.append(_answer_index(label, option_names, len(texts), f"{where}: example {number}"))
        out = {"context": contexts, "choices": choices, "label": labels}
        if "id" in batch:
            out["id"] = [str(i) for i in batch["id"]]
        return out

    # --- model -----------------------------------------------------------------------------------------------
    def build_model(self, card: TaskCard, spec, tokenizer):
        from transformers import AutoModelForSequenceClassification

        from harness.models.choice_scorer import ChoiceScorer

        scorer = load_pretrained(AutoModelForSequenceClassification, spec, num_labels=1,
                                 pad_token_id=tokenizer.pad_token_id)
        return ChoiceScorer(scorer, max_choices(card))

    def train_columns(self) -> tuple[str, ...]:
        return (*INPUT_COLUMNS, *CHOICE_COLUMNS, "labels")

    def encoder(self, card: TaskCard, spec, tokenizer, hp, role: str) -> Callable[[dict], dict]:
        slots, max_length = max_choices(card), hp.max_length
        separator = DECODER_PAIR_SEPARATOR if spec.architecture == "decoder" else ""

        def encode(batch: dict) -> dict:
            firsts, seconds = [], []
            for context, options in zip(batch["context"], batch["choices"]):
                firsts += [context + separator] * slots
                seconds += options + [options[0]] * (slots - len(options))
            # As a pair even for decoders (whose tokenizers join the two without a template): truncation then
            # shortens the longer text, usually the context, instead of cutting the choice off the end.
            pairs = tokenizer(firsts, seconds, truncation=True, max_length=max_length)
            rows = [range(i * slots, (i + 1) * slots) for i in range(len(batch["context"]))]
            widths = [max(len(pairs["input_ids"][p]) for p in row) for row in rows]
            features = {column: [[value for p in row for value in _padded(pairs[column][p], width, pad)]
                                 for row, width in zip(rows, widths)]
                        for column, pad in _pad_values(pairs, tokenizer).items()}
            features["choice_width"] = widths
            features["choice_count"] = [len(options) for options in batch["choices"]]
            features["labels"] = batch["label"]
            return features
        return encode

    def prompted_model(self, card, spec, tokenizer):
        """No evaluation without training (tuning none / icl:K): the reason."""
        raise Unsupported("the kind scores each (context, choice) pair with one trained scoring head for every "
                          "architecture, which a pretrained model does not have; ranking choices by language-model "
                          "likelihood would be another decision rule")

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        from sklearn.metrics import accuracy_score

        predictions = [None] * len(ctx.features)
        for indices, output, _ in batched_forward(ctx, (*INPUT_COLUMNS, *CHOICE_COLUMNS)):
            for row, index in zip(output.logits.argmax(-1).tolist(), indices):
                predictions[index] = row
        references = list(ctx.rows["label"])
        slots = max_choices(ctx.card)
        return Evaluation({"accuracy": float(accuracy_score(references, predictions))}, predictions, references,
                          context={"num_labels": slots})


def max_choices(card: TaskCard) -> int:
    return card.options["max_choices"]


def _pad_values(pairs, tokenizer) -> dict[str, int]:
    pads = {"input_ids": tokenizer.pad_token_id, "attention_mask": 0, "token_type_ids": 0}
    return {column: pad for column, pad in pads.items() if column in pairs}


def _padded(sequence: list[int], width: int, pad: int) -> list[int]:
    return sequence + [pad] * (width - len(sequence))


def _choice_texts(options, where: str) -> tuple[list[str], list[str] | None]:
    """The choices as texts, and their names if the data gives them (ARC's labels)."""
    names = None
    if isinstance(options, dict) and "text" in options:                   # hub ARC: {"text": [...], "label": [...]}
        options, names = options["text"], options.get("label")
    elif isinstance(options, list) and options and all(isinstance(o, dict) for o in options):   # ARC files
        names = [o.get("label") for o in options]
        options = [o.get("text") for o in options]
    if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
        raise UserError(f"{where}: choices must be a list of non-empty texts, got {str(options)[:60]}",
                        hint="map the card's `choices` column to the answer texts")
    if names is not None and (not isinstance(names, list) or len(names) != len(options)):
        raise UserError(f"{where}: {len(options)} choices but choice labels {names!r}")
    return options, None if names is None else [str(n) for n in names]


def _answer_index(label, names: list[str] | None, count: int, where: str) -> int:
    """The right choice's index: its name among the choice labels (ARC's "A" or "1"), else the index itself."""
    if names is not None and str(label).strip() in names:
        return names.index(str(label).strip())
    if isinstance(label, str) and label.strip().lstrip("-").isdigit():
        label = int(label)
    if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < count:
        return label
    raise UserError(f"{where}: answer {label!r} is not one of its {count} choices"
                    + (f" ({', '.join(names)})" if names else f" (0-{count - 1})"),
                    hint="the label is the index of the right choice, or its name among the choice labels")


def _with_relation(context: str, texts: list[str], relation, where: str) -> tuple[str, list[str]]:
    """COPA: "The man broke his toe." asking for a cause -> "The man broke his toe because" + "he dropped a hammer
    on his foot." (the choice goes on the sentence, so its capital goes, except for "I")."""
    if relation not in RELATION_WORDS:
        raise UserError(f"{where}: relation {relation!r} is not one of {', '.join(RELATION_WORDS)}")
    premise = context.strip()
    premise = premise[:-1] if premise[-1:] in ".!?" else premise
    return f"{premise} {RELATION_WORDS[relation]}", [_lowercase_start(t) for t in texts]


def _lowercase_start(text: str) -> str:
    if text[:2] in ("I ", "I'") or not text[:1].isupper() or text[1:2].isupper():    # "I", or an acronym
        return text
    return text[0].lower() + text[1:]
