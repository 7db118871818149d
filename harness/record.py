"""The result record: one typed definition of what a job writes to `results.jsonl`, and how older records upgrade.

`Record` and its sections are the single description of the schema. The job fills them and stores
`Record.to_dict()`; the report's frame columns (`report_columns`) come from the fields marked `column`; synthetic
report records are built from them; the record table in docs/architecture.md is checked against them by a test.

Schema history: 1 called the model's architecture `family` and had no `error_type`; `upgrade` turns such a record
into a schema-2 one on load, so results written before keep loading, reporting and resuming (job ids never depended
on the schema).
"""
from __future__ import annotations

import dataclasses
import functools
import platform
import typing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from harness import __version__

if TYPE_CHECKING:
    from harness.job import Job

SCHEMA = 2


def column(name: str | None = None, default: Any = None) -> Any:
    """A field the report loads into its frame, as column `name` (default: the field's own name)."""
    return field(default=default, metadata={"column": name})


def section(cls: type, optional: bool = False, omit_if_none: bool = False) -> Any:
    """A nested section. Optional ones are null until set; `omit_if_none` ones are absent until set (the executors
    add them to the finished record)."""
    metadata = {"section": cls, "omit_if_none": omit_if_none}
    return field(default=None, metadata=metadata) if optional or omit_if_none else \
        field(default_factory=cls, metadata=metadata)


class Section:
    """Plain conversion both ways; unknown keys are an error when building a section (a misspelt field)."""

    def to_dict(self) -> dict:
        return _plain(self)

    @classmethod
    def from_dict(cls, values: dict | None):
        if values is None:
            return None
        converted = {}
        for f in dataclasses.fields(cls):
            if f.name in values:
                inner = f.metadata.get("section")
                converted[f.name] = inner.from_dict(values[f.name]) if inner else values[f.name]
        unknown = set(values) - set(converted)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
        return cls(**converted)


@dataclass
class Epoch(Section):
    epoch: int | None = None
    train_loss: float | None = None
    metrics: dict | None = None
    seconds: float | None = None


@dataclass
class Validation(Section):
    split: str = "validation"
    best_epoch: int | None = None
    metrics: dict | None = None
    history: list[Epoch] = field(default_factory=list)

    @classmethod
    def from_dict(cls, values: dict | None):
        made = super().from_dict(values)
        if made is not None:
            made.history = [e if isinstance(e, Epoch) else Epoch.from_dict(e) for e in made.history]
        return made


@dataclass
class Generation(Section):
    settings: dict | None = None
    model_config: dict | None = None
    decoding: dict | None = None
    latency: dict | None = None
    max_new_tokens_within_positions: int | None = None


@dataclass
class Train(Section):
    samples_per_s: float | None = column("train_samples_per_s")
    tokens_per_s: float | None = column("train_tokens_per_s")
    seconds: float | None = column("train_seconds")
    steps: int | None = None
    epochs: float | None = None
    measured_steps: int | None = None
    micro_batch: int | None = None
    grad_accum: int | None = None
    oom_retries: int | None = None
    compiled: bool | None = None
    static_shapes: bool | None = None
    compile_seconds: float | None = None
    compile_error: str | None = None
    budget_exhausted: bool | None = None
    flops_per_token: float | None = None
    flops_basis: dict | None = None
    tflops_per_s: float | None = None
    mfu: float | None = None
    peak_tflops: float | None = None


@dataclass
class Eval(Section):
    samples_per_s: float | None = column("eval_samples_per_s")
    seconds: float | None = None
    examples: int | None = column("eval_examples")
    latency_ms_p50: float | None = column()
    latency_ms_p95: float | None = column()
    latency_requests: int | None = None
    # The decision threshold a kind chose on validation and applied to the test split (multi-label); else absent.
    threshold: float | None = field(default=None, metadata={"omit_if_none": True})
    # Zero- and few-shot label-word scoring: {"method", "uncalibrated": {metric: value}, ...}; else absent.
    calibration: dict | None = field(default=None, metadata={"omit_if_none": True})


