"""A 12-job sweep killed with SIGKILL (driver and workers together) at random moments, some kills falling between a
record's `}` and its `\n`, then completed: every job ends with exactly one record, no line is corrupt, no finished
result is lost (a whole record without its newline is kept, never cut). HARNESS_FAULT_SEED replays a failure.
"""
from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

KILLS = 4


def _records(path) -> list[dict]:
    """Every record of a completed run; any corrupt line fails the test."""
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert all(isinstance(r, dict) and r.get("job") for r in records)
    return records


def _sweep_command(out, seeds: str, samples: int, *extra: str) -> list[str]:
    """tiny-bert on sst2 and stsb (sample data) for each seed: two jobs per seed."""
    return [sys.executable, "-m", "harness", "run", "--models", "tiny-bert", "--tasks", "sst2,stsb", "--data",
            "sample", "--seeds", seeds, "--max-train-samples", str(samples), "--max-eval-samples", str(samples),
            "--epochs", "1", "--latency-requests", "0", *extra, "--no-report", "--quiet", "--output", str(out)]


def _fault_seed() -> tuple[int, random.Random]:
    """The seed of the kill moments (HARNESS_FAULT_SEED replays a failure) and its generator."""
    seed = int(os.environ.get("HARNESS_FAULT_SEED", time.time_ns() % 10_000))
    return seed, random.Random(seed)


def _cut_final_newline(path) -> bool:
    """Leave the file as a kill between the last record's `}` and its `\\n` would; True if there was one to cut."""
    if not path.exists() or not path.read_bytes().endswith(b"\n"):
        return False
    with open(path, "rb+") as f:
        f.truncate(path.stat().st_size - 1)
    return True


def _finished_jobs(path) -> set[str]:
    """Jobs with an `ok` record; a last line without its newline counts when it is a whole record."""
    if not path.exists():
        return set()
    lines = path.read_bytes().splitlines()
    records = [json.loads(line) for line in lines[:-1]]            # raises on any corrupt line
    try:
        records.append(json.loads(lines[-1]))
    except (IndexError, json.JSONDecodeError):
        pass                                                       # a torn last line: its job runs again
    return {r["job"] for r in records if r["status"] == "ok"}


@pytest.mark.slow
def test_a_sweep_killed_at_random_moments_loses_nothing(tmp_path):
    """Each round starts the 12-job sweep, waits until it has appended a record (start-up time varies with the
    load), then kills the driver and its two workers together at a random moment up to 2.5 s later; every other
    round also cuts the file between the last record's `}` and its `\n`, as a kill inside that write would."""
    out = tmp_path / "run"
    command = _sweep_command(out, "0,1,2,3,4,5", 8, "--workers", "2")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    seed, rng = _fault_seed()
    results = out / "results.jsonl"
    kept: set[str] = set()
    log = []
    for round_ in range(KILLS):
        driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)     # its own process group: the driver and its workers
        size = results.stat().st_size if results.exists() else 0
        deadline = time.monotonic() + 120
        while driver.poll() is None and time.monotonic() < deadline and \
                (results.stat().st_size if results.exists() else 0) <= size + 1:
            time.sleep(0.05)
        delay = rng.uniform(0.0, 2.5)
        try:
            log.append(f"finished with exit code {driver.wait(timeout=delay)}")
        except subprocess.TimeoutExpired:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
            log.append(f"killed {delay:.1f}s after a record")
        if round_ % 2 and _cut_final_newline(results):
            log.append("cut the final newline")
        finished = _finished_jobs(results)
        assert kept <= finished, f"a finished result was lost (seed {seed}: {log})"
        kept = finished
        if len(kept) == 12:
            break                                               # nothing left to interrupt
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    records = _records(results)
    counts = collections.Counter(r["job"] for r in records)
    assert len(counts) == 12 and set(counts.values()) == {1}, f"seed {seed}: {log}: {counts}"
    assert kept <= set(counts), f"seed {seed}: {log}"
    assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    print(f"seed {seed}: {log}")
