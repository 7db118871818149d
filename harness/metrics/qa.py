"""SQuAD v1.1 exact match and F1, computed exactly as the official evaluate-v1.1.py does (v2.0: squad_v2.py).

Answers are normalised (lower case, punctuation removed, articles a/an/the removed, whitespace collapsed); each
question scores the maximum over its gold answers; both figures are percentages (0-100) like the official script.
"""
from __future__ import annotations

import re
import string
from collections import Counter

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match_score(prediction: str, ground_truth: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def f1_score(prediction: str, ground_truth: str) -> float:
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def max_over_ground_truths(metric_fn, prediction: str, ground_truths: list[str]) -> float:
    return max(metric_fn(prediction, truth) for truth in ground_truths)


def squad_metrics(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """Mean exact match and F1 (percent) of one predicted string per question against its gold answers."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions")
    exact = f1 = 0.0
    total = 0
    for prediction, truths in zip(predictions, references):
        total += 1
        if not truths:          # the official script skips nothing, but a question without gold cannot score
            continue
        exact += max_over_ground_truths(exact_match_score, prediction, truths)
        f1 += max_over_ground_truths(f1_score, prediction, truths)
    if total == 0:
        return {"exact_match": 0.0, "f1": 0.0}
    return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}


# --- specs: SQuAD figures are means of per-question scores ----------------------------------------------------------
# exact_match and f1 of a task with unanswerable questions are SQuAD v2.0's (harness.metrics.squad_v2): its
# predictions are stored with the context {"no_answer": true}, which the statistics follow.
QA_METRICS = ("exact_match", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1")


def _per_question(score, v2_metric: str):
    def values(predictions, references, no_answer: bool = False, **_):
        if no_answer:
            from harness.metrics.squad_v2 import v2_statistics
            return v2_statistics(None, v2_metric)(predictions, references)[:, 0]
        return [100.0 * max((float(score(str(p), t)) for t in truths), default=0.0)
                for p, truths in zip(predictions, references)]
    return values


def qa_spec(metric: str):
    from harness.metrics.spec import mean_spec
    from harness.metrics.squad_v2 import v2_spec

    if metric not in QA_METRICS:
        raise KeyError(metric)
    if metric not in ("exact_match", "f1"):
        return v2_spec(metric)
    if metric == "exact_match":
        return mean_spec(metric, _per_question(exact_match_score, "exact"), scale="percent")
    return mean_spec(metric, _per_question(f1_score, "f1"), scale="percent")
