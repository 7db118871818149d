"""Differences between entries, tested the way they were measured.

- Two entries evaluated on the same test examples are compared on the *paired* resamples of
  harness.report.resample (same example counts, and the same seed draws when both ran the same seeds): the
  difference's 95 % interval is the percentile interval of the per-resample differences, and the two-sided p-value
  is twice the smaller tail, 2·min(P(d ≤ 0), P(d ≥ 0)), with the usual +1 correction so it is never 0.
- Accuracy of two single-seed entries on the same examples uses McNemar's exact test on the discordant pairs.
- Entries evaluated on different examples (or without stored predictions) are compared on independent resamples
  (unpaired), and say so.
- A table that marks many comparisons at once controls the family-wise error with Holm's step-down correction.
- The probability that an entry is the best is the share of resamples in which it is (ties shared).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.metrics.spec import MetricSpec
from harness.report.resample import EXAMPLES, CellDraws
from harness.report.stats import CONFIDENCE, percentile_interval

ALPHA = 1 - CONFIDENCE

PAIRED_EXAMPLES_AND_SEEDS = "paired bootstrap (examples and seeds)"
PAIRED_EXAMPLES = "paired bootstrap (examples)"
MCNEMAR = "McNemar exact"
UNPAIRED = "unpaired bootstrap"


@dataclass(frozen=True)
class Difference:
    delta: float                       # entry minus reference, in the metric's units
    low: float | None                  # 95 % interval of the difference
    high: float | None
    p: float | None                    # two-sided p-value (None: cannot be tested)
    test: str | None


def difference(spec: MetricSpec, entry: CellDraws, entry_mean: float, reference: CellDraws,
               reference_mean: float) -> Difference:
    """Entry vs reference on one task."""
    delta = float(entry_mean - reference_mean)
    if entry.values is None or reference.values is None:
        return Difference(delta, None, None, None, None)
    diffs = entry.values - reference.values
    low, high = percentile_interval(diffs, CONFIDENCE)
    paired = entry.group is not None and entry.group == reference.group
    if not paired:
        return Difference(delta, low, high, bootstrap_p(diffs), UNPAIRED)
    if spec.name == "accuracy" and entry.method == EXAMPLES and reference.method == EXAMPLES:
        (pred_a, refs), = entry.stored.values()
        (pred_b, _), = reference.stored.values()
        return Difference(delta, low, high, mcnemar_exact(pred_a, pred_b, refs), MCNEMAR)
    test = PAIRED_EXAMPLES_AND_SEEDS if entry.seeds == reference.seeds and len(entry.seeds) > 1 else PAIRED_EXAMPLES
    return Difference(delta, low, high, bootstrap_p(diffs), test)


def bootstrap_p(diffs: np.ndarray) -> float:
    """Two-sided p-value of 'no difference' from resampled differences."""
    diffs = np.asarray(diffs, dtype=float)
    b = len(diffs)
    below, above = int((diffs <= 0).sum()), int((diffs >= 0).sum())
    return float(min(1.0, 2 * (min(below, above) + 1) / (b + 1)))


def mcnemar_exact(pred_a: list, pred_b: list, references: list) -> float:
    """McNemar's exact (binomial) test: among examples exactly one entry gets right, is either side more likely?"""
    a_only = sum(1 for a, b, r in zip(pred_a, pred_b, references) if a == r and b != r)
    b_only = sum(1 for a, b, r in zip(pred_a, pred_b, references) if b == r and a != r)
    n = a_only + b_only
    if n == 0:
        return 1.0
    k = min(a_only, b_only)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0 ** n
    return float(min(1.0, 2 * tail))


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None and does not count in the family)."""
    known = [(p, i) for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    adjusted: list[float | None] = [None] * len(pvalues)
    m, running = len(known), 0.0
    for rank, (p, i) in enumerate(sorted(known)):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def probability_best(spec: MetricSpec, draws: dict) -> dict:
    """key -> share of resamples in which that cell is the best (ties shared); cells without values: None."""
    out = {k: None for k in draws}
    out.update(best_shares({k: spec.oriented(d.values) for k, d in draws.items() if d.values is not None}))
    return out


def best_shares(vectors: dict) -> dict:
    """key -> share of resamples in which its value (larger is better) is the largest, ties shared."""
    if not vectors:
        return {}
    values = np.vstack(list(vectors.values()))                     # (candidates × B)
    top = values.max(axis=0)
    winners = values >= top - 1e-12 * np.maximum(1.0, np.abs(top))
    shares = (winners / winners.sum(axis=0)).mean(axis=1)
    return {k: float(s) for k, s in zip(vectors, shares)}
