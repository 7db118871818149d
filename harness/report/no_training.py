"""Entries that train nothing (tuning `none`: the pretrained model as it is; `icl:K`: K examples in the prompt).

Such an entry is a real option with a training cost of zero, not an entry with a cost missing: the cost table says
"no training" where a throughput would be, and the speed Pareto front, its plot and `harness select` count its
training throughput as unbounded (no entry trains faster than one that need not train). Its evaluation latency and
memory are measured like any other job's and compared as they are.
"""
from __future__ import annotations

import math
import sys

import numpy as np

NO_TRAINING = "no training"
# Sort key of a "no training" throughput cell: above every measured figure. A finite number, so that the HTML
# tables' sort script (Number()) reads it: "inf" would sort as text.
SORT_ABOVE_ALL = sys.float_info.max


def trains_nothing(tuning) -> bool:
    """Whether an entry of this tuning strategy trains no parameter: `none` and `icl:K`. (`saved`, the tuning of
    `harness eval`, evaluates a model that was trained elsewhere at a cost the record does not know.)"""
    from harness.tuning import is_prompted

    return isinstance(tuning, str) and is_prompted(tuning)


def training_throughput(frame, column: str = "train_samples_per_s") -> np.ndarray:
    """A frame's training throughput per row, +inf where the row's tuning trains nothing (its figure is absent)."""
    values = frame[column].to_numpy(dtype=float).copy()
    untrained = np.array([trains_nothing(t) for t in frame["tuning"]], dtype=bool)
    values[untrained] = math.inf
    return values


def score_and_throughput(overall) -> np.ndarray:
    """The two axes of the speed Pareto front, one row per entry: overall score, training throughput (+inf: no
    training)."""
    return np.column_stack([overall["score"].to_numpy(dtype=float), training_throughput(overall)])


def untrained_throughput(value) -> bool:
    """A throughput figure that stands for "no training" (+inf, as training_throughput gives it)."""
    try:
        return math.isinf(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        return False
