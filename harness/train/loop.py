"""The fine-tuning loop: Accelerate for devices, mixed precision and gradient accumulation; our own batching.

Hot-loop rules: no host synchronisation per step (the loss is summed on the device and read once per epoch), token
counts come from host-side lengths, batches are length-grouped and padded to a multiple of 8 (or to a few fixed
bucket widths on the static path). Throughput is measured in steady state: the first optimizer steps (allocator
growth, kernel selection) and, with compilation, the first steps of every shape are excluded and reported as
compile time instead.

On a single CUDA GPU with enough steps to pay back compilation, the loop runs the static path: the training set
lives on the GPU in length buckets and the model runs under `torch.compile(mode="reduce-overhead")`, i.e. CUDA
graphs, one per bucket. Small fine-tuning steps are bound by kernel-launch overhead, not FLOPs, so replaying a
graph is several times faster than launching the same kernels one by one.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from harness.measure import synchronize
from harness.settings import Hyperparameters
from harness.train.batches import BUCKETS, HostBatches, StaticBatches, static_fits
from harness.train.device import accelerate_precision

COMPILE_MODES = ("auto", "on", "off")
# Below this many optimizer steps a job finishes before CUDA-graph compilation (seconds per bucket) pays back.
COMPILE_MIN_STEPS = 300
SHAPE_WARMUP_STEPS = 3      # eager warm-up, graph recording, first replay
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


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError)


class _Throughput:
    """Steady-state samples/s and tokens/s. Each step is `warmup` (the run's first optimizer steps), `compile` (the
    first steps of each batch shape under CUDA graphs) or `measured`; the clock is synchronised with the device only
    where the kind of step changes, never per step."""

    def __init__(self, device: str, skip_steps: int):
        self.device, self.skip_steps = device, skip_steps
        self.seconds = {"measured": 0.0, "warmup": 0.0, "compile": 0.0}
        self.current: str | None = None
        self.started = 0.0
        self.shape_seen: dict[tuple, int] = {}
        self.samples = self.tokens = self.steps = 0

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
        self.steps += 1

    def restart(self) -> None:
        """Forget what was measured: the steps from here on run another way (eager after a compile failure)."""
        self.samples = self.tokens = self.steps = 0
        self.seconds["measured"] = 0.0

    def pause(self) -> None:
        if self.current is not None:
            synchronize(self.device)
            self.seconds[self.current] += time.perf_counter() - self.started
            self.current = None

    def report(self, outcome: TrainOutcome) -> None:
        self.pause()
        if self.seconds["measured"] > 0 and self.samples > 0:
            outcome.samples_per_s = self.samples / self.seconds["measured"]
            outcome.tokens_per_s = self.tokens / self.seconds["measured"]
        outcome.measured_steps = self.steps
        if self.seconds["compile"]:
            outcome.compile_seconds = round(self.seconds["compile"], 3)


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
    step_model = compile_for_graphs(model) if compiled else model
    graphs_used = compiled

    outcome = TrainOutcome(steps=0, epochs=0.0, best_epoch=0, best_validation={}, micro_batch=hp.batch_size,
                           grad_accum=hp.grad_accum, compiled=compiled, static_shapes=static)
    throughput = _Throughput(device, skip_steps=warmup_steps_excluded(total_steps))
    best = _BestEpoch(higher_is_better, hp.early_stopping_patience)
    micro_done, epoch = 0, 0
    trained_seconds = 0.0           # training time so far, validation excluded (for --budget-seconds)
    epochs_planned = math.ceil(total_micro / batches_per_epoch)
    next_report = time.monotonic() + STEP_REPORT_EVERY_S
    while micro_done < total_micro and not outcome.budget_exhausted:
        epoch += 1
        model.train()
        loss_sum = torch.zeros((), device=accelerator.device)
        epoch_start = time.perf_counter()
        micro_in_epoch = 0
        for batch in source.epoch(seed * 1_000_003 + epoch, limit=total_micro - micro_done):
            measured = throughput.begin(batch.shape, outcome.steps, compiled)
            if compiled:
                torch.compiler.cudagraph_mark_step_begin()
            with accelerator.accumulate(model):
                try:
                    loss = step_model(**batch.tensors).loss
                    accelerator.backward(loss)
                except Exception as exc:  # noqa: BLE001 - a model torch.compile or CUDA graphs cannot handle
                    # still trains: this batch again, eagerly, and every later one. Out-of-memory is not a compile
                    # failure: it goes up to the retry with a smaller micro-batch.
                    if not compiled or is_out_of_memory(exc):
                        raise
                    log(f"compiled step failed ({type(exc).__name__}: {str(exc)[:200]}); continuing eagerly")
                    outcome.compile_error = f"{type(exc).__name__}: {str(exc)[:500]}"
                    compiled, step_model = False, model
                    throughput.restart()       # describe the eager path that finishes the job, not a mix
                    optimizer.zero_grad(set_to_none=True)
                    loss = model(**batch.tensors).loss
                    accelerator.backward(loss)
                if accelerator.sync_gradients:
                    if hp.max_grad_norm:
                        accelerator.clip_grad_norm_(model.parameters(), hp.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    # None, not zeros: a zeroed .grad would be the previous CUDA-graph replay's output,
                    # which the next replay overwrites.
                    optimizer.zero_grad(set_to_none=True)
                    outcome.steps += 1
            loss_sum += loss.detach()
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
    if graphs_used:
        step_model = loss = None            # the last replay's outputs live in the graphs' memory pool
        release_compiled_graphs()
    best.restore(unwrapped, last_epoch=epoch)
    outcome.best_epoch, outcome.best_validation = best.epoch, best.validation
    outcome.epochs = micro_done / batches_per_epoch
    outcome.compiled = compiled
    throughput.report(outcome)
    accelerator.free_memory()
    return outcome
