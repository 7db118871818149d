"""The Ray executor against one real local Ray instance shared by the module (the `ray` extra, which `make test`
installs). Slow: Ray takes seconds to start, one job hangs until its 3 s timeout, and the CLI test runs a sweep."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import ray

from harness.executors import SweepOptions
from harness.executors.ray_executor import RayExecutor
from test_executors import FAKE, make_job

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]   # one Ray instance at a time


@pytest.fixture(scope="module")
def cluster():
    tests = str(Path(__file__).parent)
    env = {k: os.environ[k] for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HARNESS_CACHE") if k in os.environ}
    env["PYTHONPATH"] = os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                       runtime_env={"env_vars": env})
    yield context
    ray.shutdown()


def _run(jobs, timeout: float) -> list[dict]:
    results = {}
    executor = RayExecutor(run="t", options=SweepOptions(job_timeout=timeout), job_fn=FAKE)
    executor.run(jobs, lambda job, record, predictions: results.setdefault(job.id, record))
    return [results[job.id] for job in jobs]


def test_crash_and_exception_become_failed_results(cluster):
    jobs = [make_job(0), make_job(1, fault="segv"), make_job(2, fault="raise")]
    records = _run(jobs, timeout=60)            # no job should come near it, even on a loaded machine
    assert [r["status"] for r in records] == ["ok", "failed", "failed"]
    assert records[0]["ray"]["node"] and records[0]["schedule"] == {"where": "ray:cpu", "executor": "ray"}
    assert "died" in records[1]["error"] or "Crash" in records[1]["error"]
    assert records[2]["error"] == "RuntimeError: kaboom"


def test_a_job_past_its_timeout_becomes_a_failed_result(cluster):
    """Alone, so that its short timeout cannot catch a healthy job that a loaded machine slows down."""
    (record,) = _run([make_job(3, fault="hang")], timeout=3)
    assert record["status"] == "failed" and record["error"] == "timed out after 3 s (--job-timeout)"


def test_cli_runs_a_sweep_on_an_existing_cluster(cluster, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "harness", "run", "--models", "tiny-bert", "--tasks", "sst2", "--data",
               "sample", "--seeds", "0", "--max-train-samples", "16", "--max-eval-samples", "16", "--epochs", "1",
               "--latency-requests", "0", "--no-report", "--quiet", "--executor", "ray", "--ray-address",
               cluster.address_info["gcs_address"], "--output", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    (record,) = records                                          # written by the driver, like the local executor
    assert record["status"] == "ok" and record["ray"]["node"], record["error"]
    assert result.stderr.splitlines() == [f"[1/1, ETA 0s] tiny-bert × sst2 × seed 0: accuracy={record['score']:.4f}"]
