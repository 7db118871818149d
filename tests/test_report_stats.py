"""Pareto fronts and percentile intervals of harness.report.stats."""
from __future__ import annotations

import numpy as np
import pytest

from harness.report.stats import pareto_front, percentile_interval


def test_pareto_front():
    # columns: score (max), throughput (max)
    values = np.array([[0.9, 100], [0.8, 300], [0.7, 200], [0.9, 50], [np.nan, 1000], [0.6, 300]])
    assert pareto_front(values, [True, True]).tolist() == [True, True, False, False, False, False]
    # memory: lower is better
    values = np.array([[0.9, 8.0], [0.8, 4.0], [0.85, 9.0], [0.8, 4.0]])
    assert pareto_front(values, [True, False]).tolist() == [True, True, False, True]
    assert pareto_front(np.zeros((0, 2)), [True, True]).tolist() == []


def test_percentile_interval():
    assert percentile_interval(np.arange(101.0)) == pytest.approx((2.5, 97.5))
    assert percentile_interval(np.arange(101.0), 0.5) == pytest.approx((25.0, 75.0))
