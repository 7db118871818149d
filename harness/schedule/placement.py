"""Placing jobs on devices: pack small jobs several per GPU, give large ones several GPUs, never over-commit.

Pure bookkeeping (no processes, no torch), so every decision is unit-tested with made-up devices.

Rules, in order:

1. **Order.** Data-parallel jobs first, then jobs that must run alone on a GPU, then the rest by estimated memory,
   largest first (first-fit decreasing packs best); seeds of one model and task keep their order.
2. **A job that fits one GPU** goes to the GPU with the most memory left among those with a free slot, if its
   estimate fits what the jobs already there leave of that GPU's free memory (x 0.9 headroom). A job alone on a
   GPU always runs, whatever its estimate (the estimate may be pessimistic; an OOM then fails that job only).
   Slots per GPU: `--jobs-per-gpu N`, or with `auto` at most 8 (measured on an H200: 4 concurrent bert-base jobs
   gave 4.3x the aggregate throughput of one, 8 gave 5.3x) and at most one job per CPU core.
3. **A job whose model cannot be sized** runs alone on a GPU until a measurement of that model exists.
4. **A job larger than one GPU** (or every job, with `--parallel data`) runs data-parallel through
   `accelerate launch` on k GPUs that are otherwise idle: `--num-processes`, else the fewest GPUs whose per-process
   estimate fits (FSDP/DeepSpeed shard the static memory; plain DDP does not, so without an accelerate config that
   asks for sharding it takes all GPUs and may still not fit: a warning says so). When a data-parallel job waits for
   GPUs to drain, nothing behind it is started on them.
5. **CPU** (no GPU, or `--device cpu`): `cpu_workers` slots (`--workers N`, or the number `--workers auto` chose
   from cores, jobs and RAM: harness.schedule.cpu_workers), no memory accounting per slot; `--parallel data` runs
   DDP over `--num-processes` CPU processes (gloo).
"""
from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from harness.job import Job
from harness.schedule.devices import Device
from harness.schedule.memory import Estimate, MemoryModel, describe_bytes

logger = logging.getLogger(__name__)

HEADROOM = 0.9
AUTO_MAX_JOBS_PER_GPU = 8
PARALLEL_MODES = ("auto", "data", "none")


@dataclass
class Need:
    distributed: bool
    processes: int
    exclusive: bool
    estimate: Estimate


@dataclass(eq=False)
class Placement:
    job: Job
    devices: tuple[Device, ...]
    distributed: bool
    processes: int
    estimate: Estimate
    exclusive: bool
    attempt: int = 1
    concurrent: int = 0          # jobs already on the device when this one started
    shared: bool = False         # another job ran on the same device at some point during this one

    @property
    def where(self) -> str:
        if self.distributed:
            kind = self.devices[0].kind
            ids = ",".join(str(d.index) for d in self.devices) if kind == "cuda" else ""
            return f"{self.processes}x{kind}{':' + ids if ids else ''}"
        return self.devices[0].label

    def summary(self) -> dict:
        return {"where": self.where, "distributed": self.distributed, "processes": self.processes,
                "estimate_bytes": self.estimate.bytes, "estimate_basis": self.estimate.basis,
                "exclusive": self.exclusive, "attempt": self.attempt, "concurrent": self.concurrent}


def parse_jobs_per_gpu(value) -> int | None:
    """'auto' -> None; a positive integer -> itself; anything else is a UserError."""
    from harness.errors import UserError

    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number <= 0 or str(number) != str(value).strip():
        raise UserError(f"--jobs-per-gpu {value!r}: expected 'auto' or a positive integer",
                        hint="e.g. --jobs-per-gpu 4")
    return number


@dataclass
class _DeviceState:
    device: Device
    slots: int
    budget: int | None                       # bytes usable by jobs on this GPU; None on the CPU
    running: list[Placement] = field(default_factory=list)

    @property
    def used(self) -> int:
        return sum(p.estimate.bytes or 0 for p in self.running)

    @property
    def blocked(self) -> bool:
        return any(p.exclusive or p.distributed for p in self.running)

    def left(self) -> int:
        return (self.budget or 0) - self.used


