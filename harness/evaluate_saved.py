"""`harness eval`: evaluate fine-tuned checkpoints as saved, without training.

A checkpoint is a Hugging Face model directory whose head fits the task: one that `harness run --save` wrote, or any
fine-tuned checkpoint. A saved folder's `harness.json` says which task, kind, seed and hyperparameters its job ran
with; they apply (options given to `harness eval` win), so evaluating it again on the same data reproduces the
recorded test predictions. Without it, `--tasks` names the task and the card's settings apply.

The checkpoint's label names (`id2label` in config.json) are matched to the card's labels by name before anything
runs: a different count or a missing name is a usage error. Labels in another order are fine: the model's logits are
reordered to the card's order, so predictions are the card's label ids as everywhere else.

Each checkpoint x task is one ordinary job with tuning `saved` (harness.tuning.SAVED): the kind's evaluation of
validation and test, latency and memory measured as usual, an empty training section.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from harness.config import FIELDS, RunConfig, from_mapping, updated, without_defaults
from harness.config.values import flag
from harness.errors import Unsupported, UserError
from harness.tuning import SAVED

if TYPE_CHECKING:  # pragma: no cover
    from harness.api import RunPlan
    from harness.job import Job

# The RunConfig fields `harness eval` takes: what to evaluate, on which data, how to measure, where results go.
EVAL_FIELDS = ("models", "tasks", "output", "data", "data_dir", "tasks_dir", "max_length", "max_eval_samples",
               "max_new_tokens", "num_beams", "latency_requests", "precision", "device", "trust_remote_code",
               "executor", "workers", "job_timeout", "resume", "write_report", "quiet")
SAVED_INFO = "harness.json"


def eval_config(config: RunConfig | None, options: dict[str, Any]) -> RunConfig:
    """The checked configuration of an evaluation: `options` over `config`, only fields of EVAL_FIELDS."""
    values = {**(without_defaults(config) if config is not None else {}), **options}
    for name in values:
        if name not in EVAL_FIELDS:
            raise UserError(f"harness eval takes no {flag(name) if name in FIELDS else name}"
                            " (nothing is trained)", hint="options: " + ", ".join(flag(n) for n in EVAL_FIELDS))
    if not values.get("models"):
        raise UserError("--models is missing", hint="give the directory of a fine-tuned model, e.g. one "
                        "`harness run --save best` wrote (OUT/models/<job id>)")
    return from_mapping(values, where="harness.evaluate")


def plan_saved(config: RunConfig, warn: Callable[[str], None]) -> "RunPlan":
    """One job per checkpoint x task (its own task when --tasks is not given), each evaluating the checkpoint as
    saved; every checkpoint's labels checked against its tasks' before anything runs."""
    from harness.api import RunPlan, plan_run

    plan = RunPlan(jobs=[])
    for model in dict.fromkeys(config.models):
        saved = read_saved_info(model)
        tasks = config.tasks or ([saved["task"]] if saved.get("task") else [])
        if not tasks:
            raise UserError(f"{model}: no --tasks given and no {SAVED_INFO} naming the task it was fine-tuned on",
                            hint="pass --tasks TASK")
        one = plan_run(updated(config, {"models": [model], "tasks": tasks, "seeds": [saved.get("seed", 0)]}),
                       warn=warn)
        plan.jobs += [_as_saved(job, config, saved) for job in one.jobs]
        plan.models += one.models
        plan.tasks = list(dict.fromkeys([*plan.tasks, *one.tasks]))
        plan.skipped_tasks.update(one.skipped_tasks)
    return plan


def read_saved_info(model: str) -> dict[str, Any]:
    """The checkpoint's `harness.json` (what `--save` records about its job), or {} for any other model."""
    path = Path(model) / SAVED_INFO
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{model}: cannot read {path}: {exc}", hint=f"fix or remove {SAVED_INFO}") from None
    if not isinstance(info, dict) or not isinstance(info.get("hyperparameters", {}), dict):
        raise UserError(f"{model}: {path} is not what `harness run --save` writes (a JSON object with "
                        "hyperparameters as an object)", hint=f"fix or remove {SAVED_INFO}")
    return info


