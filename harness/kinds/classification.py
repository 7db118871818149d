"""Sequence classification (single sentences and sentence pairs): one label per example.

Heads: AutoModelForSequenceClassification for every architecture. Encoders pool [CLS]; decoder-only models pool the last
real token (transformers finds it through config.pad_token_id, which we set); T5/BART pool the final </s>.

Without training (tuning none / icl:K), decoders and encoder-decoders predict the label whose word (the card's
`verbalizer`) the pretrained language model finds most likely after the card's `prompt`, calibrated
(harness.kinds.label_words); an encoder has no language-model head to score words with and is unsupported.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from harness.errors import Unsupported, UserError
from harness.kinds.base import EvalContext, Evaluation, TaskKind, batched_forward
from harness.metrics.classification import CLASSIFICATION_SPECS, classification_metrics
from harness.models.loading import load_pretrained, new_parameter_names
from harness.tasks.card import TaskCard

_INTEGER = re.compile(r"-?\d+")
# The prompts of a card without its own (label words default to the label names).
DEFAULT_PROMPT = "{text}\nAnswer:"
DEFAULT_PAIR_PROMPT = "{text}\n{text_pair}\nAnswer:"
# Decoder-only tokenizers have no pair template; a newline keeps the two texts apart for every such tokenizer.
DECODER_PAIR_SEPARATOR = "\n"


class SequenceKind(TaskKind):
    """Shared by classification and regression: the same inputs and head, different label type and metrics."""

    fields = {"text": True, "text_pair": False, "label": True, "idx": False}
    peft_task = "SEQ_CLS"
    num_labels_override: int | None = None
    problem_type: str | None = None

    def num_labels(self, card: TaskCard) -> int:
        return self.num_labels_override or len(card.labels)

    def build_model(self, card: TaskCard, spec, tokenizer):
        from transformers import AutoModelForSequenceClassification

        extra = {}
        if self.problem_type != "regression":
            extra = {"id2label": dict(enumerate(card.labels)), "label2id": {l: i for i, l in enumerate(card.labels)}}
        return load_pretrained(AutoModelForSequenceClassification, spec, num_labels=self.num_labels(card),
                               problem_type=self.problem_type, pad_token_id=tokenizer.pad_token_id, **extra)

    def encoder(self, card: TaskCard, spec, tokenizer, hp, role: str) -> Callable[[dict], dict]:
        max_length = hp.max_length
        join_pairs = spec.architecture == "decoder"

        def encode(batch: dict) -> dict:
            texts, pairs = batch["text"], batch.get("text_pair")
            if pairs is not None and join_pairs:
                texts, pairs = [a + DECODER_PAIR_SEPARATOR + b for a, b in zip(texts, pairs)], None
            features = tokenizer(texts, pairs, truncation=True, max_length=max_length)
            features["labels"] = batch["label"]
            return dict(features)
        return encode

    def logits(self, ctx: EvalContext):
        """Logits for every example of ctx.features, in example order."""
        import torch

        out = [None] * len(ctx.features)
        for indices, output, _ in batched_forward(ctx):
            logits = output.logits.float().cpu()
            for row, index in enumerate(indices):
                out[index] = logits[row]
        return torch.stack(out)


class ClassificationKind(SequenceKind):
    name = "classification"
    metric_specs = CLASSIFICATION_SPECS
    needs_labels = True

    def check_card(self, card: TaskCard) -> None:
        from harness.tasks.card import CardError

        super().check_card(card)
        if len(card.labels) < 2:
            raise CardError(card.path, "labels", "classification needs at least two labels")
        check_prompt_fields(card, tuple(name for name in self.fields if name not in ("label", "idx")))
        for label, word in card.verbalizer.items():
            if label not in card.labels:
                raise CardError(card.path, f"verbalizer.{label}", f"{label!r} is not one of the card's labels")
            if not word.strip():
                raise CardError(card.path, f"verbalizer.{label}", "a label word must not be blank")
        missing = [label for label in card.labels if label not in card.verbalizer]
        if card.verbalizer and missing:
            raise CardError(card.path, "verbalizer", f"no word for label(s) {', '.join(missing)}")

    def prompted_model(self, card: TaskCard, spec, tokenizer):
        return language_model(spec, "classification")

    def evaluate_prompted(self, ctx: EvalContext, prompting) -> Evaluation:
        from harness.kinds.label_words import label_word_prompts, predict_label_words

        prompts = label_word_prompts(ctx, prompting, self.prompt(ctx.card, ctx.rows), self.label_words(ctx.card))
        outcome = predict_label_words(ctx, prompts)
        references, num_labels = list(ctx.rows["label"]), len(ctx.card.labels)
        calibration = {**outcome.calibration,
                       "uncalibrated": classification_metrics(outcome.uncalibrated, references, num_labels)}
        return Evaluation(classification_metrics(outcome.predictions, references, num_labels), outcome.predictions,
                          references, context={"num_labels": num_labels},
                          record_sections={"eval": {"calibration": calibration}, "prompting": prompts.described})

    def prompted_request(self, ctx: EvalContext, prompting, index: int):
        """One example's prompts built and the content-free input scored beforehand (a served classifier computes
        its calibration once); the request scores the example's label words and calibrates."""
        from harness.kinds.label_words import label_word_prompts, label_word_scores, predict_label_words

        one = replace(ctx, rows=ctx.rows.select([index % len(ctx.rows)]))
        prompts = label_word_prompts(one, prompting, self.prompt(ctx.card, ctx.rows), self.label_words(ctx.card))
        content_free = label_word_scores(one, prompts.content_free, prompts.answers)
        return lambda: predict_label_words(one, prompts, content_free)

    @staticmethod
    def prompt(card: TaskCard, rows) -> str:
        """The card's prompt, else the kind's for single texts or pairs."""
        return card.prompt or (DEFAULT_PAIR_PROMPT if "text_pair" in rows.column_names else DEFAULT_PROMPT)

    @staticmethod
    def label_words(card: TaskCard) -> list[str]:
        """Each label's word as it follows the prompt, in label order: the card's verbalizer, else the names."""
        return [card.verbalizer.get(label, " " + label) for label in card.labels]

    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        batch["label"] = [label_id(value, card.labels, where) for value in batch["label"]]
        return batch

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        predictions = self.logits(ctx).argmax(-1).tolist()
        references = list(ctx.rows["label"])
        num_labels = len(ctx.card.labels)
        return Evaluation(classification_metrics(predictions, references, num_labels), predictions, references,
                          context={"num_labels": num_labels})


