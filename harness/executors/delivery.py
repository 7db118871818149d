"""What every executor does with a job's outcome, written once: run the job function so that a failure becomes a
result, and hand the result to the driver (schedule section, memory observation, store callback, display)."""
from __future__ import annotations

import logging
from typing import Callable

from harness.errors import error_type_of
from harness.executors import OnResult
from harness.job import Job, failed_record
from harness.schedule.progress import JobFinished, JobStatus, Progress, status_text

logger = logging.getLogger(__name__)


def guarded_run(job_fn, job: Job, run: str, **kwargs) -> tuple[dict, dict | None]:
    """(record, predictions) of `job_fn(job, run=run, **kwargs)`; an exception is a `failed` result. run_job never
    raises, but a replacement job function might."""
    try:
        return job_fn(job, run=run, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a job's failure is data, not a crash
        return failed_record(job, run, f"{type(exc).__name__}: {exc}", error_type_of(exc)), None


def status_sender(send: Callable[[JobStatus], None], job_id: str) -> Callable[[object], None]:
    """The status callback a job function gets: each message becomes one JobStatus line, sent with `send`."""
    def status(text: object) -> None:
        line = status_text(text)
        if line:
            send(JobStatus(job_id, line))
    return status


class Delivery:
    """Hands each finished job to the driver: completes its `schedule` section, lets the memory model learn from
    it, calls on_result (the store) and shows it; a failed job's traceback goes to the log."""

    def __init__(self, on_result: OnResult, progress: Progress, memory=None):
        self.on_result, self.progress, self.memory = on_result, progress, memory

    def __call__(self, job: Job, record: dict, predictions: dict | None, schedule: dict,
                 shared: dict[str, int] | None = None) -> None:
        section = record.setdefault("schedule", schedule)
        if shared is not None:
            section["shared"] = shared
        if record.get("traceback"):
            logger.debug("%s failed:\n%s", job.label, record["traceback"])
        if self.memory is not None:
            self.memory.observe(record)
        self.on_result(job, record, predictions)
        self.progress.emit(JobFinished(job.id, job.label, record))
