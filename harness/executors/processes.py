"""Process plumbing shared by the executors: the parent-death signal, scoped environment variables, stopping a
whole process tree, and the reason a worker died."""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import psutil

PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int) -> None:
    """Ask Linux to send `sig` to this process when its parent dies (a no-op elsewhere: there the pipe's EOF still
    ends an idle worker). Safe between fork and exec."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass


def die_with_parent(parent_pid: int | None = None) -> None:
    """SIGKILL this process when its parent dies; exit now if the parent is already gone."""
    set_parent_death_signal(signal.SIGKILL)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def parent_death_sigterm() -> None:  # pragma: no cover - runs in the child between fork and exec
    """preexec_fn of a launcher: SIGTERM lets it stop its own children before it goes."""
    set_parent_death_signal(signal.SIGTERM)


@contextmanager
def scoped_environment(values: dict[str, str | None]):
    """Set environment variables (None: unset) for the duration of the block, then restore what was there."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        _apply(values)
        yield
    finally:
        _apply(saved)


def _apply(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def descendants(pid: int) -> list[psutil.Process]:
    """Every process below `pid` (empty when it is gone)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kill_all(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass


def death_reason(exitcode: int | None) -> str:
    """Why a worker process ended without sending its result."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"worker process died with {name}{hint}"
    return f"worker process exited unexpectedly with code {exitcode}"


def death_error_type(exitcode: int | None) -> str:
    """The record's error_type for a worker that ended without its result: a SIGKILL nobody here sent (a timed-out
    worker is recorded as such) is the kernel's out-of-memory killer; anything else a crash."""
    from harness.errors import OUT_OF_MEMORY, WORKER_DIED

    return OUT_OF_MEMORY if exitcode == -signal.SIGKILL else WORKER_DIED
