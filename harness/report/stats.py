"""Interval estimates and dominance: the statistics every table, plot and selection shares.

Two kinds of 95 % interval:
- over seeds (two or more seeds finished): Student's t-interval of the mean, mean ± t(0.975, n-1) · s / √n;
- over evaluation examples (exactly one seed): a percentile bootstrap that recomputes the primary metric on
  resamples of the stored per-example predictions (harness.report.resample).
Two results differ significantly here when their intervals do not overlap. That test is conservative (two
non-overlapping 95 % intervals imply p < 0.05, not the other way round); it is what a reader can check by eye.
"""
from __future__ import annotations

import functools
import math
from typing import Sequence

import numpy as np

CONFIDENCE = 0.95


@functools.lru_cache(maxsize=4096)
def _t_two_sided(dof: int, confidence: float) -> float:
    """t such that P(|T| < t) = confidence for Student's t with an integer number of degrees of freedom.

    Exact: for integer dof, P(|T| < √dof·tan θ) is a finite trigonometric sum in θ (Abramowitz & Stegun 26.7.3-4),
    which bisection inverts to machine precision. This keeps scipy.stats (seconds to import) out of reports.
    """
    def covered(theta: float) -> float:
        c2, s, c = math.cos(theta) ** 2, math.sin(theta), math.cos(theta)
        term = total = 1.0
        if dof % 2:
            if dof == 1:
                return 2 * theta / math.pi
            for k in range(1, (dof - 1) // 2):
                term *= 2 * k / (2 * k + 1) * c2
                total += term
            return 2 / math.pi * (theta + s * c * total)
        for k in range(1, dof // 2):
            term *= (2 * k - 1) / (2 * k) * c2
            total += term
        return s * total

    if dof > 2000:       # the sum grows with dof; the Cornish-Fisher expansion is exact to ~1e-12 here
        from statistics import NormalDist

        z, v = NormalDist().inv_cdf(0.5 + confidence / 2), float(dof)
        return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
                + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3))
    low, high = 0.0, math.pi / 2
    for _ in range(200):
        mid = (low + high) / 2
        if covered(mid) < confidence:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return math.sqrt(dof) * math.tan((low + high) / 2)


def t_quantile(dof, confidence: float = CONFIDENCE):
    """The two-sided critical value t(1 - (1-confidence)/2, dof); dof: an integer or an array of integers."""
    if np.ndim(dof) == 0:
        return _t_two_sided(int(dof), float(confidence))
    return np.array([_t_two_sided(int(d), float(confidence)) for d in np.asarray(dof).ravel()]).reshape(
        np.shape(dof))


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Two-sided t-interval of the mean; None with fewer than two values."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(x) < 2:
        return None
    mean, sem = x.mean(), x.std(ddof=1) / math.sqrt(len(x))
    half = float(t_quantile(len(x) - 1, confidence)) * sem
    return float(mean - half), float(mean + half)


def t_half_widths(std: np.ndarray, n: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """Vectorised half widths t · s / √n; NaN where n < 2."""
    std, n = np.asarray(std, dtype=float), np.asarray(n, dtype=float)
    out = np.full(std.shape, np.nan)
    ok = n >= 2
    out[ok] = t_quantile(n[ok] - 1, confidence) * std[ok] / np.sqrt(n[ok])
    return out


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool | None:
    """Whether two intervals overlap; None when either is unknown (significance cannot be judged)."""
    if a is None or b is None or any(_missing(v) for v in (*a, *b)):
        return None
    return a[0] <= b[1] and b[0] <= a[1]


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


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
