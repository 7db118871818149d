"""SQuAD v2.0 exact match and F1 with unanswerable questions, computed as the official evaluate-v2.0.py does.

A prediction of None is "no answer": it scores 1 on a question without gold answers and 0 on one with any. A string
is scored against the gold answers that normalise to something, or against the empty string when none does (so an
answer that normalises to nothing is right exactly where no gold answer is left). Normalisation is
v1.1's (lower case, punctuation and a/an/the removed, whitespace collapsed); F1 of two answers one of which has no
tokens is 1 when both have none, else 0. The figures are percentages over all questions, and over the answerable
(`HasAns_`) and unanswerable (`NoAns_`) ones, each part present only when the split holds such questions.

The no-answer threshold: a model gives each question a no-answer score (here the null span's score minus the best
span's); the question is answered with its best span when that score is at most the threshold, else left
unanswered (None).
`best_threshold` is the official script's search (`find_best_thresh`) for the threshold that maximises a metric.
"""
from __future__ import annotations

from collections import Counter

from harness.metrics.qa import normalize_answer

V2_PARTS = ("HasAns", "NoAns")
V2_METRICS = tuple(f"{part}_{metric}" for part in V2_PARTS for metric in ("exact", "f1"))


def gold_answers(truths: list[str]) -> list[str]:
    """The gold answers the official script scores against: those that normalise to something, else ['']."""
    return [t for t in truths if normalize_answer(t)] or [""]


def has_answer(truths: list[str]) -> bool:
    """Answerable as the official script counts it: the question lists any gold answer."""
    return bool(truths)


def _tokens(text: str) -> list[str]:
    return normalize_answer(text).split() if text else []


def compute_exact(gold: str, prediction: str) -> int:
    return int(normalize_answer(gold) == normalize_answer(prediction))


def compute_f1(gold: str, prediction: str) -> float:
    gold_tokens, prediction_tokens = _tokens(gold), _tokens(prediction)
    if not gold_tokens or not prediction_tokens:
        return float(gold_tokens == prediction_tokens)      # no answer on either side: right only if on both
    same = sum((Counter(gold_tokens) & Counter(prediction_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(prediction_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def question_scores(prediction: str | None, truths: list[str]) -> tuple[float, float]:
    """(exact, f1) of one prediction, each the maximum over the question's gold answers (0 or 1 scale); None (no
    answer) scores as the official script scores a question left unanswered by the threshold."""
    if prediction is None:
        right = float(not has_answer(truths))
        return right, right
    golds = gold_answers(list(truths))
    return (float(max(compute_exact(g, prediction) for g in golds)),
            max(compute_f1(g, prediction) for g in golds))


def squad_v2_metrics(predictions: list[str | None], references: list[list[str]]) -> dict[str, float]:
    """exact_match and f1 over all questions, plus HasAns_/NoAns_ exact and f1, in percent."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions")
    if not predictions:
        return {"exact_match": 0.0, "f1": 0.0}
    scores = [question_scores(p, truths) for p, truths in zip(predictions, references)]
    answerable = [has_answer(truths) for truths in references]
    metrics = _means(scores, [True] * len(scores), "exact_match", "f1")
    for part, wanted in zip(V2_PARTS, (True, False)):
        if wanted in answerable:
            metrics.update(_means(scores, [a == wanted for a in answerable], f"{part}_exact", f"{part}_f1"))
    return metrics


def _means(scores, members: list[bool], exact_name: str, f1_name: str) -> dict[str, float]:
    chosen = [s for s, member in zip(scores, members) if member]
    return {exact_name: 100.0 * sum(e for e, _ in chosen) / len(chosen),
            f1_name: 100.0 * sum(f for _, f in chosen) / len(chosen)}


def apply_threshold(predictions: list[str | None], no_answer_scores: list[float],
                    threshold: float) -> list[str | None]:
    """Each best-span prediction, or None (no answer) where the no-answer score exceeds the threshold."""
    return [None if score > threshold else p for p, score in zip(predictions, no_answer_scores)]


def best_threshold(predictions: list[str | None], references: list[list[str]], no_answer_scores: list[float],
                   metric: str = "f1") -> tuple[float, float]:
    """(best score in percent, threshold): the official find_best_thresh over `metric` ('exact' or 'f1').

    Starting from every question left unanswered, questions are answered in increasing order of no-answer score;
    each answered question changes the total by its score (answerable) or by its score - 1 (unanswerable: leaving it
    unanswered was worth 1). The threshold is the no-answer score where the total peaks (-inf: leave every question
    unanswered). Two departures from the official loop, both so that the returned score is always what applying the
    threshold gives: a total is only read at the end of a group of equal no-answer scores (one threshold answers all
    of them), and an unanswerable question's change is its score - 1 where the official loop takes -1 for any
    non-empty prediction (a prediction such as "the" normalises to nothing and scores 1 there).
    """
    if not predictions:
        return 0.0, float("-inf")
    column = 0 if metric == "exact" else 1
    current = best = float(sum(not has_answer(truths) for truths in references))
    threshold = float("-inf")
    order = sorted(range(len(predictions)), key=lambda i: no_answer_scores[i])
    for position, i in enumerate(order):
        current += question_scores(predictions[i], references[i])[column] - (not has_answer(references[i]))
        last_of_group = position + 1 == len(order) or no_answer_scores[order[position + 1]] != no_answer_scores[i]
        if last_of_group and current > best:
            best, threshold = current, float(no_answer_scores[i])
    return 100.0 * best / len(predictions), threshold


# --- specs: every v2 figure is a mean of per-question scores over a subset of the questions -------------------------
def v2_statistics(part: str | None, metric: str):
    """Per-question (score in percent × member, member) for all questions (part None) or the HasAns / NoAns part."""
    import numpy as np

    column = 0 if metric == "exact" else 1

    def statistics(predictions, references, **_):
        rows = []
        for prediction, truths in zip(predictions, references):
            member = part is None or has_answer(list(truths)) == (part == "HasAns")
            prediction = None if prediction is None else str(prediction)
            rows.append((100.0 * question_scores(prediction, list(truths))[column] * member, float(member)))
        return np.asarray(rows, dtype=float).reshape(-1, 2)
    return statistics


def v2_spec(name: str):
    """The MetricSpec of HasAns_exact, HasAns_f1, NoAns_exact or NoAns_f1."""
    from harness.metrics.spec import MetricSpec, safe_div

    part, _, metric = name.partition("_")
    if part not in V2_PARTS or metric not in ("exact", "f1"):
        raise KeyError(name)
    return MetricSpec(name, True, "percent", v2_statistics(part, metric), lambda s: safe_div(s[:, 0], s[:, 1]))
