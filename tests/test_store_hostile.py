"""The result store under hostile conditions: a record missing its final newline, two drivers on one output, a
store that fails after training (a directory in the way, a full disk), and values strict JSON has no token for."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from conftest import run_cli
from harness.errors import UserError
from harness.store import ResultStore

TINY_RUN = ("--models", "tiny-gpt2", "--tasks", "mrpc", "--data", "sample", "--max-train-samples", "16",
            "--max-eval-samples", "8", "--epochs", "1", "--batch-size", "8", "--latency-requests", "0",
            "--no-report", "--quiet")


def record(job: str, status: str = "ok", **extra) -> dict:
    return {"schema": 2, "job": job, "status": status, "score": 0.5, **extra}


def strict_lines(path: Path) -> list[dict]:
    """Every line parsed by a strict JSON parser (no NaN / Infinity tokens); a line without its newline fails."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), "the last record has no newline"
    return [json.loads(line, parse_constant=refuse) for line in data.splitlines()]


# ------------------------------------------------------------------------------ a last record without its newline

def test_a_whole_last_record_without_newline_is_completed_not_cut(tmp_path):
    store = ResultStore(tmp_path)
    store.append(record("a"))
    store.append(record("b"))
    store.path.write_bytes(store.path.read_bytes()[:-1])       # cut between `}` and `\n`
    assert store.finished_jobs() == {"a", "b"}
    store.append(record("c"))
    assert [r["job"] for r in strict_lines(store.path)] == ["a", "b", "c"]


def test_cli_rerun_after_the_final_newline_is_lost_keeps_the_finished_seed(tmp_path):
    out = tmp_path / "run"
    first = run_cli("run", *TINY_RUN, "--executor", "inline", "--seeds", "0", "--output", str(out))
    assert first.returncode == 0, first.stderr
    results = out / "results.jsonl"
    results.write_bytes(results.read_bytes()[:-1])             # truncate -s -1 results.jsonl
    second = run_cli("run", *TINY_RUN, "--executor", "inline", "--seeds", "0,1", "--output", str(out))
    assert second.returncode == 0, second.stderr
    seeds = [r["seed"] for r in strict_lines(results)]
    assert seeds == [0, 1]                                      # seed 0 kept, and not trained again


# ---------------------------------------------------------------------------------------------------- strict JSON

def test_non_finite_numbers_are_stored_as_null_with_the_reason(tmp_path):
    store = ResultStore(tmp_path)
    store.append(record("a", score=float("nan"), metrics={"pearson": float("nan"), "mse": 0.25},
                        hyperparameters={"lr": float("inf")}, validation={"history": [{"train_loss": -float("inf")}]}))
    [stored] = strict_lines(store.path)
    assert stored["score"] is None and stored["metrics"] == {"pearson": None, "mse": 0.25}
    assert stored["hyperparameters"]["lr"] is None and stored["validation"]["history"][0]["train_loss"] is None
    assert stored["non_finite"] == {"score": "NaN", "metrics.pearson": "NaN", "hyperparameters.lr": "Infinity",
                                    "validation.history.0.train_loss": "-Infinity"}
    assert store.load()[0]["status"] == "ok"


def test_finite_records_carry_no_non_finite_field(tmp_path):
    store = ResultStore(tmp_path)
    store.append(record("a"))
    assert "non_finite" not in strict_lines(store.path)[0]


# ------------------------------------------------------------------------------------- the store fails after training

@pytest.mark.parametrize("name", ["results.jsonl", ".results.lock"])
def test_a_directory_in_place_of_a_store_file_is_refused_before_anything_runs(tmp_path, name):
    out = tmp_path / "run"
    (out / name).mkdir(parents=True)
    with pytest.raises(UserError, match="not a regular file"):
        ResultStore(out).ensure_writable()
    result = run_cli("run", *TINY_RUN, "--executor", "inline", "--output", str(out))
    assert result.returncode == 2 and result.exception is None
    assert len(result.stderr.strip().splitlines()) == 1 and name in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [name]          # nothing trained, nothing written


def _full_disk(monkeypatch, path_part: str = ""):
    """Writes to files whose path contains `path_part` fail with ENOSPC (a full disk)."""
    import harness.store as store_module

    real = store_module._write_all

    def write(fd, data):
        if path_part in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)
    monkeypatch.setattr(store_module, "_write_all", write)


def test_a_full_disk_is_refused_before_anything_runs(tmp_path, monkeypatch):
    _full_disk(monkeypatch)
    with pytest.raises(UserError, match="No space left on device"):
        ResultStore(tmp_path / "run").ensure_writable()


def test_a_record_that_cannot_be_appended_is_kept_and_picked_up_by_the_next_run(tmp_path, monkeypatch, caplog):
    out = tmp_path / "run"
    kwargs = dict(models="tiny-gpt2", tasks="mrpc", data="sample", executor="inline", max_train_samples=16,
                  max_eval_samples=8, epochs=1, batch_size=8, latency_requests=0, write_report=False,
                  progress=lambda _: None, output=out)
    with monkeypatch.context() as patch:
        _full_disk(patch, "results.jsonl")
        first = harness.run(**kwargs)
    assert [r["status"] for r in first] == ["ok"]                  # this run still returns its result
    assert not (out / "results.jsonl").exists() or not (out / "results.jsonl").read_bytes()
    kept = [m for m in caplog.messages if "kept in" in m]
    assert len(kept) == 1 and len(kept[0].splitlines()) == 1
    assert [r["job"] for r in ResultStore(out).load()] == [first[0]["job"]]     # reports and resume see it
    second = harness.run(**kwargs)                                  # nothing to train: the kept record counts
    assert second == first
    assert [r["job"] for r in strict_lines(out / "results.jsonl")] == [first[0]["job"]]
    assert not any(p.name.startswith(".pending") for p in out.iterdir())


def test_an_interrupted_move_of_pending_records_adds_none_twice(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    with monkeypatch.context() as patch:
        _full_disk(patch, "/results.jsonl")          # the run directory's pending file can still be written
        store.append(record("a"))
    pending = tmp_path / ".pending-results.jsonl"
    assert pending.is_file() and store.path.read_bytes() == b""
    store.path.write_bytes(pending.read_bytes())     # moved, but the driver died before removing the pending file
    assert store.recover_pending() == 1
    assert [r["job"] for r in strict_lines(store.path)] == ["a"] and not pending.exists()


# ----------------------------------------------------------------------------------------- two drivers, one output

def test_two_drivers_started_together_run_each_job_once(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "harness", "run", *TINY_RUN, "--executor", "inline", "--seeds", "0,1",
               "--output", str(out)]
    drivers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outcomes = [(d.wait(timeout=300), d.stderr.read()) for d in drivers]
    for d in drivers:
        d.stdout.close()
        d.stderr.close()
    jobs = [r["job"] for r in strict_lines(out / "results.jsonl")]
    assert len(jobs) == len(set(jobs)) == 2, outcomes
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    refused = next(err for code, err in outcomes if code == 2)
    assert len(refused.strip().splitlines()) == 1 and "another harness run" in refused, refused


def test_a_second_driver_is_refused_while_the_first_holds_the_output(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from harness.store import ResultStore\n"
        "with ResultStore(sys.argv[1]).driving():\n    print('held', flush=True); time.sleep(60)"), str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=f"another harness run \\(pid {holder.pid}\\)"):
            with ResultStore(out).driving():
                pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with ResultStore(out).driving():        # the lock died with its holder
        pass
