"""Tokenization with an on-disk cache: `Dataset.map(batched=True)` into a named Arrow file per (data, model, kind).

A second job on the same task and tokenizer (another seed, a resumed run) memory-maps the cached file instead of
tokenizing again.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.locking import file_lock
from harness.paths import cache_dir

TOKENIZE_CODE_VERSION = "1"


def tokenizer_identity(spec) -> dict:
    """What identifies a tokenizer: hub id + revision, or the local files' names, sizes and times."""
    if not spec.local:
        return {"source": spec.source, "revision": spec.revision}
    stamp = {}
    for file in sorted(Path(spec.source).iterdir()):
        if file.is_file() and ("token" in file.name or file.suffix in (".json", ".txt", ".model")) \
                and not file.name.endswith(".safetensors"):
            st = file.stat()
            stamp[file.name] = [st.st_size, st.st_mtime_ns]
    return {"source": spec.source, "files": stamp}


def tokenize(dataset, encode, *, key_parts: dict, remove_columns: bool = True):
    """Map `encode` over `dataset` (batched) with a cache file named by the hash of `key_parts`."""
    payload = json.dumps({"v": TOKENIZE_CODE_VERSION, **key_parts}, sort_keys=True, default=str)
    key = hashlib.sha256(payload.encode()).hexdigest()[:24]
    path = cache_dir() / "tokenized" / f"{key}.arrow"
    with file_lock(path.with_suffix(".lock")):
        return dataset.map(encode, batched=True, batch_size=1000, cache_file_name=str(path), new_fingerprint=key,
                           remove_columns=dataset.column_names if remove_columns else None,
                           load_from_cache_file=True, desc=None)
