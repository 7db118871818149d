"""Sequence classification (single sentences and sentence pairs): one label per example.

Heads: AutoModelForSequenceClassification for every architecture. Encoders pool [CLS]; decoder-only models pool the last
real token (transformers finds it through config.pad_token_id, which we set); T5/BART pool the final </s>.
"""
from __future__ import annotations

import re
from typing import Callable

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation, TaskKind, batched_forward
from harness.metrics.classification import CLASSIFICATION_SPECS, classification_metrics
from harness.models.loading import load_pretrained
from harness.tasks.card import TaskCard

_INTEGER = re.compile(r"-?\d+")
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
        super().check_card(card)
        if len(card.labels) < 2:
            from harness.tasks.card import CardError
            raise CardError(card.path, "labels", "classification needs at least two labels")

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
