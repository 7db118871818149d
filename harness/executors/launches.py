"""Data-parallel launches run by the local executor: one `accelerate launch` subprocess per job (the command and the
rank side live in harness.executors.distributed), watched by the driver like a worker."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import TIMEOUT, WORKER_DIED
from harness.executors.processes import descendants, kill_all, parent_death_sigterm
from harness.job import failed_record
from harness.schedule.placement import Placement


@dataclass(eq=False)
class Launch:
    placement: Placement
    process: subprocess.Popen
    folder: Path
    started: float
    log_file: object = field(repr=False, default=None)

    @classmethod
    def start(cls, placement: Placement, run_name: str, accelerate_config: str | None) -> "Launch":
        from harness.executors.distributed import launch_command, launch_env, write_job_file

        folder = Path(tempfile.mkdtemp(prefix=f"harness-ddp-{placement.job.id}-"))
        job_file, out_file = folder / "job.json", folder / "result.json"
        write_job_file(job_file, placement.job, run_name)
        cmd = launch_command(job_file, out_file, processes=placement.processes, accelerate_config=accelerate_config)
        ids = [d.visible_id for d in placement.devices] if placement.devices[0].kind == "cuda" else None
        log_file = open(folder / "launch.log", "wb")
        process = subprocess.Popen(cmd, env=launch_env(ids, placement.processes), stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=parent_death_sigterm)
        return cls(placement=placement, process=process, folder=folder, started=time.monotonic(), log_file=log_file)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the launcher and every rank. torchrun starts ranks in sessions of their own, so killing the
        launcher's process group is not enough: SIGTERM first (the launcher stops its ranks), then SIGKILL to
        whatever of its process tree is left."""
        if self.process.poll() is None:
            family = descendants(self.process.pid)
            try:
                os.killpg(self.process.pid, signal.SIGTERM)     # its own session: the group is the launcher's
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            family += descendants(self.process.pid)
            self.process.kill()
            kill_all(family)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        if self.log_file is not None:
            self.log_file.close()

    def outcome(self, run_name: str, reason: str | None) -> tuple[dict, dict | None]:
        """The job's record and predictions (a failed record when it timed out or no rank wrote one); the launch's
        folder is removed."""
        from harness.executors.distributed import read_outcome

        record, predictions = (None, None) if reason else read_outcome(self.folder / "result.json")
        if record is None:
            error_type = TIMEOUT if reason else WORKER_DIED
            if reason is None:
                tail = _last_error_line(self.folder / "launch.log")
                reason = f"data-parallel launch exited with code {self.process.returncode}" + \
                         (f": {tail}" if tail else "")
            record, predictions = failed_record(self.placement.job, run_name, reason, error_type), None
        self.discard()
        return record, predictions

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _last_error_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""
