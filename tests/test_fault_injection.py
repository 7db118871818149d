"""A sweep killed with SIGKILL (driver and workers together) at random moments, ten times, then completed:
every job ends with exactly one record, no line is corrupt, no finished result is lost. And a 12-job sweep whose
kills fall between a record's `}` and its `\n`: the whole record without its newline is kept, never cut.
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

KILLS = 10


def _records(path, allow_torn_tail: bool = False) -> list[dict]:
    """Every record; any corrupt line fails the test, except (when allowed) an unterminated last line: a write
    cut by SIGKILL, which loading skips and the next append removes."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if allow_torn_tail and data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
    records = [json.loads(line) for line in data.splitlines()]      # raises on any corrupt line
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


def test_sweep_survives_repeated_sigkill_and_completes(tmp_path):
    out = tmp_path / "run"
    command = _sweep_command(out, "0,1,2", 16, "--workers", "2")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    seed, rng = _fault_seed()
    results = out / "results.jsonl"
    kept: set[str] = set()
    kills = 0
    log = []
    while kills < KILLS:
        driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)     # its own process group: the driver and its workers
        delay = rng.uniform(0.5, 6.0)     # start-up (plan, model build, worker spawn), jobs, appends
        try:
            code = driver.wait(timeout=delay)
            log.append(f"finished before {delay:.1f}s with exit code {code}")
        except subprocess.TimeoutExpired:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
            kills += 1
            log.append(f"killed at {delay:.1f}s")
        # The same bookkeeping whether the driver was killed or finished (on a fast machine it may finish first).
        finished = {r["job"] for r in _records(results, allow_torn_tail=True) if r["status"] == "ok"}
        assert kept <= finished, f"a finished result was lost (seed {seed}: {log})"
        kept = finished
        if len(kept) == 6:
            break                                               # nothing left to interrupt
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert final.returncode == 0, final.stderr
    records = _records(results)
    counts = collections.Counter(r["job"] for r in records)
    assert len(counts) == 6, f"seed {seed}: {log}"
    assert set(counts.values()) == {1}, f"a job has several records (seed {seed}: {log}): {counts}"
    assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    assert {r["cpu_threads"] for r in records} == {max(1, (os.cpu_count() or 1) // 2)}    # 2 workers split the cores
    assert kills >= KILLS or len(kept) == 6
    print(f"seed {seed}: {kills} kills: {log}")


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
def test_kills_between_a_record_and_its_newline_lose_nothing(tmp_path):
    out = tmp_path / "run"
    command = _sweep_command(out, "0,1,2,3,4,5", 8, "--executor", "inline")
    seed, rng = _fault_seed()
    results = out / "results.jsonl"
    kept: set[str] = set()
    log = []
    for _ in range(5):
        driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        # kill at a random moment once this driver has appended a record (start-up time varies with the load)
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
        if _cut_final_newline(results):
            log.append("cut the final newline")
        finished = _finished_jobs(results)
        assert kept <= finished, f"a finished result was lost (seed {seed}: {log})"
        kept = finished
        if len(kept) == 12:
            break
    final = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    records = _records(results)
    counts = collections.Counter(r["job"] for r in records)
    assert len(counts) == 12 and set(counts.values()) == {1}, f"seed {seed}: {log}: {counts}"
    assert kept <= set(counts), f"seed {seed}: {log}"
    print(f"seed {seed}: {log}")
