"""Putting every task's primary metric on one 0-1 scale so that an overall score can average them.

Rule, per task (the report prints which one each task used):
- metrics on a fixed 0-1 scale where 1 is perfect (accuracy, F1, MCC, Pearson/Spearman, ROUGE, seqeval F1)
  are used as they are;
- metrics on a fixed 0-100 scale (SQuAD F1 / exact match, BLEU, chrF) are divided by 100;
- anything else (lower-is-better metrics such as MSE, or a plugin's metric of unknown range) is min-max scaled
  across the entries of that run: best entry 1, worst 0 (all equal: 1). Such scores are relative to the entries
  compared, so they change when entries are added; the report flags them.
A fixed scale keeps a task's weight in the overall score independent of which other models were run, and does not
blow small differences up to 0-vs-1 as min-max does; it is the GLUE convention (which averages raw scores).
Correlations and MCC can fall below 0; they are not clipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UNIT = {
    "classification": {"accuracy", "f1", "macro_f1", "precision", "recall", "mcc"},
    "regression": {"pearson", "spearman"},
    "token_classification": {"f1", "precision", "recall", "accuracy"},
    "seq2seq": {"rouge1", "rouge2", "rougeL", "rougeLsum"},
}
PERCENT = {
    "extractive_qa": {"f1", "exact_match"},
    "seq2seq": {"bleu", "chrf"},
}
SIGNED = {"pearson", "spearman", "mcc"}          # these range over [-1, 1]


def metric_range(kind: str, metric: str) -> tuple[float, float] | None:
    """The values a metric can take, where the harness knows them (plots clip intervals to it)."""
    if metric in UNIT.get(kind, ()):
        return (-1.0, 1.0) if metric in SIGNED else (0.0, 1.0)
    if metric in PERCENT.get(kind, ()):
        return 0.0, 100.0
    return None


@dataclass(frozen=True)
class Scale:
    method: str            # "unit" | "percent" | "minmax"
    offset: float          # normalized = (value - offset) * factor
    factor: float          # negative for lower-is-better metrics
    assumed: bool = False  # range guessed from the values (metric unknown to the harness)

    def apply(self, values):
        return (np.asarray(values, dtype=float) - self.offset) * self.factor

    def width(self, half_width):
        """A distance on the metric's scale (interval half width) on the normalized scale."""
        return np.asarray(half_width, dtype=float) * abs(self.factor)

    def describe(self, metric: str) -> str:
        if self.method == "unit":
            scale = "1 = perfect, can be negative" if metric in SIGNED else "0–1 scale"
            return f"{metric} as is ({scale})" + (" — range assumed from the values" if self.assumed else "")
        if self.method == "percent":
            return f"{metric} ÷ 100" + (" — 0–100 range assumed from the values" if self.assumed else "")
        direction = "lower is better, so " if self.factor < 0 else ""
        return f"{metric} min-max across entries ({direction}best = 1, worst = 0; relative to this run)"


def scale_for(kind: str, metric: str, higher_is_better: bool, values) -> Scale:
    """The normalization of one task, given the entries' mean scores on it."""
    values = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if higher_is_better:
        if metric in UNIT.get(kind, ()):
            return Scale("unit", 0.0, 1.0)
        if metric in PERCENT.get(kind, ()):
            return Scale("percent", 0.0, 0.01)
        if len(values) and np.all((values >= -1) & (values <= 1)):
            return Scale("unit", 0.0, 1.0, assumed=True)
        if len(values) and np.all((values >= 0) & (values <= 100)):
            return Scale("percent", 0.0, 0.01, assumed=True)
    if not len(values):
        return Scale("minmax", 0.0, 1.0)
    best = values.max() if higher_is_better else values.min()
    worst = values.min() if higher_is_better else values.max()
    if best == worst:
        return Scale("minmax", best - 1.0, 1.0)          # everyone is "best": normalized 1
    return Scale("minmax", worst, 1.0 / (best - worst))
