"""Regression on sentence pairs (semantic similarity, e.g. STS-B): one real-valued score per example."""
from __future__ import annotations

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation
from harness.kinds.classification import SequenceKind
from harness.tasks.card import TaskCard


class RegressionKind(SequenceKind):
    name = "regression"
    metric_names = ("pearson", "spearman", "mse")
    lower_is_better = frozenset({"mse"})
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
        return float(value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: score {value!r} is not a number", hint="similarity labels must be numbers") from None


def regression_metrics(predictions: list[float], references: list[float]) -> dict[str, float]:
    import numpy as np
    from scipy.stats import pearsonr, spearmanr

    p, r = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
    constant = p.std() == 0 or r.std() == 0      # correlation is undefined; report 0 rather than NaN
    return {
        "pearson": 0.0 if constant else float(pearsonr(p, r)[0]),
        "spearman": 0.0 if constant else float(spearmanr(p, r)[0]),
        "mse": float(((p - r) ** 2).mean()),
    }
