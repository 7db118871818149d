"""Choosing tasks from what a user typed: a comma list of task names, task-family names or `all`.

One rule for `harness run --tasks` (over the task cards) and `harness select --tasks` (over the tasks of a run).
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping


def split_names(spec: str | Iterable[str]) -> list[str]:
    """'sst2, ner' or ['sst2', ' ner'] -> ['sst2', 'ner'] (empty parts dropped)."""
    return [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]


def pick_tasks(spec: str | Iterable[str], families: Mapping[str, str], unknown: Callable[[str], None],
               family_names: Iterable[str] = ()) -> tuple[list[str], set[str]]:
    """(the chosen task names, the ones named explicitly).

    families maps every task to its family, in the order a family or `all` lists them; family_names adds families
    that may have no task here (picking one picks nothing). `unknown(name)` raises the caller's error for a name that
    is neither a task, a family nor `all`. A family name wins over a task of the same name.
    """
    known_families = {*families.values(), *family_names}
    chosen: dict[str, None] = {}                # ordered, without repeats
    explicit: set[str] = set()
    for name in split_names(spec):
        if name == "all":
            picked = list(families)
        elif name in known_families:
            picked = [task for task, family in families.items() if family == name]
        elif name in families:
            picked = [name]
            explicit.add(name)
        else:
            unknown(name)
            continue
        chosen.update(dict.fromkeys(picked))
    return list(chosen), explicit
