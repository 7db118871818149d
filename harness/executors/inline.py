"""Run jobs in the calling process, one after another (debugging; a crash here takes the sweep down).

The caller's process is not ours: its warning filters and logging stay as they are (a Python-API user sees the
warnings a job raises), and the environment variables jobs want are set only while the jobs run.
"""
from __future__ import annotations

from harness.executors.delivery import Delivery, guarded_run, status_sender
from harness.executors.worker import DEFAULT_JOB_FN, job_environment, load_function
from harness.schedule.progress import JobStarted, NullProgress
from harness.schedule.sharing import solo


class InlineExecutor:
    def __init__(self, run: str, job_fn: str | None = None):
        self.run_name, self.job_fn = run, job_fn or DEFAULT_JOB_FN

    def run(self, jobs, on_result, progress=None) -> None:
        progress = progress or NullProgress()
        deliver = Delivery(on_result, progress)
        job_fn = load_function(self.job_fn)
        with job_environment():
            for job in jobs:
                progress.emit(JobStarted(job.id, job.label, "inline"))
                record, predictions = guarded_run(job_fn, job, self.run_name,
                                                  log=status_sender(progress.emit, job.id))
                # one job at a time: nothing else ran on the device during its measurements
                deliver(job, record, predictions, {"where": "inline"}, shared=solo(record))
