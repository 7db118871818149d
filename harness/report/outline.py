"""The report as an outline of sections, each with a title, an introduction, a table, notes, figures or settings:
report.md and report.html both render this one list, so a section is added once.

Text in a section is plain: the renderers escape it for their format. Introductions are our own prose and may mark
words **bold**.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.report import tables as T
from harness.report.aggregate import Footnote, Leaderboard
from harness.report.cost_table import cost_table
from harness.report.figures import FIGURES, Figure
from harness.report.glue_score import glue_table
from harness.report.run_facts import method_lines, normalization_lines, settings_lines, summary_parts, version_lines


@dataclass
class Section:
    key: str                                # the HTML anchor
    title: str
    nav: str | None = None                  # the HTML navigation's link text; None: not linked
    intro: list[str] = field(default_factory=list)   # one paragraph before the table (HTML: a <p> per sentence)
    muted: bool = False                     # HTML: the introduction in the muted style
    table: T.Table | None = None
    footnotes: list[Footnote] = field(default_factory=list)    # why cells are n/a or failed
    list_title: str | None = None           # a titled bullet list after the table
    items: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)
    versions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Outline:
    title: str
    sample_tasks: str | None                # tasks computed on the bundled samples: the banner names them
    summary: tuple[str, str | None, list[str]]      # run_facts.summary_parts
    sections: list[Section]


def outline(lb: Leaderboard, plots=()) -> Outline:
    """The report's sections in order; plots: the file names of the figures that were drawn."""
    overall = T.overall_table(lb)
    sections = [Section("overall", overall.title, "Overall", overall.intro, table=overall, footnotes=lb.footnotes,
                        list_title="Normalization (per task, to 0–1 before averaging)",
                        items=normalization_lines(lb))]
    glue = glue_table(lb)
    if glue is not None:
        sections.append(_table_section(glue, "glue", "GLUE"))
    sections += [_table_section(table, table.key, table.title, muted=True) for table in T.family_tables(lb)]
    selection = T.selection_table(lb)
    if selection is not None:
        sections.append(_table_section(selection, "selection", "Selection", muted=True))
    sections.append(_table_section(cost_table(lb), "cost", "Cost"))
    sections.append(Section("method", "Method", paragraphs=method_lines(lb)))
    drawn = [figure for figure in FIGURES if figure.file in plots]
    if drawn:
        sections.append(Section("plots", "Plots", "Plots", figures=drawn))
    sections.append(Section("settings", "Settings and versions", "Settings", settings=settings_lines(lb),
                            versions=version_lines(lb)))
    sample = ", ".join(lb.tasks.loc[lb.tasks["sample"], "task"]) if lb.any_sample else None
    return Outline(f"Leaderboard: {lb.run.name}", sample, summary_parts(lb), sections)


def _table_section(table: T.Table, key: str, nav: str, muted: bool = False) -> Section:
    return Section(key, table.title, nav, table.intro, muted=muted, table=table)


def where(note: Footnote) -> str:
    """The cells a footnote is about: the first six, then how many more."""
    return ", ".join(note.where[:6]) + (f" and {len(note.where) - 6} more" if len(note.where) > 6 else "")
