"""What a run keeps besides its records (`--save none|best|all`, `--merge-lora`, `--push-to-hub ORG`), in the driver.

Every job of a saving run writes its own model folder in its worker (harness.models.saving), since the weights
exist only there. The winner of a task is known only when the sweep is over, so `best` saves every job's model
while it runs and, after the sweep, keeps per task the job the report's selection rule picks on validation
(harness.report.grid_choice: the grid point with the best mean validation score per model x tuning; then the entry
with the best mean validation score; then that entry's seed with the best validation score) and deletes the other
folders. `OUTPUT/models/saved.json` and `OUTPUT/models/README.md` name what is kept. Saving changes no result, so
none of this is in a job id; a job that finished in an earlier invocation is never run again to save it.
"""
from __future__ import annotations

import json
import logging
import math
import re
import shutil
from dataclasses import replace
from pathlib import Path

from harness.atomic import write_atomic
from harness.errors import UserError
from harness.models.saving import MODELS_DIR

logger = logging.getLogger(__name__)
INDEX = "saved.json"


def check_saving(config) -> None:
    """Before anything runs: --merge-lora and --push-to-hub need --save; uploading needs the hub (exit 2 offline)."""
    if config.save == "none" and (config.push_to_hub or config.merge_lora):
        flag = "--push-to-hub" if config.push_to_hub else "--merge-lora"
        raise UserError(f"{flag} applies to saved models, and nothing is saved", hint="add --save best or --save all")
    if config.push_to_hub:
        _check_hub(config.push_to_hub)


def _check_hub(owner: str) -> None:
    from huggingface_hub import constants

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", owner):
        raise UserError(f"--push-to-hub {owner!r} is not a hub user or organisation name",
                        hint="pass a name such as my-org (letters, digits, '.', '_', '-')")
    if constants.HF_HUB_OFFLINE:
        raise UserError("--push-to-hub needs the Hugging Face Hub, and HF_HUB_OFFLINE is set",
                        hint="unset HF_HUB_OFFLINE, or save without --push-to-hub and upload later")
    from huggingface_hub import HfApi

    try:
        HfApi().whoami()
    except Exception as exc:  # noqa: BLE001 - unreachable, or no token: either way nothing could be uploaded
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"--push-to-hub: the Hugging Face Hub cannot be used ({first})",
                        hint="check the network and log in (hf auth login, or set HF_TOKEN)") from None


def prepare(config, output: Path, plan, store, todo: list) -> list:
    """The jobs to run, told where to save; warns of the disk `all` will use and of finished jobs without a model."""
    if config.save == "none":
        return todo
    folder = (output / MODELS_DIR).resolve()
    if config.save == "all":
        _warn_disk_use(todo, "--save all keeps")
    missing = _finished_without_model(output, plan, store, {job.id for job in todo})
    if missing:
        logger.warning("%d finished job(s) of this run have no saved model (they ran without --save, or --save best "
                       "removed it) and are not run again; to save them, use a new --output or --no-resume", missing)
    settings = {"dir": str(folder), "merge_lora": config.merge_lora}
    return [replace(job, save=settings) for job in todo]


def _warn_disk_use(jobs: list, what: str) -> None:
    from harness.schedule.memory import describe_bytes, model_shape

    total, unknown = 0, 0
    for job in jobs:
        shape = model_shape(job.model_spec)
        if shape is None:
            unknown += 1
        else:
            total += shape.params * 4        # fp32 weights (LoRA without merging: the base weights, plus adapters)
    if jobs:
        sizes = f" ({unknown} model(s) of unknown size not counted)" if unknown else ""
        logger.warning("%s %d model(s): about %s of disk (parameters x 4 bytes x jobs)%s", what, len(jobs),
                       describe_bytes(total), sizes)


def _finished_without_model(output: Path, plan, store, todo: set[str]) -> int:
    ids = {job.id for job in plan.jobs} - todo
    return sum(1 for record in store.latest() if record["job"] in ids and record.get("status") == "ok"
               and not _folder(output, record))


def _folder(output: Path, record: dict) -> Path | None:
    """The record's model folder if it is still there (--save best prunes the losers')."""
    path = record.get("saved_model")
    return output / path if path and (output / path).is_dir() else None


def finish(config, output: Path, store) -> None:
    """After the sweep: keep the winners (best), write the index, upload (--push-to-hub)."""
    if config.save == "none":
        return
    _remove_partial_folders(output / MODELS_DIR)
    records = [r for r in store.latest() if r.get("status") == "ok"]
    kept = winners(records) if config.save == "best" else [r for r in records if _folder(output, r)]
    kept = [r for r in kept if _is_kept(output, r)]
    if config.save == "best":
        _prune(output, records, {r["job"] for r in kept})
    hub = _push(output, kept, config.push_to_hub) if config.push_to_hub else {}
    _write_index(output, config.save, kept, hub)


