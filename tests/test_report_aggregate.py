"""Aggregation numbers against hand-computed fixtures (synthetic records written to a temporary run)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from harness.report.aggregate import build
from harness.report.load import load_run
from harness.report.synthetic import record, write_run

SST2 = ("sst2", "classification", "classification", "accuracy", True)
STSB = ("stsb", "similarity", "regression", "pearson", True)
SQUAD = ("squad", "qa", "extractive_qa", "f1", True)
MSE = ("stsb_mse", "similarity", "regression", "mse", False)


@pytest.fixture
def run_dir(tmp_path):
    records = [record("A", SST2, s, score=v, arch="encoder", params=100, samples_per_s=sps, latency_ms=5.0,
                      peak_gpu=2 * 2 ** 30)
               for s, v, sps in [(0, 0.80, 90.0), (1, 0.82, 100.0), (2, 0.84, 110.0)]]
    records += [record("B", SST2, s, score=0.70, arch="decoder", params=300, samples_per_s=50.0, latency_ms=9.0,
                       peak_gpu=6 * 2 ** 30) for s in range(3)]
    records += [record("A", STSB, s, status="unsupported", error="no regression head for this family")
                for s in range(2)]
    records += [record("B", STSB, s, score=v, arch="decoder", params=300, samples_per_s=40.0)
                for s, v in [(0, 0.5), (1, 0.6)]]
    squad_a = record("A", SQUAD, 0, score=80.0, params=100, samples_per_s=30.0)
    records += [squad_a, record("B", SQUAD, 0, status="failed", error="RuntimeError: boom")]
    predictions = {squad_a["job"]: {"job": squad_a["job"], "split": "test",
                                    "predictions": ["paris", "blue", "cat", "1990", "zzz"],
                                    "references": [["Paris"], ["blue"], ["cat"], ["1990"], ["dog"]]}}
    return write_run(tmp_path / "run", records, info={"tasks": ["sst2", "squad", "stsb"]}, predictions=predictions)


def test_cells_by_hand(run_dir):
    lb = build(load_run(run_dir))
    a = lb.cell("A", "sst2")
    assert a["n"] == 3 and a["mean"] == pytest.approx(0.82) and a["std"] == pytest.approx(0.02)
    # no stored predictions: resampled over seeds only, so the interval lies within the seeds' range
    assert 0.80 <= a["ci_low"] < 0.82 < a["ci_high"] <= 0.84
    assert a["ci_method"] == "seeds" and "no stored predictions" in a["ci_note"] and a["seeds"] == "0,1,2"
    assert a["train_samples_per_s"] == pytest.approx(100.0)
    assert a["peak_memory_bytes"] == 2 * 2 ** 30 and a["memory_kind"] == "GPU"
    assert a["best"] and a["rank"] == 1
    b = lb.cell("B", "sst2")
    assert b["std"] == 0 and (b["ci_low"], b["ci_high"]) == pytest.approx((0.7, 0.7))
    # paired on seeds, A - B is 0.10, 0.12, 0.14: never <= 0 in any resample
    assert b["tied_with_best"] is False and b["rank"] == 2 and b["p_holm"] == pytest.approx(2 / 1001)
    assert b["delta_best"] == pytest.approx(-0.12) and b["delta_low"] <= -0.10 and b["delta_high"] >= -0.14
    assert a["p_best"] == 1.0 and b["p_best"] == 0.0
    stsb = lb.cell("B", "stsb")
    # a t-interval over two seeds would reach 0.55 ± 0.64; the bootstrap stays within what was observed
    assert 0.5 <= stsb["ci_low"] <= stsb["ci_high"] <= 0.6
    assert lb.cell("A", "stsb")["status"] == "unsupported"
    assert lb.cell("A", "stsb")["n_unsupported"] == 2
    assert lb.cell("B", "squad")["status"] == "failed" and lb.cell("B", "squad")["n_failed"] == 1


def test_single_seed_bootstraps_from_stored_predictions(run_dir):
    lb = build(load_run(run_dir))
    squad = lb.cell("A", "squad")
    assert squad["ci_method"] == "examples"
    assert 0 <= squad["ci_low"] <= 80.0 <= squad["ci_high"] <= 100
    assert build(load_run(run_dir)).cell("A", "squad")["ci_low"] == squad["ci_low"]      # deterministic


def test_single_seed_without_predictions_says_why(tmp_path):
    run = write_run(tmp_path / "r", [record("A", SST2, 0, score=0.9)])
    cell = build(load_run(run)).cell("A", "sst2")
    assert cell["ci_method"] is None and math.isnan(cell["ci_low"])
    assert "no stored predictions" in cell["ci_note"]


def test_overall_by_hand(run_dir):
    lb = build(load_run(run_dir))
    overall = lb.overall.set_index("entry")
    # A: sst2 0.82 (0-1 scale) and squad 80 / 100 -> 0.81; B: sst2 0.70 and stsb 0.55 -> 0.625
    assert overall.loc["A", "score"] == pytest.approx(0.81)
    assert overall.loc["B", "score"] == pytest.approx(0.625)
    assert list(lb.overall["entry"]) == ["A", "B"]
    assert overall.loc["A", "coverage"] == "2/3" and overall.loc["B", "coverage"] == "2/3"
    assert overall.loc["A", "tasks_unsupported"] == 1 and overall.loc["B", "tasks_failed"] == 1
    assert overall.loc["A", "avg_rank"] == 1.0 and overall.loc["B", "avg_rank"] == 1.5
    assert overall.loc["A", "params"] == 100 and overall.loc["B", "params"] == 300
    assert overall.loc["B", "latency_ms_p50_max"] == pytest.approx(10.0)
    # A is faster, better and smaller than B: the only Pareto-optimal entry on both fronts
    assert overall["pareto_speed"].tolist() == [True, False]
    assert overall["pareto_memory"].tolist() == [True, False]
    # the overall interval comes from the same resamples: the mean of normalized task values per resample
    a = lb.draws
    per_resample = (a[("A", "sst2")].values + a[("A", "squad")].values / 100) / 2
    low, high = np.percentile(per_resample, [2.5, 97.5])
    assert (overall.loc["A", "score_low"], overall.loc["A", "score_high"]) == pytest.approx((low, high))
    assert 0 <= overall.loc["A", "score_low"] <= 0.81 <= overall.loc["A", "score_high"] <= 1


def test_normalization_rules(run_dir):
    lb = build(load_run(run_dir))
    methods = dict(zip(lb.tasks["task"], lb.tasks["normalization"]))
    assert methods == {"sst2": "unit", "squad": "percent", "stsb": "unit"}
    assert list(lb.tasks["task"]) == ["sst2", "squad", "stsb"]      # family order: classification, qa, similarity


def test_lower_is_better_is_min_max_and_ranked_ascending(tmp_path):
    records = [record("A", MSE, s, score=v) for s, v in [(0, 1.0), (1, 1.2)]]
    records += [record("B", MSE, s, score=v) for s, v in [(0, 2.0), (1, 2.2)]]
    records += [record("C", MSE, s, score=v) for s, v in [(0, 3.0), (1, 3.2)]]
    lb = build(load_run(write_run(tmp_path / "r", records)))
    assert lb.tasks.iloc[0]["normalization"] == "minmax"
    norms = {e: lb.cell(e, "stsb_mse")["norm"] for e in "ABC"}
    assert norms == pytest.approx({"A": 1.0, "B": 0.5, "C": 0.0})
    assert lb.cell("A", "stsb_mse")["best"] and lb.cell("C", "stsb_mse")["rank"] == 3
    assert "relative to this run" in lb.tasks.iloc[0]["normalization_note"]


def test_partial_failures_get_a_footnote(tmp_path):
    records = [record("A", SST2, 0, score=0.8), record("A", SST2, 1, score=0.9),
               record("A", SST2, 2, status="failed", error="OOM")]
    lb = build(load_run(write_run(tmp_path / "r", records)))
    cell = lb.cell("A", "sst2")
    assert cell["status"] == "ok" and cell["partial"] and cell["n"] == 2 and cell["footnote"] == 1
    assert lb.footnotes[0].status == "partly failed" and "2 of 3 seeds" in lb.footnotes[0].text


def test_tuning_variants_become_separate_entries(tmp_path):
    records = [record("bert", SST2, 0, score=0.9, tuning="full"), record("bert", SST2, 0, score=0.85,
                                                                          tuning="lora")]
    lb = build(load_run(write_run(tmp_path / "r", records)))
    assert sorted(lb.entries) == ["bert (full)", "bert (lora)"]
    assert lb.show_tuning
    single = build(load_run(write_run(tmp_path / "s", records[:1])))
    assert single.entries == ["bert"] and not single.show_tuning


def test_a_rerun_supersedes_an_earlier_failure(tmp_path):
    failed = record("A", SST2, 0, status="failed", error="boom")
    ok = record("A", SST2, 0, score=0.9)
    lb = build(load_run(write_run(tmp_path / "r", [failed, ok])))
    assert lb.cell("A", "sst2")["status"] == "ok" and lb.cell("A", "sst2")["jobs"] == 1


def test_empty_or_missing_runs_are_user_errors(tmp_path):
    from harness.errors import UserError

    with pytest.raises(UserError, match="not found"):
        load_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no results.jsonl"):
        load_run(tmp_path / "empty")
    (tmp_path / "empty" / "results.jsonl").write_text('{"torn": ')
    with pytest.raises(UserError, match="no complete result"):
        load_run(tmp_path / "empty")
