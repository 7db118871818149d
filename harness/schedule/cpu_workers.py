"""How many worker processes a CPU sweep runs, and how many torch threads each gets.

`--workers N` fixes the number; `--workers auto` chooses it from the jobs and the machine:

* at most one worker per core: tiny and small models use a second intra-op thread badly, so on 2 cores two workers
  with one thread each ran a tiny-model sweep 2.7x faster than one worker with two threads;
* at most one worker per job;
* no more workers than the available RAM holds copies of the largest job's memory estimate
  (harness.schedule.memory, at CPU precision), keeping RAM_HEADROOM of it free: every worker may be running the
  largest job at the same moment.

Each worker gets cores // workers threads, with --workers N as with auto. Pure decisions (`choose_cpu_workers`,
`threads_per_worker`) take made-up numbers in tests; the two readers of the machine are separate.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from harness.errors import UserError

# The default of --workers: 1, or "auto" once benchmarks/workers_auto.py shows auto never loses to it.
DEFAULT_WORKERS: int | str = 1
RAM_HEADROOM = 0.8          # share of the available RAM the workers' jobs may take together
UNSIZED_JOB_BYTES = 2 * 1024 ** 3      # a job whose model cannot be sized counts as at least this much


@dataclass(frozen=True)
class CpuWorkers:
    workers: int
    threads: int
    why: str                # e.g. "auto: 2 workers x 1 thread (2 cores, 7 jobs, RAM fits 11)"


def parse_workers(value) -> int | None:
    """'auto' -> None; a positive integer -> itself; anything else is a UserError."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) <= 0 or str(int(text)) != text:
        raise UserError(f"--workers {value!r}: expected 'auto' or a positive integer", hint="e.g. --workers 2")
    return int(text)


def threads_per_worker(cores: int, workers: int) -> int:
    return max(1, cores // max(1, workers))


def ram_fits(job_bytes: Sequence[int | None], available_bytes: int | None) -> int | None:
    """How many copies of the largest job fit in the available RAM (with headroom); None when RAM is unknown."""
    if available_bytes is None:
        return None
    sized = [b for b in job_bytes if b is not None]
    largest = max(sized, default=0)
    if len(sized) < len(job_bytes):
        largest = max(largest, UNSIZED_JOB_BYTES)
    return int(available_bytes * RAM_HEADROOM // max(1, largest))


def choose_cpu_workers(job_bytes: Sequence[int | None], cores: int, available_bytes: int | None) -> CpuWorkers:
    """Workers and threads for `--workers auto`: `job_bytes` holds each job's memory estimate (None: unsized)."""
    cores, jobs = max(1, cores), len(job_bytes)
    fits = ram_fits(job_bytes, available_bytes)
    workers = max(1, min(cores, jobs, jobs if fits is None else fits))
    threads = threads_per_worker(cores, workers)
    ram = "RAM unknown" if fits is None else f"RAM fits {fits}"
    why = (f"auto: {_count(workers, 'worker')} x {_count(threads, 'thread')} "
           f"({_count(cores, 'core')}, {_count(jobs, 'job')}, {ram})")
    return CpuWorkers(workers, threads, why)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# ------------------------------------------------------------------------------------------------- the machine

def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which taskset and container runtimes narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def available_ram_bytes() -> int | None:
    """RAM new processes can take now without swapping: the system's available memory, capped by the cgroup
    (container) limit when there is one; None when neither can be read."""
    try:
        import psutil

        available: int | None = int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - unknown RAM only removes the RAM limit from the choice
        available = None
    cgroup = _cgroup_room()
    if cgroup is not None:
        available = cgroup if available is None else min(available, cgroup)
    return available


def _cgroup_room(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """cgroup v2: the memory limit minus what the group uses now; None without a limit."""
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((root / "memory.current").read_text().strip()))
    except (OSError, ValueError):
        return None