@dataclass
class Memory(Section):
    peak_rss_bytes: int | None = column()
    peak_gpu_bytes: int | None = column()
    peak_gpu_reserved_bytes: int | None = None


@dataclass
class Schedule(Section):
    where: str | None = None
    executor: str | None = None
    estimate_bytes: int | None = None
    estimate_basis: str | None = None
    exclusive: bool | None = None
    concurrent: int | None = None
    attempt: int | None = None
    distributed: bool | None = None
    processes: int | None = None
    shared: dict | None = None


@dataclass
class Distributed(Section):
    processes: int | None = None
    backend: str | None = None
    steps_per_rank: list | None = None


@dataclass
class Ray(Section):
    node: str | None = None
    gpu_ids: list | None = None


@dataclass
class Data(Section):
    origin: str | None = column("data_origin")
    sample: bool | None = column("sample")
    description: str | None = None
    sizes: dict | None = None
    used: dict | None = None
    overlap: dict | None = None


@dataclass
class Record(Section):
    schema: int = SCHEMA
    run: str | None = column()
    job: str | None = column()
    model: str | None = column()
    model_id: str | None = column()
    model_revision: str | None = None
    # a model converted from another format (a GGUF file): format, file, sha256, quantization; absent otherwise
    model_origin: dict | None = field(default=None, metadata={"omit_if_none": True})
    architecture: str | None = column()
    task: str | None = column()
    task_family: str | None = column()
    kind: str | None = column()
    seed: int | None = column()
    status: str = column(default="failed")
    error: str | None = column()
    error_type: str | None = column()
    traceback: str | None = field(default=None, metadata={"omit_if_none": True})
    metrics: dict = field(default_factory=dict)
    metrics_split: str | None = None
    primary_metric: str | None = column()
    higher_is_better: bool | None = column()
    metric_scale: str | None = column()
    score: float | None = column()
    # written by the store only: dotted path -> the NaN / Infinity it held, stored as null (strict JSON)
    non_finite: dict | None = field(default=None, metadata={"omit_if_none": True})
    validation: Validation | None = section(Validation, optional=True)
    params: int | None = column()
    trainable_params: int | None = column()
    optimizer_state_bytes: int | None = column()
    attention: str | None = None
    cpu_threads: int | None = None
    tuning: str | None = column()
    lora: dict | None = None
    # tuning none / icl:K: {"shots", "seed", "chat_template", ...} (harness.prompting); else absent
    prompting: dict | None = field(default=None, metadata={"omit_if_none": True})
    grid: dict | None = None
    generation: Generation | None = section(Generation, optional=True)
    train: Train = section(Train)
    eval: Eval = section(Eval)
    memory: Memory = section(Memory)
    device: str | None = column()
    precision: str | None = column()
    schedule: Schedule | None = section(Schedule, omit_if_none=True)
    distributed: Distributed | None = section(Distributed, omit_if_none=True)
    ray: Ray | None = section(Ray, omit_if_none=True)
    hyperparameters: dict | None = None
    data: Data = section(Data)
    versions: dict | None = None
    started_at: str | None = None
    finished_at: str | None = None
    wall_seconds: float | None = None
    # with --save: the job's model folder, relative to the run directory (absent otherwise; --save best may prune it)
    saved_model: str | None = field(default=None, metadata={"omit_if_none": True})


def merge_sections(record: Record, values: dict) -> None:
    """Set record fields from plain values (a kind's `record_sections`), sections converted to their types."""
    kinds = sections()
    for name, value in values.items():
        if name not in field_names():
            raise TypeError(f"a result record has no field {name!r}")
        setattr(record, name, kinds[name].from_dict(value) if name in kinds else value)


