"""One job: fine-tune one model on one task with one seed, evaluate, measure; return one result record.

`Job` is the frozen description of one model x task x tuning x grid point x seed with everything that determines its
result. Its id hashes what changes a result (model and revision, task card, data, seed, hyperparameters, precision,
device request, generation settings, harness version), so re-running the same command skips finished jobs and
editing any of these re-runs.

`run_job` never raises: an incompatible pairing becomes `status: unsupported` with the reason, anything else that
goes wrong becomes `status: failed` with the error, so one job can never stop a sweep.
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from harness import __version__
from harness.record import Epoch, Memory, Record, Train, Validation, merge_sections, new_record, now
from harness.tuning import SAVED, is_prompted, shots
from harness.record import failed_record  # noqa: F401 - the executors' import of it


@dataclass(frozen=True)
class Job:
    model: str                      # as the user gave it
    model_spec: dict[str, Any]      # harness.models.resolve.ModelSpec as a dict
    task: str
    task_family: str
    kind: str
    card_path: str
    card_hash: str
    seed: int
    hyperparameters: dict[str, Any]
    precision: str                  # as requested (auto / bf16 / fp16 / fp32)
    device: str                     # as requested (auto / cpu / cuda)
    data: dict[str, Any]            # prepared data: path, fingerprint, sizes, source description
    options: dict[str, Any] = field(default_factory=dict)   # measurement and generation settings
    tuning: str = "full"                                     # full | head | lora (harness.tuning)
    lora: dict[str, Any] | None = None                       # LoRA settings when tuning == "lora"
    grid: dict[str, Any] = field(default_factory=dict)       # the grid point: hyperparameters varied by --*-grid
    generation: dict[str, Any] = field(default_factory=dict)  # generate() settings (card < run options); {} if none
    tracking: dict[str, Any] | None = None     # experiment trackers (harness.trackers); logging is not in the id
    harness_version: str = __version__
    # Where and how to save the trained model (harness.models.saving): {"dir", "merge_lora"}, or None. Not in the id:
    # saving changes no result.
    save: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        identity = {
            "model": _model_identity(self.model, self.model_spec),
            "revision": self.model_spec.get("revision"), "task": self.task, "card": self.card_hash,
            "seed": self.seed, "hp": self.hyperparameters, "precision": self.precision, "device": self.device,
            "data": self.data["fingerprint"], "options": self.options, "version": self.harness_version,
        }
        if self.tuning != "full":        # full-tuning ids stay what they were before tuning strategies existed
            identity["tuning"] = {"strategy": self.tuning, "lora": self.lora}
        if self.generation:              # likewise the ids of jobs that generate nothing
            identity["generation"] = self.generation
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        variant = "" if self.tuning == "full" else f" ({self.tuning})"
        point = "".join(f" {k}={v:g}" if isinstance(v, float) else f" {k}={v}" for k, v in self.grid.items())
        return f"{self.model}{variant} × {self.task} × seed {self.seed}{point}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Job":
        return cls(**data)


def _model_identity(name: str, spec: dict[str, Any]) -> str:
    """What a job id names its model by: a hub id, a local directory as given, or a converted file's content (so
    moving a GGUF file reruns nothing, and replacing it reruns everything)."""
    origin = spec.get("origin")
    if origin:
        return f"{origin['format']}:{origin['sha256']}"
    return spec["source"] if not spec.get("local") else name


def base_record(job: Job, run: str) -> dict[str, Any]:
    """The record a job starts from, as stored (the typed one: harness.record.new_record)."""
    return new_record(job, run).to_dict()


def run_job(job: Job, run: str = "", log: Callable[[str], None] = lambda _: None) -> tuple[dict, dict | None]:
    """Run a job; returns (result record, per-example predictions or None). Never raises.

    log: takes the job's status as it goes (its phase, epoch lines) for the sweep's display; diagnostics go to
    `logging`."""
    from harness.errors import Unsupported, error_type_of
    from harness.measure import PeakGPU, PeakRSS, release_freed_memory
    from harness.trackers import JobTracker

    record = new_record(job, run)
    tracker = JobTracker.for_job(job)
    predictions = None
    started = time.perf_counter()
    try:
        from harness.train.device import resolve_device, resolve_precision
        device = resolve_device(job.device)
        record.device = _device_name(device)
        record.precision = resolve_precision(job.precision, device)
        record.cpu_threads = _torch_threads()       # CPU speed figures depend on it (workers split the cores)
        release_freed_memory()      # workers run many jobs: start this job's RSS peak from what is really live
        with PeakRSS() as rss, PeakGPU(device) as gpu:
            predictions, trained = _execute(job, record, device, log, tracker)
        record.memory = Memory(peak_rss_bytes=rss.peak_bytes, peak_gpu_bytes=gpu.allocated_bytes,
                               peak_gpu_reserved_bytes=gpu.reserved_bytes)
        if trained is not None:     # after the memory figures: serialising the weights is no cost of the job
            from harness.models.saving import save_job_model
            log("saving the model")
            record.saved_model = save_job_model(job, record, *trained, predictions=predictions)
        record.status = "ok"
    except Unsupported as exc:
        record.status, record.error, record.error_type = "unsupported", str(exc), error_type_of(exc)
    except Exception as exc:  # noqa: BLE001 - a job's failure is data, not a crash
        record.status, record.error = "failed", f"{type(exc).__name__}: {exc}".strip()
        record.error_type = error_type_of(exc)
        record.traceback = traceback.format_exc(limit=-8)     # the executor logs it (harness.executors.delivery)
    record.wall_seconds = round(time.perf_counter() - started, 3)
    record.finished_at = now()
    if tracker:
        tracker.close(record)       # test metrics and cost figures; a failed job's runs end as failed
    return record.to_dict(), predictions


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _device_name(device: str) -> str:
    if device == "cuda":
        import torch

        return f"cuda:{torch.cuda.get_device_name(0)}"
    return f"cpu:{platform.processor() or platform.machine()}"


def _execute(job: Job, record: Record, device: str, log, tracker=None) -> tuple[dict, tuple | None]:
    """Train and test; returns (the test predictions, (model, tokenizer, card, kind) when the job saves it)."""
    import torch
    from transformers import set_seed

    from harness.errors import DATA, classified_as
    from harness.kinds.base import EvalContext
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import ModelSpec
    from harness.settings import Hyperparameters
    from harness.tasks.card import load_card
    from harness.tasks.registry import load_kind

    spec = ModelSpec(**job.model_spec)
    card = load_card(Path(job.card_path))
    kind = _evaluating_kind(job, load_kind(card.kind))
    hp = Hyperparameters(**job.hyperparameters)
    primary = kind.metric_spec(card.primary_metric)
    record.primary_metric, record.higher_is_better, record.metric_scale = \
        card.primary_metric, primary.higher_is_better, primary.scale

    set_seed(job.seed)
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec)
    with classified_as(DATA):       # reading and encoding the prepared rows: a failure here is the data's
        rows = _rows(job, hp)
        log("tokenizing")
        features = {role: _tokenized(ds, role, kind, card, spec, tokenizer, hp, job.data["fingerprint"],
                                     job.card_hash) for role, ds in rows.items() if role in _roles_used(job)}
    record.data.used = {role: len(ds) for role, ds in rows.items()}

    target = torch.device(device)
    autocast = _autocast_factory(device, record.precision)

    def context(model_, role: str) -> EvalContext:
        return EvalContext(model=model_, tokenizer=tokenizer, spec=spec, card=card, features=features.get(role),
                           rows=rows[role], device=target, batch_size=hp.eval_batch_size, autocast=autocast,
                           options=job.options, split=role, train_rows=rows["train"],
                           validation=context(model_, "validation") if role == "test" else None)

    def validate(model_) -> dict:
        return kind.evaluate(context(model_, "validation")).metrics

    if job.tuning == SAVED:
        from harness.evaluate_saved import load_saved_model
        model = _as_it_is(record, load_saved_model(kind, card, spec, tokenizer), target, validate)
    elif is_prompted(job.tuning):
        model = _as_it_is(record, kind.prompted_model(card, spec, tokenizer), target, validate)
    else:
        log("training")
        outcome, model = _train_with_oom_retry(job, kind, card, spec, tokenizer, hp, features["train"], device,
                                               record, validate, log, tracker)
        _record_training(record, outcome, model)
    model.to(target)
    predictions = _test(job, record, kind, card, context(model, "test"), device, log)
    from harness.models.saving import is_main_process
    return predictions, ((model, tokenizer, card, kind) if job.save and is_main_process() else None)


def _evaluating_kind(job: Job, kind):
    """The job's kind; for zero- and few-shot tuning, the kind's prompted evaluation in place of its head's."""
    if not is_prompted(job.tuning):
        return kind
    from harness.prompting import Prompting, PromptedKind

    return PromptedKind(kind, Prompting(shots=shots(job.tuning), seed=job.seed,
                                        chat_template=job.options.get("chat_template", "auto")))


