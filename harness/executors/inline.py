"""Run jobs in the calling process, one after another (debugging; a crash here takes the sweep down)."""
from __future__ import annotations

from harness.executors.worker import quiet_libraries
from harness.job import run_job
from harness.schedule.progress import NullProgress
from harness.schedule.sharing import solo


class InlineExecutor:
    def __init__(self, run: str, log=lambda _: None):
        self.run_name, self.log = run, log

    def run(self, jobs, on_result, progress=None) -> None:
        progress = progress or NullProgress()
        quiet_libraries()
        for job in jobs:
            progress.started(job.id, job.label, "inline")
            record, predictions = run_job(job, run=self.run_name, log=lambda text, _id=job.id: progress.update(
                _id, str(text).strip().splitlines()[0] if str(text).strip() else ""))
            # one job at a time: nothing else ran on the device during its measurements
            record.setdefault("schedule", {"where": "inline", "shared": solo(record)})
            on_result(job, record, predictions)
            progress.finished(job.id, job.label, record)
