"""Own data in `--tasks`: a data file, a folder of train.* / validation.* / test.* files, or a `train:PATH,test:PATH`
pair given where a task name goes. Each becomes a task whose card is inferred from its columns and values
(harness.tasks.infer), written to the harness cache (jobs load their card from a file), registered like any card,
and saved in the run directory as `cards/NAME.yaml`. The data itself reaches the task as `--data NAME=...` would.

A plain name stays a task (or family) name; an entry is own data when it names roles (`train:...`), is an existing
file or folder, or looks like a path (a `/` or a data file's suffix), which then must exist.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from harness.data.readers import guess_format, read_file
from harness.data.sources import files_named_by_role, names_roles, role_files
from harness.errors import UserError
from harness.tasks.infer import infer_card, parse_columns

logger = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")
CARDS_FOLDER = "cards"          # in the run directory


@dataclass(frozen=True)
class OwnData:
    given: str                      # as in --tasks
    files: dict[str, Path]          # role -> absolute path
    format: str

    def data_value(self) -> str:
        """The `--data NAME=VALUE` value of these files."""
        return ",".join(f"{role}:{path}" for role, path in self.files.items())


@dataclass(frozen=True)
class OwnTasks:
    """What own data adds to a run: the task names to select, `--data` entries, and task -> inferred card file."""
    names: list[str]
    data: list[str]
    cards: dict[str, Path]
    sources: dict[str, str]         # task -> the --tasks entry it came from
    folders: dict[str, Path]        # task -> the folder holding its files (the --data-dir to reuse its card with)


def own_tasks(entries: list[str], columns: list[str], kind: str | None, registry) -> OwnTasks:
    """Replace the own data among --tasks `entries` by inferred cards, registered in `registry`."""
    known = {*registry.cards, *_family_names(), "all"}
    names, values = split_entries(entries, known)
    if not values:
        if columns or kind:
            raise UserError("--columns and --task-kind apply to own data in --tasks (a file, a folder or "
                            "train:PATH,test:PATH)",
                            hint="e.g. --tasks ./reviews.csv --columns text=review,label=stars")
        return OwnTasks(names, [], {}, {}, {})
    mapping = parse_columns(columns)
    taken = set(known)
    data, cards, sources, folders = [], {}, {}, {}
    for value in values:
        own = locate(value)
        name = task_name(own, taken)
        taken.add(name)
        file = write_card(build_card(own, name, mapping, kind), _cache_folder())
        registry.add(file)
        names.append(name)
        data.append(f"{name}={own.data_value()}")
        cards[name], sources[name], folders[name] = file, value, data_folder(own)
    return OwnTasks(names, data, cards, sources, folders)


def _family_names() -> tuple[str, ...]:
    from harness.tasks.card import FAMILIES
    return FAMILIES


def split_entries(entries: list[str], known: set[str]) -> tuple[list[str], list[str]]:
    """(task names, own-data values). `--tasks` is a comma list, so ROLE:PATH items in a row join into one pair."""
    names: list[str] = []
    values: list[str] = []
    joining = False
    for entry in entries:
        if names_roles(entry):
            if joining:
                values[-1] += "," + entry
            else:
                values.append(entry)
            joining = True
            continue
        joining = False
        (names if entry in known or not _looks_like_path(entry) else values).append(entry)
    return names, values


def _looks_like_path(entry: str) -> bool:
    return "/" in entry or os.sep in entry or entry.lower().endswith(DATA_SUFFIXES) or Path(entry).expanduser().exists()


def locate(value: str) -> OwnData:
    """The files of one own-data entry, each checked to exist, with their common format."""
    what = f"--tasks {value}"
    if names_roles(value):
        files = role_files(value, what)
    else:
        path = Path(value).expanduser()
        if path.is_dir():
            files = files_named_by_role(path)
            if "train" not in files:
                raise UserError(f"{what}: no train file in that folder",
                                hint="name the files train.csv, validation.csv (or dev.csv), test.csv")
        elif path.exists():
            files = {"train": path}
        else:
            raise UserError(f"{what}: no such file or folder", hint="check the path (or the task name: "
                            "`harness list tasks`)")
    formats = set()
    for role, path in files.items():
        if not path.is_file():
            raise UserError(f"{what}: the {role} file {path} does not exist", hint="check the path")
        fmt = guess_format(path)
        if fmt is None:
            raise UserError(f"{what}: cannot tell the format of {path.name}",
                            hint="use a .csv, .tsv, .json, .jsonl or .parquet file")
        formats.add(fmt)
    if len(formats) > 1:
        raise UserError(f"{what}: the files have different formats ({', '.join(sorted(formats))})",
                        hint="give every split in one format")
    return OwnData(value, {role: path.resolve() for role, path in files.items()}, formats.pop())


def task_name(own: OwnData, taken: set[str]) -> str:
    """A task name from the file name (reviews.csv -> reviews; train.csv -> its folder's name), distinct from
    `taken` (cards, families, other own data: a second reviews.csv becomes reviews-2)."""
    train = own.files["train"]
    given = Path(own.given).expanduser()
    stem = given.name if given.is_dir() else train.name.split(".")[0]
    if stem.lower() in ("train", "training") and not given.is_dir():
        stem = train.parent.name
    base = re.sub(r"[^a-z0-9_.-]+", "_", stem.lower()).strip("_.-") or "data"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return name


def data_folder(own: OwnData) -> Path:
    """The folder that holds all of the files: the --data-dir to give when the card is used again."""
    return Path(os.path.commonpath([str(path.parent) for path in own.files.values()]))


def card_data(own: OwnData) -> dict:
    """The card's `data` section: the files relative to their `data_folder`, test carved from train when no test
    file is given."""
    base = data_folder(own)
    local: dict = {"format": own.format,
                   "files": {role: path.relative_to(base).as_posix() for role, path in own.files.items()}}
    if "test" not in own.files:
        local["carve_test"] = True
    return {"local": local, "validation": {"fraction": 0.1, "max_rows": 1000, "seed": 20240101}}


def build_card(own: OwnData, name: str, columns: dict[str, str], kind: str | None) -> dict:
    """The inferred card (YAML data) of one own-data entry; every split's rows inform its labels."""
    rows = [row for path in own.files.values() for row in read_file(path, own.format)]
    return infer_card(name, rows, own.given, columns, kind, card_data(own))


def card_yaml(card: dict) -> str:
    import yaml

    return yaml.safe_dump(card, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)


def write_card(card: dict, folder: Path) -> Path:
    """Write the card as FOLDER/<content hash>/NAME.yaml (a card's file name is free; its content decides)."""
    from harness.atomic import write_atomic

    text = card_yaml(card)
    path = folder / hashlib.sha256(text.encode()).hexdigest()[:16] / f"{card['name']}.yaml"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return path


def _cache_folder() -> Path:
    from harness.paths import cache_dir
    return cache_dir() / "own-cards"


def save_cards(tasks: OwnTasks, output: Path) -> list[Path]:
    """Copy the inferred cards into OUTPUT/cards/ and say, per task, what was inferred and where the card is."""
    from harness.atomic import refuse_link, write_atomic
    from harness.tasks.card import load_card

    folder, saved = output / CARDS_FOLDER, []
    for name, file in tasks.cards.items():
        refuse_link(folder, "cards folder", "--output")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}.yaml"
        write_atomic(target, file.read_bytes())
        saved.append(target)
        logger.info("%s", summary(load_card(file), tasks.sources[name], target, tasks.folders[name]))
    return saved


