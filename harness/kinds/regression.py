"""Regression on sentence pairs (semantic similarity, e.g. STS-B): one real-valued score per example."""
from __future__ import annotations

import math

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation
from harness.kinds.classification import SequenceKind, check_prompt_fields
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

    def check_card(self, card: TaskCard) -> None:
        super().check_card(card)
        check_prompt_fields(card, ("text", "text_pair"))

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        predictions = [round(x, 5) for x in self.logits(ctx).squeeze(-1).tolist()]
        references = list(ctx.rows["label"])
        return Evaluation(regression_metrics(predictions, references), predictions, references)

    # --- without training (tuning none / icl:K) -------------------------------------------------------------
    # Encoders: the cosine of mean-pooled embeddings (harness.kinds.embedding_similarity); decoders and
    # encoder-decoders: a prompt asking for the score, and the number in the answer (harness.kinds.score_prompt).
    def prompted_model(self, card: TaskCard, spec, tokenizer):
        if spec.architecture == "encoder":
            from harness.kinds.embedding_similarity import embedding_model
            return embedding_model(spec)
        from harness.kinds.prompted_generation import generator_model
        return generator_model(spec, tokenizer)

    def evaluate_prompted(self, ctx: EvalContext, prompting) -> Evaluation:
        predictions, section = _prompted_method(ctx).predict(ctx, prompting)
        references = list(ctx.rows["label"])
        return Evaluation(regression_metrics(predictions, references), predictions, references,
                          record_sections={"prompting": section})

    def prompted_request(self, ctx: EvalContext, prompting, index: int):
        return _prompted_method(ctx).request(ctx, prompting, index)


def _prompted_method(ctx: EvalContext):
    if ctx.spec.architecture == "encoder":
        from harness.kinds import embedding_similarity
        return embedding_similarity
    from harness.kinds import score_prompt
    return score_prompt


def _score(value, where: str) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: score {value!r} is not a number", hint="similarity labels must be numbers") from None
    if not math.isfinite(score):        # a NaN or infinite target makes the loss NaN: a "divergence" in every job
        raise UserError(f"{where}: score {value!r} is not a finite number", hint="similarity labels must be finite")
    return score
