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
"""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from harness.executors import SweepOptions
from harness.executors.worker import DEFAULT_JOB_FN
from harness.job import failed_record
from harness.job import Job
from harness.schedule.devices import Device, discover
from harness.schedule.memory import MemoryModel
from harness.schedule.placement import Placement, Scheduler
from harness.schedule.progress import NullProgress
from harness.schedule.sharing import DeviceSharing, measured

POLL_S = 0.5


@dataclass(eq=False)
class _Worker:
    process: mp.Process
    conn: object
    device: Device
    placement: Placement | None = None
    started: float = 0.0
    result: tuple | None = None      # (record, predictions, retiring, timing), read but not handled yet


@dataclass(eq=False)
class _Launch:
    placement: Placement
    process: subprocess.Popen
    folder: Path
    started: float
    log_file: object = field(repr=False, default=None)


@contextmanager
def _environment(values: dict[str, str | None]):
    """Temporarily set environment variables (a spawned child copies the environment when it starts)."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def is_oom(record: dict) -> bool:
    error = (record.get("error") or "").lower()
    return record.get("status") == "failed" and ("out of memory" in error or "outofmemoryerror" in error)


class LocalExecutor:
    def __init__(self, run: str, options: SweepOptions | None = None, log=lambda _: None, store=None,
                 job_fn: str | None = None, devices: list[Device] | None = None):
        self.run_name, self.log, self.store = run, log, store
        self.options = options or SweepOptions()
        self.job_fn = job_fn or DEFAULT_JOB_FN
        self.devices = devices
        self._ctx = mp.get_context("spawn")   # fork after torch initialises threads or CUDA is unsafe

    # ------------------------------------------------------------------------------------------------ processes

    def _threads(self, total_workers: int) -> int:
        return max(1, (os.cpu_count() or 1) // max(1, total_workers))

    def _spawn(self, device: Device, threads: int) -> _Worker:
        from harness.executors.worker import worker_main

        parent, child = self._ctx.Pipe()
        env = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS") or str(threads),
               # spin-waiting OpenMP threads of several workers on few cores slow every one of them down badly
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY") or "PASSIVE"}
        if device.kind == "cuda":
            env["CUDA_VISIBLE_DEVICES"] = device.visible_id
        process = self._ctx.Process(target=worker_main, args=(child, threads, self.job_fn, os.getpid()), daemon=True)
        with _environment(env):
            process.start()
        child.close()
        return _Worker(process=process, conn=parent, device=device)

    @staticmethod
    def _stop(worker: _Worker, graceful: bool = False) -> None:
        if graceful and worker.process.is_alive():
            try:
                worker.conn.send(None)
            except (OSError, BrokenPipeError, ValueError):
                pass
            worker.process.join(timeout=0.5)     # an idle worker holds nothing: no need to wait long
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        try:
            worker.conn.close()
        except OSError:
            pass
        worker.placement = None

    def _launch(self, placement: Placement) -> _Launch:
        from harness.executors.distributed import launch_command, launch_env, write_job_file

        folder = Path(tempfile.mkdtemp(prefix=f"harness-ddp-{placement.job.id}-"))
        job_file, out_file = folder / "job.json", folder / "result.json"
        write_job_file(job_file, placement.job, self.run_name)
        cmd = launch_command(job_file, out_file, processes=placement.processes,
                             accelerate_config=self.options.accelerate_config)
        ids = [d.visible_id for d in placement.devices] if placement.devices[0].kind == "cuda" else None
        log_file = open(folder / "launch.log", "wb")
        process = subprocess.Popen(cmd, env=launch_env(ids, placement.processes), stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_parent_death_sigterm)
        return _Launch(placement=placement, process=process, folder=folder, started=time.monotonic(),
                       log_file=log_file)

    @staticmethod
    def _kill_launch(launch: _Launch) -> None:
        """Stop a launcher and every rank. torchrun starts ranks in sessions of their own, so killing the
        launcher's process group is not enough: SIGTERM first (the launcher stops its ranks), then SIGKILL to
        whatever of its process tree is left."""
        if launch.process.poll() is None:
            family = _descendants(launch.process.pid)
            try:
                os.killpg(launch.process.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                launch.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            family |= _descendants(launch.process.pid)
            for pid in [launch.process.pid, *family]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                launch.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        if launch.log_file is not None:
            launch.log_file.close()

    def _launch_outcome(self, launch: _Launch, reason: str | None) -> tuple[dict, dict | None]:
        from harness.executors.distributed import read_outcome

        job = launch.placement.job
        record, predictions = (None, None) if reason else read_outcome(launch.folder / "result.json")
        if record is None:
            if reason is None:
                tail = _last_line(launch.folder / "launch.log")
                reason = f"data-parallel launch exited with code {launch.process.returncode}" + \
                         (f": {tail}" if tail else "")
            record, predictions = failed_record(job, self.run_name, reason), None
        shutil.rmtree(launch.folder, ignore_errors=True)
        return record, predictions

    # -------------------------------------------------------------------------------------------------- the loop

    def run(self, jobs: list[Job], on_result, progress=None) -> None:
        if jobs:
            _Sweep(self, jobs, on_result, progress or NullProgress()).go()


class _Sweep:
    """One call of LocalExecutor.run: the queue, the workers and launches, and what the driver hears from them."""

    def __init__(self, executor: LocalExecutor, jobs: list[Job], on_result, progress):
        from harness.executors.distributed import is_sharded_config

        self.ex, self.on_result, self.progress = executor, on_result, progress
        options = executor.options
        self.memory = MemoryModel(executor.store.load() if executor.store is not None else [])
        self.scheduler = Scheduler(executor.devices or discover(options.device), memory=self.memory,
                                   jobs_per_gpu=options.jobs_per_gpu, cpu_workers=options.workers,
                                   parallel=options.parallel, num_processes=options.num_processes,
                                   sharded=is_sharded_config(options.accelerate_config), log=progress.message)
        ordered = self.scheduler.order(jobs)
        self.pending: deque = deque((job, 1, False) for job in ordered)
        any_single = any(not self.scheduler.need(job).distributed for job in ordered)
        self.total_workers = min(self.scheduler.total_slots, len(jobs)) if any_single else 0
        self.threads = executor._threads(self.total_workers or 1)
        self.workers: list[_Worker] = []
        self.launches: list[_Launch] = []
        self.sharing = DeviceSharing()
        self.timeout = options.job_timeout

    def go(self) -> None:
        # Start workers now (all CPU slots, the first of each GPU): their imports overlap the driver's other work.
        for state in self.scheduler.states:
            wanted = state.slots if state.device.kind == "cpu" else 1
            for _ in range(min(wanted, self.total_workers - len(self.workers))):
                self.workers.append(self.ex._spawn(state.device, self.threads))
        try:
            while self.pending or any(w.placement for w in self.workers) or self.launches:
                self._skip_finished_elsewhere()
                self._dispatch()
                self._collect()
                self._check_launches()
                self.progress.tick()
        finally:
            for worker in self.workers:
                self.ex._stop(worker, graceful=worker.placement is None)
            for launch in self.launches:
                self.ex._kill_launch(launch)
                shutil.rmtree(launch.folder, ignore_errors=True)

    def _skip_finished_elsewhere(self) -> None:
        """Jobs another driver on the same output finished meanwhile are not run again."""
        if self.ex.store is None or not self.pending:
            return
        elsewhere = self.ex.store.finished_now()
        kept = [e for e in self.pending if e[0].id not in elsewhere] if elsewhere else list(self.pending)
        if len(kept) < len(self.pending):
            self.progress.message(f"{len(self.pending) - len(kept)} job(s) were finished meanwhile by another run "
                                  "on this output; skipping them")
            self.progress.total -= len(self.pending) - len(kept)
            self.pending.clear()
            self.pending.extend(kept)

    def _dispatch(self) -> None:
        for placement in self.scheduler.assign(self.pending):
            job = placement.job
            if placement.distributed:
                launch = self.ex._launch(placement)
                self.sharing.began(placement, _labels(placement), launch.started)
                self.launches.append(launch)
            else:
                worker = self._idle_worker(placement.devices[0])
                worker.placement, worker.started = placement, time.monotonic()
                worker.conn.send((job.to_dict(), self.ex.run_name))
            self.progress.started(job.id, job.label, placement.where)

    def _idle_worker(self, device: Device) -> _Worker:
        worker = next((w for w in self.workers if w.placement is None and w.device == device
                       and w.process.is_alive()), None)
        if worker is None:
            for dead in [w for w in self.workers if w.placement is None and not w.process.is_alive()
                         and w.device == device]:
                self.ex._stop(dead)
                self.workers.remove(dead)
            worker = self.ex._spawn(device, self.threads)
            self.workers.append(worker)
        return worker

    def _collect(self) -> None:
        """Read what the busy workers sent; handle their results, deaths and timeouts.

        Before a result is handled, every pipe is read once more: a neighbour that began before this result was
        sent has its "began" message in its pipe by then, so the count of jobs sharing the device is exact."""
        busy = [w for w in self.workers if w.placement is not None]
        handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        if handles:
            wait(handles, timeout=0 if any(w.result for w in busy) else POLL_S)
        elif self.launches:
            time.sleep(POLL_S)
        known_until = time.monotonic()
        for worker in busy:
            self._read(worker)
        done = [w for w in busy if w.result is not None]
        if done:
            known_until = time.monotonic()
            for worker in busy:
                self._read(worker)
        for worker in done:
            self._handle_result(worker)
        for worker in busy:
            if worker.placement is not None and worker.result is None:
                self._check_alive(worker)
        self.sharing.prune(known_until)

    def _read(self, worker: _Worker) -> None:
        try:
            while worker.result is None and worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "progress":
                    self.progress.update(message[1], message[2])
                elif message[0] == "began":
                    self.sharing.began(worker.placement, _labels(worker.placement), message[2])
                elif message[0] == "result":
                    worker.result = message[1:]
        except (EOFError, OSError):
            pass

    def _handle_result(self, worker: _Worker) -> None:
        record, predictions, retiring, timing = worker.result
        placement, worker.placement, worker.result = worker.placement, None, None
        self.sharing.ended(placement, timing["ended"])
        shared = self.sharing.shared(placement, timing["windows"], measured(record))
        self._finish(placement, record, predictions, shared)
        if retiring:        # it exits by itself (see worker.should_retire); start its successor
            self.ex._stop(worker, graceful=True)
            self.workers.remove(worker)
            if self.pending:
                self.workers.append(self.ex._spawn(worker.device, self.threads))

    def _check_alive(self, worker: _Worker) -> None:
        reason = None
        if not worker.process.is_alive():
            worker.process.join(timeout=1)
            reason = _death_reason(worker.process.exitcode)
        elif self.timeout and time.monotonic() - worker.started > self.timeout:
            reason = f"timed out after {self.timeout:g} s (--job-timeout)"
        if reason is not None:
            placement = worker.placement
            self.ex._stop(worker)
            self.workers.remove(worker)
            self.sharing.ended(placement, time.monotonic())
            self._finish(placement, failed_record(placement.job, self.ex.run_name, reason), None, {})

    def _check_launches(self) -> None:
        for launch in list(self.launches):
            reason = None
            if launch.process.poll() is None:
                if self.timeout and time.monotonic() - launch.started > self.timeout:
                    reason = f"timed out after {self.timeout:g} s (--job-timeout)"
                else:
                    continue
            self.ex._kill_launch(launch)
            self.launches.remove(launch)
            self.sharing.ended(launch.placement, time.monotonic())
            record, predictions = self.ex._launch_outcome(launch, reason)
            # ranks report no windows: their whole launch counts (it holds its devices alone, so this gives 0)
            self._finish(launch.placement, record, predictions,
                         self.sharing.shared(launch.placement, {}, measured(record)))

    def _finish(self, placement: Placement, record: dict, predictions, shared: dict[str, int]) -> None:
        self.scheduler.release(placement)
        job = placement.job
        if is_oom(record) and placement.shared and placement.attempt == 1 and not placement.distributed:
            self.progress.message(f"{job.label}: out of GPU memory while sharing {placement.where}; "
                                  "trying again alone")
            self.pending.appendleft((job, 2, True))
            self.progress.running.pop(job.id, None)
            return
        schedule = record.setdefault("schedule", placement.summary())
        schedule["shared"] = shared
        self.memory.observe(record)
        self.on_result(job, record, predictions)
        self.progress.finished(job.id, job.label, record)


def _labels(placement: Placement) -> tuple[str, ...]:
    return tuple(device.label for device in placement.devices)


def _parent_death_sigterm() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"worker process died with {name}{hint}"
    return f"worker process exited unexpectedly with code {exitcode}"
