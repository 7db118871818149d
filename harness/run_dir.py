"""Checks on a run's output directory made before the run plans anything, so a mistake there stops the command
(exit 2) before data is prepared, anything trains, or anything is created or written in the directory."""
from __future__ import annotations

import json
import os
from pathlib import Path

from harness.errors import UserError

_HINT = "choose another --output"


def check_output(output: Path) -> None:
    """The output can be made (names within the file system's limit, no file in the way, a writable parent) and,
    when it exists already, is a run directory: a run.json in it is a file holding a JSON object."""
    _check_names(output)
    try:
        existing = next(p for p in (output, *output.parents) if os.path.lexists(p))
    except OSError as exc:           # a path longer than the system's limit (PATH_MAX)
        raise UserError(f"output {_short(output)} is not usable: {exc.strerror or exc}", hint=_HINT) from None
    if existing == output and not output.is_dir():
        raise UserError(f"output {output} exists and is not a directory", hint=_HINT)
    if not existing.is_dir():
        raise UserError(f"output directory {output} is not writable: {existing} is not a directory", hint=_HINT)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"output directory {output} is not writable: no write permission on {existing}", hint=_HINT)
    if existing == output:
        _check_run_info(output / "run.json")


def _check_names(output: Path) -> None:
    """Every part of the path fits the file system's name limit (NAME_MAX, 255 bytes on Linux file systems)."""
    limit = _name_max(output)
    for part in output.parts:
        size = len(os.fsencode(part))
        if size > limit:
            raise UserError(f"output {_short(output)}: the name {_short(Path(part))} is {size} bytes long, over the "
                            f"file system's limit of {limit}", hint="choose a shorter --output")


def _name_max(output: Path) -> int:
    for folder in (output, *output.parents):
        try:
            return os.pathconf(folder, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def _check_run_info(path: Path) -> None:
    """run.json, when present, is what a run wrote: a file holding one JSON object."""
    if not os.path.lexists(path):
        return
    if not path.is_file():
        raise UserError(f"{path} is not a file", hint=f"remove it, or {_HINT}")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not a run's run.json: {exc}", hint=f"remove it, or {_HINT}") from None
    if not isinstance(info, dict):
        raise UserError(f"{path} is not a run's run.json: expected a JSON object, found {type(info).__name__}",
                        hint=f"remove it, or {_HINT}")


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:40] + "…" + text[-20:]
