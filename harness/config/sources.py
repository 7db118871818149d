"""Where a run's configuration comes from, lowest precedence first: the smoke preset (nothing chosen) or a
leaderboard, then a `--config` YAML file, then the command line (or `harness.run`'s keywords)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from harness.config.fields import FIELDS, RunConfig
from harness.config.values import FieldError, flag, from_mapping, parse_value, unknown_key_error
from harness.errors import UserError

# What a leaderboard fixes: the comparison itself. Giving another value for one of these is an error.
BOARD_FIXED = ("models", "tasks", "seeds", "data", "data_dir")


def read_file(path: str | Path) -> dict[str, Any]:
    """The options a `--config` YAML file sets, each value read and checked; mistakes name the file and key."""
    from harness import yamlfile

    raw = yamlfile.read(path, "--config file")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UserError(f"config {path}: expected a mapping of options", hint="e.g. models: [tiny-bert]")
    values = {}
    for key, value in raw.items():
        if key not in FIELDS:
            raise unknown_key_error(str(key), f"config {path}")
        if value is None:
            continue
        try:
            values[key] = parse_value(key, value)
        except UserError as exc:
            problem = exc.problem if isinstance(exc, FieldError) else exc.message
            raise UserError(f"config {path}: {key}: {problem}", hint=exc.hint) from None
    return values


def to_yaml(config: RunConfig) -> str:
    """Every field with its help as a comment: a file `--config` reads back into the same configuration."""
    import textwrap

    import yaml

    lines = ["# harness run configuration: `harness run --config FILE` reads it; command-line options override it."]
    for name, value in config.to_dict().items():
        lines += textwrap.wrap(FIELDS[name].metadata["help"], 110, initial_indent="# ", subsequent_indent="# ")
        lines.append(yaml.safe_dump({name: value}, default_flow_style=None if isinstance(value, list) else False,
                                    width=1 << 16).strip())     # lists on one line: [1.0e-05, 3.0e-05]
    return "\n".join(lines) + "\n"


def resolve(given: Mapping[str, Any], file_values: Mapping[str, Any] | None = None,
            note: Callable[[str], None] = lambda _: None) -> RunConfig:
    """The effective configuration: `given` (command line or keywords) over `file_values` (a --config file) over
    the leaderboard they name, or over the smoke preset when they choose no models and no tasks."""
    chosen = {k: v for k, v in {**(file_values or {}), **given}.items() if v is not None}
    if chosen.get("leaderboard"):
        return from_mapping(_over_leaderboard(chosen, set(given), note))
    if not chosen.get("models") and not chosen.get("tasks"):
        from harness.presets import smoke

        note("no --models/--tasks given: running the smoke preset (tiny models, bundled samples, 1 epoch)")
        return from_mapping({**smoke(), **chosen})
    if not chosen.get("models") or not chosen.get("tasks"):
        raise UserError(f"--{'tasks' if chosen.get('models') else 'models'} is missing",
                        hint="give both --models and --tasks, or neither for the smoke preset")
    return from_mapping(chosen)


def _over_leaderboard(chosen: dict[str, Any], given: set[str], note) -> dict[str, Any]:
    from harness.leaderboards import load

    board = load(chosen["leaderboard"])
    base = board.run_kwargs()
    for key in BOARD_FIXED:
        if key in chosen and parse_value(key, chosen[key]) != parse_value(key, base[key]):
            raise UserError(f"{flag(key)} cannot be combined with --leaderboard (the leaderboard fixes models, tasks, "
                            "seeds and data)", hint=f"drop {flag(key)}, or edit {board.path}")
    for key, value in base.items():
        if key in given and key in board.settings and parse_value(key, chosen[key]) != parse_value(key, value):
            note(f"note: {flag(key)} {chosen[key]} overrides the leaderboard's {key}={value}")
    tasks_dir = list(dict.fromkeys([*parse_value("tasks_dir", chosen.get("tasks_dir", [])), *base["tasks_dir"]]))
    merged = {**base, **chosen, "tasks_dir": tasks_dir}
    merged.setdefault("output", str(board.default_output()))
    return merged
