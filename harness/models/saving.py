"""Saving one job's fine-tuned model: a folder any `transformers` user can load with `from_pretrained`.

Runs in the job's own process (worker, rank 0 of a data-parallel launch, Ray task) after the test evaluation, when
the record holds every figure the model card reports. The folder is written under a temporary name beside its
final one and renamed: a folder under `OUTPUT/models/<job id>` is always complete. The layout and `harness.json`
are described in docs/architecture.md ("Saved models"); `harness eval` reads them.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

FORMAT = 1
MODELS_DIR = "models"
INFO_FILE = "harness.json"
ADAPTER_DIR = "adapter"

logger = logging.getLogger(__name__)

# transformers' Auto classes a harness head can be, and the mapping that lists the model classes of each.
_AUTO_CLASSES = (
    ("AutoModelForSequenceClassification", "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES"),
    ("AutoModelForTokenClassification", "MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES"),
    ("AutoModelForQuestionAnswering", "MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES"),
    ("AutoModelForSeq2SeqLM", "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES"),
    ("AutoModelForCausalLM", "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES"),
)


def save_job_model(job, record, model, tokenizer, card, kind, predictions: dict | None = None) -> str:
    """Write the job's model folder; returns its path relative to the run directory (the record's `saved_model`).
    `predictions`: the test split's (predictions, references, context), for the card's intervals."""
    root = Path(job.save["dir"])
    root.mkdir(parents=True, exist_ok=True)
    final, partial = root / job.id, root / f".{job.id}.tmp-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        weights, pretrained = _write_weights(model, partial, merge=bool(job.save.get("merge_lora")))
        tokenizer.save_pretrained(partial)
        info = describe(job, record, card, weights, auto_class(pretrained))
        info["intervals"] = test_intervals(kind, record.metrics, predictions)
        (partial / INFO_FILE).write_text(json.dumps(info, indent=1, default=str) + "\n")
        from harness.models.model_card import model_card
        (partial / "README.md").write_text(model_card(info, record.to_dict(), _command(root.parent)))
        if final.exists():            # the same job run again (--no-resume): its new model replaces the old
            shutil.rmtree(final)
        os.rename(partial, final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return f"{MODELS_DIR}/{job.id}"


def _write_weights(model, folder: Path, merge: bool) -> tuple[str, object]:
    """Save the weights; returns (what they are: full / adapter / merged, the transformers model saved).

    LoRA without merging: the base weights as trained (new head included, adapters left out) with the adapter
    beside them, which `from_pretrained` on the folder applies (transformers' embedded adapter). Merged: the
    merged weights, and the adapter alone in `adapter/` (apart, or loading the folder would apply it twice)."""
    from peft import PeftModel

    model = getattr(model, "module", model)         # DDP's wrapper
    if not isinstance(model, PeftModel):
        pretrained = _transformers_model(model)
        pretrained.save_pretrained(folder)
        return "full", pretrained
    model.save_pretrained(folder / ADAPTER_DIR if merge else folder)
    (folder / ADAPTER_DIR / "README.md" if merge else folder / "README.md").unlink(missing_ok=True)  # peft's stub
    pretrained = _transformers_model(model.merge_and_unload() if merge else model.unload())
    pretrained.save_pretrained(folder)
    return ("merged" if merge else "adapter"), pretrained


def _transformers_model(module):
    """The transformers model inside harness's wrapper of it (the multiple-choice scorer)."""
    return getattr(module, "scorer", module)


def auto_class(model) -> str | None:
    """The transformers Auto class that builds this model's class (None for a class none of them lists)."""
    from transformers.models.auto import modeling_auto

    name = type(model).__name__
    for auto, mapping in _AUTO_CLASSES:
        if name in getattr(modeling_auto, mapping, {}).values():
            return auto
    return None


def describe(job, record, card, weights: str, auto: str | None) -> dict:
    """harness.json: what evaluating the folder needs without guessing."""
    return {
        "format": FORMAT, "job": job.id, "run": record.run, "task": job.task, "task_family": job.task_family,
        "kind": job.kind, "card_hash": job.card_hash, "model": job.model, "base_model": job.model_spec["source"],
        "base_model_local": bool(job.model_spec.get("local")),
        "model_revision": job.model_spec.get("revision"), "architecture": job.model_spec["architecture"],
        "auto_class": auto, "weights": weights, "tuning": job.tuning, "lora": job.lora, "seed": job.seed,
        "grid": job.grid, "hyperparameters": job.hyperparameters, "generation": job.generation,
        "labels": list(card.labels) or None, "primary_metric": record.primary_metric, "score": record.score,
        "metrics": record.metrics, "validation_score": (record.validation.metrics or {}).get(record.primary_metric)
        if record.validation else None,
        "data": {"origin": record.data.origin, "description": record.data.description, "used": record.data.used,
                 "hub": _hub(card) if record.data.origin == "hub" else None},
        "precision": record.precision, "device": record.device,
    }


def test_intervals(kind, metrics: dict, predictions: dict | None, resamples: int = 1000) -> dict:
    """Metric name -> its 95 % percentile interval over test examples drawn with replacement (seeded), recomputed
    from the kind's metric specs as the report does; metrics without per-example statistics have none."""
    import numpy as np

    from harness.metrics.spec import CannotRecompute
    from harness.report.stats import percentile_interval

    if not predictions or not predictions.get("predictions"):
        return {}
    n = len(predictions["predictions"])
    counts = np.random.default_rng(0).multinomial(n, np.full(n, 1.0 / n), size=resamples)
    out = {}
    for name in metrics:
        spec = kind.metric_specs.get(name)
        if spec is None or not spec.resamplable:
            continue
        try:
            stats = spec.example_statistics(predictions["predictions"], predictions["references"],
                                            predictions.get("context"))
        except CannotRecompute:
            continue
        out[name] = [round(v, 6) for v in percentile_interval(spec.clip(spec.resample(stats, counts)))]
    return out


def _hub(card) -> dict | None:
    return {"path": card.hub.path, "name": card.hub.name, "revision": card.hub.revision} if card.hub else None


def _command(run_dir: Path) -> str | None:
    """The run's command line, as run.json (written by the driver before any job) keeps it."""
    try:
        return json.loads((run_dir / "run.json").read_text()).get("command")
    except (OSError, ValueError):
        return None


def is_main_process() -> bool:
    """Only one rank of a data-parallel launch writes the folder."""
    return int(os.environ.get("RANK", "0")) == 0
