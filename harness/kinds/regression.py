"""Regression on sentence pairs (semantic similarity, e.g. STS-B): one real-valued score per example."""
from __future__ import annotations

import math

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation
from harness.kinds.classification import SequenceKind
from harness.metrics.classification import REGRESSION_SPECS, regression_metrics
from harness.tasks.card import TaskCard


class RegressionKind(SequenceKind):
    name = "regression"
    metric_specs = REGRESSION_SPECS
    num_labels_override = 1
    problem_type = "regression"

    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        batch["label"] = [_score(value, where) for value in batch["label"]]
        return batch

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        predictions = [round(x, 5) for x in self.logits(ctx).squeeze(-1).tolist()]
        references = list(ctx.rows["label"])
        return Evaluation(regression_metrics(predictions, references), predictions, references)


def _score(value, where: str) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: score {value!r} is not a number", hint="similarity labels must be numbers") from None
    if not math.isfinite(score):        # a NaN or infinite target makes the loss NaN: a "divergence" in every job
        raise UserError(f"{where}: score {value!r} is not a finite number", hint="similarity labels must be finite")
    return score
