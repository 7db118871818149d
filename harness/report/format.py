"""Numbers for people: scores, intervals, byte and parameter counts, rates."""
from __future__ import annotations

import math

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def decimals_for(values, percent: bool = False) -> int:
    """3 decimals for metrics around 0-1, 2 for metrics on a 0-100 scale (BLEU, SQuAD F1)."""
    finite = [abs(float(v)) for v in values if not missing(v)]
    return 2 if percent or (finite and max(finite) >= 10) else 3


def num(value, digits: int = 3) -> str:
    if missing(value):
        return "–"
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text       # no "-0.000"


def interval(low, high, digits: int = 3) -> str:
    if missing(low) or missing(high):
        return "–"
    return f"[{num(low, digits)}, {num(high, digits)}]"


def p_value(value) -> str:
    """A p-value as a reader wants it: two significant digits, '< 0.001' below that."""
    if missing(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.2g}"


def points(value) -> str:
    """A normalized 0-1 score as 0-100 points."""
    return "–" if missing(value) else f"{100 * float(value):.1f}"


def human_bytes(value) -> str:
    if missing(value):
        return "–"
    value = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return "–"


def human_count(value) -> str:
    if missing(value):
        return "–"
    value = float(value)
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


def rate(value, digits: int = 1) -> str:
    return "–" if missing(value) else f"{float(value):,.{digits}f}"


def ratio(a, b) -> str:
    """How many times a is b, for sentences: '2.1×'."""
    if missing(a) or missing(b) or float(b) == 0:
        return "?×"
    r = float(a) / float(b)
    return f"{r:.1f}×" if r < 10 else f"{r:.0f}×"


def superscript(number: int) -> str:
    return str(number).translate(SUPERSCRIPT)
