"""A data file's identity by content: the SHA-256 of its bytes, remembered per (path, size, modification time) in
the cache so a large file is read once, not on every run.

Job ids include the data's fingerprint (harness.data.sources). A fingerprint of sizes and modification times changed
whenever a file was only touched (copied, checked out again, restored from a backup), and every finished job of the
task then trained again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from harness.paths import cache_dir

_CHUNK = 1 << 20
_DIGEST = re.compile(r"\A[0-9a-f]{64}\Z")
# A file written less than this long ago may be written again within the file system's timestamp granularity
# without its (size, mtime) changing; its digest is not remembered, so a later run reads it again ("racily clean").
_SETTLED_NS = 2_000_000_000


def file_digest(path: Path) -> str:
    """The hex SHA-256 of the file's bytes (from the cache when its path, size and mtime are unchanged)."""
    before = path.stat()
    entry = _entry(path, before)
    try:
        remembered = entry.read_text(encoding="ascii")
        if _DIGEST.match(remembered):
            return remembered
    except (OSError, UnicodeDecodeError):
        pass
    digest = _sha256(path)
    after = path.stat()
    unchanged = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    if unchanged and time.time_ns() - after.st_mtime_ns > _SETTLED_NS:
        _remember(entry, digest)
    return digest


def _entry(path: Path, stat: os.stat_result) -> Path:
    key = json.dumps([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return cache_dir() / "content-hashes" / hashlib.sha256(key.encode()).hexdigest()[:32]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _remember(entry: Path, digest: str) -> None:
    """Write the cache entry atomically (concurrent drivers may hash the same file); a cache that cannot be written
    only costs a re-read next time."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_name(f"{entry.name}.{os.getpid()}.partial")
        partial.write_text(digest, encoding="ascii")
        os.replace(partial, entry)
    except OSError:
        pass
