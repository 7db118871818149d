"""Prepare a task's data once: read the source, map it to the kind's standard schema, carve missing splits, remove
train rows that repeat a carved row (harness.data.splits), and save each split as memory-mapped Arrow in the cache,
keyed by the source's fingerprint.

Every job of the task (every model and seed) then loads the same prepared splits; a second run reads them from
disk without parsing anything.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from harness.data.readers import read_file
from harness.data.sources import DataSource
from harness.data.splits import carve, remove_repeats
from harness.errors import UserError
from harness.locking import file_lock
from harness.paths import cache_dir
from harness.tasks.card import TaskCard


@dataclass(frozen=True)
class PreparedData:
    path: Path                      # folder with one saved Dataset per role
    fingerprint: str
    sizes: dict[str, int]
    source: dict
    # Rows repeating a train row: removed_from_train (repeats of carved rows), validation_in_train, test_in_train.
    overlap: dict[str, int] = field(default_factory=dict)

    def load(self, role: str):
        from datasets import load_from_disk

        return load_from_disk(str(self.path / role))


def prepare(card: TaskCard, kind, source: DataSource) -> PreparedData:
    fingerprint = source.fingerprint(card, kind.name)
    target = cache_dir() / "data" / f"{card.name}-{fingerprint}"
    meta_file = target / "meta.json"
    if not meta_file.is_file():
        with file_lock(target.with_suffix(".lock")):
            if not meta_file.is_file():
                _build(card, kind, source, target)
    meta = json.loads(meta_file.read_text())
    return PreparedData(path=target, fingerprint=fingerprint, sizes=meta["sizes"], source=source.to_dict(),
                        overlap=meta["overlap"])


def _build(card: TaskCard, kind, source: DataSource, target: Path) -> None:
    from datasets import Dataset

    splits = _read_splits(card, kind, source)
    overlap = remove_repeats(splits, _carve_missing(card, kind, splits, source.carve_test))
    for role, columns in splits.items():
        if not columns or not next(iter(columns.values())):
            raise UserError(f"task {card.name!r}: the {role} split is empty", hint="check the data files")
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sizes = {}
    for role, columns in splits.items():
        dataset = Dataset.from_dict(columns)
        dataset.save_to_disk(str(staging / role))
        sizes[role] = len(dataset)
    meta = {"sizes": sizes, "source": source.to_dict(), "overlap": overlap}
    (staging / "meta.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def _read_splits(card: TaskCard, kind, source: DataSource) -> dict[str, dict[str, list]]:
    if source.origin == "hub":
        return _read_hub(card, kind, source)
    splits = {}
    for role, path in source.files.items():
        rows = read_file(Path(path), source.format)
        splits[role] = standardize(card, kind, rows_to_columns(rows, path), source.columns, path)
    return splits


def _carve_missing(card: TaskCard, kind, splits: dict[str, dict], carve_test: bool) -> list[str]:
    """Cut test (when a single file was given) and then validation out of train; returns the roles carved.

    Rows sharing the kind's `carve_group` field (a QA paragraph) stay on one side, so no passage is both trained on
    and evaluated."""
    group_by = getattr(kind, "carve_group", None)
    carved = []
    if carve_test:
        splits["train"], splits["test"] = carve(splits["train"], card.carve.fraction, card.carve.max_rows,
                                                card.carve.seed + 1, group_by)
        carved.append("test")
    if "validation" not in splits:
        splits["train"], splits["validation"] = carve(splits["train"], card.carve.fraction, card.carve.max_rows,
                                                       card.carve.seed, group_by)
        carved.append("validation")
    return carved


def _read_hub(card: TaskCard, kind, source: DataSource) -> dict[str, dict[str, list]]:
    import datasets

    hub = source.hub
    label = f"{hub['path']}" + (f" ({hub['name']})" if hub.get("name") else "")
    try:
        loaded = datasets.load_dataset(hub["path"], hub.get("name"), revision=hub.get("revision"))
    except Exception as exc:  # noqa: BLE001 - datasets raises many types for "not reachable / not cached"
        from harness.models.resolve import hub_offline
        offline = hub_offline() or datasets.config.HF_DATASETS_OFFLINE
        reason = "is not cached and the hub is offline" if offline else f"could not be loaded ({type(exc).__name__})"
        raise UserError(f"task {card.name!r}: dataset {label} {reason}",
                        hint=source.note or f"point at local files: --data {card.name}=PATH or --data-dir DIR "
                             "(or --data sample for the bundled sample)") from None
    splits = {}
    for role, split in hub["splits"].items():
        if split not in loaded:
            raise UserError(f"task {card.name!r}: dataset {label} has no split {split!r} "
                            f"(has {', '.join(loaded)})", hint="fix data.hub.splits in the card")
        dataset = loaded[split]
        splits[role] = standardize(card, kind, dataset.to_dict(), source.columns, f"{label}[{split}]")
    return splits


def rows_to_columns(rows: list[dict], where: str) -> dict[str, list]:
    keys = list(rows[0])
    columns = {k: [] for k in keys}
    for number, row in enumerate(rows, start=1):
        for key in keys:
            if key not in row:
                raise UserError(f"{where}: example {number} has no field {key!r}",
                                hint="every example needs the same fields")
            columns[key].append(row[key])
    return columns


def _column(batch: dict[str, list], name: str) -> list | None:
    """A column by name; `a.b` reads key b of the dicts in column a (e.g. translation.en); `a,b` gathers columns a
    and b into one list per example (the answer choices of multiple-choice data, e.g. sol1,sol2)."""
    if name in batch:
        return batch[name]
    if "," in name:
        parts = [_column(batch, part.strip()) for part in name.split(",")]
        return None if any(p is None for p in parts) else [list(values) for values in zip(*parts)]
    head, _, rest = name.partition(".")
    if rest and head in batch:
        values = batch[head]
        if all(isinstance(v, dict) and rest in v for v in values):
            return [v[rest] for v in values]
    return None


def standardize(card: TaskCard, kind, batch: dict[str, list], columns: dict[str, str], where: str) -> dict:
    """Rename the source's columns to the kind's standard fields and let the kind convert values."""
    out = {}
    for field_name, required in kind.fields.items():
        source_name = columns.get(field_name, field_name)
        values = _column(batch, source_name)
        if values is None and source_name != field_name:
            values = _column(batch, field_name)         # data already in standard names
        if values is None:
            if required:
                raise UserError(f"{where}: no column {source_name!r} for field {field_name!r} of task {card.name!r} "
                                f"(columns: {', '.join(batch)})",
                                hint="fix the card's column mapping or the file")
            continue
        out[field_name] = list(values)
        _check_text(out[field_name], field_name, source_name, where)
    return kind.standardize(card, out, where)


# Standard fields that hold text (one string per example) or words (a list of strings), whatever the kind: the
# tokenizers fail on anything else, inside a job, long after the file was read.
TEXT_FIELDS = ("text", "text_pair", "question", "context", "source", "target")
WORD_FIELDS = ("tokens",)


def _check_text(values: list, field_name: str, column: str, where: str) -> None:
    if field_name in TEXT_FIELDS:
        expected, valid = "text", lambda value: isinstance(value, str)
    elif field_name in WORD_FIELDS:
        expected, valid = "a list of words", lambda value: (not isinstance(value, list)   # the kind checks lists
                                                            or all(isinstance(word, str) for word in value))
    else:
        return
    for number, value in enumerate(values, start=1):
        if not valid(value):
            got = "null" if value is None else f"{type(value).__name__} {_short(value)}"
            raise UserError(f"{where}: example {number}: column {column!r} ({field_name}) must be {expected}, "
                            f"got {got}", hint="every example needs its text as strings")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
