"""Worker processes on this machine, placed by harness.schedule.

Each worker is spawned (never forked) with its GPU already chosen: CUDA_VISIBLE_DEVICES is set in the environment it
starts with, so a job sees exactly one GPU, as cuda:0. A worker imports torch once and then runs job after job on
that GPU; several workers share a GPU when the scheduler packs small jobs. Data-parallel jobs run as an
`accelerate launch` subprocess (harness.executors.distributed) on GPUs reserved for them.

The driver waits on the workers' pipes and process sentinels together: progress lines and results are handled as
they arrive; a worker that dies (segfault, OOM kill, SIGKILL) or outlives --job-timeout turns its current job into a
`failed` result with the reason, and a fresh worker takes its place. A job that ran out of GPU memory while sharing
its GPU is tried once more alone before it counts as failed. Workers say when each job began and send its
measurement windows with the result; the driver records in `schedule.shared` how many other jobs ran on the same
device during each measurement (harness.schedule.sharing). Ctrl-C (KeyboardInterrupt in the driver) kills every
worker and launcher and propagates; results already stored stay.

One sweep (`_Sweep`) loops over four steps: skip jobs finished elsewhere, dispatch placed jobs (to idle workers or
as launches), collect what the workers sent (results, deaths, timeouts), reap finished or overdue launches.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import time
from collections import deque
from dataclasses import dataclass, replace
from multiprocessing.connection import wait

from harness.errors import OUT_OF_MEMORY, TIMEOUT
from harness.executors import SweepOptions
from harness.executors.delivery import Delivery
from harness.executors.launches import Launch
from harness.executors.processes import death_error_type, death_reason, scoped_environment
from harness.executors.worker import DEFAULT_JOB_FN, Began, Outcome, RunJob
from harness.job import Job, failed_record
from harness.schedule.devices import Device, discover
from harness.schedule.cpu_workers import (available_cores, available_ram_bytes, choose_cpu_workers,
                                          threads_per_worker)
from harness.schedule.memory import MemoryModel, job_precision
from harness.schedule.placement import Placement, Scheduler
from harness.schedule.progress import JobRequeued, JobsSkipped, JobStarted, JobStatus, NullProgress
from harness.schedule.sharing import DeviceSharing, measured

logger = logging.getLogger(__name__)

POLL_S = 0.5


@dataclass(eq=False)
class _Worker:
    process: mp.Process
    conn: object
    device: Device
    placement: Placement | None = None
    started: float = 0.0
    outcome: Outcome | None = None      # read but not handled yet

    def stop(self, graceful: bool = False) -> None:
        if graceful and self.process.is_alive():
            try:
                self.conn.send(None)
            except (OSError, BrokenPipeError, ValueError):
                pass
            self.process.join(timeout=0.5)     # an idle worker holds nothing: no need to wait long
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        try:
            self.conn.close()
        except OSError:
            pass
        self.placement = None


def is_oom(record: dict) -> bool:
    return record.get("status") == "failed" and record.get("error_type") == OUT_OF_MEMORY


def _timeout_reason(timeout: float) -> str:
    return f"timed out after {timeout:g} s (--job-timeout)"


class LocalExecutor:
    def __init__(self, run: str, options: SweepOptions | None = None, store=None, job_fn: str | None = None,
                 devices: list[Device] | None = None):
        self.run_name, self.store = run, store
        self.options = options or SweepOptions()
        self.job_fn = job_fn or DEFAULT_JOB_FN
        self.devices = devices
        self._ctx = mp.get_context("spawn")   # fork after torch initialises threads or CUDA is unsafe

    def spawn(self, device: Device, threads: int) -> _Worker:
        from harness.executors.worker import worker_main

        parent, child = self._ctx.Pipe()
        # The sweep's split of the cores, not an inherited OMP_NUM_THREADS: each job records `threads` as its
        # cpu_threads, and workers that run a job function without torch preloaded take it from here.
        env = {"OMP_NUM_THREADS": str(threads),
               # spin-waiting OpenMP threads of several workers on few cores slow every one of them down badly
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY") or "PASSIVE"}
        if device.kind == "cuda":
            env["CUDA_VISIBLE_DEVICES"] = device.visible_id
        process = self._ctx.Process(target=worker_main, args=(child, threads, self.job_fn, os.getpid()), daemon=True)
        with scoped_environment(env):       # a spawned child copies the environment when it starts
            process.start()
        child.close()
        return _Worker(process=process, conn=parent, device=device)

    def run(self, jobs: list[Job], on_result, progress=None) -> None:
        if jobs:
            _Sweep(self, jobs, on_result, progress or NullProgress()).go()


class _Sweep:
    """One call of LocalExecutor.run: the queue, the workers and launches, and what the driver hears from them."""

    def __init__(self, executor: LocalExecutor, jobs: list[Job], on_result, progress):
        from harness.executors.distributed import is_sharded_config

        self.ex, self.progress = executor, progress
        options = executor.options
        self.memory = MemoryModel(executor.store.load() if executor.store is not None else [])
        self.deliver = Delivery(on_result, progress, self.memory)
        devices = executor.devices or discover(options.device)
        cores = available_cores()
        self.scheduler = Scheduler(devices, memory=self.memory, jobs_per_gpu=options.jobs_per_gpu,
                                   cpu_workers=self._cpu_workers(options, devices, jobs, cores),
                                   parallel=options.parallel, num_processes=options.num_processes,
                                   sharded=is_sharded_config(options.accelerate_config))
        ordered = self.scheduler.order(jobs)
        self.pending: deque = deque((job, 1, False) for job in ordered)
        any_single = any(not self.scheduler.need(job).distributed for job in ordered)
        self.total_workers = min(self.scheduler.total_slots, len(jobs)) if any_single else 0
        self.threads = threads_per_worker(cores, self.total_workers)
        self.workers: list[_Worker] = []
        self.launches: list[Launch] = []
        self.sharing = DeviceSharing()
        self.timeout = options.job_timeout

    def _cpu_workers(self, options: SweepOptions, devices: list[Device], jobs: list[Job], cores: int) -> int:
        """--workers N, or what auto chooses for these jobs on this machine (GPU sweeps have no CPU workers)."""
        if options.workers is not None:
            return options.workers
        if any(d.kind == "cuda" for d in devices) or options.parallel == "data":
            return 1
        estimates = [self.memory.estimate(replace(job, precision=job_precision(job.precision, "cpu"))).bytes
                     for job in jobs]
        choice = choose_cpu_workers(estimates, cores, available_ram_bytes())
        logger.info("%s", choice.why)
        return choice.workers

    def go(self) -> None:
        # Start workers now (all CPU slots, the first of each GPU): their imports overlap the driver's other work.
        for state in self.scheduler.states:
            wanted = state.slots if state.device.kind == "cpu" else 1
            for _ in range(min(wanted, self.total_workers - len(self.workers))):
                self.workers.append(self.ex.spawn(state.device, self.threads))
        try:
            while self.pending or any(w.placement for w in self.workers) or self.launches:
                self._skip_finished_elsewhere()
                self._dispatch()
                self._collect()
                self._reap_launches()
                self.progress.tick()
        finally:
            for worker in self.workers:
                worker.stop(graceful=worker.placement is None)
            for launch in self.launches:
                launch.stop()
                launch.discard()

    def _skip_finished_elsewhere(self) -> None:
        """Jobs another driver on the same output finished meanwhile are not run again."""
        if self.ex.store is None or not self.pending:
            return
        elsewhere = self.ex.store.finished_now()
        kept = [e for e in self.pending if e[0].id not in elsewhere] if elsewhere else list(self.pending)
        skipped = len(self.pending) - len(kept)
        if skipped:
            logger.info("%d job(s) were finished meanwhile by another run on this output; skipping them", skipped)
            self.progress.emit(JobsSkipped(skipped))
            self.pending.clear()
            self.pending.extend(kept)

    # ------------------------------------------------------------------------------------------------ dispatch

    def _dispatch(self) -> None:
        for placement in self.scheduler.assign(self.pending):
            job = placement.job
            if placement.distributed:
                launch = Launch.start(placement, self.ex.run_name, self.ex.options.accelerate_config)
                self.sharing.began(placement, _labels(placement), launch.started)
                self.launches.append(launch)
            else:
                worker = self._idle_worker(placement.devices[0])
                worker.placement, worker.started = placement, time.monotonic()
                worker.conn.send(RunJob(job.to_dict(), self.ex.run_name))
            self.progress.emit(JobStarted(job.id, job.label, placement.where))

    def _idle_worker(self, device: Device) -> _Worker:
        worker = next((w for w in self.workers if w.placement is None and w.device == device
                       and w.process.is_alive()), None)
        if worker is None:
            for dead in [w for w in self.workers if w.placement is None and not w.process.is_alive()
                         and w.device == device]:
                dead.stop()
                self.workers.remove(dead)
            worker = self.ex.spawn(device, self.threads)
            self.workers.append(worker)
        return worker

    # ------------------------------------------------------------------------------------------------- collect

    def _collect(self) -> None:
        """Read what the busy workers sent; handle their results, deaths and timeouts.

        Before a result is handled, every pipe is read once more: a neighbour that began before this result was
        sent has its Began message in its pipe by then, so the count of jobs sharing the device is exact."""
        busy = [w for w in self.workers if w.placement is not None]
        handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        if handles:
            wait(handles, timeout=0 if any(w.outcome for w in busy) else POLL_S)
        elif self.launches:
            time.sleep(POLL_S)
        known_until = time.monotonic()
        for worker in busy:
            self._read(worker)
        done = [w for w in busy if w.outcome is not None]
        if done:
            known_until = time.monotonic()
            for worker in busy:
                self._read(worker)
        for worker in done:
            self._handle_outcome(worker)
        for worker in busy:
            if worker.placement is not None and worker.outcome is None:
                self._reap(worker)
        self.sharing.prune(known_until)

    def _read(self, worker: _Worker) -> None:
        try:
            while worker.outcome is None and worker.conn.poll():
                message = worker.conn.recv()
                if isinstance(message, JobStatus):
                    self.progress.emit(message)
                elif isinstance(message, Began):
                    self.sharing.began(worker.placement, _labels(worker.placement), message.clock)
                elif isinstance(message, Outcome):
                    worker.outcome = message
        except (EOFError, OSError):
            pass

    def _handle_outcome(self, worker: _Worker) -> None:
        outcome = worker.outcome
        placement, worker.placement, worker.outcome = worker.placement, None, None
        self.sharing.ended(placement, outcome.ended)
        shared = self.sharing.shared(placement, outcome.windows, measured(outcome.record))
        self._finish(placement, outcome.record, outcome.predictions, shared)
        if outcome.retiring:        # it exits by itself (see worker.should_retire); start its successor
            worker.stop(graceful=True)
            self.workers.remove(worker)
            if self.pending:
                self.workers.append(self.ex.spawn(worker.device, self.threads))

    # ---------------------------------------------------------------------------------------------------- reap

    def _reap(self, worker: _Worker) -> None:
        """A busy worker that died or outlived --job-timeout: its job fails, the worker goes."""
        reason = error_type = None
        if not worker.process.is_alive():
            worker.process.join(timeout=1)
            reason, error_type = death_reason(worker.process.exitcode), death_error_type(worker.process.exitcode)
        elif self.timeout and time.monotonic() - worker.started > self.timeout:
            reason, error_type = _timeout_reason(self.timeout), TIMEOUT
        if reason is not None:
            placement = worker.placement
            worker.stop()
            self.workers.remove(worker)
            self.sharing.ended(placement, time.monotonic())
            self._finish(placement, failed_record(placement.job, self.ex.run_name, reason, error_type), None, {})

    def _reap_launches(self) -> None:
        """Finished launches deliver their result; overdue ones are stopped and fail."""
        for launch in list(self.launches):
            reason = None
            if launch.running():
                if not (self.timeout and time.monotonic() - launch.started > self.timeout):
                    continue
                reason = _timeout_reason(self.timeout)
            launch.stop()
            self.launches.remove(launch)
            self.sharing.ended(launch.placement, time.monotonic())
            record, predictions = launch.outcome(self.ex.run_name, reason)
            # ranks report no windows: their whole launch counts (it holds its devices alone, so this gives 0)
            self._finish(launch.placement, record, predictions,
                         self.sharing.shared(launch.placement, {}, measured(record)))

    def _finish(self, placement: Placement, record: dict, predictions, shared: dict[str, int]) -> None:
        self.scheduler.release(placement)
        job = placement.job
        if is_oom(record) and placement.shared and placement.attempt == 1 and not placement.distributed:
            logger.info("%s: out of GPU memory while sharing %s; trying again alone", job.label, placement.where)
            self.pending.appendleft((job, 2, True))
            self.progress.emit(JobRequeued(job.id))
            return
        self.deliver(job, record, predictions, placement.summary(), shared=shared)


def _labels(placement: Placement) -> tuple[str, ...]:
    return tuple(device.label for device in placement.devices)