def summary(card, given: str, saved: Path, folder: Path) -> str:
    """What was inferred for one own-data entry, in two lines."""
    fields = ", ".join(f"{field}={column}" for field, column in card.columns.items())
    labels = f"; labels: {', '.join(card.labels)}" if card.labels else ""
    carved = "test and validation" if card.local.carve_test else \
        ("validation" if "validation" not in card.local.files else "nothing")
    return (f"task {card.name} from {given}: {card.kind}, {fields}{labels}; carved from train: {carved}\n"
            f"  card: {saved} (edit it and run it with --tasks-dir {saved.parent} --data-dir {folder})")


def init_card(value: str, columns: list[str], kind: str | None, output: Path | None) -> str:
    """`harness card init`: the card inferred for one own-data entry, as YAML, checked as a run would check it
    (written to `output` when given; an existing file is not overwritten)."""
    from harness.tasks.registry import Registry

    registry = Registry()
    own = locate(value)
    card = build_card(own, task_name(own, {*registry.cards, *_family_names(), "all"}), parse_columns(columns), kind)
    registry.add(write_card(card, _cache_folder()))         # the same checks as a run's
    text = card_yaml(card)
    if output is not None:
        if output.exists():
            raise UserError(f"--output {output} exists", hint="choose another file name, or remove it first")
        output.write_text(text, encoding="utf-8")
    return text
