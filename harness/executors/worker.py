"""The worker process: receives jobs over a pipe, runs them, sends progress and results back. Runs until told to stop.

Messages, all small dataclasses: the driver sends RunJob (None to stop); the worker answers Began when a job starts,
JobStatus (harness.schedule.progress) while it runs (its phase, the training loop's epoch lines), then Outcome:
record, predictions, whether the worker retires, and the job's end and measurement windows on the same clock
(time.monotonic(), shared by every process of the machine): the driver counts from these how many other jobs
shared the device during each measurement (harness.schedule.sharing). The driver owns the store; a worker never
writes it.

A worker ignores Ctrl-C (the terminal sends SIGINT to the whole process group; the driver decides and stops its
workers) and dies with its driver (Linux parent-death signal), so a killed driver never leaves workers behind.
Library chatter (progress bars, warnings) is silenced here, in the worker process, never in the caller's.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.executors.delivery import guarded_run, status_sender
from harness.executors.processes import die_with_parent, scoped_environment

DEFAULT_JOB_FN = "harness.job:run_job"

# Read by the libraries when they start work; harmless to scope (harness.executors.inline restores them after).
JOB_ENVIRONMENT = {"TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                   "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}


@dataclass(frozen=True)
class RunJob:
    job: dict                       # Job.to_dict()
    run: str


@dataclass(frozen=True)
class Began:
    job_id: str
    clock: float                    # time.monotonic() when the job started


@dataclass(frozen=True)
class Outcome:
    record: dict
    predictions: dict | None
    retiring: bool                  # the worker exits after this message (see should_retire)
    ended: float                    # time.monotonic() when the job ended
    windows: list = field(default_factory=list)     # its measurement windows (harness.measure)


@contextmanager
def job_environment():
    """The environment variables jobs want, only for the duration of the block (jobs run in the caller's process)."""
    wanted = {key: os.environ.get(key) or value for key, value in JOB_ENVIRONMENT.items()}
    with scoped_environment(wanted):
        yield


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, warnings, 'some weights were newly initialised') out of the sweep's
    output. For processes the sweep owns (workers, ranks, Ray tasks, the command line): it changes the process's
    warning filters and environment for good. Cheap: sets the environment variables the libraries read at import
    time and configures only the libraries that are already imported, so calling it never imports torch.
    """
    for key, value in JOB_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DATASETS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    warnings.filterwarnings("ignore")
    if "transformers" in sys.modules:
        try:
            import transformers

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
        except (ImportError, AttributeError):  # pragma: no cover
            pass
    if "datasets" in sys.modules:
        try:
            import datasets

            datasets.disable_progress_bars()
            datasets.logging.set_verbosity_error()
        except (ImportError, AttributeError):  # pragma: no cover
            pass


def no_cross_process_locks() -> None:
    """tqdm (used by datasets) creates a multiprocessing lock on first use; a worker killed while holding one makes
    the driver's resource tracker warn about a leaked semaphore at exit. Workers draw no bars: a thread lock does."""
    try:
        import tqdm.std

        if not hasattr(tqdm.std.TqdmDefaultWriteLock, "mp_lock"):
            tqdm.std.TqdmDefaultWriteLock.mp_lock = None
    except ImportError:  # pragma: no cover
        pass


def load_function(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _preload(threads: int | None) -> None:
    """Import the heavy libraries once, before the first job (overlapping the driver's own start-up work)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    import harness.job  # noqa: F401
    try:
        import accelerate  # noqa: F401
        import datasets  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:  # pragma: no cover
        pass
    quiet_libraries()


# A job whose RSS peak rose this far above the freshly started worker's leaves the C allocator in a state
# (fragmented heap, glibc's raised mmap threshold) that inflates the peaks measured for the jobs after it: the
# worker retires after such a job and a fresh one takes its place. Not a worker holding a CUDA context: costly to
# restart, and the GPU's memory is its jobs' figure.
RETIRE_AFTER_GROWTH_BYTES = 1 << 30


def should_retire(record: dict, start_rss: int | None) -> bool:
    peak = (record.get("memory") or {}).get("peak_rss_bytes")
    if not peak or not start_rss or peak - start_rss <= RETIRE_AFTER_GROWTH_BYTES:
        return False
    torch = sys.modules.get("torch")
    return not (torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized())


def _release_memory() -> None:
    import gc

    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()           # give the GPU back to the other jobs packed on it


def worker_main(conn, threads: int | None, job_fn: str = DEFAULT_JOB_FN, parent_pid: int | None = None) -> None:
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_libraries()
    no_cross_process_locks()
    if job_fn == DEFAULT_JOB_FN:
        _preload(threads)
    run = load_function(job_fn)
    from harness.job import Job
    from harness.measure import current_rss_bytes

    start_rss = current_rss_bytes()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        outcome = _run_one(conn, run, Job.from_dict(message.job), message.run, start_rss)
        if outcome is None:             # the driver is gone
            return
        try:
            conn.send(outcome)
        except (OSError, BrokenPipeError):
            return
        if outcome.retiring:
            return
        _release_memory()


def _run_one(conn, run, job, run_name: str, start_rss: int | None) -> Outcome | None:
    """Run one job, telling the driver when it began and how it goes; None when the pipe to the driver is closed."""
    from harness.measure import MeasurementWindows, recording_windows

    def send(message) -> None:
        try:
            conn.send(message)
        except (OSError, ValueError):
            pass

    windows = MeasurementWindows()
    try:
        conn.send(Began(job.id, time.monotonic()))
    except (OSError, BrokenPipeError):
        return None
    with recording_windows(windows):
        record, predictions = guarded_run(run, job, run_name, log=status_sender(send, job.id))
    return Outcome(record, predictions, should_retire(record, start_rss), time.monotonic(), windows.spans)
