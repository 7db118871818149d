"""Scheduling a sweep: which devices there are (devices), how much memory each job needs (memory), where each job
runs (placement), and what the user sees meanwhile (progress). The executors (harness.executors) start the
processes; this package only decides. See docs/architecture.md, "Scheduler and executors".
"""
from harness.schedule.devices import Device, discover
from harness.schedule.memory import Estimate, MemoryModel
from harness.schedule.placement import PARALLEL_MODES, Placement, Scheduler, parse_jobs_per_gpu

__all__ = ["Device", "discover", "Estimate", "MemoryModel", "PARALLEL_MODES", "Placement", "Scheduler",
           "parse_jobs_per_gpu"]