def _as_saved(job: "Job", config: RunConfig, saved: dict[str, Any]) -> "Job":
    """`job` as an evaluation of the checkpoint: tuning `saved`, the saved job's hyperparameters and generation
    settings under the options given here."""
    from harness.api import GENERATION_OPTIONS
    from harness.models.resolve import ModelSpec
    from harness.settings import Hyperparameters
    from harness.tasks.card import load_card
    from harness.tasks.registry import load_kind

    card, kind = load_card(Path(job.card_path)), load_kind(job.kind)
    if saved.get("kind") not in (None, job.kind):
        raise UserError(f"{job.model} was fine-tuned for {saved.get('task')} (kind {saved['kind']}); task {job.task} "
                        f"is of kind {job.kind}", hint="evaluate it on a task of its kind")
    label_order(card, kind, ModelSpec(**job.model_spec))        # a label mismatch stops here, before anything runs
    given = {k: v for k, v in config.by_role("hp").items() if v is not None}
    hyperparameters = Hyperparameters(**job.hyperparameters).with_overrides(saved.get("hyperparameters") or {})
    options = dict(job.options)
    if kind.uses_generation:
        settings = saved.get("generation") or {}
        options.update({k: settings[k] for k in GENERATION_OPTIONS if k in settings and options.get(k) is None})
    return replace(job, tuning=SAVED, lora=None, grid={}, options=options,
                   hyperparameters=hyperparameters.with_overrides(given).to_dict(),
                   generation=kind.generation_settings(card, options))


def label_order(card, kind, spec) -> list[int] | None:
    """For each of the card's labels, the checkpoint's output index for it; None when the orders agree or the kind
    has no label head. A checkpoint whose label names differ from the card's is a UserError."""
    if not (kind.needs_labels and card.labels):
        return None
    labels = checkpoint_labels(spec)
    if sorted(labels) != sorted(card.labels):
        raise UserError(f"{spec.name}: its labels {labels} (id2label in config.json) do not match task {card.name}'s "
                        f"labels {list(card.labels)}", hint="evaluate it on a task with the same labels, or name "
                        "them in id2label of its config.json")
    order = [labels.index(label) for label in card.labels]
    return None if order == list(range(len(order))) else order


def checkpoint_labels(spec) -> list[str]:
    """The checkpoint's label names, by output index."""
    from harness.models.resolve import model_config

    id2label = getattr(model_config(spec), "id2label", None) or {}
    try:
        return [str(id2label[i]) for i in range(len(id2label))]
    except KeyError:        # indices that are not 0..n-1: no usable mapping
        return [str(name) for name in id2label.values()] + ["<gap in id2label>"]


def load_saved_model(kind, card, spec, tokenizer):
    """The checkpoint with the kind's head loaded from it (never a new one), frozen, its logits in the card's label
    order. Unsupported when the checkpoint holds no trained head for this kind."""
    import torch

    from harness.models.loading import new_parameter_names

    order = label_order(card, kind, spec)           # from the checkpoint's config, before the card's names replace it
    model = kind.build_model(card, spec, tokenizer)
    untrained = sorted(new_parameter_names(model))
    if untrained:
        shown = ", ".join(untrained[:3]) + (f" and {len(untrained) - 3} more" if len(untrained) > 3 else "")
        raise Unsupported(f"{spec.name} has no fine-tuned {kind.name} head to evaluate (the checkpoint lacks {shown})")
    model.requires_grad_(False)
    if order is not None:
        index = torch.tensor(order)
        model.register_forward_hook(lambda _module, _inputs, output: _reordered(output, index))
    return model


def _reordered(output, index):
    output.logits = output.logits.index_select(-1, index.to(output.logits.device))
    return output
