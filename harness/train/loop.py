"""The fine-tuning loop: Accelerate for devices, mixed precision and gradient accumulation; our own batching.

Hot-loop rules: no host synchronisation per step (the loss is summed on the device and read once per epoch), token
counts come from host-side lengths, batches are length-grouped and padded to a multiple of 8 (or to a few fixed
bucket widths on the static path). Each epoch ends with validation; the best epoch's weights are restored.

Its parts: where batches come from (`batches.py`: host-collated, or static buckets on the device), one step on one
micro-batch (`step.py`, through CUDA graphs where `graphs.py` says they pay), steady-state throughput
(`throughput.py`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from harness.settings import Hyperparameters
from harness.train.batches import HostBatches, StaticBatches, static_fits
from harness.train.device import accelerate_precision
from harness.train.graphs import use_compile
from harness.train.step import Stepper
from harness.train.throughput import Throughput, warmup_steps_excluded

STEP_REPORT_EVERY_S = 10.0  # how often a long epoch tells the progress display where it is


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    validation: dict
    seconds: float


@dataclass
class TrainOutcome:
    steps: int
    epochs: float
    best_epoch: int
    best_validation: dict
    history: list[EpochRecord] = field(default_factory=list)
    train_seconds: float = 0.0
    samples_per_s: float | None = None
    tokens_per_s: float | None = None
    measured_steps: int = 0
    micro_batch: int = 0
    grad_accum: int = 1
    compiled: bool = False
    static_shapes: bool = False
    compile_seconds: float | None = None
    compile_error: str | None = None
    budget_exhausted: bool = False          # --budget-seconds ended training


def make_optimizer(model, hp: Hyperparameters, device: str):
    import torch

    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "norm" in name.lower() or name.endswith(".bias") else decay).append(param)
    groups = [{"params": decay, "weight_decay": hp.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # fused AdamW is one kernel per step on CUDA; foreach is the fast path on CPU.
    kwargs = {"fused": True} if device == "cuda" else {"foreach": True}
    return torch.optim.AdamW(groups, lr=hp.lr, **kwargs)


def linear_schedule(optimizer, warmup: int, total: int):
    import torch

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class _BestEpoch:
    """The best validation score so far, early stopping, and a CPU copy of the best weights while more epochs
    follow (after the last epoch its weights are already in the model)."""

    def __init__(self, higher_is_better: bool, patience: int | None):
        self.higher_is_better, self.patience = higher_is_better, patience
        self.score, self.epoch, self.validation, self.state, self.stale = None, 0, {}, None, 0

    def update(self, epoch: int, validation: dict, primary: str, model, more_to_come: bool) -> None:
        score = validation.get(primary)
        better = self.score is None or (score is not None and (score > self.score if self.higher_is_better
                                                               else score < self.score))
        if better:
            self.score, self.epoch, self.validation, self.stale = score, epoch, validation, 0
            self.state = ({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
                          if more_to_come else None)
        else:
            self.stale += 1

    @property
    def patience_ran_out(self) -> bool:
        return bool(self.patience) and self.stale >= self.patience

    def restore(self, model, last_epoch: int) -> None:
        if self.epoch != last_epoch and self.state is not None:
            model.load_state_dict(self.state)


def train_model(model, features, *, columns: tuple[str, ...], pad_id: int, hp: Hyperparameters, seed: int,
                device: str, precision: str, validate: Callable[[object], dict], primary: str,
                higher_is_better: bool, separately_padded: tuple[str, ...] = (), compile: str = "auto",
                static: bool | None = None, log: Callable[[str], None] = lambda _: None) -> TrainOutcome:
    """Train `model` on tokenized `features`; validate each epoch; keep and restore the best epoch's weights.

    `static` forces the static-shape batch path on (tests cover it on CPU) or off; None chooses it with compile.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    # One worker process runs many jobs: each job gets a fresh Accelerate state (precision may differ per job).
    AcceleratorState._reset_state(reset_partial_state=True)
    accelerator = Accelerator(cpu=device == "cpu", mixed_precision=accelerate_precision(precision),
                              gradient_accumulation_steps=hp.grad_accum)
    columns = tuple(c for c in columns if c in features.column_names)
    data = features.select_columns(list(columns)).to_dict()     # plain lists: row access on Arrow is slow
    lengths = [len(ids) for ids in data["input_ids"]]
    world = accelerator.num_processes
    estimated_steps = hp.budget_steps or math.ceil(hp.epochs * math.ceil(len(lengths) / hp.batch_size)
                                                   / hp.grad_accum)
    if hp.budget_seconds and world > 1:
        raise ValueError("--budget-seconds applies to single-process jobs (ranks would stop at different steps)")
    compiled = (use_compile(compile, device, precision, world, estimated_steps, hp.grad_accum)
                and static_fits(lengths, hp.batch_size))
    static = compiled if static is None else static

    if static:
        source = StaticBatches(data, pad_id, hp.batch_size, accelerator.device, separately_padded)
    else:
        source = HostBatches(data, pad_id, hp.batch_size, accelerator.device, separately_padded,
                             rank=accelerator.process_index, world=world)
    batches_per_epoch = len(source)          # global micro-batches (static buckets split partial batches)
    total_micro = max(1, math.ceil(hp.epochs * batches_per_epoch))
    if hp.budget_steps:         # equal-cost comparison: exactly this many optimizer steps, epochs as needed
        total_micro = hp.budget_steps * hp.grad_accum
    total_steps = math.ceil(total_micro / hp.grad_accum)

    optimizer = make_optimizer(model, hp, device)
    scheduler = linear_schedule(optimizer, int(hp.warmup_ratio * total_steps), total_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    unwrapped = accelerator.unwrap_model(model)

    outcome = TrainOutcome(steps=0, epochs=0.0, best_epoch=0, best_validation={}, micro_batch=hp.batch_size,
                           grad_accum=hp.grad_accum, compiled=compiled, static_shapes=static)
    throughput = Throughput(device, skip_steps=warmup_steps_excluded(total_steps))
    stepper = Stepper(model, accelerator, optimizer, scheduler, hp.max_grad_norm, compiled, log,
                       on_fallback=throughput.restart)        # measure the eager path that finishes the job
    best = _BestEpoch(higher_is_better, hp.early_stopping_patience)
    micro_done, epoch = 0, 0
    trained_seconds = 0.0           # training time so far, validation excluded (for --budget-seconds)
    epochs_planned = math.ceil(total_micro / batches_per_epoch)
    next_report = time.monotonic() + STEP_REPORT_EVERY_S
    try:
        while micro_done < total_micro and not outcome.budget_exhausted:
            epoch += 1
            model.train()
            loss_sum = torch.zeros((), device=accelerator.device)
            epoch_start = time.perf_counter()
            micro_in_epoch = 0
            for batch in source.epoch(seed * 1_000_003 + epoch, limit=total_micro - micro_done):
                measured = throughput.begin(batch.shape, stepper.optimizer_steps, stepper.compiled)
                loss_sum += stepper.step(batch)
                micro_done += world          # every rank ran one micro-batch of the global step
                micro_in_epoch += 1
                if hp.budget_seconds and accelerator.sync_gradients and \
                        trained_seconds + time.perf_counter() - epoch_start >= hp.budget_seconds:
                    outcome.budget_exhausted = True
                    break
                if time.monotonic() >= next_report:          # host clock only: no device sync
                    log(f"epoch {epoch}/{epochs_planned}: step {micro_in_epoch * world}/{batches_per_epoch}")
                    next_report = time.monotonic() + STEP_REPORT_EVERY_S
                if measured:
                    throughput.count(batch)
            throughput.pause()
            outcome.train_seconds += time.perf_counter() - epoch_start
            trained_seconds = outcome.train_seconds
            mean_loss = float(loss_sum) / max(1, micro_in_epoch)
            if not math.isfinite(mean_loss):
                raise TrainingDiverged(f"training loss became {mean_loss} in epoch {epoch}")
            validation = validate(unwrapped)
            outcome.history.append(EpochRecord(epoch, mean_loss, validation, time.perf_counter() - epoch_start))
            log(f"epoch {epoch}: loss {mean_loss:.4f}, validation {primary} {validation.get(primary)}")
            best.update(epoch, validation, primary, unwrapped,
                        more_to_come=micro_done < total_micro and not outcome.budget_exhausted)
            if best.patience_ran_out:
                log(f"early stopping after epoch {epoch}")
                break
    finally:
        stepper.release()       # also on the way out of a failure: an OOM retry needs the graphs' memory back
    best.restore(unwrapped, last_epoch=epoch)
    outcome.best_epoch, outcome.best_validation = best.epoch, best.validation
    outcome.epochs = micro_done / batches_per_epoch
    outcome.steps, outcome.compiled, outcome.compile_error = (stepper.optimizer_steps, stepper.compiled,
                                                              stepper.compile_error)
    throughput.report(outcome)
    accelerator.free_memory()
    return outcome
