"""The executors through the real CLI with real (tiny) jobs: Ctrl-C, a diverging loss, data-parallel DDP on CPU."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


TINY = ["--models", "tiny-bert", "--data", "sample", "--max-train-samples", "16", "--max-eval-samples", "16",
        "--epochs", "1", "--latency-requests", "0", "--no-report"]


def _records(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_ctrl_c_stops_cleanly_keeps_results_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "harness", "run", *TINY, "--tasks", "sst2", "--seeds", "0,1,2,3",
               "--max-train-samples", "64", "--batch-size", "2", "--output", str(out)]
    driver = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    lines = []
    for line in driver.stderr:
        lines.append(line)
        if line.startswith("[1/4"):
            break
    time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGINT)       # what a terminal's Ctrl-C does: the whole foreground group
    rest = driver.stderr.read()
    assert driver.wait(timeout=60) == 130
    assert "Traceback" not in rest
    message = [line for line in rest.splitlines() if line.strip()][-1]
    assert message.startswith("interrupted: ") and f"--output {out}" in message and "resume" in message
    records = _records(out)
    assert 1 <= len(records) < 4 and all(r["status"] == "ok" for r in records)
    assert message == (f"interrupted: {len(records)} of 4 jobs have finished results in {out}; run the same "
                       f"command with --output {out} to resume")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:     # workers and multiprocessing's resource tracker exit with the driver
        leftovers = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-g", str(driver.pid)], capture_output=True,
                                   text=True).stdout.splitlines()
        leftovers = [line for line in leftovers if line.split()[1][0] != "Z"]
        if not leftovers:
            break
        time.sleep(0.2)
    assert not leftovers, f"processes outlived the interrupted driver: {leftovers}"
    # (that the same command then resumes is what tests/test_fault_injection.py checks, ten times over)


def test_nan_loss_is_a_failed_result_not_a_crash(tmp_path, cli):
    out = tmp_path / "run"
    result = cli("run", *TINY, "--tasks", "sst2", "--batch-size", "4", "--lr", "1e9", "--quiet", "--executor",
                 "inline", "--output", str(out))
    assert result.returncode == 0, result.stderr
    (record,) = _records(out)
    assert record["status"] == "failed" and "TrainingDiverged" in record["error"] and "nan" in record["error"]
    assert "1 job(s) failed" in result.stderr and "Traceback" not in result.stderr


# Shapes whose global batch count is not a multiple of the two ranks (batch size 4): (options, steps, epochs).
DATA_PARALLEL_SHAPES = {
    # 4 batches = 2 steps per epoch; the quarter epoch is one batch whose rows the two ranks share: 3 steps
    "fractional-epochs": (["--max-train-samples", "16", "--epochs", "1.25"], 3, 1.25),
    # exactly 3 optimizer steps on every rank: a whole epoch, then one step of the next (1.5 epochs of data)
    "odd-budget-steps": (["--max-train-samples", "16", "--budget-steps", "3"], 3, 1.5),
    # one batch of one row: rank 0 trains on it, rank 1 runs a zero-weight step in lockstep; one step per epoch
    "one-batch": (["--max-train-samples", "1", "--epochs", "2"], 2, 2.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(DATA_PARALLEL_SHAPES))
def test_data_parallel_job_runs_ddp_over_two_cpu_processes(tmp_path, cli, shape):
    """`--parallel data --num-processes 2` on CPU: accelerate launch, two ranks, gloo; rank 0 writes the result.
    Every shape finishes, trains the steps it asks for, and both ranks run the same optimizer steps. A regression
    that hangs fails here: the job timeout stops the launch."""
    options, steps, epochs = DATA_PARALLEL_SHAPES[shape]
    out = tmp_path / "run"
    result = cli("run", *TINY, "--tasks", "sst2", "--batch-size", "4", *options, "--parallel", "data",
                 "--num-processes", "2", "--job-timeout", "150", "--quiet", "--output", str(out), timeout=240)
    assert result.returncode == 0, result.stderr
    (record,) = _records(out)
    assert record["status"] == "ok", record["error"]
    assert record["distributed"] == {"processes": 2, "backend": "gloo", "steps_per_rank": [steps, steps]}
    assert record["train"]["steps"] == steps and record["train"]["epochs"] == pytest.approx(epochs)
    assert record["schedule"]["where"] == "2xcpu" and record["schedule"]["distributed"]
    assert (out / "predictions" / f"{record['job']}.json").is_file()
