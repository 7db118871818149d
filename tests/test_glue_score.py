"""The GLUE score as the GLUE paper and leaderboard compute it, and the report section that shows it."""
from __future__ import annotations

import pytest

from harness.report import write_report
from harness.report.glue_score import GLUE_TASKS, glue_score, task_scores
from harness.report.synthetic import record, write_run

# Published GLUE leaderboard rows (test-server figures, in points): BERT-base (score 78.3) and the human baseline
# (Nangia & Bowman, 2019: score 87.1). Each figure is rounded to 0.1, so the score they give is within 0.05.
BERT_BASE = {"cola": {"mcc": 52.1}, "sst2": {"accuracy": 93.5}, "mrpc": {"f1": 88.9, "accuracy": 84.8},
             "stsb": {"pearson": 87.1, "spearman": 85.8}, "qqp": {"f1": 71.2, "accuracy": 89.2},
             "mnli_matched": {"accuracy": 84.6}, "mnli_mismatched": {"accuracy": 83.4}, "qnli": {"accuracy": 90.5},
             "rte": {"accuracy": 66.4}, "wnli": {"accuracy": 65.1}}
HUMAN = {"cola": {"mcc": 66.4}, "sst2": {"accuracy": 97.8}, "mrpc": {"f1": 86.3, "accuracy": 80.8},
         "stsb": {"pearson": 92.7, "spearman": 92.6}, "qqp": {"f1": 59.5, "accuracy": 80.4},
         "mnli_matched": {"accuracy": 92.0}, "mnli_mismatched": {"accuracy": 92.8}, "qnli": {"accuracy": 91.2},
         "rte": {"accuracy": 93.6}, "wnli": {"accuracy": 95.9}}


def _fractions(row):
    return {card: {name: value / 100 for name, value in metrics.items()} for card, metrics in row.items()}


@pytest.mark.parametrize("row, published", [(BERT_BASE, 78.3), (HUMAN, 87.1)])
def test_the_leaderboards_own_rows_add_up(row, published):
    scores = task_scores(_fractions(row))
    assert len(scores) == 9 and scores["MRPC"] == pytest.approx((88.9 + 84.8) / 2 if row is BERT_BASE else 83.55)
    assert abs(glue_score(scores) - published) <= 0.05 + 1e-9
    # counting MNLI matched and mismatched as two tasks would not reproduce the published score
    ten = [v for k, v in scores.items() if k != "MNLI"] + [row["mnli_matched"]["accuracy"],
                                                           row["mnli_mismatched"]["accuracy"]]
    assert abs(sum(ten) / len(ten) - published) > 0.4


def test_a_missing_task_or_metric_leaves_no_score():
    metrics = _fractions(BERT_BASE)
    del metrics["mnli_mismatched"]
    scores = task_scores(metrics)
    assert scores["MNLI"] is None and glue_score(scores) is None
    metrics = _fractions(BERT_BASE)
    metrics["qqp"].pop("accuracy")
    assert task_scores(metrics)["QQP"] is None


def _records(model, row, seeds=(0, 1), skip=()):
    out = []
    for card, metrics in row.items():
        if card in skip:
            continue
        primary = next(iter(metrics))
        task = (card, "similarity" if card == "stsb" else "classification",
                "regression" if card == "stsb" else "classification", primary, True)
        for seed in seeds:
            # seed 1 scores one point lower on every metric: the table shows the mean over seeds
            values = {name: (v - seed) / 100 for name, v in metrics.items()}
            r = record(model, task, seed, score=values[primary])
            r["metrics"] = values
            out.append(r)
    return out


def test_a_glue_run_reports_the_glue_score_beside_the_overall_score(tmp_path):
    records = _records("bert", BERT_BASE) + _records("partial", HUMAN, skip=("wnli",))
    write_run(tmp_path, records, info={"leaderboard": {"name": "glue"}})
    write_report(tmp_path, formats=("md",), plots=False)
    report = (tmp_path / "report.md").read_text()
    assert "## GLUE score" in report and "differs from the overall score" in report
    section = report.split("## GLUE score")[1].split("\n## ")[0]
    bert = next(line for line in section.splitlines() if line.startswith("| bert "))
    assert "| **77.8** |" in bert        # best; 78.34 less half a point: seed 1 scores a point lower
    partial = next(line for line in section.splitlines() if line.startswith("| partial "))
    assert f"8/{len(GLUE_TASKS)} tasks" in partial


def test_other_runs_have_no_glue_section(tmp_path):
    write_run(tmp_path, _records("bert", {"sst2": {"accuracy": 93.5}, "mrpc": {"f1": 88.9, "accuracy": 84.8}}))
    write_report(tmp_path, formats=("md",), plots=False)
    assert "GLUE score" not in (tmp_path / "report.md").read_text()


def test_the_glue_leaderboard_runs_every_glue_card():
    from harness.leaderboards import load
    from harness.report.glue_score import GLUE_CARDS
    from harness.tasks.registry import Registry

    board = load("glue")
    assert board.tasks == list(GLUE_CARDS) and set(GLUE_CARDS) <= set(Registry().cards)
