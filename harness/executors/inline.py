"""Run jobs in the calling process, one after another."""
from __future__ import annotations

from harness.executors.worker import quiet_libraries
from harness.job import run_job


class InlineExecutor:
    def __init__(self, run: str, log=lambda _: None):
        self.run_name, self.log = run, log

    def run(self, jobs, on_result) -> None:
        quiet_libraries()
        for job in jobs:
            record, predictions = run_job(job, run=self.run_name)
            on_result(job, record, predictions)
