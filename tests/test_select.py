"""`harness select` and `harness compare`: limits, ranking, reasoning, the none-fits message, exit codes."""
from __future__ import annotations

import json

import pytest

from harness.errors import UserError
from harness.report.aggregate import build
from harness.report.compare import compare
from harness.report.load import load_run
from harness.report.limits import parse_count, parse_limits, parse_ms, parse_rate, parse_size
from harness.report.recommend import select
from harness.report.synthetic import record, write_run

SST2 = ("sst2", "classification", "classification", "accuracy", True)
STSB = ("stsb", "similarity", "regression", "pearson", True)
GIB = 2 ** 30
# model: (scores per seed, samples/s, latency ms, peak GPU bytes, params)
MODELS = {
    "big": ([0.90, 0.91, 0.92], 100.0, 30.0, 20 * GIB, 350e6),
    # big - base per seed: -0.02, +0.02, +0.03: the paired difference changes sign between seeds
    "base": ([0.92, 0.89, 0.89], 210.0, 12.0, 6 * GIB, 110e6),
    "small": ([0.80, 0.80, 0.80], 900.0, 4.0, 2 * GIB, 20e6),
    "slow": ([0.78, 0.79, 0.80], 50.0, 15.0, 7 * GIB, 120e6),
}


@pytest.fixture
def run_dir(tmp_path):
    records = []
    for model, (scores, sps, latency, memory, params) in MODELS.items():
        for task in (SST2, STSB):
            records += [record(model, task, seed, score=score, samples_per_s=sps, latency_ms=latency,
                               peak_gpu=memory, params=int(params)) for seed, score in enumerate(scores)]
    return write_run(tmp_path / "run", records)


def test_parsers():
    assert parse_size("8GB") == 8e9 and parse_size("8GiB") == 8 * GIB and parse_size("8g") == 8 * GIB
    assert parse_size("512 MB") == 512e6 and parse_size("1.5TiB") == 1.5 * 2 ** 40
    assert parse_count("200M") == 200e6 and parse_count("1.3B") == 1.3e9 and parse_count("350k") == 350e3
    assert parse_count("125000000") == 125e6
    assert parse_ms("20") == 20 and parse_ms("20ms") == 20 and parse_ms("0.5s") == 500
    assert parse_rate("500") == 500 and parse_rate("1.5k") == 1500 and parse_rate("800 samples/s") == 800


@pytest.mark.parametrize("call", [
    lambda: parse_limits(max_memory="8"), lambda: parse_limits(max_memory="lots"),
    lambda: parse_limits(max_memory="8 apples"), lambda: parse_limits(max_latency_ms="fast"),
    lambda: parse_limits(min_throughput="-3"), lambda: parse_limits(max_params="2 billion"),
    lambda: parse_limits(max_params="0"),
])
def test_bad_limits_are_one_line_user_errors(call):
    with pytest.raises(UserError) as info:
        call()
    assert info.value.hint and "\n" not in str(info.value)


def test_ranking_reasoning_and_pareto(run_dir):
    selection = select(build(load_run(run_dir)), None, parse_limits(max_memory="8GB"))
    chosen = selection.chosen
    assert list(chosen["entry"]) == ["base", "small", "slow"]          # big needs 20 GiB
    assert ("big", "--max-memory 8GB: needs 20.0 GiB") in selection.excluded
    assert chosen["pareto"].tolist() == [True, True, False]            # slow: worse than base on everything
    top = chosen.iloc[0]["reason"]
    assert top.startswith("best score within 8GB;")
    assert "4.3× slower to train than the runner-up small" in top and "significant" in top
    assert "dominated by base" in chosen.iloc[2]["reason"]
    assert "Pareto-optimal" in chosen.iloc[1]["reason"]


def test_not_significant_difference_is_said(run_dir):
    selection = select(build(load_run(run_dir)), "sst2", parse_limits(max_params="400M"))
    top = selection.chosen.iloc[0]
    assert top["entry"] == "big"
    assert "runner-up base" in top["reason"] and "difference not significant" in top["reason"]
    assert "1.0 points higher" in top["reason"]


def test_limits_apply_to_every_selected_task_and_task_families(run_dir):
    lb = build(load_run(run_dir))
    assert select(lb, "similarity", parse_limits(max_latency_ms="5")).chosen["entry"].tolist() == ["small"]
    assert select(lb, "sst2,stsb", parse_limits(min_throughput="1k")).none_fits


