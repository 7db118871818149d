"""The report's tables as plain data (cells with text, a sort key and marks), rendered by markdown, html and latex.

Marks on a cell: "best" (bold: best entry on the task / overall), "tie" (≈: a paired test against the best, Holm-
adjusted over the table's comparisons, finds no significant difference), "sample" (†: computed on the bundled
samples), a footnote number (why a cell is n/a or failed), "pareto" (★: on the Pareto front).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.report import format as fmt
from harness.report.aggregate import TASK_FAMILY_ORDER, Leaderboard
from harness.report.text import bold, printable

FAMILY_TITLES = {"classification": "Classification", "ner": "Named-entity recognition", "qa": "Question answering",
                 "translation": "Translation", "summarization": "Summarization", "similarity": "Similarity"}


@dataclass
class Cell:
    text: str
    sort: float | str | None = None      # None: missing, sorts last either way
    best: bool = False
    tie: bool = False
    sample: bool = False
    pareto: bool = False
    footnote: int | None = None
    title: str | None = None             # hover text in HTML
    numeric: bool = False


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    intro: list[str] = field(default_factory=list)        # sentences shown before the table
    numeric: list[bool] = field(default_factory=list)

    def without(self, column: str) -> Table:
        """The same table less one column (the terminal has no room for intervals, LaTeX for architectures)."""
        keep = [i for i, c in enumerate(self.columns) if c != column]
        return Table(self.key, self.title, [self.columns[i] for i in keep],
                     [[row[i] for i in keep] for row in self.rows])


def text(value) -> Cell:
    value = "" if value is None else str(value)
    return Cell(value, sort=value.lower())


def number(value, shown: str) -> Cell:
    return Cell(shown, sort=None if fmt.missing(value) else float(value), numeric=True)


def _digits(lb: Leaderboard) -> dict[str, int]:
    return lb.memo("digits", lambda: _task_digits(lb))


def _task_digits(lb: Leaderboard) -> dict[str, int]:
    out = {}
    for _, task in lb.tasks.iterrows():
        values = lb.cells.loc[lb.cells["task"] == task["task"], "mean"]
        out[task["task"]] = fmt.decimals_for(values, percent=task["normalization"] == "percent")
    return out


def status_cell(row) -> Cell:
    """The text of a cell that has no score: 'n/a' for unsupported pairs, 'failed' for failures."""
    shown = "n/a" if row["status"] == "unsupported" else "failed"
    return Cell(shown, sort=None, footnote=row["footnote"], title=None)


def score_cell(row, digits: int, with_interval_title: bool = True) -> Cell:
    if row["status"] != "ok":
        return status_cell(row)
    title = None
    if with_interval_title:
        title = (f"95% CI {fmt.interval(row['ci_low'], row['ci_high'], digits)}" if row["ci_method"]
                 else f"no interval: {row['ci_note']}")
    # Sample data is marked once, on the task's header, not on every cell.
    return Cell(fmt.num(row["mean"], digits), sort=float(row["mean"]), best=bool(row["best"]),
                tie=row["tied_with_best"] is True, footnote=row["footnote"],
                title=title, numeric=True)


def task_header(lb: Leaderboard, task: str) -> str:
    t = lb.tasks.set_index("task").loc[task]
    arrow = "" if t["higher_is_better"] else " ↓"
    return f"{task} ({t['metric']}){arrow}" + (" †" if t["sample"] else "")


def overall_table(lb: Leaderboard) -> Table:
    return lb.memo("overall", lambda: _overall_table(lb))


def _overall_table(lb: Leaderboard) -> Table:
    digits = _digits(lb)
    columns = ["#", "entry", "architecture", "overall (0–100)", "95 % CI", "P(best)", "avg rank", "coverage"]
    columns += [task_header(lb, t) for t in lb.task_names]
    rows = []
    for o in lb.overall.to_dict("records"):
        row = [number(o["rank"], str(o["rank"])), text(o["entry"]), text(o["architecture"])]
        overall = number(o["score"], fmt.points(o["score"]))
        overall.best, overall.tie = bool(o["best"]), o["tied_with_best"] is True
        overall.sample = bool(o["sample"])
        row += [overall,
                Cell(fmt.interval(100 * o["score_low"], 100 * o["score_high"], 1), sort=None if fmt.missing(
                    o["score_low"]) else float(o["score_low"]), numeric=True),
                probability_cell(o["p_best"]),
                number(o["avg_rank"], fmt.num(o["avg_rank"], 2)),
                Cell(o["coverage"], sort=o["tasks_ok"] / max(o["tasks_asked"], 1), numeric=True)]
        for task in lb.task_names:
            cell = lb.cell(o["entry"], task)
            row.append(Cell("–", sort=None) if cell is None else score_cell(cell, digits[task]))
        rows.append(row)
    intro = [
        "Overall = mean of the normalized primary scores over the tasks an entry completed, × 100 "
        "(normalization per task is listed below the table). Its 95 % CI and P(best) (the share of resamples in "
        "which the entry has the best overall score) come from the same bootstrap over seeds and test examples as "
        "the task intervals (see Method). Avg rank = mean rank over completed tasks (1 = best). Coverage = tasks "
        "ok / tasks asked.",
        f"Task columns show the mean primary metric over seeds; {bold('bold')} = best on the task; ≈ = a paired test "
        "against the best finds no significant difference (p ≥ 0.05 after Holm's correction over the entries "
        "compared with the best); ↓ = lower is better.",
    ]
    return Table("overall", "Overall leaderboard", columns, rows, intro)


def family_tables(lb: Leaderboard) -> list[Table]:
    from harness.report.published import with_published     # imports this module

    return lb.memo("families", lambda: [with_published(lb, table) for table in _family_tables(lb)])


def _family_tables(lb: Leaderboard) -> list[Table]:
    digits = _digits(lb)
    tables = []
    families = list(dict.fromkeys(lb.tasks["task_family"]))
    families.sort(key=lambda f: TASK_FAMILY_ORDER.index(f) if f in TASK_FAMILY_ORDER else len(TASK_FAMILY_ORDER))
    for family in families:
        tasks = lb.tasks[lb.tasks["task_family"] == family]
        rows = []
        for _, t in tasks.iterrows():
            d = digits[t["task"]]
            for c in lb.rows(t["task"]):
                score = score_cell(c, d, with_interval_title=False)
                if c["status"] != "ok":
                    interval, how, versus = Cell("–"), Cell("–"), Cell("–")
                else:
                    interval = Cell(fmt.interval(c["ci_low"], c["ci_high"], d),
                                    sort=None if fmt.missing(c["ci_low"]) else float(c["ci_low"]), numeric=True)
                    how = text(interval_method(c))
                    versus = versus_cell(c, d)
                counts = [f"{c['n_ok']} ok"] + [f"{c[k]} {s}" for k, s in (("n_failed", "failed"),
                                                                         ("n_unsupported", "unsupported")) if c[k]]
                rows.append([text(t["task"]), text(c["entry"]), score,
                             number(c["std"], fmt.num(c["std"], d)), interval, how,
                             Cell(c["seeds"] if isinstance(c["seeds"], str) and c["seeds"] else "–",
                                  sort=float(c["n"]), numeric=True),
                             text(", ".join(counts)), versus, probability_cell(c["p_best"])])
        # Run strings in prose go through printable: no control character can fake a bold mark.
        intro = ["; ".join(f"{printable(t['task'])}: {printable(t['metric'])} "
                           f"({'higher' if t['higher_is_better'] else 'lower'} is "
                           f"better{', bundled sample †' if t['sample'] else ''})" for _, t in tasks.iterrows())]
        tables.append(Table(f"family-{family}", FAMILY_TITLES.get(family, family.title()),
                            ["task", "entry", "mean", "std", "95 % CI", "interval", "seeds", "jobs",
                             "vs best: Δ [95 % CI], p (Holm)", "P(best)"], rows, intro))
    return tables


def interval_method(c) -> str:
    """How a cell's interval was obtained, in words."""
    examples = "" if fmt.missing(c["eval_examples"]) else f" ({int(c['eval_examples'])})"
    if c["ci_method"] == "seeds × examples":
        return f"bootstrap over {c['n']} seeds × test examples{examples}"
    if c["ci_method"] == "examples":
        return f"bootstrap over test examples{examples}"
    if c["ci_method"] == "seeds":
        return f"bootstrap over {c['n']} seeds only ({c['ci_note']})"
    return f"none: {c['ci_note']}"


