"""Reading and checking RunConfig values: the one place a user's option values are validated.

A value may come from the command line (a string or a click-typed value), a YAML file (lists, numbers, strings)
or Python keywords (either). Every mistake is a `FieldError`: one line naming the option, with a hint.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from harness.config.fields import FIELDS, RunConfig
from harness.errors import UserError, did_you_mean
from harness.settings import Hyperparameters, parse_float_list, parse_int_list, parse_list


def flag(name: str) -> str:
    """The command-line spelling of a field: lora_r -> --lora-r."""
    return "--" + (FIELDS[name].metadata["cli_name"] if name in FIELDS and FIELDS[name].metadata["cli_name"]
                   else name).replace("_", "-")


class FieldError(UserError):
    """A bad value of one field; `field` lets files name their key instead of the command-line flag."""

    def __init__(self, name: str, problem: str, hint: str | None = None, value: Any = None, shown: bool = True):
        super().__init__(f"{flag(name)} {value!r}: {problem}" if shown else f"{flag(name)}: {problem}", hint=hint)
        self.field, self.problem = name, problem


def unknown_key_error(key: str, where: str, known=None) -> UserError:
    known = list(known if known is not None else FIELDS)
    return UserError(f"{where}: unknown option {key!r}", hint=did_you_mean(str(key), known) or
                     "options: " + ", ".join(known))


def from_mapping(values: Mapping[str, Any], where: str = "harness.run") -> RunConfig:
    """A checked RunConfig from field values (unset or None ones keep their defaults)."""
    for key in values:
        if key not in FIELDS:
            raise unknown_key_error(key, where)
    parsed = {k: parse_value(k, v) for k, v in values.items() if v is not None}
    config = RunConfig(**parsed)
    check_combinations(config)
    return config


def updated(config: RunConfig, values: Mapping[str, Any]) -> RunConfig:
    """`config` with some fields replaced (checked like the rest)."""
    return from_mapping({**config.to_dict(), **values})


def parse_value(name: str, value: Any) -> Any:
    meta = FIELDS[name].metadata
    parse, check, choices = meta["parse"], meta["check"], meta["choices"]
    if parse == "names":
        parsed: Any = parse_list(value if isinstance(value, (str, list, tuple)) else [value])
        for item in parsed if choices else ():
            if item not in choices:
                raise FieldError(name, f"{item!r} is not one of {', '.join(choices)}",
                                 hint=did_you_mean(item, choices), value=value)
        return list(dict.fromkeys(parsed)) if choices else parsed
    if parse in ("ints", "floats"):
        reader = parse_int_list if parse == "ints" else parse_float_list
        parsed = reader(value if isinstance(value, (str, list, tuple)) else [value], flag(name))
        for item in parsed:
            _check(name, item, check)
        return parsed
    if parse == "jobs_per_gpu":
        from harness.schedule.placement import parse_jobs_per_gpu
        number = parse_jobs_per_gpu(value)
        return "auto" if number is None else number
    if parse == "workers":
        from harness.schedule.cpu_workers import parse_workers
        count = parse_workers(value)
        return "auto" if count is None else count
    if parse == "bool":
        if not isinstance(value, bool):
            raise FieldError(name, "expected true or false", value=value)
        return value
    if parse in ("int", "float"):
        return _check(name, _number(name, value, parse, check), check)
    if parse == "choice" and value not in choices:
        raise FieldError(name, f"expected one of {', '.join(choices)}", hint=did_you_mean(str(value), choices),
                         value=value)
    if parse == "path" and hasattr(value, "__fspath__"):
        value = str(value)
    if parse == "list":             # repeatable options: one item per use, commas kept (train:A,test:B)
        items = [value] if isinstance(value, str) or hasattr(value, "__fspath__") else list(value)
        return [_text(name, str(item) if hasattr(item, "__fspath__") else item) for item in items]
    return _text(name, value)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldError(name, "expected a non-empty string", value=value)
    return value


SEED_LIMIT = 2**32          # numpy's and torch's seeding take 32-bit seeds
# Beyond these no run is meant (a billion epochs, seconds or a learning rate of 1e30) and later arithmetic breaks:
# step counts overflow, timers refuse the timeout. Seeds have their own range.
INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e9
_WHAT = {"positive": "a positive {}", "at_least_zero": "0 or more", "fraction": "a number in [0, 1)",
         "seed": "an integer in [0, 2**32)"}
_BAD = {"positive": lambda v: v <= 0, "at_least_zero": lambda v: v < 0, "fraction": lambda v: not 0 <= v < 1,
        "seed": lambda v: not 0 <= v < SEED_LIMIT}


def _number(name: str, value: Any, parse: str, check: str | None):
    what = _WHAT.get(check or "", "{}").format("integer" if parse == "int" else "number")
    if isinstance(value, str):          # YAML reads 1e-4 (no dot) as a string; a number in quotes is one too
        try:
            value = float(value.strip())
        except ValueError:
            raise FieldError(name, f"expected {what}", value=value) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(name, f"expected {what}", value=value)
    if not math.isfinite(value):
        raise FieldError(name, "expected a finite number", value=value)
    if parse == "int" and int(value) != value:
        raise FieldError(name, f"expected {what}", value=value)
    return int(value) if parse == "int" else float(value)


def _check(name: str, value, check: str | None):
    integer = isinstance(value, int) and FIELDS[name].metadata["parse"] in ("int", "ints")
    problem = number_problem(value, check, integer)
    if problem:
        raise FieldError(name, problem, value=value)
    return value


def number_problem(value: int | float, check: str | None, integer: bool = False) -> str | None:
    """What is wrong with a number for a field checked with `check` (see `option`), or None: every number must be
    finite and within the limits above, whichever field, file or flag it comes from."""
    if not math.isfinite(value):
        return "expected a finite number"
    if _BAD.get(check or "", lambda v: False)(value):
        return f"expected {_WHAT[check].format('integer' if integer else 'number')}"
    limit = SEED_LIMIT - 1 if check == "seed" else INT_LIMIT if integer else FLOAT_LIMIT
    if abs(value) > limit:
        return f"too large (at most {limit:g})" if isinstance(limit, float) else f"too large (at most {limit})"
    return None


# The hyperparameters a task card may set that are no run option, with the check each gets (see `option`).
_CARD_ONLY_CHECKS = {"eval_batch_size": "positive", "max_target_length": "positive", "warmup_ratio": "at_least_zero",
                     "grad_accum": "positive", "max_grad_norm": "positive", "early_stopping_patience": "positive"}


def hyperparameter_problem(name: str, value: int | float) -> str | None:
    """What is wrong with a task card's hyperparameter value, or None: the run option of the same name's check."""
    check = FIELDS[name].metadata["check"] if name in FIELDS else _CARD_ONLY_CHECKS.get(name)
    integer = isinstance(value, int) and not isinstance(getattr(Hyperparameters, name, None), float)
    return number_problem(value, check, integer)


def check_combinations(config: RunConfig) -> None:
    """Mistakes no single value makes."""
    for name, values in config.by_role("grid").items():
        single = name.removesuffix("_grid")
        if values and getattr(config, single) is not None:
            raise UserError(f"{flag(single)} and {flag(name)} both given",
                            hint="give the single value or the grid, not both")
    if config.ray_address is not None and config.executor != "ray":
        raise UserError("--ray-address needs --executor ray")


def without_defaults(config: RunConfig) -> dict[str, Any]:
    """The fields that differ from their defaults."""
    default = RunConfig()
    return {k: v for k, v in config.to_dict().items() if getattr(default, k) != v}


def lora_options(config: RunConfig) -> dict[str, Any]:
    """The LoRA fields given, named as harness.tuning.LoraSettings names them."""
    names = {"lora_r": "r", "lora_alpha": "alpha", "lora_dropout": "dropout", "lora_targets": "target_modules"}
    given = {names[k]: v for k, v in config.by_role("lora").items() if v is not None}
    if "target_modules" in given:
        given["target_modules"] = tuple(given["target_modules"])
    return given

