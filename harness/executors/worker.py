"""The worker process: receives jobs over a pipe, runs them, sends progress and results back. Runs until told to stop.

Messages to the driver: ("began", job_id, clock) when a job starts, ("progress", job_id, text) while it runs (the
training loop's epoch lines), then ("result", record, predictions, retiring, timing), timing being the job's end
and its measurement windows on the same clock (time.monotonic(), shared by every process of the machine): the
driver counts from these how many other jobs shared the device during each measurement (harness.schedule.sharing).
The driver owns the store; a worker never writes it.

A worker ignores Ctrl-C (the terminal sends SIGINT to the whole process group; the driver decides and stops its
workers) and dies with its driver (Linux parent-death signal), so a killed driver never leaves workers behind.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
import time
import warnings

DEFAULT_JOB_FN = "harness.job:run_job"


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, 'some weights were newly initialised') out of the sweep's output.

    Cheap: sets the environment variables the libraries read at import time and configures only the libraries that
    are already imported, so calling it never imports torch.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
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


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if the parent is already gone."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):          # not Linux: the pipe's EOF still ends an idle worker
        pass
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


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
    from harness.measure import current_rss_bytes
    from harness.job import Job

    start_rss = current_rss_bytes()

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job_dict, run_name = message
        outcome = _run_one(conn, run, Job.from_dict(job_dict), run_name)
        if outcome is None:             # the driver is gone
            return
        record, predictions, timing = outcome
        retire = should_retire(record, start_rss)
        try:
            conn.send(("result", record, predictions, retire, timing))
        except (OSError, BrokenPipeError):
            return
        if retire:
            return
        _release_memory()


def _run_one(conn, run, job, run_name: str):
    """Run one job, telling the driver when it began; returns (record, predictions, timing) or None when the pipe
    to the driver is closed. timing: the job's end and its measurement windows (harness.measure)."""
    from harness.measure import MeasurementWindows, recording_windows

    def log(text: str, _id=job.id) -> None:
        line = str(text).strip().splitlines()[0] if str(text).strip() else ""
        if line and not line.startswith("Traceback"):
            try:
                conn.send(("progress", _id, line[:200]))
            except (OSError, ValueError):
                pass

    windows = MeasurementWindows()
    try:
        conn.send(("began", job.id, time.monotonic()))
    except (OSError, BrokenPipeError):
        return None
    try:
        with recording_windows(windows):
            record, predictions = run(job, run=run_name, log=log)
    except Exception as exc:  # noqa: BLE001 - run_job never raises; a replacement function might
        from harness.job import failed_record

        record, predictions = failed_record(job, run_name, f"{type(exc).__name__}: {exc}"), None
    return record, predictions, {"ended": time.monotonic(), "windows": windows.spans}
