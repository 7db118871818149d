"""Persistent worker processes on this machine.

Each worker imports torch once and then runs job after job. The driver waits on the workers' pipes and process
sentinels together: a result is stored as it arrives; a worker that dies (segfault, OOM kill, SIGKILL) or outlives
--job-timeout turns its current job into a `failed` result with the reason, and a fresh worker takes its place.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait

from harness.job import failed_record
from harness.plan import Job


@dataclass
class _Worker:
    process: mp.Process
    conn: object
    job: Job | None = None
    started: float = 0.0


class LocalExecutor:
    def __init__(self, run: str, workers: int = 1, job_timeout: float | None = None, log=lambda _: None):
        self.run_name, self.workers, self.job_timeout, self.log = run, max(1, workers), job_timeout, log
        self._ctx = mp.get_context("spawn")   # fork after torch initialises threads or CUDA is unsafe

    def _threads(self) -> int:
        return max(1, (os.cpu_count() or 1) // self.workers)

    def _spawn(self) -> _Worker:
        from harness.executors.worker import worker_main

        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=worker_main, args=(child, self._threads()), daemon=True)
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def run(self, jobs: list[Job], on_result) -> None:
        pending = deque(jobs)
        pool = [self._spawn() for _ in range(min(self.workers, len(jobs)))]
        try:
            while pending or any(w.job for w in pool):
                for i, worker in enumerate(pool):
                    if worker.job is None and pending:
                        if not worker.process.is_alive():
                            pool[i] = worker = self._spawn()
                        worker.job, worker.started = pending.popleft(), time.monotonic()
                        worker.conn.send((worker.job.to_dict(), self.run_name))
                busy = [w for w in pool if w.job is not None]
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
                for i, worker in enumerate(pool):
                    if worker.job is None:
                        continue
                    if worker.conn in ready:
                        try:
                            record, predictions = worker.conn.recv()
                        except (EOFError, OSError):
                            record, predictions = None, None
                        if record is not None:
                            job, worker.job = worker.job, None
                            on_result(job, record, predictions)
                            continue
                    reason = None
                    if not worker.process.is_alive() or worker.process.sentinel in ready:
                        worker.process.join(timeout=1)
                        reason = _death_reason(worker.process.exitcode)
                    elif self.job_timeout and time.monotonic() - worker.started > self.job_timeout:
                        reason = f"timed out after {self.job_timeout:g} s (--job-timeout)"
                    if reason is not None:
                        job = worker.job
                        self._stop(worker)
                        pool[i] = self._spawn() if pending else _Worker(process=worker.process, conn=worker.conn)
                        on_result(job, failed_record(job, self.run_name, reason), None)
        finally:
            for worker in pool:
                self._stop(worker, graceful=worker.job is None)

    @staticmethod
    def _stop(worker: _Worker, graceful: bool = False) -> None:
        if graceful and worker.process.is_alive():
            try:
                worker.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.job = None


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"worker process died with {name}{hint}"
    return f"worker process exited unexpectedly with code {exitcode}"