def test_none_fits_names_the_most_excluding_limit(run_dir):
    selection = select(build(load_run(run_dir)), None, parse_limits(max_memory="1GB", max_latency_ms="20"))
    assert selection.chosen.empty
    assert selection.none_fits.startswith("No entry satisfies every limit. --max-memory 1GB excludes the most: "
                                          "4 of 4 entries (closest: small at 2.0 GiB).")
    assert "--max-latency-ms 20 excludes 1" in selection.none_fits


def test_unknown_task_is_a_user_error(run_dir):
    with pytest.raises(UserError, match="not a task of this run") as info:
        select(build(load_run(run_dir)), "sst3", [])
    assert "sst2" in info.value.hint


def test_entries_missing_a_task_are_excluded(tmp_path):
    records = [record("a", SST2, 0, score=0.9), record("a", STSB, 0, status="failed", error="x"),
               record("b", SST2, 0, score=0.8), record("b", STSB, 0, score=0.5)]
    selection = select(build(load_run(write_run(tmp_path / "r", records))), None, [])
    assert selection.chosen["entry"].tolist() == ["b"]
    assert selection.excluded == [("a", "did not finish stsb (failed)")]
    assert selection.chosen.iloc[0]["reason"].startswith("the only entry")


def test_select_cli_exit_codes(run_dir, cli):
    ok = cli("select", str(run_dir), "--max-memory", "8GB", "--tasks", "sst2")
    assert ok.returncode == 0, ok.stderr
    assert "1. base ★ — best score within 8GB" in ok.stdout
    none = cli("select", str(run_dir), "--max-memory", "1GB")
    assert none.returncode == 1 and "excludes the most" in none.stdout
    bad = cli("select", str(run_dir), "--max-memory", "8 bananas")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --max-memory '8 bananas': not a memory size")
    assert len(bad.stderr.strip().splitlines()) == 1
    as_json = cli("select", str(run_dir), "--json")
    assert json.loads(as_json.stdout)["chosen"][0]["entry"] == "big"


def test_compare_marks_significance(tmp_path, cli):
    before = [record("m", SST2, s, score=v, samples_per_s=100.0) for s, v in enumerate([0.80, 0.81, 0.82])]
    before += [record("m", STSB, s, score=v) for s, v in enumerate([0.50, 0.60, 0.70])]
    after = [record("m", SST2, s, score=v, samples_per_s=200.0, run="b") for s, v in
             enumerate([0.90, 0.91, 0.92])]
    # per seed +0.15, -0.05, +0.05: the paired difference changes sign, so it is not significant
    after += [record("m", STSB, s, score=v, run="b") for s, v in enumerate([0.65, 0.55, 0.75])]
    a, b = write_run(tmp_path / "a", before), write_run(tmp_path / "b", after)
    table = compare(build(load_run(a)), build(load_run(b))).set_index("task")
    assert table.loc["sst2", "delta"] == pytest.approx(0.10) and table.loc["sst2", "significant"] == True  # noqa
    assert table.loc["sst2", "better"] == True and table.loc["sst2", "throughput_ratio"] == pytest.approx(2.0)  # noqa
    assert table.loc["stsb", "significant"] == False  # noqa: E712
    result = cli("compare", str(a), str(b))
    assert result.returncode == 0, result.stderr
    assert "+0.100 ▲" in result.stdout and "n.s." in result.stdout and "1 significant improvement(s)" in result.stdout


def test_one_rule_picks_tasks_by_name_family_or_all():
    from harness.tasks.pick import pick_tasks

    families = {"sst2": "classification", "mrpc": "classification", "stsb": "similarity"}

    def unknown(name):
        raise UserError(f"unknown {name}")

    assert pick_tasks("stsb, classification", families, unknown) == (["stsb", "sst2", "mrpc"], {"stsb"})
    assert pick_tasks(["all", "sst2"], families, unknown) == (["sst2", "mrpc", "stsb"], {"sst2"})
    assert pick_tasks("ner", families, unknown, family_names=["ner"]) == ([], set())
    with pytest.raises(UserError, match="unknown nope"):
        pick_tasks("sst2,nope", families, unknown)


def test_select_picks_tasks_by_family(run_dir):
    selection = select(build(load_run(run_dir)), "similarity,all")
    assert selection.tasks == ["stsb", "sst2"]