def _roles_used(job: Job) -> tuple[str, ...]:
    """The splits a job tokenizes: a saved model trains on nothing (its train rows still reach the kinds, e.g. the
    spacing seq2seq learns from training targets); a prompted one tokenizes its prompts itself."""
    if is_prompted(job.tuning):
        return ()
    return ("validation", "test") if job.tuning == SAVED else ("train", "validation", "test")


def _as_it_is(record: Record, model, target, validate):
    """A model evaluated as loaded (a saved checkpoint with its own head, or a pretrained model prompted), nothing
    trained: an empty train section (0 steps, 0 epochs) and the validation metrics of the model as it is."""
    _record_model(record, model)
    record.train = Train(steps=0, epochs=0.0)
    record.validation = Validation(metrics=validate(model.to(target)))
    return model


def _record_model(record: Record, model) -> None:
    """What the model is: its parameters, those it trains, their optimizer state, its attention implementation."""
    from harness.compat import attention_implementation
    from harness.tuning import optimizer_state_bytes, trainable_parameters

    record.params = sum(p.numel() for p in model.parameters())
    record.trainable_params = trainable_parameters(model)
    record.optimizer_state_bytes = optimizer_state_bytes(model)
    # sdpa (fused kernels) or eager: a model without SDPA support is slower for a reason worth seeing
    record.attention = attention_implementation(model)


