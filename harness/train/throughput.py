"""Steady-state training throughput, measured without a device sync per step."""
from __future__ import annotations

import time

from harness.measure import forget_windows, note_window, synchronize
from harness.train.graphs import SHAPE_WARMUP_STEPS


def warmup_steps_excluded(total_steps: int) -> int:
    """Optimizer steps left out of the throughput window: 10 % of the run, between 1 and 10 (0 for tiny runs)."""
    if total_steps < 4:
        return 0
    return max(1, min(10, total_steps // 10))


class Throughput:
    """Steady-state samples/s and tokens/s. Each step is `warmup` (the run's first optimizer steps), `compile` (the
    first steps of each batch shape under CUDA graphs) or `measured`; the clock is synchronised with the device only
    where the kind of step changes, never per step."""

    def __init__(self, device: str, skip_steps: int):
        self.device, self.skip_steps = device, skip_steps
        self.seconds = {"measured": 0.0, "warmup": 0.0, "compile": 0.0}
        self.current: str | None = None
        self.started = 0.0
        self.shape_seen: dict[tuple, int] = {}
        self.samples = self.tokens = self.decoder_tokens = self.steps = 0

    def begin(self, shape: tuple, optimizer_steps: int, compiled: bool) -> bool:
        """Start timing a step; True if it is measured."""
        seen = self.shape_seen.get(shape, 0)
        self.shape_seen[shape] = seen + 1
        kind = ("compile" if compiled and seen < SHAPE_WARMUP_STEPS
                else "measured" if optimizer_steps >= self.skip_steps else "warmup")
        if kind != self.current:
            self.pause()
            self.current, self.started = kind, time.perf_counter()
        return kind == "measured"

    def count(self, batch) -> None:
        self.samples += batch.examples
        self.tokens += batch.tokens
        self.decoder_tokens += batch.decoder_tokens
        self.steps += 1

    def restart(self) -> None:
        """Forget what was measured: the steps from here on run another way (eager after a compile failure)."""
        self.samples = self.tokens = self.decoder_tokens = self.steps = 0
        self.seconds["measured"] = 0.0
        forget_windows("train")

    def pause(self) -> None:
        if self.current is not None:
            synchronize(self.device)
            elapsed = time.perf_counter() - self.started
            self.seconds[self.current] += elapsed
            if self.current == "measured":     # when it ran: was the device shared meanwhile (harness.measure)
                note_window("train", elapsed)
            self.current = None

    def report(self, outcome) -> None:
        self.pause()
        if self.seconds["measured"] > 0 and self.samples > 0:
            outcome.samples_per_s = self.samples / self.seconds["measured"]
            outcome.tokens_per_s = self.tokens / self.seconds["measured"]
            outcome.decoder_tokens_per_s = self.decoder_tokens / self.seconds["measured"]
        outcome.measured_steps = self.steps
        if self.seconds["compile"]:
            outcome.compile_seconds = round(self.seconds["compile"], 3)