def new_record(job: Job, run: str) -> Record:
    """A job's record before it runs: what the job says about itself; `failed` until the job says otherwise."""
    spec, source = job.model_spec, job.data["source"]
    return Record(
        run=run, job=job.id, model=job.model, model_id=spec["source"], model_revision=spec.get("revision"),
        model_origin=spec.get("origin"),
        architecture=spec["architecture"], task=job.task, task_family=job.task_family, kind=job.kind, seed=job.seed,
        tuning=job.tuning, lora=job.lora, grid=job.grid,
        generation=Generation(settings=job.generation) if job.generation else None,    # completed by the kind
        hyperparameters=job.hyperparameters,
        data=Data(origin=source["origin"], sample=source["origin"] == "sample", description=source["description"],
                  sizes=job.data["sizes"], overlap=job.data.get("overlap")),
        versions=versions(), started_at=now())


def failed_record(job: Job, run: str, reason: str, error_type: str = "internal") -> dict:
    """The result of a job that produced none itself (its worker crashed or was killed, a job function raised);
    `error_type` one of harness.errors.ERROR_TYPES."""
    record = new_record(job, run)
    record.error, record.error_type, record.finished_at = reason, error_type, now()
    return record.to_dict()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"harness": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "accelerate", "datasets"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:         # a missing package is just not listed
            pass
    return out


def _plain(value: Any) -> Any:
    """Dataclasses to dicts (fields marked omit_if_none left out while None), lists element by element."""
    if isinstance(value, Section):
        out = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is None and f.metadata.get("omit_if_none"):
                continue
            out[f.name] = _plain(item)
        return out
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@functools.cache
def report_columns() -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    """(column, path into the record, numeric) for every field marked `column`, sections included."""
    out = []
    for f, hints in _fields_with_hints(Record):
        inner = f.metadata.get("section")
        if inner is not None:
            out += [(name, (f.name, *path), numeric) for name, path, numeric in _columns_of(inner)]
        elif "column" in f.metadata:
            out.append((f.metadata["column"] or f.name, (f.name,), _numeric(hints[f.name])))
    return tuple(out)


def _columns_of(cls: type) -> list[tuple[str, tuple[str, ...], bool]]:
    return [(f.metadata["column"] or f.name, (f.name,), _numeric(hints[f.name]))
            for f, hints in _fields_with_hints(cls) if "column" in f.metadata]


def _fields_with_hints(cls: type):
    hints = typing.get_type_hints(cls)
    return [(f, hints) for f in dataclasses.fields(cls)]


def _numeric(annotation: Any) -> bool:
    return any(t in (int, float) for t in (typing.get_args(annotation) or (annotation,)))


def field_names(cls: type = Record) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def sections() -> dict[str, type]:
    """Record field name -> section class, for every nested section."""
    return {f.name: f.metadata["section"] for f in dataclasses.fields(Record) if "section" in f.metadata}


# ------------------------------------------------------------------------------------------------ older schemas

# Schema-1 records carry only the error message: its type is inferred from the texts the code of that time wrote.
_LEGACY_ERROR_TYPES = (("out of memory", "out_of_memory"), ("outofmemoryerror", "out_of_memory"),
                       ("timed out after", "timeout"), ("worker process died", "worker_died"),
                       ("exited unexpectedly", "worker_died"), ("data-parallel launch exited", "worker_died"),
                       ("trainingdiverged", "diverged"))


def upgrade(record: dict) -> dict:
    """A stored record as schema 2: schema-1 names renamed, missing top-level fields present (null or empty).
    Records already at schema 2 are returned as they are (cheap: reports load 10,000 records)."""
    if record.get("schema") == SCHEMA:
        return record
    record = dict(record)
    if "family" in record and "architecture" not in record:
        record["architecture"] = record.pop("family")
    if "error_type" not in record:
        record["error_type"] = _legacy_error_type(record)
    for f in dataclasses.fields(Record):
        if f.name not in record and not f.metadata.get("omit_if_none"):
            record[f.name] = _plain(f.default_factory()) if f.default_factory is not dataclasses.MISSING \
                else f.default
    record["schema"] = SCHEMA
    return record


def _legacy_error_type(record: dict) -> str | None:
    status = record.get("status")
    if status == "unsupported":
        return "unsupported"
    if status != "failed":
        return None
    error = str(record.get("error") or "").lower()
    return next((kind for text, kind in _LEGACY_ERROR_TYPES if text in error), "internal")
