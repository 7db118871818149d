"""Inter-process locks on files (fcntl.flock), shared by the result store and the on-disk caches.

An flock belongs to an open file description of the process that took it, so it dies with that process (SIGKILL
included): a lock is never left behind by a crash. Descriptors are opened non-inheritable (Python's default), so
worker processes never hold the lock of their driver.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class LockHeld(Exception):
    """Another process holds the lock; `holder` is what it wrote into the lock file (empty if not yet written)."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


def claim(path: Path, holder: str) -> int:
    """Lock `path` exclusively without waiting and write `holder` into it; returns the descriptor, whose closing
    releases the claim. Raises LockHeld, naming the holder, when another process has it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        os.close(fd)
        raise LockHeld(text) from None
    except BaseException:
        os.close(fd)
        raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode("utf-8"), 0)
    except OSError:             # a full disk: the claim holds all the same, only its holder goes unnamed
        pass
    return fd
