"""`--workers auto`: the rule on made-up cores, jobs and RAM; the option's spellings, mistakes and YAML round trip;
a real CPU sweep where auto starts two workers and each job records the threads its worker really used."""
from __future__ import annotations

import json
import os

import pytest
import yaml

from conftest import harness_cli, run_cli
from harness.schedule.cpu_workers import choose_cpu_workers, ram_fits

GiB = 1024 ** 3
PLENTY = 64 * GiB


@pytest.mark.parametrize("cores, jobs, workers, threads", [
    (2, 1, 1, 2),       # one job: one worker with every core
    (2, 5, 2, 1),       # one worker per core
    (8, 1, 1, 8),
    (8, 5, 5, 1),       # no more workers than jobs; 8 // 5 threads each
])
def test_auto_takes_one_worker_per_core_and_at_most_one_per_job(cores, jobs, workers, threads):
    choice = choose_cpu_workers([1 * GiB] * jobs, cores, PLENTY)
    assert (choice.workers, choice.threads) == (workers, threads)


def test_auto_runs_no_more_workers_than_the_ram_holds_copies_of_the_largest_job():
    jobs = [1 * GiB, 1 * GiB, 3 * GiB, 1 * GiB, 1 * GiB]
    choice = choose_cpu_workers(jobs, 8, 8 * GiB)          # 80 % of 8 GiB holds two 3 GiB jobs
    assert (choice.workers, choice.threads) == (2, 4)
    assert choice.why == "auto: 2 workers x 4 threads (8 cores, 5 jobs, RAM fits 2)"
    starved = choose_cpu_workers(jobs, 8, 1 * GiB)         # not even one fits: one worker still runs them
    assert (starved.workers, starved.threads) == (1, 8)
    assert starved.why.endswith("(8 cores, 5 jobs, RAM fits 0)")


def test_an_unsized_job_counts_as_at_least_two_gib_and_unknown_ram_sets_no_limit():
    assert ram_fits([100 * 1024 ** 2, None], 10 * GiB) == 4       # 8 GiB usable / 2 GiB
    assert ram_fits([100 * 1024 ** 2], 10 * GiB) == 81
    unknown = choose_cpu_workers([1 * GiB] * 7, 2, None)
    assert unknown.why == "auto: 2 workers x 1 thread (2 cores, 7 jobs, RAM unknown)"


@pytest.mark.parametrize("value", ["0", "x", "-1", "1.5", "02"])
def test_a_bad_workers_value_is_one_line_with_a_hint_and_exit_2(value, tmp_path):
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--workers", value,
                     "--output", str(tmp_path / "run"))
    assert result.returncode == 2 and result.exception is None
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--workers" in lines[0] and "'auto' or a positive integer" in lines[0], lines
    assert not (tmp_path / "run").exists()


def test_print_config_keeps_workers_auto_and_reads_it_back(tmp_path):
    printed = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--workers", "auto", "--print-config")
    assert printed.returncode == 0, printed.stderr
    assert yaml.safe_load(printed.stdout)["workers"] == "auto"
    (tmp_path / "printed.yaml").write_text(printed.stdout)
    again = run_cli("run", "--config", str(tmp_path / "printed.yaml"), "--print-config")
    assert again.returncode == 0 and again.stdout == printed.stdout
    (tmp_path / "three.yaml").write_text(printed.stdout.replace("workers: auto", "workers: 3"))
    three = run_cli("run", "--config", str(tmp_path / "three.yaml"), "--print-config")
    assert yaml.safe_load(three.stdout)["workers"] == 3


@pytest.mark.slow
def test_auto_sweep_runs_two_workers_that_use_the_threads_they_record(tmp_path):
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        pytest.skip("auto runs one worker on one core")
    out = tmp_path / "run"
    # An inherited OMP_NUM_THREADS does not change the split: each worker uses cores // 2 threads
    result = harness_cli("run", "-m", "tiny-bert,tiny-gpt2", "-t", "sst2", "--data", "sample", "--device", "cpu",
                         "--workers", "auto", "--max-train-samples", "16", "--max-eval-samples", "8",
                         "--latency-requests", "2", "--no-report", "--output", str(out),
                         env={"OMP_NUM_THREADS": str(cores + 3)})
    assert result.returncode == 0, result.stderr
    assert f"auto: 2 workers x {cores // 2} thread" in result.stderr, result.stderr
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["ok", "ok"], [r["error"] for r in records]
    assert [r["cpu_threads"] for r in records] == [cores // 2] * 2
    # both started at once, the second next to the first: two workers, not one after the other
    assert sorted(r["schedule"]["concurrent"] for r in records) == [0, 1]
    assert {r["schedule"]["where"] for r in records} == {"cpu"}
