"""Errors a user can cause (bad names, bad files, bad options), and the one a job reports instead of raising.

The CLI prints a UserError as one line (message plus hint) and exits with code 2; nothing else is ever shown to the
user as a traceback for these. Unsupported marks an impossible model x task pairing inside a job.
"""
from __future__ import annotations

import difflib
import sys
from contextlib import contextmanager
from typing import Iterable

# A record's `error_type`: what kind of thing went wrong, set where the failure is caught, from the exception type
# (or, for a worker that vanished, from how it ended), never from the message.
UNSUPPORTED = "unsupported"          # the model cannot do this task (no head for the pairing, ...)
OUT_OF_MEMORY = "out_of_memory"      # CUDA or host out of memory (a worker killed by SIGKILL: the kernel's OOM killer)
TIMEOUT = "timeout"                  # --job-timeout exceeded
WORKER_DIED = "worker_died"          # the process running the job crashed or exited
DIVERGED = "diverged"                # NaN/inf loss
DATA = "data"                        # the job's data could not be read or used
INTERNAL = "internal"                # anything else: a bug, or a library failing
ERROR_TYPES = (UNSUPPORTED, OUT_OF_MEMORY, TIMEOUT, WORKER_DIED, DIVERGED, DATA, INTERNAL)


class UserError(Exception):
    """A mistake in what the user asked for; `hint` says how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class Unsupported(Exception):
    """This model family cannot be paired with this task kind (the reason is recorded as the job's result,
    `status: unsupported`, not raised to the user)."""

    error_type = UNSUPPORTED


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint for a mistyped name, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def error_type_of(exc: BaseException) -> str:
    """The `error_type` of an exception a job raised: its own `error_type` attribute when its class declares one
    (Unsupported, TrainingDiverged) or `classified_as` gave it one, out_of_memory for CUDA's and Python's
    out-of-memory errors, else internal."""
    declared = getattr(exc, "error_type", None)
    if declared in ERROR_TYPES:
        return declared
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY
    torch = sys.modules.get("torch")        # only a job that imported torch can raise its errors
    if torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError):
        return OUT_OF_MEMORY
    return INTERNAL


@contextmanager
def classified_as(error_type: str):
    """Exceptions raised inside the block that have no type of their own get `error_type` (e.g. reading a job's
    data: whatever fails there is a data problem); the exception and its message are otherwise unchanged."""
    try:
        yield
    except Exception as exc:
        if error_type_of(exc) == INTERNAL:
            try:
                exc.error_type = error_type
            except AttributeError:      # an exception type with slots: it stays internal
                pass
        raise
