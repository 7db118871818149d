"""The run directory: `results.jsonl` (one JSON line per finished job), per-job predictions, and run.json.

Appends take an exclusive lock (two runs writing the same output cannot interleave), then flush and fsync, so a
crash can tear at most the last line; a torn or corrupt line is skipped on load and its job simply runs again.
Nothing is ever rewritten in place.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from harness.errors import UserError
from harness.locking import file_lock

RESULTS = "results.jsonl"
FINAL_STATUSES = ("ok", "unsupported")     # a failed job is tried again when the run is resumed


class ResultStore:
    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / RESULTS
        self.lock_path = self.run_dir / ".results.lock"

    def ensure_writable(self) -> None:
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            probe = self.run_dir / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise UserError(f"output directory {self.run_dir} is not writable: {exc.strerror}",
                            hint="choose another --output") from None

    def append(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=False, default=_json_default) + "\n"
        with file_lock(self.lock_path):
            with open(self.path, "a+b") as f:
                # A crash may have left a torn line without its newline: start on a fresh line so ours stays whole.
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        f.write(b"\n")
                f.write(line.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())

    def load(self) -> list[dict]:
        """Every intact record, in write order."""
        if not self.path.is_file():
            return []
        records = []
        for line in self.path.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(record, dict) and "job" in record and "status" in record:
                records.append(record)
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

    def write_predictions(self, job_id: str, predictions: dict) -> None:
        folder = self.run_dir / "predictions"
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{job_id}.json.tmp"
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
        tmp = self.run_dir / ".run.json.tmp"
        tmp.write_text(json.dumps(info, indent=1, default=_json_default))
        tmp.replace(self.run_dir / "run.json")

    def read_run_info(self) -> dict:
        try:
            return json.loads((self.run_dir / "run.json").read_text())
        except (OSError, json.JSONDecodeError):
            return {}


def _json_default(value):
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def load_records(paths: Iterable[str | Path]) -> list[dict]:
    out = []
    for path in paths:
        out.extend(ResultStore(path).latest())
    return out
