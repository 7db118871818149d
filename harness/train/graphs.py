"""CUDA graphs for training steps: when they pay, how the model is compiled, and how a job lets go of them.

Small fine-tuning steps are bound by kernel-launch overhead, not FLOPs, so replaying a recorded graph is several
times faster than launching the same kernels one by one. `torch.compile(mode="reduce-overhead")` records one graph
per static batch shape (the static path's length buckets, `harness/train/batches.py`).
"""
from __future__ import annotations

from harness.train.batches import BUCKETS

COMPILE_MODES = ("auto", "on", "off")
# Below this many optimizer steps a job finishes before CUDA-graph compilation (seconds per bucket) pays back.
COMPILE_MIN_STEPS = 300
SHAPE_WARMUP_STEPS = 3      # eager warm-up, graph recording, first replay: compile time


def use_compile(mode: str, device: str, precision: str, world: int, total_steps: int, grad_accum: int = 1) -> bool:
    """CUDA graphs where they pay: one CUDA process, bf16/fp32 (fp16 needs a loss scaler), enough steps, and no
    gradient accumulation (accumulating into a gradient that the next graph replay overwrites is not allowed)."""
    if mode not in COMPILE_MODES:
        raise ValueError(f"compile mode {mode!r} not in {COMPILE_MODES}")
    if mode == "off" or device != "cuda" or world != 1 or precision == "fp16" or grad_accum != 1:
        return False
    return mode == "on" or total_steps >= COMPILE_MIN_STEPS


def compile_for_graphs(model):
    """The model under CUDA graphs: one graph per static batch shape (length bucket), recorded on its first steps."""
    import torch
    import torch._dynamo.config as dynamo_config

    # Each bucket width is one recompilation; past the limit dynamo would silently run that shape eagerly.
    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, 2 * len(BUCKETS))
    return torch.compile(model, mode="reduce-overhead", dynamic=False)


def release_compiled_graphs() -> None:
    """Drop the compiled graphs and their CUDA-graph memory pools. A worker runs job after job: the next job (perhaps
    another model packed on the same GPU) must neither inherit this job's graph memory nor count its shapes against
    dynamo's recompile limit."""
    import torch._dynamo

    torch._dynamo.reset()
