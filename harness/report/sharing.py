"""How reports mark cost figures measured while other jobs shared the device.

Jobs packed on one GPU (or `--workers N` on CPU) measure their training throughput and batch-1 latency next to
their neighbours; records say how many other jobs ran at most during each measurement (`schedule.shared`, see
harness.schedule.sharing). A figure of a table is a mean over jobs (seeds, tasks): it carries "‡N" when any of
them was measured shared (N: the most other jobs at once), and "(k/n)" when only k of its n jobs were, so it mixes
shared and solo figures. Records without `schedule.shared` (older runs, the Ray executor) are not marked.
"""
from __future__ import annotations

import math

MARK = "‡"
LEGEND = (f"{MARK}N = measured while up to N other jobs ran on the same device (throughput falls and latency rises "
          "when jobs share it); (k/n) = only k of the n jobs averaged in the figure were, the others ran alone, "
          "so it mixes shared and solo measurements. For solo figures run with --workers 1 (CPU) or "
          "--jobs-per-gpu 1 (GPU).")


def _count(value) -> int:
    return 0 if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


def was_shared(shared_jobs) -> bool:
    return _count(shared_jobs) > 0


def mark(most, shared_jobs, jobs) -> str:
    """' ‡N' or ' ‡N (k/n)' for a figure averaged over `jobs` jobs of which `shared_jobs` were measured shared;
    '' when none was."""
    k, n = _count(shared_jobs), _count(jobs)
    if k == 0:
        return ""
    return f" {MARK}{_count(most)}" + (f" ({k}/{n})" if 0 < k < n else "")


def describe(what: str, most, shared_jobs, jobs) -> str | None:
    """A sentence for hover text and `select`: None when the figure was measured alone."""
    k, n = _count(shared_jobs), _count(jobs)
    if k == 0:
        return None
    others = _count(most)
    whose = "every job" if k >= n else f"{k} of {n} jobs"
    return (f"{what} measured while up to {others} other job{'s' if others != 1 else ''} shared the device "
            f"({whose})")
