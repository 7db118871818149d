"""Multi-label classification: text (and an optional pair text) with any number of the card's labels, none included.

The inputs and the head are sequence classification's (AutoModelForSequenceClassification for every architecture),
with transformers' `problem_type="multi_label_classification"`: one sigmoid per label and a binary cross-entropy
loss (BCEWithLogits) on multi-hot float targets.

Labels in data: a list of label names (JSON Lines, JSON, hub datasets; label indices are accepted too, as in
classification), or, in a CSV/TSV cell, the names joined by the card's `options.label_separator` (default `|`; an
empty cell is no label). A name the card does not list is a usage error naming the file.

Decisions: one threshold on the sigmoid probabilities for every label. Each validation pass picks the one with the
best micro F1 on validation itself (kept in the validation metrics as `threshold`); the test split is scored at the
threshold picked on validation with the final model, never on test, and the record keeps it (`eval.threshold`).
"""
from __future__ import annotations

from typing import Callable

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation, Unsupported
from harness.kinds.classification import SequenceKind, label_id
from harness.metrics.multi_label import (DEFAULT_THRESHOLD, MULTI_LABEL_SPECS, choose_threshold, label_sets,
                                         multi_label_metrics)
from harness.tasks.card import CardError, TaskCard

DEFAULT_SEPARATOR = "|"


class MultiLabelKind(SequenceKind):
    name = "multi_label"
    metric_specs = MULTI_LABEL_SPECS
    needs_labels = True
    problem_type = "multi_label_classification"

    def check_card(self, card: TaskCard) -> None:
        super().check_card(card)
        separator = card.options.get("label_separator", DEFAULT_SEPARATOR)
        if not isinstance(separator, str) or not separator.strip():
            raise CardError(card.path, "options.label_separator",
                            f"expected the text that joins label names in a cell, got {separator!r}")
        clashing = [label for label in card.labels if separator.strip() in label]
        if clashing:
            raise CardError(card.path, "options.label_separator",
                            f"{separator!r} occurs in the label {clashing[0]!r}; choose another separator")

    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        separator = card.options.get("label_separator", DEFAULT_SEPARATOR)
        batch["label"] = [_label_indices(value, card.labels, separator, f"{where}: example {number}")
                          for number, value in enumerate(batch["label"], start=1)]
        return batch

    def encoder(self, card: TaskCard, spec, tokenizer, hp, role: str) -> Callable[[dict], dict]:
        encode_inputs = super().encoder(card, spec, tokenizer, hp, role)
        size = len(card.labels)

        def encode(batch: dict) -> dict:
            features = encode_inputs(batch)
            # Float multi-hot targets: what BCEWithLogits takes (and what collation stacks as a float tensor).
            features["labels"] = [_multi_hot(labels, size) for labels in batch["label"]]
            return features
        return encode

    def probabilities(self, ctx: EvalContext):
        """Sigmoid probabilities (examples × labels) as a numpy array, in example order."""
        return self.logits(ctx).sigmoid().numpy()

    def prompted_model(self, card, spec, tokenizer):
        """No evaluation without training (tuning none / icl:K): the reason."""
        raise Unsupported("one sigmoid per label needs a trained head and a decision threshold chosen on validation; "
                          "a pretrained model has neither")

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        probabilities = self.probabilities(ctx)
        references = [list(labels) for labels in ctx.rows["label"]]
        threshold = self.threshold(ctx, probabilities, references)
        predictions = label_sets(probabilities >= threshold)
        num_labels = len(ctx.card.labels)
        metrics = multi_label_metrics(predictions, references, num_labels)
        sections = {}
        if ctx.split == "test":
            sections = {"eval": {"threshold": threshold}}
        else:
            metrics["threshold"] = threshold
        return Evaluation(metrics, predictions, references, context={"num_labels": num_labels, "threshold": threshold},
                          record_sections=sections)

    def threshold(self, ctx: EvalContext, probabilities, references: list[list[int]]) -> float:
        """Chosen on the validation split: the test context's own, or this split when it is not the test split. A
        test split evaluated without one keeps the default 0.5 rather than tune on test."""
        if ctx.validation is not None:
            tuning = ctx.validation
            return choose_threshold(self.probabilities(tuning), [list(labels) for labels in tuning.rows["label"]])
        if ctx.split == "test":
            return DEFAULT_THRESHOLD
        return choose_threshold(probabilities, references)


def _multi_hot(indices: list[int], size: int) -> list[float]:
    chosen = set(indices)
    return [1.0 if i in chosen else 0.0 for i in range(size)]


def _label_indices(value, labels: tuple[str, ...], separator: str, where: str) -> list[int]:
    """One example's labels as given in data -> the ascending indices of the card's labels it names."""
    if isinstance(value, str):
        value = [name for name in value.split(separator) if name.strip()]
    elif isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        got = "null" if value is None else f"{type(value).__name__} {value!r}"
        raise UserError(f"{where}: labels must be a list of label names (or names joined by {separator!r} in one "
                        f"cell), got {got}", hint="an example without labels has an empty list or an empty cell")
    return sorted({label_id(item, labels, where) for item in value})
