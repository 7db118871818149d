"""The cost limits of `harness select` (--max-memory, --max-latency-ms, --min-throughput, --max-params): parsing
the user's values with their units, and checking a candidate's worst-case figures against them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from harness.errors import UserError
from harness.report import format as fmt

_NUMBER = r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
SIZE_UNITS = {"": None, "b": 1, "k": 2 ** 10, "kb": 1e3, "kib": 2 ** 10, "m": 2 ** 20, "mb": 1e6, "mib": 2 ** 20,
              "g": 2 ** 30, "gb": 1e9, "gib": 2 ** 30, "t": 2 ** 40, "tb": 1e12, "tib": 2 ** 40}
COUNT_UNITS = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
TIME_UNITS = {"": 1.0, "ms": 1.0, "s": 1000.0, "us": 1e-3, "µs": 1e-3}


def parse_size(text: str, option: str = "--max-memory") -> float:
    """'8GB' (10^9), '8GiB' or '8G' (2^30), '512MB', '512MiB' -> bytes."""
    match = re.fullmatch(_NUMBER + r"\s*([a-z]*)", str(text).strip().lower())
    unit = match.group(2) if match else None
    if not match or unit not in SIZE_UNITS or SIZE_UNITS[unit] is None:
        raise UserError(f"{option} {text!r}: not a memory size", hint=f"give a number and a unit, e.g. {option} 8GB "
                        "or 16GiB (KB/MB/GB = powers of 1000, KiB/MiB/GiB or K/M/G = powers of 1024)")
    return float(match.group(1)) * SIZE_UNITS[unit]


def parse_count(text: str, option: str = "--max-params") -> float:
    """'200M', '1.3B', '350k', '125000000' -> a number."""
    match = re.fullmatch(_NUMBER + r"\s*([a-z]?)", str(text).strip().lower())
    if not match or match.group(2) not in COUNT_UNITS:
        raise UserError(f"{option} {text!r}: not a count", hint=f"e.g. {option} 200M (k, M, B suffixes)")
    return float(match.group(1)) * COUNT_UNITS[match.group(2)]


def parse_ms(text: str, option: str = "--max-latency-ms") -> float:
    match = re.fullmatch(_NUMBER + r"\s*(ms|s|us|µs)?", str(text).strip().lower())
    if not match:
        raise UserError(f"{option} {text!r}: not a duration", hint=f"milliseconds, e.g. {option} 20 (or 20ms, 0.02s)")
    return float(match.group(1)) * TIME_UNITS[match.group(2) or ""]


def parse_rate(text: str, option: str = "--min-throughput") -> float:
    match = re.fullmatch(_NUMBER + r"\s*([km]?)\s*(?:(?:samples?)?\s*/\s*s)?", str(text).strip().lower())
    if not match:
        raise UserError(f"{option} {text!r}: not a rate", hint=f"training samples per second, e.g. {option} 500 "
                        "(or 1.5k)")
    return float(match.group(1)) * COUNT_UNITS[match.group(2)]


@dataclass(frozen=True)
class Limit:
    option: str          # as typed on the command line, for messages
    text: str            # the user's value
    column: str          # candidate column checked
    value: float
    upper: bool          # True: value must be <= limit

    def fails(self, measured) -> bool:
        if fmt.missing(measured):
            return True
        return measured > self.value if self.upper else measured < self.value

    def describe(self) -> str:
        return {"max_memory": f"≤ {self.text} memory", "max_latency": f"≤ {self.text} ms latency",
                "min_throughput": f"≥ {self.text} samples/s",
                "max_params": f"≤ {self.text} parameters"}[self.column]

    def short(self) -> str:
        return {"max_memory": self.text, "max_latency": f"{self.text} ms",
                "min_throughput": f"{self.text} samples/s", "max_params": f"{self.text} parameters"}[self.column]


def parse_limits(max_memory=None, max_latency_ms=None, min_throughput=None, max_params=None) -> list[Limit]:
    limits = []
    if max_memory is not None:
        limits.append(Limit("--max-memory", str(max_memory), "max_memory", parse_size(max_memory), True))
    if max_latency_ms is not None:
        limits.append(Limit("--max-latency-ms", str(max_latency_ms), "max_latency", parse_ms(max_latency_ms), True))
    if min_throughput is not None:
        limits.append(Limit("--min-throughput", str(min_throughput), "min_throughput",
                            parse_rate(min_throughput), False))
    if max_params is not None:
        limits.append(Limit("--max-params", str(max_params), "max_params", parse_count(max_params), True))
    for limit in limits:
        if limit.value <= 0:
            raise UserError(f"{limit.option} {limit.text!r}: must be greater than 0",
                            hint=f"leave {limit.option} out for no limit")
    return limits
