"""Putting every task's primary metric on one 0-1 scale so that an overall score can average them.

The rule comes from the metric's spec (harness.metrics.spec), which the task kind declares:
- `unit` (0-1, 1 = perfect: accuracy, F1, ROUGE) and `signed` (-1..1: correlations, MCC) are used as they are;
- `percent` (0-100: BLEU, chrF, SQuAD) is divided by 100;
- `unbounded` (errors such as MSE, or a metric without a fixed range) is min-max scaled across the entries of the
  run, best entry 1 and worst 0 (all equal: 1), oriented by the metric's direction. Such scores are relative to the
  entries compared, so they change when entries are added; the report flags them.
A fixed scale keeps a task's weight in the overall score independent of which other models were run, and does not
blow small differences up to 0-vs-1 as min-max does; it is the GLUE convention (which averages raw scores).
Correlations and MCC can fall below 0; they are not clipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.metrics.spec import SCALES, MetricSpec


def spec_for(kind: str, metric: str, higher_is_better: bool | None = None, scale: str | None = None) -> MetricSpec:
    """The metric's spec as its kind declares it; for a kind that is not installed, what the record says."""
    from harness.tasks.registry import load_kind

    try:
        return load_kind(str(kind)).metric_spec(str(metric))
    except Exception:  # noqa: BLE001 - a kind that is gone or broken must not break the report
        return MetricSpec(str(metric), higher_is_better is not False,
                          scale if scale in SCALES else "unbounded")


def metric_range(kind: str, metric: str) -> tuple[float, float] | None:
    """The values a metric can take, where its spec says (plots clip intervals to it)."""
    return spec_for(kind, metric).range


@dataclass(frozen=True)
class Scale:
    method: str            # "unit" | "percent" | "minmax"
    offset: float          # normalized = (value - offset) * factor
    factor: float          # negative for lower-is-better metrics

    def apply(self, values):
        return (np.asarray(values, dtype=float) - self.offset) * self.factor

    def describe(self, metric: str, signed: bool = False) -> str:
        flipped = self.factor < 0
        if self.method == "unit":
            if flipped:
                return f"{metric} turned over ({self.offset:g} − {metric}; lower is better)"
            return f"{metric} as is ({'1 = perfect, can be negative' if signed else '0–1 scale'})"
        if self.method == "percent":
            return f"(100 − {metric}) ÷ 100 (lower is better)" if flipped else f"{metric} ÷ 100"
        direction = "lower is better, so " if self.factor < 0 else ""
        return f"{metric} min-max across entries ({direction}best = 1, worst = 0; relative to this run)"


def scale_for(spec: MetricSpec, values) -> Scale:
    """The normalization of one task, given its metric's spec and the entries' mean scores on it."""
    if spec.scale in ("unit", "signed", "percent"):
        method, factor = ("percent", 0.01) if spec.scale == "percent" else ("unit", 1.0)
        if spec.higher_is_better:
            return Scale(method, 0.0, factor)
        return Scale(method, spec.range[1] if spec.scale != "signed" else 0.0, -factor)   # e.g. an error rate
    values = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if not len(values):
        return Scale("minmax", 0.0, 1.0)
    best = values.max() if spec.higher_is_better else values.min()
    worst = values.min() if spec.higher_is_better else values.max()
    if best == worst:
        return Scale("minmax", best - 1.0, 1.0)          # everyone is "best": normalized 1
    return Scale("minmax", worst, 1.0 / (best - worst))
