"""Chinese extractive question answering (CMRC 2018): SQuAD-style spans, scored as the official CMRC 2018 script.

Reading, windowing, the heads and span decoding are extractive QA's (harness.kinds.extractive_qa); only the scoring
differs. SQuAD's normalisation splits answers on whitespace, which Chinese text does not have, so a whole answer
would be one token; CMRC's script segments Chinese characters one by one instead (harness.metrics.cmrc).
"""
from __future__ import annotations

from dataclasses import replace

from harness.kinds.base import EvalContext, Evaluation
from harness.kinds.extractive_qa import ExtractiveQAKind
from harness.metrics.cmrc import CMRC_METRICS, cmrc_metrics, cmrc_spec


class ChineseExtractiveQAKind(ExtractiveQAKind):
    name = "extractive_qa_zh"
    metric_specs = {m: cmrc_spec(m) for m in CMRC_METRICS}

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        spans = super().evaluate(ctx)
        return replace(spans, metrics=cmrc_metrics(spans.predictions, spans.references))

    def score_generated(self, ctx: EvalContext, answers: list, section: dict) -> Evaluation:
        """Answers generated without training (tuning none / icl:K), scored as the official CMRC 2018 script."""
        generated = super().score_generated(ctx, answers, section)
        return replace(generated, metrics=cmrc_metrics(generated.predictions, generated.references))
