"""Leaderboard definitions (leaderboards/*.yaml): a fixed set of models × tasks × seeds × settings × data.

    name: base                       # defaults to the file name
    description: One line on what it compares.
    models: [bert, roberta, gpt2]    # aliases, hub ids, local directories (a list or a comma string)
    tasks: [all]                     # task names, family names or all
    seeds: [0, 1, 2]
    data: sample                     # sample (bundled samples) | hub (the default) ; or instead:
    data_dir: ../shared/data         # a folder of the tasks' original files (relative to this file)
    settings: {epochs: 3, lr: 2.0e-5, batch_size: 32, max_length: 128, max_train_samples: 2000,
               max_eval_samples: 500, precision: auto, tuning: [full, lora], lr_grid: [1.0e-5, 3.0e-5]}

`settings` takes any run option (a field of harness.config.RunConfig, as in a `--config` file) except the ones a
leaderboard fixes at its top level. `harness run --leaderboard NAME|PATH` expands one into the configuration of a
run (harness.config.sources); validation errors name the file and the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.config.fields import FIELDS as CONFIG_FIELDS
from harness.config.values import FieldError, number_problem, parse_value
from harness.errors import UserError, did_you_mean

FIELDS = ("name", "description", "models", "tasks", "seeds", "data", "data_dir", "settings", "tasks_dir")
# A name becomes the default output folder runs/NAME_TIMESTAMP: no separators, no leading dot, nothing a shell or a
# file system treats specially.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# Run options a leaderboard's settings may hold: all but what its top level fixes (and leaderboard itself).
SETTINGS = tuple(k for k in CONFIG_FIELDS if k not in ("models", "tasks", "seeds", "data", "data_dir", "tasks_dir",
                                                       "leaderboard"))


class LeaderboardError(UserError):
    def __init__(self, path: Path | str, field_name: str, problem: str, hint: str | None = None):
        super().__init__(f"leaderboard {path}: field '{field_name}': {problem}",
                         hint=hint or "see the comment at the top of harness/leaderboards.py for the format")


@dataclass(frozen=True)
class Leaderboard:
    name: str
    path: Path
    description: str
    models: list[str]
    tasks: list[str]
    seeds: list[int]
    data: str                                   # "sample" | "hub" | "data_dir"
    data_dir: Path | None
    settings: dict[str, Any] = field(default_factory=dict)
    tasks_dir: list[str] = field(default_factory=list)

    def run_kwargs(self) -> dict[str, Any]:
        """The run options (harness.config.RunConfig fields) this leaderboard sets."""
        kwargs = {"models": ",".join(self.models), "tasks": ",".join(self.tasks),
                  "seeds": ",".join(map(str, self.seeds)), "data": ["sample"] if self.data == "sample" else [],
                  "data_dir": str(self.data_dir) if self.data_dir else None, "tasks_dir": list(self.tasks_dir),
                  "leaderboard": str(self.path)}
        kwargs.update({k: v for k, v in self.settings.items()})
        return kwargs

    def info(self) -> dict[str, Any]:
        """What run.json records, so reports can say which leaderboard a run belongs to."""
        return {"name": self.name, "path": str(self.path), "description": self.description,
                "models": self.models, "tasks": self.tasks, "seeds": self.seeds, "data": self.data,
                "data_dir": str(self.data_dir) if self.data_dir else None, "settings": self.settings}

    def default_output(self) -> Path:
        return Path("runs") / f"{self.name}_{datetime.now().strftime('%Y-%m-%d_%H%M%S')}"


def available() -> dict[str, Path]:
    from harness.paths import boards_dir

    return {p.stem: p for p in sorted(boards_dir().glob("*.yaml"))}


def find(name_or_path: str) -> Path:
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.suffix in (".yaml", ".yml") or path.is_file() or "/" in text:
        if not path.is_file():
            raise UserError(f"leaderboard file not found: {text}", hint="see `harness list leaderboards`")
        return path
    boards = available()
    if text not in boards:
        raise UserError(f"unknown leaderboard {text!r}", hint=did_you_mean(text, boards) or
                        "see `harness list leaderboards` (or pass a path to a .yaml file)")
    return boards[text]


def load(name_or_path: str, check_tasks: bool = True) -> Leaderboard:
    from harness import yamlfile

    path = find(name_or_path)
    raw = yamlfile.read(path, "leaderboard")
    if not isinstance(raw, dict):
        raise LeaderboardError(path, "(top level)", "expected a mapping of fields")
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise LeaderboardError(path, str(unknown[0]), "unknown field",
                               hint=did_you_mean(str(unknown[0]), FIELDS) or "fields: " + ", ".join(FIELDS))
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise LeaderboardError(path, "name", "expected a non-empty string")
    if not SAFE_NAME.fullmatch(name.strip()):
        raise LeaderboardError(path, "name", f"{name.strip()!r} is not a plain file name (it names the run's folder, "
                               "runs/NAME_TIMESTAMP)", hint="use up to 100 letters, digits, '.', '_' or '-', starting "
                               "with a letter or digit")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise LeaderboardError(path, "description", "expected a string")
    models = _names(path, "models", raw.get("models"))
    tasks = _names(path, "tasks", raw.get("tasks"))
    seeds = _seeds(path, raw.get("seeds", [0]))
    data, data_dir = _data(path, raw.get("data"), raw.get("data_dir"))
    settings = _settings(path, raw.get("settings") or {})
    tasks_dir = [str((path.parent / d).resolve()) for d in _names(path, "tasks_dir", raw.get("tasks_dir"),
                                                                    required=False)]
    if check_tasks:
        _check_tasks(path, tasks, tasks_dir)
    return Leaderboard(name=name.strip(), path=path, description=" ".join(description.split()), models=models,
                       tasks=tasks, seeds=seeds, data=data, data_dir=data_dir, settings=settings,
                       tasks_dir=tasks_dir)


def _names(path, field_name: str, value, required: bool = True) -> list[str]:
    if value is None:
        if required:
            raise LeaderboardError(path, field_name, "missing")
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LeaderboardError(path, field_name, f"expected a list of strings, got {value!r}")
    names = [v.strip() for v in value if v.strip()]
    if required and not names:
        raise LeaderboardError(path, field_name, "is empty")
    return names


def _seeds(path, value) -> list[int]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
    seeds = []
    for item in items:
        if isinstance(item, bool) or not (isinstance(item, int) or (isinstance(item, str) and
                                                                    item.strip().lstrip("-").isdigit())):
            raise LeaderboardError(path, "seeds", f"{item!r} is not an integer", hint="e.g. seeds: [0, 1, 2]")
        seeds.append(int(item))
        if problem := number_problem(seeds[-1], "seed", integer=True):
            raise LeaderboardError(path, "seeds", f"{item!r}: {problem}")
    if not seeds:
        raise LeaderboardError(path, "seeds", "is empty", hint="e.g. seeds: [0, 1, 2]")
    if len(set(seeds)) != len(seeds):
        raise LeaderboardError(path, "seeds", "repeats a value")
    return seeds


def _data(path, data, data_dir) -> tuple[str, Path | None]:
    if data_dir is not None:
        if data not in (None, "data_dir"):
            raise LeaderboardError(path, "data", "give either data (sample | hub) or data_dir, not both")
        if not isinstance(data_dir, str) or not data_dir.strip():
            raise LeaderboardError(path, "data_dir", "expected a folder path (relative to the leaderboard file)")
        return "data_dir", (path.parent / Path(data_dir).expanduser()).resolve()
    if data in (None, "hub", "none"):
        return "hub", None
    if data == "sample":
        return "sample", None
    raise LeaderboardError(path, "data", f"{data!r} is not one of sample, hub",
                           hint="data: sample | hub, or data_dir: PATH for local files")


def _settings(path, settings) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise LeaderboardError(path, "settings", "expected a mapping, e.g. {epochs: 3, lr: 2.0e-5}")
    out = {}
    for key, value in settings.items():
        where = f"settings.{key}"
        if key not in SETTINGS:
            hint = (f"{key} is set at the top level of the file" if key in CONFIG_FIELDS else
                    did_you_mean(str(key), SETTINGS) or "settings: " + ", ".join(SETTINGS))
            raise LeaderboardError(path, where, "unknown setting", hint=hint)
        try:
            out[key] = parse_value(key, value)
        except UserError as exc:
            raise LeaderboardError(path, where, exc.problem if isinstance(exc, FieldError) else exc.message,
                                   hint=exc.hint) from None
    return out


def _check_tasks(path, tasks: list[str], tasks_dir: list[str]) -> None:
    from harness.tasks.card import FAMILIES
    from harness.tasks.registry import Registry

    known = Registry(tasks_dir).cards
    for task in tasks:
        if task != "all" and task not in FAMILIES and task not in known:
            raise LeaderboardError(path, "tasks", f"unknown task {task!r}",
                                   hint=did_you_mean(task, [*known, *FAMILIES, "all"]) or "see `harness list tasks`")


def run_leaderboard(name_or_path: str, **options) -> list[dict]:
    """Python API: run a leaderboard; `options` (output, device, workers, epochs, ...) go to harness.api.run."""
    from harness.api import run

    return run(leaderboard=str(name_or_path), **options)
