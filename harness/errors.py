"""Errors a user can cause (bad names, bad files, bad options), and the one a job reports instead of raising.

The CLI prints a UserError as one line (message plus hint) and exits with code 2; nothing else is ever shown to the
user as a traceback for these. Unsupported marks an impossible model x task pairing inside a job.
"""
from __future__ import annotations

import difflib
from typing import Iterable


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


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint for a mistyped name, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"
