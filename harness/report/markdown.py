"""report.md, and the plain-text leaderboard printed to the terminal."""
from __future__ import annotations

import re
import unicodedata

from harness.report import tables as T
from harness.report.aggregate import Leaderboard
from harness.report.format import superscript
from harness.report.outline import Section, outline, where
from harness.report.text import BOLD, printable

# Intraword underscores never emphasize in CommonMark, so x86_64 and batch_size stay readable in the raw file.
# ~~ strikes through in GitHub's Markdown.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|<>~]|(?<!\w)_|_(?!\w))")


def md_escape(value: str) -> str:
    """Make a user string inert in Markdown: no markup, no raw HTML, no control characters, one line."""
    return _inert(" ".join(printable(value).split()))


def _inert(value: str) -> str:
    value = value.replace("&", "&amp;")
    return _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), value)


def md_cell(cell: T.Cell) -> str:
    out = cell.text if cell.numeric else md_escape(cell.text)       # numbers are ours: nothing to escape
    if cell.best and out:
        out = f"**{out}**"
    if cell.tie:
        out += " ≈"
    if cell.sample:
        out += " †"
    if cell.footnote:
        out += superscript(int(cell.footnote))
    return out


def md_table(table: T.Table) -> str:
    header = "| " + " | ".join(md_escape(c) for c in table.columns) + " |"
    align = "|" + "|".join("---:" if _numeric_column(table, i) else "---" for i in range(len(table.columns))) + "|"
    body = ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join([header, align, *body])


def _numeric_column(table: T.Table, index: int) -> bool:
    return bool(table.rows) and all(row[index].numeric or row[index].sort is None for row in table.rows) and \
        any(row[index].numeric for row in table.rows)


def md_prose(text: str) -> str:
    """Our prose: escaped like a user string, except its bold marks (harness.report.text.bold)."""
    return "**".join(_inert(printable(part)) for part in " ".join(str(text).split()).split(BOLD))


def render_markdown(lb: Leaderboard, plots: list[str] = ()) -> str:
    report = outline(lb, plots)
    parts = [f"# {md_escape(report.title)}", ""]
    if report.sample_tasks:
        parts += [f"> **Bundled sample data (†).** Results on {md_escape(report.sample_tasks)} were computed on the "
                  "small synthetic samples shipped with harness: they show that the pipeline works, not how good a "
                  "model is.", ""]
    parts += [_summary(*report.summary), ""]
    for section in report.sections:
        parts += _section(section)
    return "\n".join(parts)


def _section(section: Section) -> list[str]:
    parts = [f"## {md_escape(section.title)}", ""]
    if section.intro:
        parts += [md_prose(" ".join(section.intro)), ""]
    if section.table is not None:
        parts += [md_table(section.table), ""]
    parts += _footnotes(section.footnotes)
    if section.list_title:
        parts += [f"{md_escape(section.list_title)}:", "", *(f"- {md_escape(item)}" for item in section.items), ""]
    parts += [x for line in section.paragraphs for x in (md_escape(line), "")]
    parts += [x for figure in section.figures for x in (f"![{figure.caption}](plots/{figure.file})", "")]
    if section.settings or section.versions:
        parts += [f"- {md_escape(k)}: {md_escape(v)}" for k, v in section.settings]
        parts += ["- versions: " + "; ".join(f"{md_escape(k)} {md_escape(v)}" for k, v in section.versions), ""]
    return parts


def _summary(head: str, best: str | None, ties: list[str]) -> str:
    text = md_escape(head)
    if best:
        text += f". Best overall: **{md_escape(best)}**"
        if ties:
            text += f" (not significantly ahead of {md_escape(', '.join(ties))})"
    return text + "."


def _footnotes(notes: list) -> list[str]:
    if not notes:
        return []
    lines = [f"{superscript(note.number)} {md_escape(note.status)}: {md_escape(note.text)} "
             f"({md_escape(where(note))})  " for note in notes]
    return lines + [""]


# --- the terminal --------------------------------------------------------------------------------------------
def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def text_table(columns: list[str], rows: list[list[str]], numeric: list[bool] | None = None) -> str:
    rows = [[" ".join(str(c).split()) for c in row] for row in rows]
    widths = [max([_width(columns[i])] + [_width(r[i]) for r in rows]) for i in range(len(columns))]
    numeric = numeric or [False] * len(columns)

    def line(cells):
        return "  ".join((c.rjust(w + len(c) - _width(c)) if n else c.ljust(w + len(c) - _width(c)))
                         for c, w, n in zip(cells, widths, numeric)).rstrip()
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def render_terminal(lb: Leaderboard) -> str:
    """The overall leaderboard as a Markdown table (readable in a terminal, pastes into issues), then the legend."""
    short = T.overall_table(lb).without("95 % CI")
    legend = "**bold** = best; ≈ = not significantly different from the best (paired test, Holm-adjusted)"
    if lb.any_sample:
        legend += "; † = bundled sample data"
    notes = [f"{superscript(n.number)} {n.status}: {n.text}" for n in lb.footnotes]
    return "\n".join([md_table(short), "", legend, *notes])
