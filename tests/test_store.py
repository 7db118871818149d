"""The result store: append-only, whole lines under a lock, torn lines skipped, safe under concurrent writers."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.store import ResultStore


def record(job: str, status: str = "ok", **extra) -> dict:
    return {"schema": 1, "job": job, "status": status, "score": 0.5, **extra}


def test_append_and_load_round_trip(tmp_path):
    store = ResultStore(tmp_path)
    store.append(record("a"))
    store.append(record("b", "failed", error="boom"))
    store.append(record("b", "ok"))
    assert [r["job"] for r in store.load()] == ["a", "b", "b"]
    assert {r["job"]: r["status"] for r in store.latest()} == {"a": "ok", "b": "ok"}
    assert store.finished_jobs() == {"a", "b"}


def test_failed_and_unsupported_count_as_expected(tmp_path):
    store = ResultStore(tmp_path)
    store.append(record("a", "failed"))
    store.append(record("b", "unsupported"))
    assert store.finished_jobs() == {"b"}       # failed jobs run again on resume; unsupported never


@pytest.mark.parametrize("padding", [0, 200_000])
def test_torn_last_line_is_ignored_then_cut_by_the_next_append(tmp_path, padding):
    store = ResultStore(tmp_path)
    store.append(record("a"))
    whole = json.dumps(record("b", padding="x" * padding)) + "\n"
    with open(store.path, "ab") as f:
        f.write(whole[: len(whole) // 2].encode())          # a writer killed in the middle of its write
    assert [r["job"] for r in store.load()] == ["a"]
    assert store.finished_jobs() == {"a"}                    # so job b runs again
    store.append(record("b"))
    lines = store.path.read_bytes().splitlines()
    assert [json.loads(line)["job"] for line in lines] == ["a", "b"]     # the torn part is gone, nothing else


def test_a_typed_record_is_written_as_schema_2(tmp_path):
    from harness.record import Record

    store = ResultStore(tmp_path)
    store.append(Record(job="a", status="ok", architecture="decoder"))
    stored = json.loads(store.path.read_text())
    assert stored["schema"] == 2 and stored["architecture"] == "decoder" and stored["train"]["samples_per_s"] is None
    assert store.load() == [stored]


def test_schema_1_records_are_read_as_schema_2_and_still_finish_their_jobs(tmp_path):
    store = ResultStore(tmp_path)
    store.append(record("a", family="encoder"))
    store.append(record("b", "failed", family="decoder", error="worker process died with SIGSEGV"))
    loaded = {r["job"]: r for r in store.load()}
    assert loaded["a"]["architecture"] == "encoder" and "family" not in loaded["a"] and loaded["a"]["schema"] == 2
    assert loaded["a"]["error_type"] is None and loaded["b"]["error_type"] == "worker_died"
    assert loaded["a"]["memory"]["peak_rss_bytes"] is None           # missing fields are there, null
    assert store.finished_jobs() == store.finished_now() == {"a"}


def test_garbage_and_foreign_lines_are_skipped(tmp_path):
    store = ResultStore(tmp_path)
    store.path.write_bytes(b'\xff\xfe not json\n[1, 2]\n{"no": "job"}\n{"job": 3, "status": "ok"}\n')
    store.append(record("a"))
    assert [r["job"] for r in store.load()] == ["a"]


def test_finished_now_reads_only_new_whole_lines(tmp_path):
    store = ResultStore(tmp_path)
    assert store.finished_now() == set()
    store.append(record("a"))
    assert store.finished_now() == {"a"}
    with open(store.path, "ab") as f:                         # a line being written by another process
        f.write(b'{"job": "b", "status": "ok"')
    assert store.finished_now() == {"a"}
    with open(store.path, "ab") as f:
        f.write(b"}\n")
    assert store.finished_now() == {"a", "b"}


def test_output_that_is_a_file_is_a_user_error(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(UserError, match="not a directory"):
        ResultStore(target).ensure_writable()
    with pytest.raises(UserError, match="not writable"):
        ResultStore(target / "sub").ensure_writable()


_WRITER = textwrap.dedent("""
    import sys
    from harness.store import ResultStore
    store = ResultStore(sys.argv[1])
    tag, count = sys.argv[2], int(sys.argv[3])
    padding = "x" * int(sys.argv[4])
    for i in range(count):
        store.append({"job": f"{tag}-{i}", "status": "ok", "padding": padding})
""")


def _writer(tmp_path: Path, out: Path, tag: str, count: int, padding: int) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    return subprocess.Popen([sys.executable, str(script), str(out), tag, str(count), str(padding)],
                            start_new_session=True)


def test_two_concurrent_writers_never_interleave(tmp_path):
    out = tmp_path / "run"
    # records larger than a pipe/page buffer would show interleaving if the lock or single write were missing
    writers = [_writer(tmp_path, out, tag, 150, 20_000) for tag in ("p", "q")]
    for w in writers:
        assert w.wait(timeout=60) == 0
    lines = (out / "results.jsonl").read_bytes().splitlines()
    assert len(lines) == 300
    jobs = [json.loads(line)["job"] for line in lines]      # every line parses: nothing interleaved
    assert sorted(jobs) == sorted([f"p-{i}" for i in range(150)] + [f"q-{i}" for i in range(150)])


def test_sigkill_while_appending_never_corrupts_the_file(tmp_path):
    """A writer killed at random moments, 20 times: after the next append every line is a whole record."""
    out = tmp_path / "run"
    rng = random.Random(5)
    for attempt in range(20):
        writer = _writer(tmp_path, out, f"k{attempt}", 100_000, rng.choice([10, 5_000, 100_000]))
        time.sleep(0.1 + rng.random() * 0.25)
        os.killpg(writer.pid, signal.SIGKILL)
        writer.wait()
    ResultStore(out).append({"job": "last", "status": "ok"})  # cuts a torn tail the last kill may have left
    lines = (out / "results.jsonl").read_bytes().splitlines()
    assert lines
    for line in lines:
        assert json.loads(line)["status"] == "ok"
    assert len(ResultStore(out).load()) == len(lines)
