"""The run directory: `results.jsonl` (one JSON line per finished job), per-job predictions, and run.json.

Durability and concurrency rules (docs/architecture.md, "Store and resume"):

- One driver per output at a time: `driving()` claims the run directory with an flock on `.run.lock`, held by the
  driver's own descriptor, so it dies with the driver (SIGKILL included). A second driver on the same output is
  refused before it runs anything (UserError naming the holder's pid), so no job is ever run by two drivers.
- A record is one `os.write` of one whole line to a file opened with O_APPEND, under an exclusive `flock` on
  `.results.lock`, followed by `fsync` (and an fsync of the directory when the file was just created). Writers
  (a driver, `recover_pending`) therefore never interleave.
- A writer killed in the middle of its write (Linux checks for a fatal signal between the pages of a write, so
  SIGKILL can cut a record that crosses a page boundary), a machine crash or a full disk can leave a last line
  without its newline. The next append holds the lock (so that line's writer is known to be dead) and repairs the
  tail first: a last line that parses as a record is whole (the cut fell between `}` and `\n`, or an editor dropped
  the final newline) and gets its newline; anything else is torn, skipped on load (its job runs again) and cut
  back to the last newline. The file stays valid JSON Lines; whole records are never removed or rewritten.
- Strict JSON: NaN and infinities have no JSON token, so the store writes them as null and lists each one's path
  and value in the record's `non_finite` field (the record keeps its status).
- A record that cannot be appended (a full disk, a directory in the way) is kept in a pending file, the run
  directory's `.pending-results.jsonl` or else one in the harness cache, and a warning says where. Loading reads
  pending records too; the next driver on the output moves them into `results.jsonl` (`recover_pending`).
- Records are written as `harness.record.Record` defines them (schema 2). Reading upgrades older records
  (`harness.record.upgrade`), so every reader, resume included, sees one schema; job ids never depended on it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
from pathlib import Path
from typing import Iterator

from harness.atomic import refuse_link, write_atomic
from harness.errors import UserError
from harness.locking import LockHeld, claim, file_lock
from harness.paths import cache_dir
from harness.record import Record, upgrade

logger = logging.getLogger(__name__)

RESULTS = "results.jsonl"
RESULTS_LOCK = ".results.lock"
RUN_LOCK = ".run.lock"                     # held by the one driver of the run directory
PENDING = ".pending-results.jsonl"        # records whose append failed, for the next driver to move in
PROBE_BYTES = 64 * 1024                    # what the writability check writes: a full disk fails it
FINAL_STATUSES = ("ok", "unsupported")     # a failed job is tried again when the run is resumed


class ResultStore:
    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / RESULTS
        self.lock_path = self.run_dir / RESULTS_LOCK
        self._seen_offset = 0                      # incremental reads for finished_since_refresh()
        self._seen_finished: set[str] = set()
        self._seen_inode: int | None = None

    def ensure_writable(self) -> None:
        """Refuse, before anything runs, an output the store could not write: a file, a directory or a link in
        place of one of the store's files, a linked predictions or plots folder, no permission, no space left."""
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise UserError(f"output {self.run_dir} exists and is not a directory", hint="choose another --output")
        for name in (RESULTS, RESULTS_LOCK, RUN_LOCK):
            path = self.run_dir / name
            if path.is_symlink() or (path.exists() and not path.is_file()):     # a link could lead outside
                raise UserError(f"{path} is not a regular file",
                                hint="move it out of the way, or choose another --output")
        refuse_link(self.run_dir / "predictions", "the predictions folder", "--output")
        refuse_link(self.run_dir / "plots", "the plots folder", "--output")      # the report after the run
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            _probe_write(self.run_dir / f".write-test-{os.getpid()}")
        except OSError as exc:
            raise UserError(f"output directory {self.run_dir} is not writable: {exc.strerror or exc}",
                            hint="free some space, or choose another --output") from None
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise UserError(f"{self.path} is not writable", hint="choose another --output")

    @contextlib.contextmanager
    def driving(self) -> Iterator[None]:
        """Hold the run directory for this driver for the block; a second driver is refused (UserError)."""
        try:
            fd = claim(self.run_dir / RUN_LOCK, str(os.getpid()))
        except LockHeld as held:
            who = f"another harness run (pid {held.holder})" if held.holder.isdigit() else "another harness run"
            raise UserError(f"{who} is writing to {self.run_dir}; this one ran nothing",
                            hint="wait for it to finish and run the same command again to resume any job it "
                                 "left, or choose another --output") from None
        try:
            yield
        finally:
            os.close(fd)

    def append(self, record: Record | dict) -> None:
        """Append one record; if that fails, keep it in a pending file (a warning says where)."""
        line = encode_line(record)
        try:
            self._append_line(line)
        except OSError as exc:
            self._keep_pending(line, exc)

    def _append_line(self, data: bytes) -> None:
        with file_lock(self.lock_path):
            created = not self.path.exists()
            # O_NOFOLLOW: a link put there during the run fails the append (kept pending), never written through
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            try:
                _repair_tail(fd)
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.run_dir)

    def _pending_paths(self) -> list[Path]:
        """Where a record that could not be appended is kept: the run directory, else the harness cache (another
        file system, perhaps with space left), under a name derived from the run directory's path."""
        key = hashlib.sha256(str(self.run_dir.resolve()).encode("utf-8")).hexdigest()[:16]
        return [self.run_dir / PENDING, cache_dir() / "pending-results" / f"{key}.jsonl"]

    def _keep_pending(self, line: bytes, error: OSError) -> None:
        job = json.loads(line).get("job")
        problem = f"could not append the record of job {job} to {self.path} ({error.strerror or error})"
        for path in self._pending_paths():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
                try:
                    _write_all(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError:
                continue
            logger.warning("%s; kept in %s, which the next run on this output adds to it", problem, path)
            return
        logger.error("%s, nor keep it elsewhere; the job runs again next time. The record: %s", problem,
                     line.decode("utf-8").strip())

    def recover_pending(self) -> int:
        """Move records kept in pending files into results.jsonl (the caller is the run's driver); returns how
        many. A pending file that still cannot be moved stays where it is, and loading keeps reading it."""
        moved = 0
        for path in self._pending_paths():
            if not path.is_file():
                continue
            lines = [line + b"\n" for line in path.read_bytes().splitlines() if _parse_line(line) is not None]
            # a move interrupted before the pending file was removed must not add its records twice
            stored = set(self.path.read_bytes().splitlines(keepends=True)) if self.path.is_file() else set()
            try:
                for line in lines:
                    if line not in stored:
                        self._append_line(line)
                path.unlink()
            except OSError as exc:
                logger.warning("records kept in %s could not be added to %s yet (%s)", path, self.path,
                               exc.strerror or exc)
                continue
            moved += len(lines)
            logger.info("added %d record(s) kept in %s by an earlier run to %s", len(lines), path, self.path)
        return moved

    def load(self) -> list[dict]:
        """Every intact record, in write order, as schema 2; then those kept in pending files."""
        records = []
        for path in (self.path, *self._pending_paths()):
            if path.is_file():
                records += [r for r in map(_parse_line, path.read_bytes().splitlines()) if r is not None]
        return records

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
        """predictions/<job>.json; if it cannot be written (a full disk), the report does without it (a warning)."""
        folder = self.run_dir / "predictions"
        try:
            folder.mkdir(exist_ok=True)
            write_atomic(folder / f"{job_id}.json", _strict_dumps(predictions))
        except OSError as exc:
            logger.warning("could not write the predictions of job %s to %s (%s); the report does without them",
                           job_id, folder, exc.strerror or exc)

    def read_predictions(self, job_id: str) -> dict | None:
        path = self.run_dir / "predictions" / f"{job_id}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def write_run_info(self, info: dict) -> None:
        """run.json: what was asked (settings, skipped tasks). Rewritten per invocation; results never are."""
        write_atomic(self.run_dir / "run.json", _strict_dumps(info, indent=1))

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


def _repair_tail(fd: int) -> None:
    """End the file with a newline (the caller holds the lock, so the last line's writer is done or dead): a last
    line that parses as a record is whole and gets its newline; a torn one is cut back to the previous newline."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    start = _last_line_start(fd, size)
    if _parse_line(os.pread(fd, size - start, start)) is not None:
        _write_all(fd, b"\n")
    else:
        os.ftruncate(fd, start)


def _last_line_start(fd: int, size: int) -> int:
    """Offset just past the last newline before `size` (0 if there is none)."""
    end, block = size, 64 * 1024
    while end > 0:
        start = max(0, end - block)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def _probe_write(path: Path) -> None:
    """Write, fsync and remove a scratch file: raises OSError where a record could not be written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        _write_all(fd, b"\0" * PROBE_BYTES)
        os.fsync(fd)
    finally:
        os.close(fd)
        path.unlink()


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


def encode_line(record: Record | dict) -> bytes:
    """One record as one line of strict JSON: NaN and infinities become null, each listed in `non_finite`."""
    if isinstance(record, Record):
        record = record.to_dict()
    replaced: dict[str, str] = {}
    clean = _finite(record, "", replaced)
    if replaced:
        clean["non_finite"] = replaced
    return (json.dumps(clean, default=_json_default, allow_nan=False) + "\n").encode("utf-8")


def _strict_dumps(value, **options) -> str:
    """JSON with NaN and infinities as null (predictions, run.json: no record to note them in)."""
    return json.dumps(_finite(value, "", {}), default=_json_default, allow_nan=False, **options)


def _finite(value, path: str, replaced: dict[str, str]):
    """`value` with every non-finite float replaced by None, its dotted path and value noted in `replaced`."""
    if isinstance(value, dict):
        return {k: _finite(v, f"{path}.{k}" if path else str(k), replaced) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, f"{path}.{i}", replaced) for i, v in enumerate(value)]
    if not isinstance(value, (str, bytes, int, float)) and hasattr(value, "item"):
        value = value.item()            # numpy and torch scalars
    if isinstance(value, float) and not math.isfinite(value):
        replaced[path] = json.dumps(value)          # NaN, Infinity or -Infinity
        return None
    return value


def _json_default(value):
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
