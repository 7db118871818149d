"""The Ray executor against one real local Ray instance shared by the module (the `ray` extra, which `make test`
installs). Slow: Ray takes seconds to start, one job hangs until its 30 s timeout, and the CLI test runs a sweep."""
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

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    tests = str(Path(__file__).parent)
    env = {k: os.environ[k] for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HARNESS_CACHE") if k in os.environ}
    env["PYTHONPATH"] = os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                       runtime_env={"env_vars": env})
    yield context
    ray.shutdown()


def test_crash_exception_and_timeout_become_failed_results(cluster):
    jobs = [make_job(0), make_job(1, fault="segv"), make_job(2, fault="raise"), make_job(3, fault="hang")]
    results = {}
    executor = RayExecutor(run="t", options=SweepOptions(job_timeout=30), job_fn=FAKE)  # slack for a loaded box
    executor.run(jobs, lambda job, record, predictions: results.setdefault(job.id, record))
    records = [results[job.id] for job in jobs]
    assert [r["status"] for r in records] == ["ok", "failed", "failed", "failed"]
    assert records[0]["ray"]["node"] and records[0]["schedule"] == {"where": "ray:cpu", "executor": "ray"}
    assert "died" in records[1]["error"] or "Crash" in records[1]["error"]
    assert records[2]["error"] == "RuntimeError: kaboom"
    assert records[3]["error"] == "timed out after 30 s (--job-timeout)"


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