class Scheduler:
    def __init__(self, devices: list[Device], *, memory: MemoryModel | None = None, jobs_per_gpu: int | None = None,
                 cpu_workers: int = 1, parallel: str = "auto", num_processes: int | None = None,
                 sharded: bool = False, cpu_count: int | None = None, log: Callable[[str], None] = logger.warning):
        self.memory = memory or MemoryModel()
        self.parallel, self.num_processes, self.sharded, self.log = parallel, num_processes, sharded, log
        self.gpus = [d for d in devices if d.kind == "cuda"]
        cpu_count = cpu_count or os.cpu_count() or 1
        if self.gpus:
            auto = max(1, min(AUTO_MAX_JOBS_PER_GPU, cpu_count // len(self.gpus)))
            slots = jobs_per_gpu or auto
            self.states = [_DeviceState(d, slots, int((d.free_bytes or 0) * HEADROOM)) for d in self.gpus]
        else:
            cpu = next((d for d in devices if d.kind == "cpu"), devices[0])
            self.states = [_DeviceState(cpu, max(1, cpu_workers), None)]
        self._needs: dict[str, Need] = {}
        self._memory_version = getattr(self.memory, "version", 0)
        self._warned: set[str] = set()

    # ---------------------------------------------------------------------------------------------- decisions

    @property
    def total_slots(self) -> int:
        return sum(s.slots for s in self.states)

    def need(self, job: Job, exclusive: bool = False) -> Need:
        if self._memory_version != getattr(self.memory, "version", 0):     # new measurements: estimate again
            self._memory_version = getattr(self.memory, "version", 0)
            self._needs.clear()
        key = job.id + (":x" if exclusive else "")
        if key not in self._needs:
            self._needs[key] = self._decide(job, exclusive)
        return self._needs[key]

    def _decide(self, job: Job, exclusive: bool) -> Need:
        if not self.gpus:
            if self.parallel == "data":
                processes = self.num_processes or 2
                return Need(True, processes, True, Estimate(None, None, None, "cpu"))
            return Need(False, 1, exclusive, Estimate(None, None, None, "cpu"))
        one = self.memory.estimate(job)
        biggest = max(s.budget or 0 for s in self.states)
        count = len(self.gpus)
        if self.parallel == "data":
            processes = min(self.num_processes or count, count)
            if processes >= 2:
                return Need(True, processes, True, self.memory.estimate(job, processes=processes, sharded=self.sharded))
        if not one.known:
            return Need(False, 1, True, one)
        if one.bytes <= biggest or self.parallel == "none" or count == 1:
            if one.bytes > biggest:
                self._warn(job, f"{job.model}: estimated {describe_bytes(one.bytes)} per job exceeds the free memory "
                                f"of one GPU ({describe_bytes(biggest)}); running it alone on one GPU")
            return Need(False, 1, exclusive or one.bytes > biggest, one)
        for processes in range(2, count + 1):
            estimate = self.memory.estimate(job, processes=processes, sharded=self.sharded)
            if estimate.bytes is not None and estimate.bytes <= biggest:
                return Need(True, processes, True, estimate)
        estimate = self.memory.estimate(job, processes=count, sharded=self.sharded)
        hint = "" if self.sharded else " (plain DDP keeps a full replica per GPU: pass an --accelerate-config that " \
                                       "enables FSDP or DeepSpeed to shard it)"
        self._warn(job, f"{job.model}: estimated {describe_bytes(estimate.bytes)} per GPU even over all {count} GPUs"
                        f"{hint}; trying anyway")
        return Need(True, count, True, estimate)

    def _warn(self, job: Job, message: str) -> None:
        if job.model not in self._warned:
            self._warned.add(job.model)
            self.log(message)

    def order(self, jobs: list[Job]) -> list[Job]:
        def key(indexed):
            index, job = indexed
            need = self.need(job)
            return (not need.distributed, not need.exclusive, -(need.estimate.bytes or 0), index)
        return [job for _, job in sorted(enumerate(jobs), key=key)]

    # ------------------------------------------------------------------------------------------------ placing

    def try_place(self, job: Job, *, exclusive: bool = False, attempt: int = 1) -> Placement | None:
        need = self.need(job, exclusive)
        if need.distributed:
            return self._place_distributed(job, need, attempt)
        candidates = []
        for state in self.states:
            if len(state.running) >= state.slots or state.blocked:
                continue
            if state.running and (need.exclusive or (state.budget is not None and
                                                     (need.estimate.bytes or 0) > state.left())):
                continue
            candidates.append(state)
        if not candidates:
            return None
        state = max(candidates, key=lambda s: (s.left() if s.budget is not None else 0, -len(s.running)))
        placement = Placement(job=job, devices=(state.device,), distributed=False, processes=1,
                              estimate=need.estimate, exclusive=need.exclusive, attempt=attempt,
                              concurrent=len(state.running), shared=bool(state.running))
        for other in state.running:
            other.shared = True
        state.running.append(placement)
        return placement

    def _place_distributed(self, job: Job, need: Need, attempt: int) -> Placement | None:
        if not self.gpus:
            state = self.states[0]
            if state.running:
                return None
            placement = Placement(job=job, devices=(state.device,), distributed=True, processes=need.processes,
                                  estimate=need.estimate, exclusive=True, attempt=attempt)
            state.running.append(placement)
            return placement
        idle = [s for s in self.states if not s.running]
        if len(idle) < need.processes:
            return None
        chosen = sorted(idle, key=lambda s: -(s.budget or 0))[: need.processes]
        chosen.sort(key=lambda s: s.device.index)
        placement = Placement(job=job, devices=tuple(s.device for s in chosen), distributed=True,
                              processes=need.processes, estimate=need.estimate, exclusive=True, attempt=attempt)
        for state in chosen:
            state.running.append(placement)
        return placement

    def assign(self, pending: deque) -> list[Placement]:
        """Place as many pending (job, attempt, exclusive) entries as fit now, in order; placed ones leave `pending`.

        A waiting data-parallel or run-alone job stops the scan, so GPUs drain for it instead of filling up again.
        """
        placed, kept = [], deque()
        blocked = False
        while pending:
            entry = pending.popleft()
            job, attempt, exclusive = entry
            if blocked:
                kept.append(entry)
                continue
            placement = self.try_place(job, exclusive=exclusive, attempt=attempt)
            if placement is not None:
                placed.append(placement)
                continue
            kept.append(entry)
            need = self.need(job, exclusive)
            if need.distributed or need.exclusive:
                blocked = True
        pending.extend(kept)
        return placed

    def release(self, placement: Placement) -> None:
        for state in self.states:
            state.running = [p for p in state.running if p is not placement]
