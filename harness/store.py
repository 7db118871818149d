"""The run directory: `results.jsonl` (one JSON line per finished job), per-job predictions, and run.json.

Durability and concurrency rules (docs/architecture.md, "Store and resume"):

- A record is one `os.write` of one whole line to a file opened with O_APPEND, under an exclusive `flock` on
  `.results.lock`, followed by `fsync` (and an fsync of the directory when the file was just created). Two drivers
  writing the same output therefore never interleave.
- A writer killed in the middle of its write (Linux checks for a fatal signal between the pages of a write, so
  SIGKILL can cut a record that crosses a page boundary), a machine crash or a full disk can leave a torn last
  line. It is skipped on load, so its job counts as not finished and runs again on resume. The next append, holding
  the lock (so the torn line's writer is known to be dead), first cuts the file back to its last newline: the file
  stays valid JSON Lines. Whole records are never rewritten.
- Records are written as `harness.record.Record` defines them (schema 2). Reading upgrades older records
  (`harness.record.upgrade`), so every reader, resume included, sees one schema; job ids never depended on it.
- Two drivers running the same command on the same output may both run a job that neither had finished when it
  started (the executor re-checks the store right before dispatching each job, which narrows but cannot close that
  window). Both records are valid; `latest()` keeps the last one per job.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from harness.errors import UserError
from harness.locking import file_lock
from harness.record import Record, upgrade

RESULTS = "results.jsonl"
FINAL_STATUSES = ("ok", "unsupported")     # a failed job is tried again when the run is resumed


class ResultStore:
    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / RESULTS
        self.lock_path = self.run_dir / ".results.lock"
        self._seen_offset = 0                      # incremental reads for finished_since_refresh()
        self._seen_finished: set[str] = set()
        self._seen_inode: int | None = None

    def ensure_writable(self) -> None:
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise UserError(f"output {self.run_dir} exists and is not a directory", hint="choose another --output")
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            probe = self.run_dir / f".write-test-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise UserError(f"output directory {self.run_dir} is not writable: {exc.strerror or exc}",
                            hint="choose another --output") from None
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise UserError(f"{self.path} is not writable", hint="choose another --output")

    def append(self, record: Record | dict) -> None:
        if isinstance(record, Record):
            record = record.to_dict()
        data = (json.dumps(record, sort_keys=False, default=_json_default) + "\n").encode("utf-8")
        with file_lock(self.lock_path):
            created = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _cut_torn_tail(fd)
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.run_dir)

    def load(self) -> list[dict]:
        """Every intact record, in write order, as schema 2."""
        if not self.path.is_file():
            return []
        return [r for r in map(_parse_line, self.path.read_bytes().splitlines()) if r is not None]

    def latest(self) -> list[dict]:
        """The last record of each job (a re-run failed job supersedes its earlier failure)."""
        by_job: dict[str, dict] = {}
        for record in self.load():
            by_job.pop(record["job"], None)
            by_job[record["job"]] = record
        return list(by_job.values())

    def finished_jobs(self) -> set[str]:
        return {r["job"] for r in self.load() if r["status"] in FINAL_STATUSES}

    def finished_now(self) -> set[str]:
        """Jobs finished so far, reading only what was appended since the last call (cheap to call per dispatch).

        Lets an executor skip a job that another driver on the same output finished in the meantime.
        """
        try:
            stat = self.path.stat()
        except OSError:
            return set(self._seen_finished)
        if stat.st_ino != self._seen_inode or stat.st_size < self._seen_offset:
            self._seen_inode, self._seen_offset, self._seen_finished = stat.st_ino, 0, set()
        if stat.st_size > self._seen_offset:
            with open(self.path, "rb") as f:
                f.seek(self._seen_offset)
                chunk = f.read(stat.st_size - self._seen_offset)
            end = chunk.rfind(b"\n") + 1            # a line still being written is read next time
            for line in chunk[:end].splitlines():
                record = _parse_line(line)
                if record is not None and record["status"] in FINAL_STATUSES:
                    self._seen_finished.add(record["job"])
            self._seen_offset += end
        return set(self._seen_finished)

    def write_predictions(self, job_id: str, predictions: dict) -> None:
        folder = self.run_dir / "predictions"
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{job_id}.{os.getpid()}.json.tmp"
        tmp.write_text(json.dumps(predictions, default=_json_default))
        tmp.replace(folder / f"{job_id}.json")

    def read_predictions(self, job_id: str) -> dict | None:
        path = self.run_dir / "predictions" / f"{job_id}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def write_run_info(self, info: dict) -> None:
        """run.json: what was asked (settings, skipped tasks). Rewritten per invocation; results never are."""
        tmp = self.run_dir / f".run.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(info, indent=1, default=_json_default))
        tmp.replace(self.run_dir / "run.json")

    def read_run_info(self) -> dict:
        try:
            return json.loads((self.run_dir / "run.json").read_text())
        except (OSError, json.JSONDecodeError):
            return {}


def _parse_line(line: bytes) -> dict | None:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if isinstance(record, dict) and isinstance(record.get("job"), str) and "status" in record:
        return upgrade(record)
    return None


def _cut_torn_tail(fd: int) -> None:
    """Truncate an unterminated last line (a writer died mid-write; the caller holds the lock)."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end, block = size, 64 * 1024
    while end > 0:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _json_default(value):
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