def _rows(job: Job, hp) -> dict:
    """The prepared train / validation / test rows, cut to --max-train-samples / --max-eval-samples."""
    from harness.data.prepare import PreparedData

    prepared = PreparedData(path=Path(job.data["path"]), fingerprint=job.data["fingerprint"],
                            sizes=job.data["sizes"], source=job.data["source"])
    rows = {}
    for role in ("train", "validation", "test"):
        dataset = prepared.load(role)
        limit = hp.max_train_samples if role == "train" else hp.max_eval_samples
        rows[role] = dataset.select(range(min(limit, len(dataset)))) if limit else dataset
    return rows


def _record_training(record: Record, outcome, model) -> None:
    """The record's train section (throughput, steps, compilation, FLOPs) and validation section (best epoch)."""
    record.train = Train(
        samples_per_s=outcome.samples_per_s, tokens_per_s=outcome.tokens_per_s,
        seconds=round(outcome.train_seconds, 3), steps=outcome.steps, epochs=round(outcome.epochs, 3),
        measured_steps=outcome.measured_steps, micro_batch=outcome.micro_batch, grad_accum=outcome.grad_accum,
        oom_retries=record.train.oom_retries, compiled=outcome.compiled, static_shapes=outcome.static_shapes,
        compile_seconds=outcome.compile_seconds, compile_error=outcome.compile_error,
        budget_exhausted=outcome.budget_exhausted)
    _add_flops(record, model, outcome)
    record.validation = Validation(best_epoch=outcome.best_epoch, metrics=outcome.best_validation,
                                   history=[Epoch(epoch=e.epoch, train_loss=e.train_loss, metrics=e.validation,
                                                  seconds=round(e.seconds, 3)) for e in outcome.history])


def _test(job: Job, record: Record, kind, card, test_ctx, device: str, log) -> dict:
    """Evaluate on the test split and time batch-1 requests; fills metrics, score and the eval section. Returns
    the per-example predictions."""
    from harness.measure import measure_latency

    log("testing")
    start = time.perf_counter()
    evaluation = kind.evaluate(test_ctx)
    eval_seconds = time.perf_counter() - start
    record.metrics = {k: v for k, v in evaluation.metrics.items() if k in card.metrics or k in kind.metric_specs}
    record.metrics_split = "test"
    record.score = evaluation.metrics.get(card.primary_metric)
    merge_sections(record, evaluation.record_sections)
    requests = int(job.options.get("latency_requests", 50))
    if requests:
        log("measuring latency")
    latency = measure_latency(lambda i: kind.latency_inputs(test_ctx, i), requests, device) if requests else None
    examples = len(test_ctx.rows)
    # replace, not a new section: the kind may have set some of it (a decision threshold)
    record.eval = replace(record.eval, samples_per_s=examples / eval_seconds if eval_seconds > 0 else None,
                          seconds=round(eval_seconds, 3), examples=examples,
                          latency_ms_p50=latency.p50_ms if latency else None,
                          latency_ms_p95=latency.p95_ms if latency else None,
                          latency_requests=latency.requests if latency else 0)
    return {"job": job.id, "split": "test", "predictions": evaluation.predictions,
            "references": evaluation.references, "context": evaluation.context}


