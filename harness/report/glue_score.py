"""The GLUE score: the one number the GLUE paper (Wang et al., 2018) and its leaderboard give a model, computed from
a run's records, and the report section that shows it next to the harness's own overall score.

As GLUE computes it: each task scores the mean of its metrics, in points (0-100) — MRPC and QQP the mean of F1 and
accuracy, STS-B of Pearson and Spearman, CoLA Matthews correlation × 100, the others accuracy — and the GLUE score is
the unweighted mean over the nine tasks. MNLI is one task whose score is the mean of its matched and mismatched
accuracies: that is how the leaderboard's own rows add up (BERT-base: 78.3, the human baseline: 87.1; counting
MNLI-m and MNLI-mm as two tasks gives 78.9 and 87.6). The diagnostic set (AX) has no labels and no part in it.
"""
from __future__ import annotations

import math

from harness.report import format as fmt
from harness.report.aggregate import Leaderboard
from harness.report.tables import Cell, Table, number, text

# GLUE task -> (the cards it is computed from, the metrics averaged)
GLUE_TASKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CoLA": (("cola",), ("mcc",)),
    "SST-2": (("sst2",), ("accuracy",)),
    "MRPC": (("mrpc",), ("f1", "accuracy")),
    "STS-B": (("stsb",), ("pearson", "spearman")),
    "QQP": (("qqp",), ("f1", "accuracy")),
    "MNLI": (("mnli_matched", "mnli_mismatched"), ("accuracy",)),
    "QNLI": (("qnli",), ("accuracy",)),
    "RTE": (("rte",), ("accuracy",)),
    "WNLI": (("wnli",), ("accuracy",)),
}
GLUE_CARDS = tuple(card for cards, _ in GLUE_TASKS.values() for card in cards)
LEADERBOARD = "glue"


def task_scores(metrics: dict[str, dict[str, float]]) -> dict[str, float | None]:
    """Per GLUE task its score in points, from each card's metrics (fractions, as the harness records them); None
    where a card or a metric is missing."""
    out: dict[str, float | None] = {}
    for task, (cards, names) in GLUE_TASKS.items():
        values = [metrics.get(card, {}).get(name) for card in cards for name in names]
        known = all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
        out[task] = 100 * sum(values) / len(values) if known else None
    return out


def glue_score(scores: dict[str, float | None]) -> float | None:
    """The unweighted mean over the nine tasks; None unless every task has a score."""
    values = [scores.get(task) for task in GLUE_TASKS]
    return None if any(v is None for v in values) else sum(values) / len(values)


def entry_metrics(lb: Leaderboard) -> dict[str, dict[str, dict[str, float]]]:
    """entry -> card -> metric -> mean over the seeds that finished ok (the grid point the leaderboard kept)."""
    frame = lb.run.frame
    kept = frame[(frame["status"] == "ok") & frame["task"].isin(GLUE_CARDS)]
    by_job = {r.get("job"): r.get("metrics") or {} for r in lb.run.records}
    sums: dict[tuple[str, str], list[dict]] = {}
    for entry, task, job in zip(kept["entry"], kept["task"], kept["job"]):
        sums.setdefault((entry, task), []).append(by_job.get(job, {}))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (entry, task), seeds in sums.items():
        names = {name for metrics in seeds for name in metrics}
        out.setdefault(entry, {})[task] = {
            name: sum(m[name] for m in seeds) / len(seeds) for name in names
            if all(isinstance(m.get(name), (int, float)) for m in seeds)}
    return out


def applies(lb: Leaderboard) -> bool:
    """A run of the `glue` leaderboard, or any run that asked for every GLUE card."""
    board = lb.run.info.get("leaderboard") if lb.run is not None else None
    return (isinstance(board, dict) and board.get("name") == LEADERBOARD) or set(GLUE_CARDS) <= set(lb.task_names)


def glue_table(lb: Leaderboard) -> Table | None:
    """Per entry its GLUE score and the nine task scores behind it, best first; None where the run is not GLUE."""
    if lb.run is None or not applies(lb):
        return None
    rows = []
    for entry, metrics in entry_metrics(lb).items():
        scores = task_scores(metrics)
        total, done = glue_score(scores), sum(v is not None for v in scores.values())
        shown = fmt.num(total, 1) if total is not None else f"– ({done}/{len(GLUE_TASKS)} tasks)"
        rows.append([text(entry), Cell(shown, sort=total, numeric=True)]
                    + [number(v, fmt.num(v, 1)) for v in scores.values()])
    rows.sort(key=lambda row: -row[1].sort if row[1].sort is not None else math.inf)
    if rows and rows[0][1].sort is not None:
        rows[0][1].best = True
    columns = ["entry", "GLUE score"] + [f"{task} ({'m/mm ' if len(cards) > 1 else ''}"
                                         f"{'/'.join(_short(n) for n in names)})"
                                         for task, (cards, names) in GLUE_TASKS.items()]
    return Table("glue", "GLUE score", columns, rows, intro=INTRO)


def _short(metric: str) -> str:
    return {"accuracy": "acc", "pearson": "P", "spearman": "S", "mcc": "MCC", "f1": "F1"}.get(metric, metric)


INTRO = [
    "GLUE score = the unweighted mean over GLUE's nine tasks of each task's score in points, as the GLUE paper and "
    "leaderboard compute it: a task with two metrics scores their mean (MRPC and QQP: F1 and accuracy; STS-B: "
    "Pearson and Spearman), CoLA scores Matthews correlation × 100, and MNLI is one task scoring the mean of its "
    "matched and mismatched accuracies. Task scores are means over seeds; an entry missing a task has no GLUE score.",
    "It differs from the overall score above, which averages only each card's primary metric (MRPC and QQP: F1; "
    "STS-B: Pearson), normalized to 0–1, over every task of the run an entry completed, with MNLI matched and "
    "mismatched as two tasks, and comes with intervals and tests. Both are computed on the "
    "official dev sets (reported as test here), not on GLUE's unlabelled test sets, so neither equals a GLUE "
    "leaderboard submission.",
]
