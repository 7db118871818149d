"""Executors run jobs and hand each result back to the driver, which alone writes the store.

- inline: in this process, one after another (debugging, tests).
- local: worker processes on this machine, placed by harness.schedule (several per GPU while their memory
  estimates fit, data-parallel jobs through `accelerate launch`); a crash, hang or kill of one job becomes a `failed`
  result and the worker is replaced, so the sweep goes on.
- ray: the same job function as Ray tasks (fractional `num_gpus` for packing) on a local or existing Ray cluster.

Each executor tells the display what happens through typed events (harness.schedule.progress), logs diagnostics
with `logging`, and hands results over through harness.executors.delivery, the same for all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from harness.job import Job

OnResult = Callable[[Job, dict, "dict | None"], None]
EXECUTORS = ("local", "inline", "ray")


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep uses the machine (or cluster); everything here leaves the jobs' results unchanged."""
    device: str = "auto"
    workers: int | None = 1               # CPU worker processes; None: auto (harness.schedule.cpu_workers)
    jobs_per_gpu: int | None = None       # None: auto (memory estimates, at most 8, at most one per CPU core)
    parallel: str = "auto"                # auto | data | none
    num_processes: int | None = None      # processes of a data-parallel job
    accelerate_config: str | None = None  # user's accelerate config for data-parallel jobs (FSDP, DeepSpeed, ...)
    job_timeout: float | None = None
    ray_address: str | None = None


class Executor(Protocol):
    def run(self, jobs: list[Job], on_result: OnResult, progress=None) -> None: ...


def ray_missing_error():
    from harness.errors import UserError

    return UserError("--executor ray needs Ray, which is not installed",
                     hint="pip install 'harness[ray]' (or pip install 'ray[default]')")


def check_executor(name: str) -> None:
    """Fail early (UserError, exit 2) for an unknown executor or a missing optional dependency."""
    from harness.errors import UserError, did_you_mean

    if name not in EXECUTORS:
        raise UserError(f"unknown executor {name!r}", hint=did_you_mean(name, EXECUTORS) or
                        "executors: " + ", ".join(EXECUTORS))
    if name == "ray":
        import importlib.util

        try:
            found = importlib.util.find_spec("ray") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise ray_missing_error()
        try:
            import ray  # noqa: F401
        except Exception:  # noqa: BLE001 - a broken install is the same problem for the user
            raise ray_missing_error() from None


def make_executor(name: str, *, run: str, workers: int = 1, job_timeout: float | None = None,
                  options: SweepOptions | None = None, store=None, job_fn: str | None = None) -> Executor:
    check_executor(name)
    options = options or SweepOptions(workers=workers, job_timeout=job_timeout)
    if name == "inline":
        from harness.executors.inline import InlineExecutor
        return InlineExecutor(run=run, job_fn=job_fn)
    if name == "ray":
        from harness.executors.ray_executor import RayExecutor
        return RayExecutor(run=run, options=options, store=store, job_fn=job_fn)
    from harness.executors.local import LocalExecutor
    return LocalExecutor(run=run, options=options, store=store, job_fn=job_fn)
