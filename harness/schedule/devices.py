"""Which devices a sweep can use: the visible CUDA GPUs with their free memory, or the CPU.

Each GPU is described by the id a worker must get in CUDA_VISIBLE_DEVICES (the entry of the driver's own
CUDA_VISIBLE_DEVICES when that is set, so `CUDA_VISIBLE_DEVICES=2,3 harness run ...` uses exactly GPUs 2 and 3) and
by its free memory at the start of the sweep (`torch.cuda.mem_get_info`, which counts other tenants' use).

Free memory is read in a short child process: the query needs a CUDA context on every GPU (about 0.5 GB each),
which the driver would otherwise keep for the whole sweep, and on a GPU in exclusive-process mode that context
would lock the workers out.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from harness.errors import UserError


@dataclass(frozen=True)
class Device:
    kind: str                        # "cuda" or "cpu"
    index: int | None                # CUDA ordinal in the driver process; None for the CPU
    visible_id: str | None           # what a worker on this GPU gets as CUDA_VISIBLE_DEVICES
    name: str
    total_bytes: int | None = None
    free_bytes: int | None = None

    @property
    def label(self) -> str:
        return f"cuda:{self.index}" if self.kind == "cuda" else "cpu"


def cpu_device() -> Device:
    import platform

    return Device(kind="cpu", index=None, visible_id=None, name=platform.processor() or platform.machine())


def visible_ids(count: int, environ: dict | None = None) -> list[str]:
    """The CUDA_VISIBLE_DEVICES entry of each CUDA ordinal the driver sees."""
    value = (environ if environ is not None else os.environ).get("CUDA_VISIBLE_DEVICES")
    if value is None or not value.strip():
        return [str(i) for i in range(count)]
    entries = [v.strip() for v in value.split(",") if v.strip()]
    return [entries[i] if i < len(entries) else str(i) for i in range(count)]


def discover(request: str = "auto") -> list[Device]:
    """The devices for a sweep: every visible GPU (request auto/cuda), else the CPU."""
    if request == "cpu":
        return [cpu_device()]
    import torch

    if not torch.cuda.is_available():
        if request == "cuda":
            raise UserError("--device cuda: no CUDA GPU is visible on this machine",
                            hint="use --device cpu (or auto), or check CUDA_VISIBLE_DEVICES and the driver")
        return [cpu_device()]
    inventory = cuda_inventory()
    ids = visible_ids(len(inventory))
    return [Device(kind="cuda", index=i, visible_id=ids[i], name=name, total_bytes=total, free_bytes=free)
            for i, (name, total, free) in enumerate(inventory)]


_INVENTORY = ("import json, torch\n"
              "print(json.dumps([[torch.cuda.get_device_name(i), *torch.cuda.mem_get_info(i)[::-1]]\n"
              "                  for i in range(torch.cuda.device_count())]))")


def cuda_inventory() -> list[tuple[str, int, int]]:
    """(name, total bytes, free bytes) of each visible GPU, read by a child process (see the module's note)."""
    import torch

    try:
        child = subprocess.run([sys.executable, "-c", _INVENTORY], capture_output=True, text=True, timeout=300,
                               check=True)
        found = [(str(name), int(total), int(free)) for name, total, free in json.loads(child.stdout.splitlines()[-1])]
        if len(found) == torch.cuda.device_count():
            return found
    except (OSError, subprocess.SubprocessError, ValueError, IndexError, TypeError):
        pass
    # The child could not tell: ask here, at the price of a context per GPU.
    return [(torch.cuda.get_device_name(i), *(int(b) for b in torch.cuda.mem_get_info(i)[::-1]))
            for i in range(torch.cuda.device_count())]
