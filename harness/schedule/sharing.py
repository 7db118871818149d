"""Who shared a device with whom, and when: for each cost figure of a job, how many other jobs were running on the
same device while it was measured.

Up to 8 jobs share a GPU, and `--workers N` runs N jobs on the same CPU cores; a throughput or latency measured
next to neighbours is not a solo figure. The driver keeps, per device, the interval each job ran (its worker's
clock reading when the job began and when it ended) and, when a job's result arrives, intersects them with the
job's measurement windows (harness.measure: the measured training steps, the timed latency requests). The result is
`schedule.shared` in the record: measurement -> the largest number of other jobs running on the device at any
moment of that measurement (0 = measured alone).

Pure bookkeeping on time.monotonic() readings (no processes), so it is unit-tested with made-up times.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# The record's cost figures and the measurement window each comes from.
MEASUREMENTS = {"train": ("train", "samples_per_s"), "latency": ("eval", "latency_ms_p50")}


def measured(record: dict) -> list[str]:
    """The measurements a record holds a figure for (a failed job has none)."""
    return [name for name, (section, key) in MEASUREMENTS.items()
            if (record.get(section) or {}).get(key) is not None]


def solo(record: dict) -> dict[str, int]:
    """`schedule.shared` of a job that had its device to itself (inline executor, data-parallel launch)."""
    return {name: 0 for name in measured(record)}


def most_at_once(intervals: list[tuple[float, float]], start: float, end: float) -> int:
    """The largest number of `intervals` in progress at one moment of [start, end]. Intervals that only touch the
    window's edges do not count: at that instant the other job had not started or had already stopped."""
    events = []
    for began, ended in intervals:
        if began < end and ended > start:
            events += [(max(began, start), 1), (min(ended, end), -1)]
    events.sort(key=lambda e: (e[0], e[1]))        # at one instant, an end comes before a start
    most = running = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


@dataclass(eq=False)
class _Run:
    devices: tuple[str, ...]
    began: float
    ended: float = math.inf


class DeviceSharing:
    """Per device, the interval of every job that ran there; jobs are keyed by any hashable token (a placement)."""

    def __init__(self):
        self._runs: dict[object, _Run] = {}

    def began(self, key, devices: tuple[str, ...], at: float) -> None:
        self._runs[key] = _Run(tuple(devices), at)

    def ended(self, key, at: float) -> None:
        run = self._runs.get(key)
        if run is not None:
            run.ended = at

    def shared(self, key, windows: dict[str, list[tuple[float, float]]], names: list[str]) -> dict[str, int]:
        """For each measurement in `names`: the most other jobs on the job's devices at once during its windows.
        A measurement without a window (a job function that does not report them) counts the job's whole run."""
        mine = self._runs.get(key)
        if mine is None:
            return {}
        others = [(r.began, r.ended) for k, r in self._runs.items()
                  if k is not key and set(r.devices) & set(mine.devices)]
        whole = [(mine.began, mine.ended)]
        return {name: max((most_at_once(others, s, e) for s, e in windows.get(name) or whole), default=0)
                for name in names}

    def prune(self, known_until: float) -> None:
        """Drop finished runs no other job can still need: every job that began before `known_until` is known
        (the caller has read its workers' messages up to then), and none of those still running overlapped it."""
        running = [r for r in self._runs.values() if not math.isfinite(r.ended)]
        for key, run in list(self._runs.items()):
            if run.ended < known_until and not any(set(r.devices) & set(run.devices) and r.began < run.ended
                                                   for r in running):
                del self._runs[key]

    def __len__(self) -> int:
        return len(self._runs)
