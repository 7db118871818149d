"""Hyperparameters of a job and the parsing of the numeric and list options that set them."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from harness.errors import UserError


@dataclass(frozen=True)
class Hyperparameters:
    """Defaults < task card `hyperparameters` < command-line options."""
    epochs: float = 3.0
    batch_size: int = 32
    eval_batch_size: int = 64
    lr: float = 5e-5
    max_length: int = 128
    max_target_length: int = 64
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    grad_accum: int = 1
    max_grad_norm: float = 1.0
    early_stopping_patience: int | None = None
    # Run-level only (options of a run, not of a task card):
    max_train_samples: int | None = field(default=None, metadata={"card": False})
    max_eval_samples: int | None = field(default=None, metadata={"card": False})
    # stop after this many optimizer steps (the LR schedule spans them)
    budget_steps: int | None = field(default=None, metadata={"card": False})
    # stop training after this much wall-clock time (validation excluded)
    budget_seconds: float | None = field(default=None, metadata={"card": False})

    def with_overrides(self, values: dict[str, Any]) -> "Hyperparameters":
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in values.items() if k in known and v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def card_hyperparameter_types() -> dict[str, tuple[type, ...]]:
    """The hyperparameters a task card may set, with the YAML types each accepts (an int is a valid float)."""
    accepted = {"int": (int,), "float": (int, float)}
    return {f.name: accepted[f.type.split(" |")[0]] for f in fields(Hyperparameters) if f.metadata.get("card", True)}


def _parse_numbers(value, option: str, convert, what: str, example: str, positive: bool) -> list:
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            number = convert(text)
        except ValueError:
            raise UserError(f"{option} {value!r}: {text!r} is not {what}", hint=f"e.g. {option} {example}") from None
        if not math.isfinite(number):
            raise UserError(f"{option} {value!r}: {text!r} is not a finite number", hint=f"e.g. {option} {example}")
        if positive and not number > 0:
            raise UserError(f"{option} {value!r}: {text!r} is not positive")
        out.append(number)
    if not out:
        raise UserError(f"{option} is empty", hint=f"e.g. {option} {example}")
    if len(set(out)) != len(out):
        raise UserError(f"{option} {value!r} repeats a value")
    return out


def parse_int_list(value: str | list | tuple, option: str) -> list[int]:
    """'0,1,2' (or a list) -> [0, 1, 2]; a malformed item is a UserError naming the option."""
    return _parse_numbers(value, option, int, "an integer", "0,1,2", positive=False)


def parse_float_list(value: str | list | tuple, option: str) -> list[float]:
    """'1e-5,3e-5' (or a list) -> [1e-05, 3e-05]; each value must be a positive number."""
    return _parse_numbers(value, option, float, "a number", "1e-5,3e-5", positive=True)


def parse_list(value: str | list | tuple | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [i.strip() for i in items if i.strip()]
