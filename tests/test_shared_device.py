"""Cost figures measured while other jobs shared the device: recorded exactly per measurement, marked in reports.

The executor side runs real tiny jobs in real worker processes. `overlapping_job` holds each job back until every
job of the test has begun, and again until every one has finished, so two jobs on two workers overlap for sure on
any machine; with one worker (or inline) the jobs run one after the other.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from harness.executors import SweepOptions
from harness.executors.local import LocalExecutor
from harness.report.aggregate import build
from harness.report.load import load_run
from harness.report.limits import parse_limits
from harness.report.recommend import render_selection, select
from harness.report.synthetic import record, write_run
from harness.report.cost_table import cost_table
from harness.schedule.devices import Device

RENDEZVOUS = "HARNESS_TEST_RENDEZVOUS"
SST2 = ("sst2", "classification", "classification", "accuracy", True)
TINY = {"max_train_samples": 16, "max_eval_samples": 8, "epochs": 1, "batch_size": 4}


def _meet(folder: Path, name: str, pattern: str, count: int) -> None:
    (folder / name).touch()
    deadline = time.monotonic() + 120
    while len(list(folder.glob(pattern))) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(list(folder.glob(pattern)))} of {count} jobs reached {pattern}")
        time.sleep(0.02)


def overlapping_job(job, run: str = "", log=lambda _: None):
    """harness.job.run_job, started only once every job of the test has begun and returned only once every one
    has finished."""
    from harness.job import run_job

    folder, count = Path(os.environ[RENDEZVOUS]), int(os.environ[RENDEZVOUS + "_COUNT"])
    _meet(folder, f"{job.id}.began", "*.began", count)
    outcome = run_job(job, run=run, log=log)
    _meet(folder, f"{job.id}.ended", "*.ended", count)
    return outcome


def _tiny_jobs(seeds=(0, 1)):
    from harness.api import plan_run

    return plan_run(models="tiny-bert", tasks="sst2", seeds=list(seeds), data="sample", device="cpu",
                    latency_requests=3, **TINY).jobs


@pytest.mark.slow
def test_two_workers_record_that_their_jobs_shared_the_cpu_during_each_measurement(tmp_path, monkeypatch):
    monkeypatch.setenv(RENDEZVOUS, str(tmp_path))
    monkeypatch.setenv(RENDEZVOUS + "_COUNT", "2")
    jobs = _tiny_jobs()
    results = {}
    executor = LocalExecutor(run="t", options=SweepOptions(device="cpu", workers=2),
                             job_fn="test_shared_device:overlapping_job", devices=[Device("cpu", None, None, "cpu")])
    executor.run(jobs, lambda job, rec, _: results.setdefault(job.id, rec))
    assert [results[j.id]["status"] for j in jobs] == ["ok", "ok"], [results[j.id]["error"] for j in jobs]
    for job in jobs:
        assert results[job.id]["schedule"]["shared"] == {"train": 1, "latency": 1}
        assert results[job.id]["cpu_threads"] == max(1, (os.cpu_count() or 1) // 2)     # two workers split the cores


@pytest.mark.slow
def test_one_worker_records_that_its_jobs_had_the_device_alone(tmp_path):
    import harness

    records = harness.run(models=["tiny-bert"], tasks=["sst2"], data="sample", seeds=[0, 1], output=tmp_path / "r",
                          device="cpu", workers=1, latency_requests=3, write_report=False, progress=lambda _: None,
                          **TINY)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert [r["schedule"]["shared"] for r in records] == [{"train": 0, "latency": 0}] * 2


def test_inline_jobs_always_had_the_device_alone(tmp_path, one_torch_thread):
    import harness

    records = harness.run(models=["tiny-bert"], tasks=["sst2"], data="sample", seeds=[0], output=tmp_path / "r",
                          executor="inline", latency_requests=0, write_report=False, progress=lambda _: None,
                          **TINY)
    assert records[0]["schedule"]["shared"] == {"train": 0}          # no latency measured: no latency figure


# ---------------------------------------------------------------------------------------------------- reports

def _shared(rec: dict, train: int | None, latency: int | None) -> dict:
    if train is not None:
        rec["schedule"] = {"where": "cuda:0", "shared": {"train": train, "latency": latency}}
    return rec


@pytest.fixture
def mixed_run(tmp_path) -> Path:
    """mixed: one seed trained next to 2 other jobs, one alone; packed: every figure shared; solo: alone;
    old: records from before `schedule.shared` existed."""
    records = [
        _shared(record("mixed", SST2, 0, score=0.90, samples_per_s=300.0, latency_ms=10.0), 2, 0),
        _shared(record("mixed", SST2, 1, score=0.91, samples_per_s=500.0, latency_ms=10.0), 0, 0),
        _shared(record("packed", SST2, 0, score=0.95, samples_per_s=200.0, latency_ms=40.0), 3, 3),
        _shared(record("packed", SST2, 1, score=0.96, samples_per_s=200.0, latency_ms=40.0), 1, 2),
        _shared(record("solo", SST2, 0, score=0.80, samples_per_s=900.0, latency_ms=5.0), 0, 0),
        _shared(record("solo", SST2, 1, score=0.81, samples_per_s=900.0, latency_ms=5.0), 0, 0),
        _shared(record("old", SST2, 0, score=0.70, samples_per_s=100.0, latency_ms=5.0), None, None),
    ]
    return write_run(tmp_path / "run", records)


def _cost_rows(lb) -> dict[str, dict[str, str]]:
    table = cost_table(lb)
    return {row[1].text: {column: cell.text for column, cell in zip(table.columns, row)} for row in table.rows}


def test_the_cost_table_marks_shared_figures_and_says_so(mixed_run):
    lb = build(load_run(mixed_run), bootstrap=False)
    rows, table = _cost_rows(lb), cost_table(lb)
    assert rows["mixed"]["train samples/s"].endswith("‡2 (1/2)")         # mixes a shared and a solo seed
    assert "‡" not in rows["mixed"]["latency p50 (ms)"]
    assert rows["packed"]["train samples/s"].endswith("‡3")
    assert rows["packed"]["train tokens/s"].endswith("‡3")
    assert rows["packed"]["latency p50 (ms)"].endswith("‡3")
    assert not any("‡" in text for text in rows["solo"].values())
    assert not any("‡" in text for text in rows["old"].values())         # unknown: nothing to say
    assert "‡" in table.title and any("other jobs ran on the same device" in line for line in table.intro)


def test_report_files_carry_the_marks_and_their_explanation(mixed_run):
    from harness.report import write_report

    write_report(mixed_run, formats="md,tex", plots=False)
    markdown = (mixed_run / "report.md").read_text()
    assert "‡2 (1/2)" in markdown and "other jobs ran on the same device" in markdown
    latex = (mixed_run / "leaderboard.tex").read_text()
    assert r"\ddag{}2 (1/2)" in latex and "other jobs ran on the same device" in latex


def test_a_cost_table_of_solo_figures_has_no_marks(tmp_path):
    records = [_shared(record("solo", SST2, s, score=0.8), 0, 0) for s in range(2)]
    lb = build(load_run(write_run(tmp_path / "run", records)), bootstrap=False)
    table = cost_table(lb)
    assert table.title == "Cost" and not any("‡" in cell.text for row in table.rows for cell in row)


def test_select_says_when_a_checked_figure_was_measured_shared(mixed_run):
    lb = build(load_run(mixed_run), bootstrap=False)
    selection = select(lb, "sst2", parse_limits(max_latency_ms="20", min_throughput="100"))
    excluded = dict(selection.excluded)
    assert "latency measured while up to 3 other jobs shared the device (every job)" in excluded["packed"]
    reasons = dict(zip(selection.chosen["entry"], selection.chosen["reason"]))
    assert "Training throughput measured while up to 2 other jobs shared the device (1 of 2 jobs)." in \
        reasons["mixed"]
    assert "shared the device" not in reasons["solo"]
    text = render_selection(selection)
    assert "‡2 (1/2)" in text and "other jobs ran on the same device" in text


def test_the_throughput_pareto_plot_draws_shared_points_hollow_with_a_legend_entry(mixed_run, tmp_path,
                                                                                  monkeypatch):
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    from harness.report.painter import draw_one
    from harness.report.plots import FRONT_COLOR

    drawn = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: drawn.append(self))
    lb = build(load_run(mixed_run), bootstrap=False)
    draw_one(("score_vs_throughput.png", tmp_path / "speed.png", lb.for_plots()))
    ax = drawn[0].axes[0]
    ring = to_rgba(FRONT_COLOR)                      # the Pareto front's rings are hollow too: not these
    hollow = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())
              and (not len(c.get_facecolors()) or c.get_facecolors()[:, 3].max() == 0)
              and tuple(c.get_edgecolors()[0]) != ring]
    points = {tuple(round(float(v), 6) for v in p) for c in hollow for p in c.get_offsets()}
    o = lb.overall.set_index("entry")
    assert points == {(round(o.loc[e, "train_samples_per_s"], 6), round(100 * o.loc[e, "score"], 6))
                      for e in ("mixed", "packed")}
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "hollow: measured while other jobs shared the device" in labels
