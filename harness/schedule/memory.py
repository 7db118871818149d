"""Estimate a job's peak GPU memory before it runs, and correct the estimate with what earlier jobs measured.

The estimate decides how many jobs share a GPU and whether a job needs several GPUs. It never loads weights:

* **Parameters P** come from the `safetensors` headers of the checkpoint (the 8-byte length plus the JSON header
  of each shard, summing the products of the tensor shapes), found in the local model directory or in the Hugging
  Face cache. Without safetensors files the model is instantiated on the `meta` device from its config
  (`accelerate.init_empty_weights`), which allocates nothing.
* **Shape**: layers L (encoder + decoder layers), hidden size h, attention heads a and vocabulary V are read from
  `config.json`.

For a job with micro-batch b, input length s (`max_length`), target length t (`max_target_length`, seq2seq only)
and activation width w bytes (2 for bf16/fp16, 4 for fp32):

    static       = 16 P                 fp32 weights (4) + fp32 grads (4) + AdamW's two fp32 moments (8);
                 + 2 P  if bf16/fp16     the training loop keeps fp32 master weights under autocast, which caches
                                         half-precision copies of the weights during the forward pass
    activations  = L b s h (34 + 5 a s / h) w / 2
                                         per-layer activations saved for backward (Korthikanti et al. 2022,
                                         "Reducing Activation Recomputation in Large Transformer Models": 34 s b h
                                         bytes for the linear parts plus 5 a s^2 b for attention scores, at 16 bits)
                 + 12 b t V              seq2seq only: logits, their fp32 upcast for the loss, and its gradient
    estimate     = 1.25 (static + activations) + 1 GiB
                                         25 % for allocator fragmentation and temporaries; 1 GiB per process for
                                         the CUDA context, cuBLAS workspaces and kernels

s is an upper bound (batches are padded dynamically to the longest example), so the formula errs high for short
inputs. Data-parallel over k processes: plain DDP keeps a full replica per GPU and adds gradient buckets (+4 P);
FSDP/DeepSpeed (an `--accelerate-config` that asks for them) divide `static` by k.

**Correction from measurements.** A finished job on a GPU records `memory.peak_gpu_reserved_bytes` (and
`memory.peak_gpu_bytes`, the allocated peak). Given such records of the same model (this run's store, including
results of earlier invocations and of jobs finished moments ago), the estimate becomes:

* the same model, task and settings measured before: the measured reserved peak x 1.1 + 1 GiB;
* the same model with other settings: the formula scaled by the largest measured/formula ratio seen for that
  model (clamped to [0.3, 3]) + 1 GiB.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GiB = 1024 ** 3
PROCESS_OVERHEAD_BYTES = 1 * GiB
FRAGMENTATION = 1.25
MEASURED_MARGIN = 1.1


@dataclass(frozen=True)
class ModelShape:
    params: int
    layers: int
    hidden: int
    heads: int
    vocab: int
    source: str              # where P came from: "safetensors" or "meta"


@dataclass(frozen=True)
class Estimate:
    bytes: int | None        # peak per process on one GPU; None when the model could not be sized
    static_bytes: int | None
    activation_bytes: int | None
    basis: str               # formula | corrected | measured | unknown
    params: int | None = None

    @property
    def known(self) -> bool:
        return self.bytes is not None


# --------------------------------------------------------------------------------------------------- model shapes

def _first(config: dict, *keys: str, default: int | None = None) -> int | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return default


def shape_from_config(config: dict, params: int, source: str) -> ModelShape:
    """Layers, width, heads and vocabulary from a raw config.json mapping (nested text_config is followed)."""
    if isinstance(config.get("text_config"), dict):
        config = {**config, **config["text_config"]}
    hidden = _first(config, "hidden_size", "n_embd", "d_model", "dim", default=768)
    encoder = _first(config, "num_hidden_layers", "n_layer", "num_layers", "encoder_layers", "n_layers", default=12)
    decoder = 0
    if config.get("is_encoder_decoder"):
        decoder = _first(config, "num_decoder_layers", "decoder_layers", default=encoder)
        # a decoder layer holds self- and cross-attention: count it as 1.5 encoder layers
        decoder = math.ceil(decoder * 1.5)
    heads = _first(config, "num_attention_heads", "n_head", "num_heads", "encoder_attention_heads", "n_heads",
                   default=max(1, hidden // 64))
    vocab = _first(config, "vocab_size", default=32000)
    return ModelShape(params=params, layers=encoder + decoder, hidden=hidden, heads=heads, vocab=vocab,
                      source=source)


def safetensors_params(files: list[Path]) -> int | None:
    """Sum of the tensor sizes declared in safetensors headers (reads a few KB per file, never the weights)."""
    total = 0
    for file in files:
        try:
            with open(file, "rb") as f:
                (length,) = struct.unpack("<Q", f.read(8))
                if length > 100_000_000:
                    return None
                header = json.loads(f.read(length))
        except (OSError, struct.error, ValueError):
            return None
        for name, entry in header.items():
            if name == "__metadata__" or not isinstance(entry, dict):
                continue
            total += math.prod(entry.get("shape") or [1])
    return total or None


def _checkpoint_files(spec: dict) -> tuple[dict | None, list[Path]]:
    """(raw config, safetensors files) of a model, from its directory or the local hub cache; no downloads."""
    def local(name: str) -> Path | None:
        if spec.get("local"):
            path = Path(spec["source"]) / name
            return path if path.is_file() else None
        try:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(spec["source"], name, revision=spec.get("revision"))
        except Exception:  # noqa: BLE001 - a cache lookup problem only means "not known"
            return None
        return Path(found) if isinstance(found, (str, Path)) and Path(found).is_file() else None

    config = None
    if (path := local("config.json")) is not None:
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = None
    files: list[Path] = []
    if (single := local("model.safetensors")) is not None:
        files = [single]
    elif (index := local("model.safetensors.index.json")) is not None:
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError):
            shards = []
        resolved = [local(shard) for shard in shards]
        files = [p for p in resolved if p is not None] if all(resolved) else []
    return config, files


def _meta_params(spec: dict) -> int | None:
    """Instantiate the model on the meta device (no memory, no weights) and count its parameters."""
    try:
        from accelerate import init_empty_weights
        from transformers import AutoConfig, AutoModel

        config = AutoConfig.from_pretrained(spec["source"], revision=spec.get("revision"),
                                            trust_remote_code=bool(spec.get("trust_remote_code")))
        with init_empty_weights():
            model = AutoModel.from_config(config, trust_remote_code=bool(spec.get("trust_remote_code")))
        return sum(p.numel() for p in model.parameters())
    except Exception:  # noqa: BLE001 - an unsizable model is scheduled conservatively, not refused
        return None


@lru_cache(maxsize=None)
def _model_shape_cached(spec_json: str) -> ModelShape | None:
    spec = json.loads(spec_json)
    config, files = _checkpoint_files(spec)
    params, source = (safetensors_params(files), "safetensors") if files else (None, "")
    if params is None:
        params, source = _meta_params(spec), "meta"
    if params is None:
        return None
    return shape_from_config(config or {}, params, source)


def model_shape(spec: dict) -> ModelShape | None:
    """The shape of a model (a ModelSpec as a dict), or None when neither its files nor its config can be read."""
    return _model_shape_cached(json.dumps(spec, sort_keys=True, default=str))


# ------------------------------------------------------------------------------------------------------- formula

def activation_width(precision: str) -> int:
    return 4 if precision == "fp32" else 2


def formula_bytes(shape: ModelShape, *, batch: int, seq: int, target_seq: int, precision: str, seq2seq: bool,
                  processes: int = 1, sharded: bool = False) -> tuple[int, int]:
    """(static, activations) bytes per process, before fragmentation margin and process overhead."""
    p = shape.params
    static = 16 * p + (2 * p if precision in ("bf16", "fp16") else 0)
    if processes > 1:
        static = static // processes if sharded else static + 4 * p
    w = activation_width(precision)
    s = seq + (target_seq if seq2seq else 0)
    per_layer = s * batch * shape.hidden * (34 + 5 * shape.heads * s / shape.hidden) * w / 2
    activations = shape.layers * per_layer
    if seq2seq:
        activations += 12 * batch * target_seq * shape.vocab
    return int(static), int(activations)


def _settings(hp: dict) -> tuple[int, int, int]:
    batch = int(hp.get("batch_size") or 32)
    return batch, int(hp.get("max_length") or 128), int(hp.get("max_target_length") or 64)


def job_precision(precision: str, device_kind: str = "cuda") -> str:
    if precision == "auto":
        return "bf16" if device_kind == "cuda" else "fp32"
    return precision


# -------------------------------------------------------------------------------------------------- memory model

class MemoryModel:
    """Estimates per job, corrected by measured peaks of the same model as results come in."""

    def __init__(self, records: list[dict] | None = None):
        self._exact: dict[tuple, int] = {}          # (model, task, batch, len, tlen, precision) -> measured bytes
        self._ratio: dict[str, float] = {}          # model -> largest measured / formula ratio
        self.version = 0                            # grows with every measurement learnt
        for record in records or []:
            self.observe(record)

    @staticmethod
    def _model_key(model_id: str | None, revision: str | None) -> str:
        return f"{model_id}@{revision}" if revision else str(model_id)

    def observe(self, record: dict) -> None:
        """Learn from a finished job's measured GPU peak (ignored for CPU jobs and failures)."""
        memory = record.get("memory") or {}
        measured = memory.get("peak_gpu_reserved_bytes") or memory.get("peak_gpu_bytes")
        if record.get("status") != "ok" or not measured or not str(record.get("device") or "").startswith("cuda"):
            return
        hp = record.get("hyperparameters") or {}
        batch, seq, target = _settings(hp)
        if (record.get("train") or {}).get("micro_batch"):
            batch = int(record["train"]["micro_batch"])
        precision = record.get("precision") or "bf16"
        key = self._model_key(record.get("model_id"), record.get("model_revision"))
        exact = (key, record.get("task"), batch, seq, target, precision)
        self._exact[exact] = max(int(measured), self._exact.get(exact, 0))
        self.version += 1
        spec = {"source": record.get("model_id"), "revision": record.get("model_revision"),
                "local": Path(str(record.get("model_id"))).is_dir()}
        shape = model_shape(spec)
        if shape is None:
            return
        static, act = formula_bytes(shape, batch=batch, seq=seq, target_seq=target, precision=precision,
                                    seq2seq=record.get("kind") == "seq2seq")
        if static + act > 0:
            ratio = min(3.0, max(0.3, measured / (static + act)))
            self._ratio[key] = max(ratio, self._ratio.get(key, 0.0))

    def estimate(self, job, *, processes: int = 1, sharded: bool = False) -> Estimate:
        """Peak bytes of one process of `job` (a harness.job.Job) on one GPU."""
        spec = job.model_spec
        precision = job_precision(job.precision)
        batch, seq, target = _settings(job.hyperparameters)
        key = self._model_key(spec.get("source"), spec.get("revision"))
        if processes == 1:
            measured = self._exact.get((key, job.task, batch, seq, target, precision))
            if measured:
                return Estimate(int(measured * MEASURED_MARGIN) + PROCESS_OVERHEAD_BYTES, None, None, "measured")
        shape = model_shape(spec)
        if shape is None:
            return Estimate(None, None, None, "unknown")
        static, act = formula_bytes(shape, batch=batch, seq=seq, target_seq=target, precision=precision,
                                    seq2seq=job.kind == "seq2seq", processes=processes, sharded=sharded)
        if key in self._ratio:
            total = int((static + act) * self._ratio[key] * MEASURED_MARGIN) + PROCESS_OVERHEAD_BYTES
            return Estimate(total, static, act, "corrected", shape.params)
        total = int((static + act) * FRAGMENTATION) + PROCESS_OVERHEAD_BYTES
        return Estimate(total, static, act, "formula", shape.params)


def describe_bytes(value: int | None) -> str:
    if value is None:
        return "?"
    return f"{value / GiB:.1f} GiB" if value >= GiB / 10 else f"{value / 1024 ** 2:.0f} MiB"