def label_id(value, labels: tuple[str, ...], where: str) -> int:
    """A label as given in data (its name, its index, or the index as text) -> its index in the card's labels."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int) and str(value) in labels and all(_INTEGER.fullmatch(label) for label in labels):
        return labels.index(str(value))     # labels that are integers (ratings 1-5) are named by their value
    if isinstance(value, int) and 0 <= value < len(labels):
        return value
    text = str(value).strip()
    if text in labels:
        return labels.index(text)
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(labels):
        return int(text)
    raise UserError(f"{where}: label {value!r} is not one of the card's labels {list(labels)}",
                    hint="fix the data or the card's labels / column mapping")


def check_prompt_fields(card: TaskCard, fields: tuple[str, ...]) -> None:
    """A card's prompt template names only the kind's input fields (CardError otherwise)."""
    from harness.prompting import template_fields
    from harness.tasks.card import CardError

    if card.prompt is None:
        return
    try:
        used = template_fields(card.prompt)
    except ValueError as exc:
        raise CardError(card.path, "prompt", str(exc)) from None
    for name in used:
        if name not in fields:
            raise CardError(card.path, "prompt", f"{{{name}}} is not a field of the task's rows "
                            f"({', '.join('{' + f + '}' for f in fields)})")


def language_model(spec, what: str):
    """The pretrained model with its language-model head, to score or generate answers from prompts: a decoder's
    causal LM or an encoder-decoder's seq2seq LM. An encoder has none (a random head is not a baseline)."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    if spec.architecture == "encoder":
        raise Unsupported(f"{what} without training needs a pretrained language-model head to score answers with; an "
                          "encoder would need a new, untrained head (a random head is not a baseline)")
    auto_class = AutoModelForSeq2SeqLM if spec.architecture == "encoder-decoder" else AutoModelForCausalLM
    model = load_pretrained(auto_class, spec)
    if new := new_parameter_names(model):
        raise Unsupported(f"the checkpoint lacks part of its language model ({len(new)} "
                          "new parameters, e.g. a warm-started encoder-decoder's cross-attention): an untrained "
                          "part is not a baseline")
    return model
