"""Executors run jobs and hand each result back to the driver, which alone writes the store.

- inline: in this process, one after another (debugging, tests).
- local: persistent worker processes; a crash, hang or kill of one job becomes a `failed` result and the worker
  is replaced, so the sweep goes on.
"""
from __future__ import annotations

from typing import Callable, Protocol

from harness.plan import Job

OnResult = Callable[[Job, dict, "dict | None"], None]


class Executor(Protocol):
    def run(self, jobs: list[Job], on_result: OnResult) -> None: ...


def make_executor(name: str, *, run: str, workers: int, job_timeout: float | None, log) -> Executor:
    from harness.errors import UserError

    if name == "inline":
        from harness.executors.inline import InlineExecutor
        return InlineExecutor(run=run, log=log)
    if name == "local":
        from harness.executors.local import LocalExecutor
        return LocalExecutor(run=run, workers=workers, job_timeout=job_timeout, log=log)
    raise UserError(f"unknown executor {name!r}", hint="executors: local, inline")
