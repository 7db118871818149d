"""Measurement helpers: peak memory trackers, synchronised timing, latency percentiles. Units are in the names."""
from __future__ import annotations

import os
import resource
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def release_freed_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS (glibc keeps them otherwise), so a long-lived
    worker's RSS reflects live memory rather than the high-water mark of an earlier, larger job."""
    import ctypes
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):     # not glibc: nothing to trim
        pass


class PeakRSS:
    """Peak resident memory of this process during a block, sampled every 20 ms.

    Workers are long-lived (one process runs many jobs), so the kernel's lifetime peak (ru_maxrss) would carry over
    from earlier jobs; sampling gives the peak of this job alone. Falls back to ru_maxrss off Linux.
    """

    def __init__(self, interval_s: float = 0.02):
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            rss = current_rss_bytes()
            if rss is not None and rss > self.peak_bytes:
                self.peak_bytes = rss

    def __enter__(self) -> "PeakRSS":
        self.peak_bytes = current_rss_bytes() or 0
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        rss = current_rss_bytes()
        if rss is None:
            self.peak_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        else:
            self.peak_bytes = max(self.peak_bytes, rss)


class PeakGPU:
    """Peak CUDA memory (allocated and reserved by the caching allocator) during a block; None without CUDA."""

    def __init__(self, device: str):
        self.enabled = device == "cuda"
        self.allocated_bytes: int | None = None
        self.reserved_bytes: int | None = None

    def __enter__(self) -> "PeakGPU":
        if self.enabled:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            import torch

            torch.cuda.synchronize()
            self.allocated_bytes = int(torch.cuda.max_memory_allocated())
            self.reserved_bytes = int(torch.cuda.max_memory_reserved())


def synchronize(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


@dataclass
class Latency:
    p50_ms: float
    p95_ms: float
    requests: int


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), without numpy."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure_latency(request_for, count: int, device: str, warmup: int = 5) -> Latency:
    """Batch-1 latency over `count` requests after `warmup` untimed ones; request_for(i) gives the i-th call."""
    calls = [request_for(i) for i in range(count + warmup)]
    for call in calls[:warmup]:
        call()
    timings = []
    synchronize(device)
    window_start = time.perf_counter()
    for call in calls[warmup:]:
        synchronize(device)
        start = time.perf_counter()
        call()
        synchronize(device)
        timings.append((time.perf_counter() - start) * 1000)
    note_window("latency", time.perf_counter() - window_start)
    return Latency(p50_ms=percentile(timings, 50), p95_ms=percentile(timings, 95), requests=len(timings))


# --- measurement windows ---------------------------------------------------------------------------------------
# Cost figures measured while other jobs ran on the same device are not solo figures. The executor that runs a job
# records here when each measurement ran (training throughput: the measured steps; latency: the timed requests),
# so the driver can count, exactly, the other jobs that were running on the device meanwhile.

@dataclass
class MeasurementWindows:
    """When this process measured what: name -> [(start, end)] in time.monotonic() seconds (CLOCK_MONOTONIC on
    Linux: one clock for every process of the machine, so the driver can compare it with its workers')."""
    spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add(self, name: str, start: float, end: float) -> None:
        self.spans.setdefault(name, []).append((start, end))

    def forget(self, name: str) -> None:
        self.spans.pop(name, None)


_recording: MeasurementWindows | None = None


@contextmanager
def recording_windows(windows: MeasurementWindows):
    """Collect the measurement windows of the code run inside the block (one job at a time per process)."""
    global _recording
    previous, _recording = _recording, windows
    try:
        yield windows
    finally:
        _recording = previous


def note_window(name: str, seconds: float) -> None:
    """A measurement called `name` has just ended after `seconds`; kept only while a recorder listens."""
    if _recording is not None:
        end = time.monotonic()
        _recording.add(name, end - max(0.0, seconds), end)


def forget_windows(name: str) -> None:
    """The figure called `name` is measured again from scratch: its earlier windows no longer count."""
    if _recording is not None:
        _recording.forget(name)
