"""report.md, and the plain-text leaderboard printed to the terminal."""
from __future__ import annotations

import re
import unicodedata

from harness.report import tables as T
from harness.report.aggregate import Leaderboard
from harness.report.figures import FIGURES
from harness.report.format import superscript

# Intraword underscores never emphasize in CommonMark, so x86_64 and batch_size stay readable in the raw file.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|<>]|(?<!\w)_|_(?!\w))")


def md_escape(value: str) -> str:
    """Make a user string inert in Markdown: no markup, no raw HTML, one line."""
    value = " ".join(str(value).split())
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


def render_markdown(lb: Leaderboard, plots: list[str] = ()) -> str:
    parts = [f"# Leaderboard: {md_escape(lb.run.name)}", ""]
    if lb.any_sample:
        tasks = ", ".join(lb.tasks.loc[lb.tasks["sample"], "task"])
        parts += [f"> **Bundled sample data (†).** Results on {md_escape(tasks)} were computed on the small "
                  "synthetic samples shipped with harness: they show that the pipeline works, not how good a "
                  "model is.", ""]
    parts += [_summary(lb), ""]
    overall = T.overall_table(lb)
    parts += [f"## {overall.title}", "", *(" ".join(overall.intro), ""), md_table(overall), ""]
    parts += _footnotes(lb)
    parts += ["Normalization (per task, to 0–1 before averaging):", ""]
    parts += [f"- {md_escape(line)}" for line in T.normalization_lines(lb)] + [""]
    for table in T.family_tables(lb):
        parts += [f"## {table.title}", "", md_escape(" ".join(table.intro)), "", md_table(table), ""]
    selection = T.selection_table(lb)
    if selection is not None:
        parts += [f"## {selection.title}", "", " ".join(selection.intro), "", md_table(selection), ""]
    cost = T.cost_table(lb)
    parts += [f"## {cost.title}", "", " ".join(cost.intro), "", md_table(cost), ""]
    parts += ["## Method", "", *(x for line in T.method_lines(lb) for x in (md_escape(line), ""))]
    if plots:
        parts += ["## Plots", ""]
        for figure in FIGURES:
            if figure.file in plots:
                parts += [f"![{figure.caption}](plots/{figure.file})", ""]
    parts += ["## Settings and versions", ""]
    parts += [f"- {md_escape(k)}: {md_escape(v)}" for k, v in T.settings_lines(lb)]
    parts += ["- versions: " + "; ".join(f"{md_escape(k)} {md_escape(v)}" for k, v in T.version_lines(lb)), ""]
    return "\n".join(parts)


def _summary(lb: Leaderboard) -> str:
    head, best, ties = T.summary_parts(lb)
    text = md_escape(head)
    if best:
        text += f". Best overall: **{md_escape(best)}**"
        if ties:
            text += f" (not significantly ahead of {md_escape(', '.join(ties))})"
    return text + "."


def _footnotes(lb: Leaderboard) -> list[str]:
    if not lb.footnotes:
        return []
    lines = []
    for note in lb.footnotes:
        where = ", ".join(note.where[:6]) + (f" and {len(note.where) - 6} more" if len(note.where) > 6 else "")
        lines.append(f"{superscript(note.number)} {note.status}: {md_escape(note.text)} ({md_escape(where)})  ")
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
    table = T.overall_table(lb)
    keep = [i for i, c in enumerate(table.columns) if c not in ("95 % CI",)]
    short = T.Table(table.key, table.title, [table.columns[i] for i in keep],
                    [[r[i] for i in keep] for r in table.rows])
    legend = "**bold** = best; ≈ = not significantly different from the best (paired test, Holm-adjusted)"
    if lb.any_sample:
        legend += "; † = bundled sample data"
    notes = [f"{superscript(n.number)} {n.status}: {n.text}" for n in lb.footnotes]
    return "\n".join([md_table(short), "", legend, *notes])
