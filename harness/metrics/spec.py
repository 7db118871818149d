"""What the harness knows about a metric, declared once by the task kind that computes it.

A `MetricSpec` gives a metric's direction (higher or lower is better), its scale (the values it can take) and a
recipe that recomputes the corpus metric from per-example sufficient statistics:

- `statistics(predictions, references, **context)` -> an (examples × k) array, one row per evaluation example;
- `reduce(sums)` -> the metric from (b × k) column sums over any weighted set of examples.

Most corpus metrics are functions of such sums (a confusion matrix, entity counts, BLEU n-gram counts, the mean of
per-example scores), so resampling examples is a matrix product: a bootstrap resample is a vector of example
counts. Metrics that are not (rank correlations) override `resample` instead.

Everything downstream reads the spec: the job's score and best-epoch choice (direction), the report's
normalization (scale), intervals, paired tests and ranking (statistics). A kind plugged in through the entry point
gets all of these by declaring its specs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

# scale -> the values a metric can take (None: unbounded)
SCALES: dict[str, tuple[float, float] | None] = {
    "unit": (0.0, 1.0),          # accuracy, F1, ROUGE: 1 = perfect
    "percent": (0.0, 100.0),     # BLEU, chrF, SQuAD EM/F1
    "signed": (-1.0, 1.0),       # correlations, MCC
    "unbounded": None,           # errors such as MSE, or anything without a fixed range
}

Statistics = Callable[..., np.ndarray]          # (predictions, references, **context) -> (n × k)
Reduce = Callable[[np.ndarray], np.ndarray]     # (b × k) sums -> (b,) metric values


class CannotRecompute(Exception):
    """This metric cannot be recomputed from the stored predictions (the message says why)."""


@dataclass(frozen=True)
class MetricSpec:
    name: str
    higher_is_better: bool = True
    scale: str = "unit"
    statistics: Statistics | None = None
    reduce: Reduce | None = None
    description: str = ""

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"metric {self.name!r}: scale must be one of {', '.join(SCALES)}, not {self.scale!r}")
        if (self.statistics is None) != (self.reduce is None) and type(self).resample is MetricSpec.resample:
            raise ValueError(f"metric {self.name!r}: statistics and reduce come together")

    @property
    def range(self) -> tuple[float, float] | None:
        return SCALES[self.scale]

    @property
    def resamplable(self) -> bool:
        return self.statistics is not None

    def example_statistics(self, predictions: list, references: list, context: dict | None = None) -> np.ndarray:
        """The per-example statistics; CannotRecompute when the stored data do not fit this metric."""
        if self.statistics is None:
            raise CannotRecompute(f"{self.name!r} declares no per-example statistics")
        if predictions is None or references is None or len(predictions) != len(references) or not predictions:
            raise CannotRecompute("the stored predictions and references do not match up")
        try:
            stats = np.asarray(self.statistics(predictions, references, **(context or {})), dtype=float)
        except CannotRecompute:
            raise
        except Exception as exc:  # noqa: BLE001 - unexpected stored data means no interval, never a broken report
            raise CannotRecompute(f"stored predictions are not in the expected form "
                                  f"({type(exc).__name__}: {exc})") from exc
        if stats.ndim == 1:
            stats = stats[:, None]
        if stats.shape[0] != len(predictions):
            raise CannotRecompute(f"{self.name!r}: statistics have {stats.shape[0]} rows for {len(predictions)} "
                                  "examples")
        return stats

    def resample(self, stats: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """The metric on each weighted set of examples: counts is (b × n), how often each example is drawn."""
        return np.asarray(self.reduce(np.asarray(counts, dtype=float) @ stats), dtype=float)

    def corpus(self, stats: np.ndarray) -> float:
        """The metric over every example once (what the job reported)."""
        return float(self.resample(stats, np.ones((1, len(stats))))[0])

    def oriented(self, values):
        """Values turned so that larger is better."""
        return np.asarray(values, dtype=float) * (1.0 if self.higher_is_better else -1.0)

    def clip(self, values):
        """Keep values inside the metric's range (guards interpolation and floating-point noise)."""
        if self.range is None:
            return np.asarray(values, dtype=float)
        return np.clip(np.asarray(values, dtype=float), *self.range)


def safe_div(a, b):
    """a / b, 0 where b is 0 (an empty denominator scores 0, as scikit-learn's zero_division=0 does)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)


def mean_spec(name: str, per_example: Callable[..., list], *, scale: str = "unit", higher_is_better: bool = True,
              description: str = "") -> MetricSpec:
    """A metric that is the mean of a per-example score (SQuAD EM/F1, ROUGE, squared error)."""
    def statistics(predictions, references, **context):
        values = np.asarray(per_example(predictions, references, **context), dtype=float)
        return np.column_stack([values, np.ones_like(values)])
    return MetricSpec(name, higher_is_better, scale, statistics, lambda s: safe_div(s[:, 0], s[:, 1]), description)


class RankCorrelation(MetricSpec):
    """Spearman's rho: Pearson's correlation of (average-tie) ranks, which are not sums of per-example values.

    Resampling with example counts w: the rank of a value is the weight of the examples below it plus half of its
    own tie group's weight (+1/2), exactly what ranking the expanded resample with ties averaged gives.
    """

    def resample(self, stats: np.ndarray, counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts, dtype=float)
        rp, rr = _weighted_ranks(stats[:, 0], counts), _weighted_ranks(stats[:, 1], counts)
        return weighted_pearson(rp, rr, counts)


def _weighted_ranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    _, starts, group = np.unique(values[order], return_index=True, return_inverse=True)
    group_weight = np.add.reduceat(counts[:, order], starts, axis=1)          # (b × groups)
    below = np.cumsum(group_weight, axis=1) - group_weight
    group_rank = below + (group_weight + 1) / 2
    ranks = np.empty_like(counts)
    ranks[:, order] = group_rank[:, group]
    return ranks


def weighted_pearson(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pearson's r per row of (b × n) values with (b × n) example counts; 0 where either side is constant."""
    n = counts.sum(axis=1, keepdims=True)
    mx, my = (counts * x).sum(axis=1, keepdims=True) / n, (counts * y).sum(axis=1, keepdims=True) / n
    dx, dy = x - mx, y - my
    cov = (counts * dx * dy).sum(axis=1)
    var = (counts * dx * dx).sum(axis=1) * (counts * dy * dy).sum(axis=1)
    return safe_div(cov, np.sqrt(np.clip(var, 0, None)))
