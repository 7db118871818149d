"""Strings from a run (model, task, device names, errors) made safe to show: no control characters, long ones
shortened where space is fixed; and the one mark our own prose may carry (bold), which no run string can fake."""
from __future__ import annotations

import re

# C0 and C1 control characters but tab and newline (ESC starts terminal escape sequences, NUL stops LaTeX), and the
# Unicode bidirectional marks, overrides and isolates, which reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Marks a bold span in our prose (see `bold`): a control character, so `printable` removes it from run strings
# and only our own text can carry it.
BOLD = "\x02"


def printable(value) -> str:
    """The string without control characters (tab and newline kept); every other character stays as it was."""
    return _CONTROL.sub("", str(value))


def bold(words: str) -> str:
    """Our prose's bold words: report.md shows them as **words**, report.html as <b>words</b>. A run string put into
    prose goes through `printable` first, so it cannot open or close a bold span."""
    return f"{BOLD}{words}{BOLD}"


def shorten(value, limit: int = 40) -> str:
    """A one-line label of at most `limit` characters: a longer one keeps its start and end around an ellipsis,
    where model names differ most (organisation, size suffix). For plots; tables keep the full name."""
    text = " ".join(printable(value).split())
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]
