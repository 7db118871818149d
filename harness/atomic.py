"""Writing a file all at once: a reader sees the old content or the new one, never half of it, and a symbolic
link found at the path is replaced, not followed, so a link planted in a run directory cannot make us write
outside it."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from harness.errors import UserError


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write data (text as UTF-8) to a new file beside `path`, then rename it over `path`; returns `path`."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # O_EXCL and O_NOFOLLOW: the temporary name is ours alone, whatever already lies in the folder.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(temp, path)          # rename(2) replaces a link at `path` itself, never its target
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def refuse_link(path: Path, what: str, option: str = "--out") -> None:
    """A folder we are about to write into must not be a link to somewhere else (UserError)."""
    if path.is_symlink():
        raise UserError(f"{what} {path} is a symbolic link; files written there would land outside the run "
                        "directory", hint=f"remove the link, or choose another {option}")
