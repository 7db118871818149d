"""Classification and regression metrics: the values (scikit-learn, scipy) and their specs.

Classification specs recompute every metric from the confusion matrix: each example contributes a one-hot
(true, predicted) cell, so any weighted set of examples sums to its confusion matrix. Regression specs: Pearson from
six sums, Spearman from weighted ranks, MSE as a mean of squared errors.
"""
from __future__ import annotations

import numpy as np

from harness.metrics.spec import CannotRecompute, MetricSpec, RankCorrelation, mean_spec, safe_div

CLASSIFICATION_METRICS = ("accuracy", "f1", "macro_f1", "precision", "recall", "mcc")
REGRESSION_METRICS = ("pearson", "spearman", "mse")


def classification_metrics(predictions: list[int], references: list[int], num_labels: int) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, precision_score, recall_score

    binary = num_labels == 2
    average = "binary" if binary else "macro"
    kwargs = {"average": average, "zero_division": 0}
    return {
        "accuracy": float(accuracy_score(references, predictions)),
        "f1": float(f1_score(references, predictions, **kwargs)),
        "macro_f1": float(f1_score(references, predictions, average="macro", zero_division=0)),
        "precision": float(precision_score(references, predictions, **kwargs)),
        "recall": float(recall_score(references, predictions, **kwargs)),
        "mcc": float(matthews_corrcoef(references, predictions)),
    }


def regression_metrics(predictions: list[float], references: list[float]) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr

    p, r = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
    constant = p.std() == 0 or r.std() == 0      # correlation is undefined; report 0 rather than NaN
    return {
        "pearson": 0.0 if constant else float(pearsonr(p, r)[0]),
        "spearman": 0.0 if constant else float(spearmanr(p, r)[0]),
        "mse": float(((p - r) ** 2).mean()),
    }


# --- specs -------------------------------------------------------------------------------------------------------
def _confusion_cells(predictions, references, num_labels: int | None = None, **_) -> np.ndarray:
    p, r = np.asarray(predictions), np.asarray(references)
    if p.ndim != 1 or p.dtype.kind not in "iub" or r.dtype.kind not in "iub" or (p < 0).any() or (r < 0).any():
        raise CannotRecompute("predictions are not label indices")
    k = max(int(num_labels or 0), int(max(p.max(), r.max())) + 1, 2)
    cells = np.zeros((len(p), k * k + 1))
    cells[np.arange(len(p)), r * k + p] = 1.0
    cells[:, -1] = k == 2 if num_labels is None else num_labels == 2      # binary averaging, as the kind does
    return cells


def _confusion_reduce(metric: str):
    def reduce(sums: np.ndarray) -> np.ndarray:
        k = int(round(np.sqrt(sums.shape[1] - 1)))
        binary = bool(sums[0, -1] > 0)
        c = sums[:, :-1].reshape(-1, k, k)                       # [weighted set, true, predicted]
        tp = np.einsum("bii->bi", c)
        true, pred, total = c.sum(axis=2), c.sum(axis=1), c.sum(axis=(1, 2))
        fp, fn = pred - tp, true - tp
        if metric == "accuracy":
            return safe_div(tp.sum(axis=1), total)
        if metric == "mcc":
            cov_tp = tp.sum(axis=1) * total - (true * pred).sum(axis=1)
            cov_pp = total ** 2 - (pred * pred).sum(axis=1)
            cov_tt = total ** 2 - (true * true).sum(axis=1)
            return safe_div(cov_tp, np.sqrt(cov_tt * cov_pp))
        f1 = safe_div(2 * tp, 2 * tp + fp + fn)
        per_class = {"f1": f1, "macro_f1": f1, "precision": safe_div(tp, tp + fp), "recall": safe_div(tp, tp + fn)}
        values = per_class[metric]
        if binary and metric != "macro_f1":
            return values[:, 1]
        present = (true + pred) > 0                              # scikit-learn averages over the labels that occur
        return safe_div((values * present).sum(axis=1), present.sum(axis=1))
    return reduce


def classification_spec(metric: str) -> MetricSpec:
    scale = "signed" if metric == "mcc" else "unit"
    return MetricSpec(metric, True, scale, _confusion_cells, _confusion_reduce(metric))


def _paired_values(predictions, references, **_) -> np.ndarray:
    p, r = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
    if p.ndim != 1 or r.ndim != 1:
        raise CannotRecompute("predictions are not one number per example")
    return np.column_stack([p, r])


def _pearson_sums(predictions, references, **_) -> np.ndarray:
    p, r = _paired_values(predictions, references).T
    p, r = p - p.mean(), r - r.mean()                   # centred for numerical stability
    return np.column_stack([np.ones_like(p), p, r, p * p, r * r, p * r])


def _pearson_reduce(s: np.ndarray) -> np.ndarray:
    n, sp, sr, spp, srr, spr = s.T
    cov = spr - sp * sr / np.where(n > 0, n, 1)
    var = np.clip(spp - sp ** 2 / np.where(n > 0, n, 1), 0, None) * np.clip(srr - sr ** 2 / np.where(n > 0, n, 1),
                                                                            0, None)
    return safe_div(cov, np.sqrt(var))


def regression_spec(metric: str) -> MetricSpec:
    if metric == "pearson":
        return MetricSpec("pearson", True, "signed", _pearson_sums, _pearson_reduce)
    if metric == "spearman":
        return RankCorrelation("spearman", True, "signed", _paired_values)
    if metric == "mse":
        return mean_spec("mse", lambda p, r, **_: (np.asarray(p, float) - np.asarray(r, float)) ** 2,
                         scale="unbounded", higher_is_better=False)
    raise KeyError(metric)


CLASSIFICATION_SPECS = {m: classification_spec(m) for m in CLASSIFICATION_METRICS}
REGRESSION_SPECS = {m: regression_spec(m) for m in REGRESSION_METRICS}
