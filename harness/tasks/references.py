"""Published reference results a task card may carry: what a model's authors (or a reference script) report on the
task, with the source to check it against, so a report can set a run beside it.

A card lists them under `references`, one mapping each:

    references:
      - model: google-bert/bert-base-cased     # hub id or alias
        metric: accuracy                       # one of the card's reported metrics
        value: 92.32                           # in points, as published (accuracy 0.9232 is 92.32)
        split: validation                      # the dataset split it was measured on: the card's test split
        source: https://github.com/...         # where the figure is printed (URL with a commit, or a paper table)
        recipe: 3 epochs, lr 2e-5, ...         # how the model was trained for it, in a few words

The figures change no result, so they are left out of the card's hash (`RESULT_NEUTRAL_FIELDS` in card.py):
adding or correcting one never trains a finished job again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

FIELDS = ("model", "metric", "value", "split", "source", "recipe")
# Published figures are in points: fractions times 100 (accuracy, F1, correlations, MCC) or percentages (SQuAD,
# BLEU). A value outside this range is a fraction's or a typo's mistake, not a score.
VALUE_RANGE = (-100.0, 100.0)
_ONE_WORD = ("model", "metric", "split")     # names matched against runs and cards


@dataclass(frozen=True)
class Reference:
    model: str          # hub id (org/name) or an alias of harness/models/aliases.py
    metric: str
    value: float        # in points
    split: str
    source: str
    recipe: str


def parse_references(raw: Any, metrics: tuple[str, ...], test_split: str | None,
                     fail: Callable[[str, str], None]) -> tuple[Reference, ...]:
    """The card's `references` list, checked; `fail(field, problem)` raises the card's error. `test_split`: the
    hub split the card reports as test (a figure on another split measures something else), None without a hub."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        fail("references", f"expected a list of mappings, got {type(raw).__name__}")
    out: list[Reference] = []
    for i, entry in enumerate(raw):
        where = f"references[{i}]"
        if not isinstance(entry, dict):
            fail(where, f"expected a mapping with {', '.join(FIELDS)}, got {type(entry).__name__}")
        for key in entry:
            if key not in FIELDS:
                fail(f"{where}.{key}", f"unknown field; expected one of {', '.join(FIELDS)}")
        texts = {key: _text(entry, key, f"{where}.{key}", fail) for key in FIELDS if key != "value"}
        if texts["metric"] not in metrics:
            fail(f"{where}.metric", f"{texts['metric']!r} is not one of the card's metrics ({', '.join(metrics)})")
        if test_split is not None and texts["split"] != test_split:
            fail(f"{where}.split", f"{texts['split']!r} is not the split the card reports as test "
                 f"({test_split!r}); a figure on another split does not compare")
        reference = Reference(value=_value(entry.get("value"), f"{where}.value", fail), **texts)
        if any(r.model == reference.model and r.metric == reference.metric for r in out):
            fail(where, f"a second {reference.metric} figure for {reference.model}; keep one per model and metric")
        out.append(reference)
    return tuple(out)


def _text(entry: dict, key: str, name: str, fail) -> str:
    value = entry.get(key)
    if value is None:
        fail(name, "missing (required)")
    if not isinstance(value, str) or not value.strip():
        fail(name, f"expected a non-empty string, got {type(value).__name__} {value!r}")
    value = value.strip()
    if key in _ONE_WORD and any(c.isspace() for c in value):
        fail(name, f"{value!r} must be one word (no spaces)")
    return value


def _value(value: Any, name: str, fail) -> float:
    if value is None:
        fail(name, "missing (required)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(name, f"expected a number in points, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or not VALUE_RANGE[0] <= value <= VALUE_RANGE[1]:
        fail(name, f"{value!r} is not a score in points ({VALUE_RANGE[0]:g} to {VALUE_RANGE[1]:g}; "
             "a fraction such as 0.9232 is written 92.32)")
    return float(value)
