"""One training step on one micro-batch, through the CUDA graphs while they work."""
from __future__ import annotations

from typing import Callable

from harness.train.graphs import compile_for_graphs, release_compiled_graphs


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError)


class Stepper:
    """One micro-batch at a time: forward and backward (through the CUDA graphs while they work), and the optimizer
    step at the end of each accumulation window. A compiled step that fails for any reason but memory runs that
    batch again eagerly, and every later one."""

    def __init__(self, model, accelerator, optimizer, scheduler, max_grad_norm: float | None, compiled: bool,
                 log: Callable[[str], None], on_fallback: Callable[[], None]):
        self.model, self.accelerator, self.optimizer, self.scheduler = model, accelerator, optimizer, scheduler
        self.max_grad_norm, self.log, self.on_fallback = max_grad_norm, log, on_fallback
        self.graphs = compile_for_graphs(model) if compiled else None
        self.compiled = compiled
        self.compile_error: str | None = None
        self.optimizer_steps = 0

    def step(self, batch):
        """Train on one micro-batch; returns its loss, detached (read at once: a graph output is overwritten by
        the next replay)."""
        import torch

        if self.compiled:
            torch.compiler.cudagraph_mark_step_begin()
        with self.accelerator.accumulate(self.model):
            loss = self._forward_backward(batch.tensors, batch.weight)
            if self.accelerator.sync_gradients:
                if self.max_grad_norm:
                    self.accelerator.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
                self.optimizer.step()
                self.scheduler.step()
                # None, not zeros: a zeroed .grad would be the previous CUDA-graph replay's output, which the next
                # replay overwrites.
                self.optimizer.zero_grad(set_to_none=True)
                self.optimizer_steps += 1
        return loss.detach()

    def _forward_backward(self, tensors: dict, weight: float = 1.0):
        # weight: this rank's share of a data-parallel step (batches.py); 1.0, and so skipped, in one process.
        if self.compiled:
            try:
                loss = self.graphs(**tensors).loss
                self.accelerator.backward(loss if weight == 1.0 else loss * weight)
                return loss
            except Exception as exc:  # noqa: BLE001 - whatever torch.compile or CUDA graphs cannot handle
                if is_out_of_memory(exc):
                    raise               # not a compile failure: the job retries with a smaller micro-batch
                self._fall_back(exc)
        loss = self.model(**tensors).loss
        self.accelerator.backward(loss if weight == 1.0 else loss * weight)
        return loss

    def _fall_back(self, exc: Exception) -> None:
        self.log(f"compiled step failed ({type(exc).__name__}: {str(exc)[:200]}); continuing eagerly")
        self.compile_error = f"{type(exc).__name__}: {str(exc)[:500]}"
        self.compiled = False
        self.optimizer.zero_grad(set_to_none=True)          # whatever the failed step left behind
        self.on_fallback()

    def release(self) -> None:
        if self.graphs is not None:
            self.graphs = None
            release_compiled_graphs()