def versus_cell(c, digits: int) -> Cell:
    """The difference from the task's best entry: Δ, its interval, the Holm-adjusted p-value and the test."""
    if c["best"]:
        return text("best")
    if c["p_holm"] is None or fmt.missing(c["p_holm"]):
        return text("unknown (no resamples)")
    verdict = "≈ not significant" if c["tied_with_best"] else "significantly worse"
    shown = (f"{fmt.num(c['delta_best'], digits)} {fmt.interval(c['delta_low'], c['delta_high'], digits)}, "
             f"p = {fmt.p_value(c['p_holm'])}: {verdict}")
    return Cell(shown, sort=float(c["p_holm"]), title=f"{c['test']}; unadjusted p = {fmt.p_value(c['p_value'])}")


def probability_cell(value) -> Cell:
    if value is None or fmt.missing(value):
        return Cell("–", sort=None)
    return Cell(f"{100 * value:.0f} %", sort=float(value), numeric=True)


def selection_table(lb: Leaderboard) -> Table | None:
    """Every grid point's mean validation score per entry and task; the chosen one (best on validation) bold."""
    grid = lb.selection
    if grid is None or grid.empty:
        return None
    rows = []
    for r in grid.to_dict("records"):
        shown = "–" if fmt.missing(r["validation_mean"]) else f"{r['validation_mean']:.4f}"
        rows.append([text(r["entry"]), text(r["task"]), text(r["setting"]),
                     Cell(shown, sort=None if fmt.missing(r["validation_mean"]) else r["validation_mean"],
                          best=bool(r["chosen"]), numeric=True),
                     number(r["seeds"], str(r["seeds"])), text("chosen" if r["chosen"] else "")])
    return Table("selection", "Hyperparameter selection (validation)",
                 ["entry", "task", "setting", "validation score (mean over seeds)", "seeds", ""], rows,
                 intro=["Each entry × task was trained at every setting of the grid; the setting with the best mean "
                        "validation score (bold) is the one whose test figures enter the tables above. The test "
                        "split takes no part in this choice."])
