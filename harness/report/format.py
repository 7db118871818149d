"""Formatting of numbers for people: scores, byte counts, parameter counts, rates."""
from __future__ import annotations

import math


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score_cell(row) -> str:
    if row["status"] == "unsupported":
        return "n/a"
    if row["status"] == "failed" or _missing(row["score_mean"]):
        return "failed"
    cell = f"{row['score_mean']:.4f}"
    if row["seeds"] > 1:
        cell += f" ± {row['score_std']:.4f}"
    return cell


def human_bytes(value) -> str:
    if _missing(value):
        return "–"
    value = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return "–"


def human_count(value) -> str:
    if _missing(value):
        return "–"
    value = float(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


def rate(value, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{value:,.{digits}f}"
