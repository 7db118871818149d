"""Jobs as Ray tasks: the same job function, on a local Ray instance or an existing cluster (`--ray-address`).

Each job is one task with `max_retries=0` (a failure is a result, not a retry). On GPUs a task asks for a fraction of
one GPU, so Ray packs several small jobs per GPU: `1/N` with `--jobs-per-gpu N`; with `auto` the job's memory
estimate (harness.schedule.memory) divided by the memory of one GPU (read from this machine's first GPU, else
80 GiB), rounded up to eighths. Ray sets CUDA_VISIBLE_DEVICES for each task, and by Ray's default a GPU task runs
in a fresh worker process, so every job gets its memory back. CPU-only clusters: one CPU per task.

Results come back to the driver, which alone writes the store, exactly as with the local executor. A task that
crashes its worker, is cancelled after --job-timeout, or raises becomes a `failed` result with the reason.

The cluster must see the same files as the driver: harness installed in the same version on every node, and the
prepared data and model directories at the same paths (a shared filesystem, or HARNESS_CACHE pointing at one).
Data-parallel (multi-GPU) jobs are not run under Ray: each job takes at most one GPU there.

Offline (HF_HUB_OFFLINE=1), a local instance started here makes no connection off this machine
(harness.executors.ray_offline).
"""
from __future__ import annotations

import logging
import math
import os
import time
from collections import deque

from harness.errors import TIMEOUT, WORKER_DIED
from harness.executors import SweepOptions
from harness.executors.delivery import Delivery, guarded_run
from harness.executors.ray_offline import environment, local_ray_env
from harness.executors.worker import DEFAULT_JOB_FN
from harness.job import Job, failed_record
from harness.schedule.progress import JobStarted, NullProgress

logger = logging.getLogger(__name__)

FORWARDED_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HOME", "HARNESS_CACHE", "TRANSFORMERS_OFFLINE",
                 "TOKENIZERS_PARALLELISM")
DEFAULT_GPU_BYTES = 80 * 1024 ** 3


def _ray_job(job_dict: dict, run: str, job_fn: str):
    """The Ray task: run one job in a Ray worker; never raises."""
    from harness.executors.worker import load_function, quiet_libraries

    quiet_libraries()
    record, predictions = guarded_run(load_function(job_fn), Job.from_dict(job_dict), run)
    try:
        import ray

        record.setdefault("ray", {"node": ray.get_runtime_context().get_node_id(),
                                  "gpu_ids": [str(g) for g in ray.get_gpu_ids()]})
    except Exception:  # noqa: BLE001 - bookkeeping only
        pass
    return record, predictions


def gpu_fraction(estimate_bytes: int | None, gpu_bytes: int, jobs_per_gpu: int | None) -> float:
    """The `num_gpus` a task asks for: 1/N, or its estimate's share of one GPU rounded up to eighths."""
    if jobs_per_gpu:
        return round(1.0 / jobs_per_gpu, 4)
    if estimate_bytes is None:
        return 1.0
    eighths = min(8, max(1, math.ceil(8 * estimate_bytes / max(1, gpu_bytes))))
    return eighths / 8


class RayExecutor:
    def __init__(self, run: str, options: SweepOptions | None = None, store=None, job_fn: str | None = None):
        self.run_name, self.store = run, store
        self.options = options or SweepOptions()
        self.job_fn = job_fn or DEFAULT_JOB_FN

    def _init(self):
        import logging

        import ray

        if ray.is_initialized():
            return ray, False
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        started_env = local_ray_env() if self.options.ray_address is None else {}
        try:
            with environment(started_env):
                ray.init(address=self.options.ray_address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR, runtime_env={"env_vars": env})
        except (ConnectionError, RuntimeError, ValueError) as exc:
            from harness.errors import UserError

            where = self.options.ray_address or "a local Ray instance"
            raise UserError(f"cannot connect to Ray at {where}: {str(exc).splitlines()[0]}",
                            hint="start one with `ray start --head` and pass --ray-address auto") from None
        return ray, True

    def run(self, jobs: list[Job], on_result, progress=None) -> None:
        progress = progress or NullProgress()
        if not jobs:
            return
        ray, started_here = self._init()
        if self.options.parallel == "data":
            logger.warning("--executor ray runs each job on at most one GPU; --parallel data is ignored")
        from harness.schedule.memory import MemoryModel

        memory = MemoryModel(self.store.load() if self.store is not None else [])
        deliver = Delivery(on_result, progress, memory)
        task = ray.remote(_ray_job)
        queue, window = self._queue(jobs, memory, ray.cluster_resources())
        pending: dict = {}
        overdue: set = set()
        try:
            while queue or pending:
                while queue and len(pending) < window:
                    job, gpus, where = queue.popleft()
                    ref = task.options(num_gpus=gpus, num_cpus=1, max_retries=0).remote(
                        job.to_dict(), self.run_name, self.job_fn)
                    pending[ref] = (job, time.monotonic(), where)
                    progress.emit(JobStarted(job.id, job.label, where))
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in ready:
                    job, _, where = pending.pop(ref)
                    try:
                        record, predictions = ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - RayTaskError, WorkerCrashedError, cancellation
                        reason = (f"timed out after {self.options.job_timeout:g} s (--job-timeout)"
                                  if ref in overdue else _ray_reason(exc))
                        error_type = TIMEOUT if ref in overdue else WORKER_DIED
                        record, predictions = failed_record(job, self.run_name, reason, error_type), None
                    deliver(job, record, predictions, {"where": where, "executor": "ray"})
                timeout = self.options.job_timeout
                if timeout:
                    now = time.monotonic()
                    for ref, (_, started, _) in pending.items():
                        if ref not in overdue and now - started > timeout:
                            overdue.add(ref)
                            ray.cancel(ref, force=True)
                progress.tick()
        finally:
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - best effort on the way out
                    pass
            if started_here:
                ray.shutdown()


    def _queue(self, jobs: list[Job], memory, resources: dict) -> tuple:
        """(job, num_gpus, where) per job, and how many tasks to keep submitted: only what the cluster can run at
        once, so a job's clock (--job-timeout) starts when it starts."""
        cluster_gpus, cluster_cpus = float(resources.get("GPU", 0)), float(resources.get("CPU", 1))
        gpu_bytes = _local_gpu_bytes() or DEFAULT_GPU_BYTES
        queue = deque()
        for job in jobs:
            if cluster_gpus > 0 and job.device != "cpu":
                gpus = gpu_fraction(memory.estimate(job).bytes, gpu_bytes, self.options.jobs_per_gpu)
                queue.append((job, gpus, f"ray:gpu×{gpus:g}"))
            else:
                queue.append((job, 0, "ray:cpu"))
        smallest = min((g for _, g, _ in queue if g), default=0)
        window = max(1, int(cluster_cpus))
        if smallest:
            window = max(1, min(window, int(cluster_gpus / smallest + 1e-9)))
        return queue, window


def _ray_reason(exc: Exception) -> str:
    name = type(exc).__name__
    if "Cancel" in name:
        return "cancelled (--job-timeout)"
    if "WorkerCrashed" in name or "ActorDied" in name or "NodeDied" in name:
        return f"Ray worker died ({name}): {str(exc).splitlines()[0][:200]}"
    cause = getattr(exc, "cause", None)
    if cause is not None:
        return f"{type(cause).__name__}: {str(cause).splitlines()[0][:200]}"
    return f"{name}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def _local_gpu_bytes() -> int | None:
    try:
        import torch

        if torch.cuda.is_available():
            return int(torch.cuda.get_device_properties(0).total_memory)
    except Exception:  # noqa: BLE001
        return None
    return None
