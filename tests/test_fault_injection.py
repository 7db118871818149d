"""A sweep killed with SIGKILL (driver and workers together) at random moments, ten times, then completed:
every job ends with exactly one record, no line is corrupt, no finished result is lost.
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


def test_sweep_survives_repeated_sigkill_and_completes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "harness", "run", "--models", "tiny-bert", "--tasks", "sst2,stsb",
               "--data", "sample", "--seeds", "0,1,2", "--max-train-samples", "16", "--max-eval-samples", "16",
               "--epochs", "1", "--latency-requests", "0", "--workers", "2", "--no-report", "--quiet",
               "--output", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    seed = int(os.environ.get("HARNESS_FAULT_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
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
