"""Metrics of generated text: sacreBLEU corpus BLEU and chrF (0-100), and ROUGE F-measures with rouge-score (0-1).

BLEU and chrF use sacreBLEU's defaults (BLEU: 13a tokenizer, exponential smoothing, corpus-level statistics; chrF:
character 6-grams, beta 2). ROUGE uses rouge-score's default tokenizer with the Porter stemmer; the per-example
F-measures are averaged. rougeLsum treats each line as a sentence (rouge-score splits on newlines), so both texts
first get one sentence per line: existing line breaks are kept and a break is added after ., ! or ? followed by
whitespace (a fixed rule, so the figure does not depend on which sentence splitter happens to be installed).
"""
from __future__ import annotations

import re

BLEU_METRICS = ("bleu", "chrf")
ROUGE_METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def bleu_chrf(predictions: list[str], references: list[str] | list[list[str]],
              which: tuple[str, ...] = BLEU_METRICS) -> dict[str, float]:
    """Corpus BLEU / chrF of predictions against one reference each (or several: a list per prediction)."""
    from sacrebleu.metrics import BLEU, CHRF

    streams = _reference_streams(predictions, references)
    out = {}
    if "bleu" in which:
        out["bleu"] = float(BLEU().corpus_score(predictions, streams).score)
    if "chrf" in which:
        out["chrf"] = float(CHRF().corpus_score(predictions, streams).score)
    return out


def _reference_streams(predictions: list[str], references) -> list[list[str]]:
    """sacreBLEU wants reference *streams*: stream k holds the k-th reference of every sentence."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    per_example = [[r] if isinstance(r, str) else list(r) for r in references]
    width = max((len(r) for r in per_example), default=1)
    if any(len(r) != width for r in per_example):
        raise ValueError("every prediction needs the same number of references")
    return [[refs[k] for refs in per_example] for k in range(width)]


def sentence_lines(text: str) -> str:
    """One sentence per line, for rougeLsum."""
    lines = []
    for line in text.splitlines():
        lines.extend(part for part in _SENTENCE_END.split(line.strip()) if part)
    return "\n".join(lines)


def rouge(predictions: list[str], references: list[str], which: tuple[str, ...] = ROUGE_METRICS) -> dict[str, float]:
    """Mean ROUGE F-measure per type over the examples (rouge-score, Porter stemming on)."""
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    types = [t for t in ROUGE_METRICS if t in which]
    if not types or not predictions:
        return {t: 0.0 for t in types}
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=True)
    totals = dict.fromkeys(types, 0.0)
    for prediction, reference in zip(predictions, references):
        if "rougeLsum" in types:
            prediction, reference = sentence_lines(prediction), sentence_lines(reference)
        scores = scorer.score(reference, prediction)
        for t in types:
            totals[t] += scores[t].fmeasure
    return {t: totals[t] / len(predictions) for t in types}


# --- specs ---------------------------------------------------------------------------------------------------------
# sacreBLEU computes its corpus scores from summed per-segment statistics but exposes that only through private
# methods, wrapped in harness.compat.
def sacrebleu_scorer(metric: str):
    from sacrebleu.metrics import BLEU, CHRF

    return BLEU() if metric == "bleu" else CHRF()


def sacrebleu_segment_statistics(metric: str, predictions: list[str], references) -> list[list[float]]:
    """One row of sacreBLEU's sufficient statistics (n-gram matches and totals, lengths) per segment."""
    from harness import compat

    streams = _reference_streams(predictions, references)
    return compat.sacrebleu_segment_statistics(sacrebleu_scorer(metric), [str(p) for p in predictions], streams)


def sacrebleu_score_from_statistics(metric: str, sums) -> float:
    from harness import compat

    return compat.sacrebleu_score_from_statistics(sacrebleu_scorer(metric), [int(round(x)) for x in sums])


def _sacrebleu_reduce(metric: str):
    def reduce(sums):
        import numpy as np

        return np.asarray([sacrebleu_score_from_statistics(metric, row) for row in sums])
    return reduce


def _rouge_values(metric: str):
    def values(predictions, references, **_):
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer([metric], use_stemmer=True)
        out = []
        for p, r in zip(predictions, references):
            p, r = str(p), str(r)
            if metric == "rougeLsum":
                p, r = sentence_lines(p), sentence_lines(r)
            out.append(scorer.score(r, p)[metric].fmeasure)
        return out
    return values


def generation_spec(metric: str):
    from harness.metrics.spec import MetricSpec, mean_spec

    if metric in BLEU_METRICS:
        return MetricSpec(metric, True, "percent",
                          lambda p, r, **_: sacrebleu_segment_statistics(metric, p, r), _sacrebleu_reduce(metric))
    if metric in ROUGE_METRICS:
        return mean_spec(metric, _rouge_values(metric), scale="unit")
    raise KeyError(metric)