def _is_kept(output: Path, record: dict) -> bool:
    if _folder(output, record):
        return True
    logger.warning("no saved model for %s on %s (seed %s): the job the selection picks finished without --save; "
                   "its task's other models are kept", record["model"], record["task"], record["seed"])
    return False


def winners(records: list[dict]) -> list[dict]:
    """Per task, the record the report's rule picks on validation: the grid point of each model x tuning
    (select_on_validation), then the entry with the best mean validation score, then its best seed."""
    from harness.report.grid_choice import select_on_validation
    from harness.report.load import frame_from_records, one_record_per_seed

    records, _ = one_record_per_seed(records)
    if not records:
        return []
    frame, _ = select_on_validation(frame_from_records(records))
    by_job = {r["job"]: r for r in records}
    chosen = []
    for _, group in frame.groupby("task", sort=False):
        scored = group.dropna(subset=["validation_score"])
        if scored.empty:
            continue
        higher = bool(scored["higher_is_better"].iloc[0])
        means = scored.groupby("entry", sort=False)["validation_score"].mean()
        entry = means.idxmax() if higher else means.idxmin()
        seeds = scored[scored["entry"] == entry]
        best = seeds["validation_score"].idxmax() if higher else seeds["validation_score"].idxmin()
        chosen.append(by_job[seeds.loc[best, "job"]])
    return chosen


def _prune(output: Path, records: list[dict], keep: set[str]) -> None:
    """Delete the model folders of every record but the kept ones (tasks whose winner has none keep theirs)."""
    kept_tasks = {r["task"] for r in records if r["job"] in keep}
    for record in records:
        folder = _folder(output, record)
        if folder and record["job"] not in keep and record["task"] in kept_tasks:
            shutil.rmtree(folder)


def _remove_partial_folders(models: Path) -> None:
    """Folders a killed job left under a temporary name (no job is running now)."""
    for partial in models.glob(".*.tmp-*") if models.is_dir() else ():
        shutil.rmtree(partial, ignore_errors=True)


def _push(output: Path, kept: list[dict], owner: str) -> dict[str, str]:
    """Upload each kept folder to OWNER/<model>-<task>-<job id>; job id -> repository id of those uploaded."""
    from huggingface_hub import create_repo, upload_folder

    uploaded = {}
    for record in kept:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{Path(record['model']).name}-{record['task']}-{record['job']}")
        repo_id = f"{owner}/{name.strip('-.')[:96]}"
        try:
            create_repo(repo_id, exist_ok=True)
            upload_folder(repo_id=repo_id, folder_path=str(_folder(output, record)),
                          commit_message=f"harness: {record['model']} fine-tuned on {record['task']}")
        except Exception as exc:  # noqa: BLE001 - the models stay saved locally; say which upload failed
            logger.error("upload of %s to %s failed: %s", record["saved_model"], repo_id, exc)
            continue
        uploaded[record["job"]] = repo_id
        logger.info("uploaded %s → https://huggingface.co/%s", record["saved_model"], repo_id)
    return uploaded


def _write_index(output: Path, mode: str, kept: list[dict], hub: dict[str, str]) -> None:
    entries = [{"task": r["task"], "job": r["job"], "path": r["saved_model"], "model": r["model"],
                "tuning": r.get("tuning") or "full", "seed": r["seed"], "grid": r.get("grid") or {},
                "validation_score": _finite(((r.get("validation") or {}).get("metrics") or {})
                                            .get(r.get("primary_metric"))),
                "primary_metric": r.get("primary_metric"), "score": _finite(r.get("score")),
                "hub_repo": hub.get(r["job"])} for r in kept]
    folder = output / MODELS_DIR
    folder.mkdir(exist_ok=True)
    write_atomic(folder / INDEX, json.dumps({"save": mode, "models": entries}, indent=1) + "\n")
    write_atomic(folder / "README.md", _index_text(mode, entries))


def _index_text(mode: str, entries: list[dict]) -> str:
    rule = ("per task, the job chosen on validation (grid point, then model, then seed)" if mode == "best"
            else "every job")
    lines = [f"# Saved models ({rule})", "", "| task | model | tuning | seed | grid | validation | test | folder |",
             "|---|---|---|---|---|---|---|---|"]
    for e in entries:
        grid = ", ".join(f"{k}={v}" for k, v in e["grid"].items()) or "default"
        lines.append(f"| {e['task']} | {e['model']} | {e['tuning']} | {e['seed']} | {grid} | "
                     f"{_shown(e['validation_score'])} | {_shown(e['score'])} | `{e['path']}` |")
    return "\n".join(lines) + "\n"


def _finite(value):
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _shown(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"
