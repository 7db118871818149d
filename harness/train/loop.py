"""The fine-tuning loop: Accelerate for devices, mixed precision and gradient accumulation; our own batching.

Hot-loop rules: no host synchronisation per step (the loss is summed on the device and read once per epoch), token
counts come from the host-side lengths, batches are padded to a multiple of 8 and grouped by length. Throughput is
measured in steady state: the first optimizer steps (warm-up: allocator growth, kernel selection) are excluded.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from harness.data.batching import collate_features, length_grouped_batches
from harness.measure import synchronize
from harness.settings import Hyperparameters
from harness.train.device import accelerate_precision


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


def warmup_steps_excluded(total_steps: int) -> int:
    """Optimizer steps left out of the throughput window: 10 % of the run, between 1 and 10 (0 for tiny runs)."""
    if total_steps < 4:
        return 0
    return max(1, min(10, total_steps // 10))


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


def train_model(model, features, *, columns: tuple[str, ...], pad_id: int, separately_padded: tuple[str, ...] = (), hp: Hyperparameters, seed: int,
                device: str, precision: str, validate: Callable[[object], dict], primary: str,
                higher_is_better: bool, log: Callable[[str], None] = lambda _: None) -> TrainOutcome:
    """Train `model` on tokenized `features`; validate each epoch; keep and restore the best epoch's weights."""
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
    batches_per_epoch = math.ceil(len(lengths) / hp.batch_size)
    total_micro = max(1, math.ceil(hp.epochs * batches_per_epoch))
    total_steps = math.ceil(total_micro / hp.grad_accum)

    optimizer = make_optimizer(model, hp, device)
    scheduler = linear_schedule(optimizer, int(hp.warmup_ratio * total_steps), total_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    unwrapped = accelerator.unwrap_model(model)
    rank, world = accelerator.process_index, accelerator.num_processes
    pin = device == "cuda"

    outcome = TrainOutcome(steps=0, epochs=0.0, best_epoch=0, best_validation={}, micro_batch=hp.batch_size,
                           grad_accum=hp.grad_accum)
    skip = warmup_steps_excluded(total_steps)
    measured = {"seconds": 0.0, "samples": 0, "tokens": 0, "steps": 0}
    best_score, best_state, stale = None, None, 0
    micro_done = 0
    epoch = 0
    while micro_done < total_micro:
        epoch += 1
        order = length_grouped_batches(lengths, hp.batch_size, seed=seed * 1_000_003 + epoch)
        order = order[: total_micro - micro_done][rank::world]
        model.train()
        loss_sum = torch.zeros((), device=accelerator.device)
        epoch_start = time.perf_counter()
        window_start = None
        for indices in order:
            if window_start is None and outcome.steps >= skip:
                synchronize(device)
                window_start = time.perf_counter()
            batch = collate_features([{c: data[c][i] for c in columns} for i in indices], pad_id,
                                     separately_padded=separately_padded)
            if pin:
                batch = {k: v.pin_memory() for k, v in batch.items()}
            batch = {k: v.to(accelerator.device, non_blocking=True) for k, v in batch.items()}
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    if hp.max_grad_norm:
                        accelerator.clip_grad_norm_(model.parameters(), hp.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                    outcome.steps += 1
            loss_sum += loss.detach()
            micro_done += 1
            if window_start is not None:
                measured["samples"] += len(indices) * world
                measured["tokens"] += sum(lengths[i] for i in indices) * world
        synchronize(device)
        if window_start is not None:
            measured["seconds"] += time.perf_counter() - window_start
        outcome.train_seconds += time.perf_counter() - epoch_start
        mean_loss = float(loss_sum) / max(1, len(order))
        if not math.isfinite(mean_loss):
            raise TrainingDiverged(f"training loss became {mean_loss} in epoch {epoch}")
        validation = validate(unwrapped)
        outcome.history.append(EpochRecord(epoch, mean_loss, validation, time.perf_counter() - epoch_start))
        score = validation.get(primary)
        log(f"epoch {epoch}: loss {mean_loss:.4f}, validation {primary} {score}")
        improved = best_score is None or (score is not None and (score > best_score if higher_is_better
                                                                 else score < best_score))
        if improved:
            best_score, outcome.best_epoch, outcome.best_validation, stale = score, epoch, validation, 0
            if micro_done < total_micro:   # the last epoch's weights are already in the model
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in unwrapped.state_dict().items()}
            else:
                best_state = None
        else:
            stale += 1
            if hp.early_stopping_patience and stale >= hp.early_stopping_patience:
                log(f"early stopping after epoch {epoch}")
                break
    if outcome.best_epoch != epoch and best_state is not None:
        unwrapped.load_state_dict(best_state)
    outcome.epochs = micro_done / batches_per_epoch
    if measured["seconds"] > 0 and measured["samples"] > 0:
        outcome.samples_per_s = measured["samples"] / measured["seconds"]
        outcome.tokens_per_s = measured["tokens"] / measured["seconds"]
    outcome.measured_steps = outcome.steps - skip
    accelerator.free_memory()
    return outcome