def _train_with_oom_retry(job, kind, card, spec, tokenizer, hp, train_features, device, record, validate, log,
                          tracker=None):
    """Build and train the model; on CUDA out-of-memory halve the micro-batch and double accumulation (same
    effective batch) and start again, down to a micro-batch of 1. Returns (outcome, trained model)."""
    import gc
    from dataclasses import replace

    import torch
    from transformers import set_seed

    from harness.train.loop import train_model
    from harness.tuning import LoraSettings, apply_tuning

    micro, accum, retries = hp.batch_size, hp.grad_accum, 0
    while True:
        set_seed(job.seed)       # the head's initialisation depends only on the seed
        model = apply_tuning(kind.build_model(card, spec, tokenizer), job.tuning, task_type=kind.peft_task_type(spec),
                             lora=LoraSettings(**job.lora) if job.lora else None, generative=kind.uses_generation)
        _record_model(record, model)
        try:
            outcome = train_model(model, train_features, columns=kind.train_columns(), pad_id=tokenizer.pad_token_id,
                                  separately_padded=kind.padded_separately(spec),
                                  hp=replace(hp, batch_size=micro, grad_accum=accum), seed=job.seed, device=device,
                                  precision=record.precision, validate=validate, primary=card.primary_metric,
                                  higher_is_better=kind.metric_spec(card.primary_metric).higher_is_better,
                                  compile=job.options.get("compile", "auto"), log=log, tracker=tracker)
            record.train.oom_retries = retries
            return outcome, model
        except torch.cuda.OutOfMemoryError:
            if micro == 1:
                raise
            del model
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            micro, accum, retries = max(1, micro // 2), accum * 2, retries + 1
            log(f"CUDA out of memory: retrying with micro-batch {micro} x {accum} accumulation steps")


def _add_flops(record: Record, model, outcome) -> None:
    """Estimated training FLOPs per token (and what the estimate assumed), achieved TFLOP/s and MFU (None where the
    device peak is unknown)."""
    from harness.flops import device_peak_tflops, estimate_flops, mfu

    train = record.train
    if not outcome.tokens_per_s or not outcome.samples_per_s:
        return                      # nothing measured: the FLOPs fields stay None
    decoder = (outcome.decoder_tokens_per_s or 0.0) / outcome.samples_per_s      # real tokens per example
    estimate = estimate_flops(model, outcome.tokens_per_s / outcome.samples_per_s - decoder, decoder)
    per_token = estimate.per_token
    peak = device_peak_tflops(record.device, record.precision)
    train.flops_per_token, train.flops_basis, train.peak_tflops = per_token, estimate.basis, peak
    train.tflops_per_s = per_token * outcome.tokens_per_s / 1e12
    train.mfu = mfu(per_token, outcome.tokens_per_s, peak)


def _tokenized(dataset, role, kind, card, spec, tokenizer, hp, data_fingerprint, card_hash):
    from harness.data.tokenize import tokenize, tokenizer_identity

    key = {"data": data_fingerprint, "role": role, "n": len(dataset), "kind": kind.name,
           "architecture": spec.architecture, "card": card_hash, "tokenizer": tokenizer_identity(spec),
           "max_length": hp.max_length, "max_target_length": hp.max_target_length,
           "encoder": kind.encoder_version(role)}
    return tokenize(dataset, kind.encoder(card, spec, tokenizer, hp, role), key_parts=key)


def _autocast_factory(device: str, precision: str):
    import contextlib

    import torch
    if precision in ("bf16", "fp16"):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return lambda: torch.autocast(device_type=device, dtype=dtype)
    return contextlib.nullcontext
