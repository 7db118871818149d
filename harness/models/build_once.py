"""A model directory in the cache, built once: under a lock, in a staging folder renamed into place when complete.

Concurrent processes (several drivers, or workers) wait for the first build instead of repeating it, and a build
that crashes leaves no half-written directory that a later run would take for a finished one.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from harness.locking import file_lock


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """`target`, made by `build(staging)` unless it already holds a config.json."""
    if (target / "config.json").is_file():
        return target
    with file_lock(target.with_suffix(".lock")):
        if (target / "config.json").is_file():
            return target
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            build(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        staging.rename(target)
    return target
