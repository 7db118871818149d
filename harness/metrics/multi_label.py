"""Multi-label classification metrics: the values (scikit-learn), their specs, and the decision threshold.

An example's labels are a set of label indices; scikit-learn scores the multi-hot (examples × labels) indicator
matrices: micro F1 (true/false positives and false negatives pooled over every label), macro F1 (the F1 of each
label, averaged over every label of the card, a label never seen nor predicted scoring 0 as zero_division=0 says)
and subset accuracy (the predicted set equals the true set).

The specs recompute all three from per-example statistics: for each label the example's true positive, false
positive and false negative (0 or 1), plus whether its whole set is right. Any weighted set of examples sums to its
per-label counts, from which both F1 averages follow exactly.

The threshold: a label is predicted when its sigmoid probability is at least the threshold, one threshold for every
label, chosen on the validation split as the point of THRESHOLDS with the best micro F1 (ties go to the point nearest
0.5).
"""
from __future__ import annotations

import numpy as np

from harness.metrics.spec import CannotRecompute, MetricSpec, safe_div

MULTI_LABEL_METRICS = ("micro_f1", "macro_f1", "subset_accuracy")
THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(1, 20))       # 0.05, 0.10, ..., 0.95
DEFAULT_THRESHOLD = 0.5


def multi_hot(label_sets: list[list[int]], num_labels: int) -> np.ndarray:
    """(examples × labels) 0/1 indicator matrix of label index sets."""
    matrix = np.zeros((len(label_sets), num_labels), dtype=int)
    for row, labels in enumerate(label_sets):
        matrix[row, list(labels)] = 1
    return matrix


def label_sets(indicator: np.ndarray) -> list[list[int]]:
    """The label indices of each row of an indicator matrix, ascending."""
    return [np.flatnonzero(row).tolist() for row in indicator]


def multi_label_metrics(predictions: list[list[int]], references: list[list[int]],
                        num_labels: int) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    predicted, true = multi_hot(predictions, num_labels), multi_hot(references, num_labels)
    return {
        "micro_f1": float(f1_score(true, predicted, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(true, predicted, average="macro", zero_division=0)),
        "subset_accuracy": float(accuracy_score(true, predicted)),
    }


def choose_threshold(probabilities: np.ndarray, references: list[list[int]]) -> float:
    """The point of THRESHOLDS with the best micro F1 of `probabilities` (examples × labels) against the reference
    label sets; ties go to the point nearest 0.5 (then the lower one)."""
    true = multi_hot(references, probabilities.shape[1]).astype(bool)

    def micro_f1(threshold: float) -> float:
        predicted = probabilities >= threshold
        tp = (predicted & true).sum()
        return float(safe_div(2 * tp, predicted.sum() + true.sum()))    # 2tp / (2tp + fp + fn)
    return max(THRESHOLDS, key=lambda t: (micro_f1(t), -abs(t - DEFAULT_THRESHOLD), -t))


# --- specs -------------------------------------------------------------------------------------------------------
def _example_counts(predictions, references, num_labels: int | None = None, **_) -> np.ndarray:
    """Per example: tp, fp and fn of each label (3 × labels columns), 1 if its whole set is right, and 1 (a count)."""
    if num_labels is None:
        raise CannotRecompute("the number of labels was not stored with the predictions")
    for sets in (predictions, references):
        if not all(isinstance(s, list) and all(isinstance(i, int) and 0 <= i < num_labels for i in s) for s in sets):
            raise CannotRecompute("predictions are not lists of label indices")
    predicted, true = multi_hot(predictions, num_labels), multi_hot(references, num_labels)
    tp, fp, fn = predicted & true, predicted & (1 - true), (1 - predicted) & true
    exact = (predicted == true).all(axis=1, keepdims=True)
    return np.hstack([tp, fp, fn, exact, np.ones_like(exact)]).astype(float)


def _reduce(metric: str):
    def reduce(sums: np.ndarray) -> np.ndarray:
        k = (sums.shape[1] - 2) // 3
        tp, fp, fn = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:3 * k]
        if metric == "micro_f1":
            return safe_div(2 * tp.sum(axis=1), (2 * tp + fp + fn).sum(axis=1))
        if metric == "macro_f1":
            return safe_div(2 * tp, 2 * tp + fp + fn).mean(axis=1)
        return safe_div(sums[:, -2], sums[:, -1])
    return reduce


MULTI_LABEL_SPECS = {m: MetricSpec(m, True, "unit", _example_counts, _reduce(m)) for m in MULTI_LABEL_METRICS}
