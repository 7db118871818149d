"""Where the harness keeps things on disk that are not part of a run: built test models and prepared data."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of the harness cache: $HARNESS_CACHE, else $XDG_CACHE_HOME/harness, else ~/.cache/harness."""
    if os.environ.get("HARNESS_CACHE"):
        return Path(os.environ["HARNESS_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "harness"


def check_cache_dir() -> Path:
    """The cache root, made if missing; a file in its place or a place that cannot be written is a UserError (exit
    2) before any work, not an OSError in the middle of preparing data or building a model."""
    from harness.errors import UserError

    root = cache_dir()
    named = "HARNESS_CACHE" if os.environ.get("HARNESS_CACHE") else "the cache folder"
    hint = "point HARNESS_CACHE at a writable folder"
    if root.exists() and not root.is_dir():
        raise UserError(f"{named} {root} is not a directory", hint=hint)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{named} {root} is not writable: {exc.strerror or exc}", hint=hint) from None
    return root


def _bundled(installed_name: str, source_name: str) -> Path:
    # Installed from a wheel, the folder sits inside the package (harness/cards); in a source checkout or an
    # editable install it is the repository's top-level folder.
    package = Path(__file__).resolve().parent
    installed = package / installed_name
    return installed if installed.is_dir() else package.parent / source_name


def cards_dir() -> Path:
    """The bundled task cards: the repository's tasks/ folder, shipped in the wheel as harness/cards."""
    return _bundled("cards", "tasks")


def boards_dir() -> Path:
    """The bundled leaderboard definitions: the repository's leaderboards/ folder (harness/boards in the wheel)."""
    return _bundled("boards", "leaderboards")
