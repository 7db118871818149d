"""Where a task's data comes from: `--data TASK=...`, `--data-dir`, the bundled sample, or the hub.

Order (first that applies): an explicit `--data TASK=VALUE` (or `--data sample` for every task), the card's local
files under `--data-dir`, the hub source pinned in the card. The result is a `DataSource`: a description that can be
fingerprinted and prepared (harness.data.prepare) without touching the network twice.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from harness.data.content_hash import file_digest
from harness.data.readers import guess_format, labels_file, parallel_files
from harness.errors import UserError
from harness.tasks.card import SPLIT_ROLES, TaskCard

_ROLE_ALIASES = {"train": "train", "validation": "validation", "valid": "validation", "dev": "validation",
                 "eval": "test", "test": "test"}
# A file's name names its split as ROLE.ext (train.tsv, dev.jsonl) or NAME.ROLE, as in the original CoNLL-2002/2003
# files eng.train, eng.testa (the development set) and eng.testb (the test set).
_FILE_ROLES = {**_ROLE_ALIASES, "testa": "validation", "testb": "test"}
# Bump when reading or standardising changes meaning, so prepared caches are rebuilt.
DATA_CODE_VERSION = "3"


@dataclass(frozen=True)
class DataRequest:
    """What the user asked for on the command line."""
    sample_all: bool = False
    per_task: dict[str, str] = field(default_factory=dict)
    data_dir: Path | None = None

    @classmethod
    def parse(cls, data: list[str] | tuple[str, ...] | str | None, data_dir: str | Path | None,
              known_tasks: set[str] | None = None) -> "DataRequest":
        values = [data] if isinstance(data, str) else list(data or [])
        sample_all, per_task = False, {}
        for value in values:
            if value == "sample":
                sample_all = True
                continue
            task, sep, spec = value.partition("=")
            if not sep or not task or not spec:
                raise UserError(f"--data {value!r}: expected 'sample' or TASK=PATH",
                                hint="e.g. --data sst2=data/sst2 or --data squad=train:a.json,test:b.json")
            if known_tasks is not None and task not in known_tasks:
                from harness.errors import did_you_mean
                raise UserError(f"--data names unknown task {task!r}",
                                hint=did_you_mean(task, known_tasks) or "see `harness list tasks`")
            per_task[task] = spec
        directory = None
        if data_dir is not None:
            directory = Path(data_dir).expanduser()
            if not directory.is_dir():
                raise UserError(f"--data-dir {data_dir}: not a directory", hint="pass the folder holding task data")
        return cls(sample_all=sample_all, per_task=per_task, data_dir=directory)


@dataclass(frozen=True)
class DataSource:
    origin: str                       # sample | local | hub
    format: str | None                # reader format for local files
    files: dict[str, str]             # role -> absolute path (sample / local)
    columns: dict[str, str]           # standard field -> source column
    hub: dict | None = None           # path, name, revision, splits
    carve_test: bool = False          # a single file was given: cut test (and validation) out of it
    # Why local files were not used (some of the card's files are in --data-dir, not all): shown if the hub fails.
    note: str | None = field(default=None, compare=False)

    def describe(self) -> str:
        if self.origin == "hub":
            rev = f"@{self.hub['revision'][:10]}" if self.hub.get("revision") else ""
            name = f" ({self.hub['name']})" if self.hub.get("name") else ""
            return f"hub {self.hub['path']}{name}{rev}"
        files = ", ".join(f"{role}={path}" for role, path in self.files.items())
        return f"{self.origin} {files}" + (" (test carved from train)" if self.carve_test else "")

    def fingerprint(self, card: TaskCard, kind_name: str) -> str:
        """Identity of the prepared data: the source, the files' contents (not their times: touching a file must not
        re-run its jobs) and the card fields that matter."""
        stamp = {}
        for role, path in sorted(self.files.items()):
            for p in _files_behind(Path(path), self.format):
                stamp[f"{role}:{p}"] = file_digest(p)
        payload = {"v": DATA_CODE_VERSION, "origin": self.origin, "format": self.format, "files": stamp,
                   "columns": self.columns, "hub": self.hub, "carve_test": self.carve_test, "kind": kind_name,
                   "labels": card.labels, "carve": [card.carve.fraction, card.carve.max_rows, card.carve.seed]}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"origin": self.origin, "format": self.format, "files": self.files, "hub": self.hub,
                "carve_test": self.carve_test, "description": self.describe()}


def _files_behind(path: Path, fmt: str | None) -> list[Path]:
    if fmt == "parallel_text":
        return parallel_files(path)
    if fmt == "jsonl_labels":           # the labels file is part of the data: its contents join the fingerprint
        return [p for p in (path, labels_file(path)) if p.exists()] if path.exists() else []
    return [path] if path.exists() else []


def resolve_source(card: TaskCard, request: DataRequest) -> DataSource:
    """Pick the data source for one task, or raise a UserError saying how to point at local files."""
    value = request.per_task.get(card.name)
    if value == "sample" or (value is None and request.sample_all):
        return _sample(card)
    if value is not None:
        return _explicit(card, value)
    looked = None
    if request.data_dir is not None and card.local is not None:
        source, looked = _from_data_dir(card, request.data_dir)
        if source is not None:
            return source
    if card.hub is not None:
        return DataSource(origin="hub", format=None, files={}, columns=dict(card.columns),
                          hub={"path": card.hub.path, "name": card.hub.name, "revision": card.hub.revision,
                               "splits": dict(card.hub.splits)},
                          note=_partial_note(card, request.data_dir) if looked else None)
    where = f" (looked for {looked})" if looked else ""
    raise UserError(f"task {card.name!r}: no data found{where} and the card names no hub source",
                    hint=f"pass --data {card.name}=PATH, --data-dir DIR or --data sample")


def _sample(card: TaskCard) -> DataSource:
    if card.sample is None:
        raise UserError(f"task {card.name!r} has no bundled sample", hint="pass --data TASK=PATH or --data-dir DIR")
    files = {role: str(card.sample / f"{role}.jsonl") for role in SPLIT_ROLES
             if (card.sample / f"{role}.jsonl").is_file()}
    if "train" not in files or "test" not in files:
        raise UserError(f"task {card.name!r}: the sample folder {card.sample} lacks train.jsonl or test.jsonl")
    return DataSource(origin="sample", format="jsonl", files=files, columns=dict(card.columns))


def _columns_for(card: TaskCard, fmt: str) -> dict[str, str]:
    # The card's local column names belong to its local format; other formats use the hub/sample names.
    if card.local is not None and fmt == card.local.format:
        return {**card.columns, **card.local.columns}
    return dict(card.columns)


def _format_for(card: TaskCard, path: Path) -> str:
    guessed = guess_format(path)
    if guessed in ("jsonl", "csv", "parquet"):      # formats no card-given format could mean otherwise
        return guessed
    if card.local is not None:
        return card.local.format
    if guessed is None:
        raise UserError(f"cannot tell the format of {path}", hint="use a .jsonl, .json, .csv, .tsv or .parquet file")
    return guessed


def _explicit(card: TaskCard, value: str) -> DataSource:
    """`--data TASK=VALUE`: a file, a directory, a parallel-text stem, or `role:path,role:path`."""
    if names_roles(value):
        files = role_files(value, f"--data {card.name}={value}")
        fmt = _format_for(card, files["train"])
        for path in files.values():
            _must_exist(path, fmt, card.name)
        return DataSource(origin="local", format=fmt, files={r: str(p.resolve()) for r, p in files.items()},
                          columns=_columns_for(card, fmt), carve_test="test" not in files)
    path = Path(value).expanduser()
    if path.is_dir():
        found = _files_in_dir(card, path)
        if "train" not in found:
            raise UserError(f"--data {card.name}={value}: no train file in that directory",
                            hint="expected the card's file names, train.* / validation.* / test.* or "
                                 "*.train / *.testa / *.testb")
        fmt = _format_for(card, found["train"])
        return DataSource(origin="local", format=fmt, files={r: str(p.resolve()) for r, p in found.items()},
                          columns=_columns_for(card, fmt), carve_test="test" not in found)
    fmt = _format_for(card, path)
    _must_exist(path, fmt, card.name)
    return DataSource(origin="local", format=fmt, files={"train": str(path.resolve())},
                      columns=_columns_for(card, fmt), carve_test=True)


def names_roles(value: str) -> bool:
    """Whether a data value is a `role:path,role:path` list (train:a.csv,test:b.csv)."""
    return ":" in value and value.split(":", 1)[0] in _ROLE_ALIASES


def role_files(value: str, what: str) -> dict[str, Path]:
    """`role:path,role:path` -> {train|validation|test: path}; a train file is required. `what` names the value in
    errors."""
    files: dict[str, Path] = {}
    for part in value.split(","):
        role, sep, path = part.partition(":")
        if not sep or role not in _ROLE_ALIASES:
            raise UserError(f"{what}: {part!r} is not ROLE:PATH",
                            hint="roles are train, validation (or dev) and test (or eval)")
        files[_ROLE_ALIASES[role]] = Path(path).expanduser()
    if "train" not in files:
        raise UserError(f"{what}: a train file is needed", hint="add train:PATH")
    return files


def _must_exist(path: Path, fmt: str, task: str) -> None:
    if not _files_behind(path, fmt):
        raise UserError(f"data file not found for task {task!r}: {path}", hint="check the path given to --data")


def _files_in_dir(card: TaskCard, directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if card.local is not None:
        for role, rel in card.local.files.items():
            for candidate in (directory / rel, directory / Path(rel).name):
                if _files_behind(candidate, card.local.format):
                    found[role] = candidate
                    break
    if found:
        return found
    return files_named_by_role(directory)


def files_named_by_role(directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for file in sorted(directory.iterdir()):
        parts = file.name.lower().split(".")
        role = _FILE_ROLES.get(parts[0]) or (_FILE_ROLES.get(parts[-1]) if len(parts) > 1 else None)
        if role and file.is_file() and role not in found:
            found[role] = file
    return found


def _partial_note(card: TaskCard, data_dir: Path) -> str | None:
    """For a --data-dir that holds some of the card's files but not train and test: what is missing and what to do."""
    found = {role: data_dir / rel for role, rel in card.local.files.items()
             if _files_behind(data_dir / rel, card.local.format)}
    if not found:
        return None
    missing = " or ".join(str(data_dir / card.local.files[r]) for r in ("train", "test")
                          if r not in found and r in card.local.files)
    one = next(iter(found.values()))
    return (f"--data-dir has {', '.join(str(p) for p in found.values())} but not {missing}; to fine-tune on part "
            f"of one file pass it alone, --data {card.name}={one} (test and validation are carved out of it), or "
            f"name every split: --data {card.name}=train:PATH,test:PATH")


