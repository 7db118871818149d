"""Carving missing splits, and keeping evaluation rows out of train.

A carved split (validation cut out of train; test and validation cut out of a single given file) is ours to make
clean: rows that share a passage (the kind's `carve_group`, e.g. a SQuAD paragraph) go to one side together, and
train rows whose inputs repeat a carved row verbatim are removed from train. Given splits (an official dev or test
set) are not ours to change: their rows that repeat a train row are only counted.
"""
from __future__ import annotations

import hashlib
import json
import random

from harness.errors import UserError

Columns = dict[str, list]
# Standard fields that are not model input: targets and bookkeeping. Two rows repeat each other when every other
# field (text and pair, tokens, question and context, source) is equal, whatever their labels say.
NOT_INPUT_FIELDS = frozenset({"label", "ner_tags", "answers", "target", "id", "title", "example_index"})


def carve(columns: Columns, fraction: float, max_rows: int, seed: int,
          group_by: str | None = None) -> tuple[Columns, Columns]:
    """Split off a fixed, seeded part of min(fraction * n, max_rows) rows (at least 1); both parts keep their order.

    With `group_by`, rows with equal values of that field stay together: whole groups are taken, in a seeded order,
    until the part holds at least that many rows (so it may hold one group's worth more), and never every group.
    """
    n = len(next(iter(columns.values())))
    if n < 2:
        raise UserError(f"cannot carve a split out of {n} example(s)", hint="give separate train and test files")
    size = max(1, min(max_rows, round(n * fraction)))
    if group_by is None:
        picked = set(random.Random(seed).sample(range(n), size))
    else:
        picked = _picked_groups(columns[group_by], size, seed, group_by)
    rest = {k: [v for i, v in enumerate(vals) if i not in picked] for k, vals in columns.items()}
    part = {k: [v for i, v in enumerate(vals) if i in picked] for k, vals in columns.items()}
    return rest, part


def _picked_groups(keys: list, size: int, seed: int, group_by: str) -> set[int]:
    members: dict = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    if len(members) < 2:
        raise UserError(f"cannot carve a split out of examples that all share one {group_by}",
                        hint="give separate train and test files")
    order = list(members)
    random.Random(seed).shuffle(order)
    picked: set[int] = set()
    for key in order[:-1]:
        if len(picked) >= size:
            break
        picked.update(members[key])
    return picked


def remove_repeats(splits: dict[str, Columns], carved: list[str]) -> dict[str, int]:
    """Drop the train rows whose inputs equal a row of a carved split, then count the validation and test rows whose
    inputs still occur in train (given splits; zero for carved ones). Changes `splits["train"]` in place."""
    keys = {role: input_keys(columns) for role, columns in splits.items()}
    carved_keys = set().union(*(keys[role] for role in carved))
    keep = [key not in carved_keys for key in keys["train"]]
    if not all(keep):
        splits["train"] = {name: [v for v, kept in zip(values, keep) if kept]
                           for name, values in splits["train"].items()}
    train_keys = {key for key, kept in zip(keys["train"], keep) if kept}
    overlap = {"removed_from_train": keep.count(False)}
    for role in ("validation", "test"):
        overlap[f"{role}_in_train"] = sum(key in train_keys for key in keys.get(role, ()))
    return overlap


def input_keys(columns: Columns) -> list[bytes]:
    """One comparable key per row: a digest of its input fields (whole articles would hold gigabytes as keys)."""
    fields = sorted(name for name in columns if name not in NOT_INPUT_FIELDS)
    rows = zip(*(columns[name] for name in fields))
    return [hashlib.blake2b(json.dumps(row, ensure_ascii=False, default=str).encode(), digest_size=16).digest()
            for row in rows]
