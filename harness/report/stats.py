"""Small statistics every table, plot and selection shares: percentile intervals and Pareto fronts.

Intervals come from the two-level bootstrap of harness.report.resample; tests of differences from
harness.report.significance.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

CONFIDENCE = 0.95


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    samples = np.asarray(samples, dtype=float)
    # np.percentile is many times faster than nanpercentile; resampled values are NaN only in odd corner cases
    percentile = np.nanpercentile if np.isnan(samples).any() else np.percentile
    low, high = percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def pareto_front(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """Boolean mask of the rows no other row dominates (at least as good everywhere, strictly better somewhere).

    Rows with a missing value are never on the front. Identical rows are all on it.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or len(v) == 0:
        return np.zeros(len(v), dtype=bool)
    signs = np.where(np.asarray(maximize, dtype=bool), 1.0, -1.0)
    v = v * signs                                   # now larger is better in every column
    valid = ~np.isnan(v).any(axis=1)
    front = valid.copy()
    for i in np.flatnonzero(valid):
        others = v[valid]
        dominated = np.any(np.all(others >= v[i], axis=1) & np.any(others > v[i], axis=1))
        front[i] = not dominated
    return front

