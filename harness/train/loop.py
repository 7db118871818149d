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

    error_type = "diverged"         # harness.errors.DIVERGED, the record's error_type


class TrainingStalled(RuntimeError):
    """An epoch ran no training step while the step target was not reached: the loop would never end."""


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
    tokens_per_s: float | None = None       # real input + decoder tokens (harness.train.tokens)
    decoder_tokens_per_s: float | None = None   # of them, an encoder-decoder's decoder tokens
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


@dataclass
class _Plan:
    """How far training goes. An epoch is the source's global micro-batches taken `world` at a time (one per rank;
    a last group smaller than `world` is shared out), so a whole epoch is ceil(batches / world) micro-steps on every
    rank. Epochs count global micro-batches (1.25 epochs of 4 batches = 5 batches); `--budget-steps` counts each
    rank's micro-steps (exactly that many optimizer steps)."""
    batches_per_epoch: int
    world: int
    grad_accum: int
    target_batches: int | None = None        # epochs: global micro-batches to train on
    target_micro: int | None = None          # --budget-steps: micro-steps every rank runs

    @classmethod
    def of(cls, hp: Hyperparameters, batches_per_epoch: int, world: int) -> "_Plan":
        if hp.budget_steps:         # equal-cost comparison: exactly this many optimizer steps, epochs as needed
            return cls(batches_per_epoch, world, hp.grad_accum, target_micro=hp.budget_steps * hp.grad_accum)
        return cls(batches_per_epoch, world, hp.grad_accum,
                   target_batches=max(1, math.ceil(hp.epochs * batches_per_epoch)))

    @property
    def micro_per_epoch(self) -> int:
        return -(-self.batches_per_epoch // self.world)

    @property
    def total_micro(self) -> int:
        if self.target_micro is not None:
            return self.target_micro
        whole, rest = divmod(self.target_batches, self.batches_per_epoch)
        return whole * self.micro_per_epoch + -(-rest // self.world)

    @property
    def total_steps(self) -> int:
        return math.ceil(self.total_micro / self.grad_accum)

    @property
    def epochs(self) -> int:
        return math.ceil(self.total_micro / self.micro_per_epoch)

    def limit(self, batches_done: int, micro_done: int) -> int:
        """Global micro-batches the next epoch may take."""
        if self.target_micro is not None:
            return (self.target_micro - micro_done) * self.world
        return self.target_batches - batches_done

    def reached(self, batches_done: int, micro_done: int) -> bool:
        if self.target_micro is not None:
            return micro_done >= self.target_micro
        return batches_done >= self.target_batches


def train_model(model, features, *, columns: tuple[str, ...], pad_id: int, hp: Hyperparameters, seed: int,
                device: str, precision: str, validate: Callable[[object], dict], primary: str,
                higher_is_better: bool, separately_padded: tuple[str, ...] = (), compile: str = "auto",
                static: bool | None = None, log: Callable[[str], None] = lambda _: None,
                tracker=None) -> TrainOutcome:
    """Train `model` on tokenized `features`; validate each epoch; keep and restore the best epoch's weights.

    `static` forces the static-shape batch path on (tests cover it on CPU) or off; None chooses it with compile.
    The static path is single-process only (its batches are not sharded across ranks).
    `tracker` (harness.trackers.JobTracker, None unless experiment trackers were asked for) receives each step's
    loss and each epoch's validation metrics at the epoch's end.
    """
    accelerator = _accelerator(device, precision, hp, tracker)
    columns = tuple(c for c in columns if c in features.column_names)
    data = features.select_columns(list(columns)).to_dict()     # plain lists: row access on Arrow is slow
    lengths = [len(ids) for ids in data["input_ids"]]
    if not lengths:
        raise ValueError("the training set is empty: nothing to train on")
    world = accelerator.num_processes
    estimated_steps = hp.budget_steps or math.ceil(hp.epochs * math.ceil(len(lengths) / hp.batch_size)
                                                   / hp.grad_accum)
    if hp.budget_seconds and world > 1:
        raise ValueError("--budget-seconds applies to single-process jobs (ranks would stop at different steps)")
    compiled = (use_compile(compile, device, precision, world, estimated_steps, hp.grad_accum)
                and static_fits(lengths, hp.batch_size))
    static = (compiled if static is None else static) and world == 1

    if static:
        source = StaticBatches(data, pad_id, hp.batch_size, accelerator.device, separately_padded)
    else:
        source = HostBatches(data, pad_id, hp.batch_size, accelerator.device, separately_padded,
                             rank=accelerator.process_index, world=world)
    plan = _Plan.of(hp, len(source), world)          # global micro-batches (static buckets split partial ones)

    optimizer = make_optimizer(model, hp, device)
    scheduler = linear_schedule(optimizer, int(hp.warmup_ratio * plan.total_steps), plan.total_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    outcome = TrainOutcome(steps=0, epochs=0.0, best_epoch=0, best_validation={}, micro_batch=hp.batch_size,
                           grad_accum=hp.grad_accum, compiled=compiled, static_shapes=static)
    throughput = Throughput(device, skip_steps=warmup_steps_excluded(plan.total_steps))
    stepper = Stepper(model, accelerator, optimizer, scheduler, hp.max_grad_norm, compiled, log,
                      on_fallback=throughput.restart)        # measure the eager path that finishes the job
    epochs = _EpochLoop(accelerator, model, source, stepper, throughput, plan, outcome, hp=hp, seed=seed,
                        validate=validate, primary=primary, best=_BestEpoch(higher_is_better,
                                                                            hp.early_stopping_patience), log=log,
                        tracker=tracker)
    try:
        epochs.run()
    finally:
        stepper.release()       # also on the way out of a failure: an OOM retry needs the graphs' memory back
    outcome.steps, outcome.compiled, outcome.compile_error = (stepper.optimizer_steps, stepper.compiled,
                                                              stepper.compile_error)
    throughput.report(outcome)
    accelerator.free_memory()
    return outcome


def _accelerator(device: str, precision: str, hp: Hyperparameters, tracker):
    """The job's Accelerator, on a fresh Accelerate state: one worker process runs many jobs, and precision may
    differ per job. The job's tracker runs start on its first Accelerator."""
    from accelerate import Accelerator

    from harness.compat import reset_accelerate_state

    reset_accelerate_state()
    accelerator = Accelerator(cpu=device == "cpu", mixed_precision=accelerate_precision(precision),
                              gradient_accumulation_steps=hp.grad_accum,
                              **(tracker.accelerator_options() if tracker else {}))
    if tracker:
        tracker.attach(accelerator)
    return accelerator


class _EpochLoop:
    """Epochs until the plan's target (or the time budget, or early stopping): train on the epoch's batches, then
    validate and keep the best epoch's weights. Every rank computes the same plan, so all run the same steps."""

    def __init__(self, accelerator, model, source, stepper: Stepper, throughput: Throughput, plan: _Plan,
                 outcome: TrainOutcome, *, hp: Hyperparameters, seed: int, validate: Callable[[object], dict],
                 primary: str, best: _BestEpoch, log: Callable[[str], None], tracker=None):
        self.accelerator, self.model, self.source, self.stepper = accelerator, model, source, stepper
        self.throughput, self.plan, self.outcome, self.hp, self.seed = throughput, plan, outcome, hp, seed
        self.validate, self.primary, self.best, self.log = validate, primary, best, log
        self.tracker, self.step_losses = tracker, None      # step_losses: this epoch's, on the device (trackers)
        self.unwrapped = accelerator.unwrap_model(model)
        self.batches_done = self.micro_done = 0
        self.next_report = time.monotonic() + STEP_REPORT_EVERY_S

    @property
    def finished(self) -> bool:
        return self.outcome.budget_exhausted or self.plan.reached(self.batches_done, self.micro_done)

    def run(self) -> None:
        epoch = 0
        while not self.finished:
            epoch += 1
            limit = self.plan.limit(self.batches_done, self.micro_done)
            started = time.perf_counter()
            micro, loss_sum = self._train(epoch, limit, started)
            if micro == 0:
                raise TrainingStalled(f"epoch {epoch} ran no training step with {limit} micro-batch(es) still to "
                                      f"train: the batch source yields nothing")
            self.micro_done += micro
            self.batches_done += min(micro * self.plan.world, limit, self.plan.batches_per_epoch)
            if self._end_epoch(epoch, float(loss_sum) / micro, started):
                break
        self.best.restore(self.unwrapped, last_epoch=epoch)
        self.outcome.best_epoch, self.outcome.best_validation = self.best.epoch, self.best.validation
        self.outcome.epochs = self.batches_done / self.plan.batches_per_epoch

    def _train(self, epoch: int, limit: int, started: float):
        """One epoch's training steps: (micro-steps run, summed loss on the device)."""
        import torch

        self.model.train()
        loss_sum = torch.zeros((), device=self.accelerator.device)
        # each step's loss for the trackers, written on the device: read with the epoch's loss, not per step
        step_losses = (torch.zeros(self.plan.micro_per_epoch, device=self.accelerator.device)
                       if self.tracker else None)
        micro = 0
        for batch in self.source.epoch(self.seed * 1_000_003 + epoch, limit=limit):
            measured = self.throughput.begin(batch.shape, self.stepper.optimizer_steps, self.stepper.compiled)
            loss = self.stepper.step(batch)
            loss_sum += loss
            if step_losses is not None and micro < len(step_losses):
                step_losses[micro] = loss
            micro += 1
            if measured:
                self.throughput.count(batch)    # before any stop below: a step that ran is timed and counted
            if self._budget_spent(started):
                self.outcome.budget_exhausted = True
                break
            if time.monotonic() >= self.next_report:          # host clock only: no device sync
                done = min(micro * self.plan.world, limit, self.plan.batches_per_epoch)
                self.log(f"epoch {epoch}/{self.plan.epochs}: step {done}/{self.plan.batches_per_epoch}")
                self.next_report = time.monotonic() + STEP_REPORT_EVERY_S
        self.throughput.pause()
        self.outcome.train_seconds += time.perf_counter() - started
        self.step_losses = step_losses[:micro] if step_losses is not None else None
        return micro, loss_sum

    def _budget_spent(self, started: float) -> bool:
        """--budget-seconds: training time so far (validation excluded) at the end of an optimizer step."""
        return bool(self.hp.budget_seconds) and self.accelerator.sync_gradients and \
            self.outcome.train_seconds + time.perf_counter() - started >= self.hp.budget_seconds

    def _end_epoch(self, epoch: int, mean_loss: float, started: float) -> bool:
        """Validate and keep the best weights; True when early stopping ends training."""
        if not math.isfinite(mean_loss):
            raise TrainingDiverged(f"training loss became {mean_loss} in epoch {epoch}")
        validation = self.validate(self.unwrapped)
        self.outcome.history.append(EpochRecord(epoch, mean_loss, validation, time.perf_counter() - started))
        if self.tracker:
            self.tracker.log_epoch(self.micro_done, self.step_losses, epoch, mean_loss, validation)
        self.log(f"epoch {epoch}: loss {mean_loss:.4f}, validation {self.primary} {validation.get(self.primary)}")
        self.best.update(epoch, validation, self.primary, self.unwrapped, more_to_come=not self.finished)
        if self.best.patience_ran_out:
            self.log(f"early stopping after epoch {epoch}")
            return True
        return False
