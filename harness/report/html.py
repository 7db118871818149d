"""report.html: one self-contained page (inline CSS, a few lines of inline JS, plots as data: URIs), rendered from the
report outline through the Jinja2 templates in templates/.

Autoescaping is on, so every string that comes from a run (model names, task names, errors, paths, settings) is
escaped wherever a template shows it, and the page's Content-Security-Policy forbids loading anything from outside
the page: a hostile model directory name can neither run script nor fetch anything.
"""
from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from harness.report import tables as T
from harness.report.aggregate import Leaderboard
from harness.report.outline import outline, where
from harness.report.text import BOLD, printable


def render_html(lb: Leaderboard, plot_files: dict[str, Path] | None = None) -> str:
    drawn = {name: Path(path) for name, path in (plot_files or {}).items() if Path(path).is_file()}
    images = {name: "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
              for name, path in drawn.items()}
    return _environment().get_template("report.html").render(report=outline(lb, list(drawn)), images=images)


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("harness.report", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, finalize=_printable)
    env.filters.update(prose=prose, sort_key=sort_key, css_classes=css_classes, where=where)
    return env


def _printable(value):
    """Every string a template shows loses its control characters (autoescaping then escapes the rest); markup
    we made (the prose filter's) is already clean."""
    from markupsafe import Markup

    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def prose(text: str):
    """Our prose: escaped, then its bold marks (harness.report.text.bold) turned into <b>."""
    from markupsafe import Markup, escape

    clean = BOLD.join(printable(part) for part in str(text).split(BOLD))
    return Markup(re.sub(f"{BOLD}(.+?){BOLD}", r"<b>\1</b>", str(escape(clean))).replace(BOLD, ""))


def sort_key(cell: T.Cell) -> str:
    """What the sort script compares: the number itself, the lowercased text, or "" (missing: always last)."""
    if cell.sort is None:
        return ""
    return repr(float(cell.sort)) if isinstance(cell.sort, float) else str(cell.sort)


def css_classes(cell: T.Cell) -> str:
    classes = []
    if cell.numeric:
        classes.append("num")
    if cell.text in ("n/a", "failed") and cell.sort is None:
        classes.append("status")
    if cell.best:
        classes.append("best")
    if cell.pareto:
        classes.append("pareto")
    return " ".join(classes)