def _from_data_dir(card: TaskCard, data_dir: Path) -> tuple[DataSource | None, str]:
    files = {}
    for role, rel in card.local.files.items():
        if _files_behind(data_dir / rel, card.local.format):
            files[role] = str((data_dir / rel).resolve())
    looked = ", ".join(f"{data_dir / rel}" for rel in card.local.files.values())
    if card.local.carve_test and "train" in files:        # the card says so: its files hold no test split
        return DataSource(origin="local", format=card.local.format, files=files, carve_test=True,
                          columns=_columns_for(card, card.local.format)), looked
    if "train" not in files or "test" not in files:
        return _task_folder_by_role_names(card, data_dir), looked
    return DataSource(origin="local", format=card.local.format, files=files,
                      columns=_columns_for(card, card.local.format)), looked


def _task_folder_by_role_names(card: TaskCard, data_dir: Path) -> DataSource | None:
    """The card's folder under --data-dir holding other file names for its splits (e.g. the original CoNLL-2003
    eng.train / eng.testa / eng.testb instead of train.txt / valid.txt / test.txt): used when train and test are
    both there, since --data-dir never carves a test split."""
    folder = data_dir / Path(card.local.files["train"]).parent
    if folder == data_dir or not folder.is_dir():
        return None
    found = files_named_by_role(folder)
    if "train" not in found or "test" not in found:
        return None
    fmt = _format_for(card, found["train"])
    if not all(_files_behind(path, fmt) for path in found.values()):
        return None
    return DataSource(origin="local", format=fmt, files={r: str(p.resolve()) for r, p in found.items()},
                      columns=_columns_for(card, fmt))
