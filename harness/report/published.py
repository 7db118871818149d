"""Published reference scores beside a run's: the "published (Δ)" column of the per-task tables.

A task card may carry the figures a model's authors (or a reference script) published (`references`, see
harness/tasks/references.py). A leaderboard cell is set beside such a figure when
- its model is the reference's model: the same hub id once aliases are resolved (`bert` is
  google-bert/bert-base-uncased), a legacy id without its organisation (`bert-base-cased`) included;
- every seed behind it trained in full (`--tuning full`: published figures are full fine-tunes) on all of the
  card's data and was tested on the official test split: no bundled sample, no --max-train-samples or
  --max-eval-samples, no step or time budget, no test split carved out of a training file. Anything less measures
  the recipe's shortcut, not the model, so it is never compared (the table says which cells were left out, and why).

A cell more than TOLERANCE points below its reference is flagged: a gap that size is far beyond seed-to-seed
variation on these tasks, so it points at the recipe (epochs, learning rate, maximum length, data handling) rather
than at the model. References are read from the cards when the report is made, not from the records: they are
facts about models, not results of the run, and a corrected figure applies to earlier runs too.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.models.aliases import ALIASES
from harness.report import format as fmt
from harness.report.aggregate import Leaderboard
from harness.report.tables import Cell, Table
from harness.report.text import printable
from harness.tasks.references import Reference

# How far below its published figure a run may fall, in points (0.03 on a 0-1 metric), before it is flagged.
TOLERANCE = 3.0
FLAG = "⚠"
COLUMN = "published (Δ)"
# Organisations the hub moved legacy un-namespaced ids to: `bert-base-cased` is google-bert/bert-base-cased.
LEGACY_ORGS = ("google-bert", "distilbert", "facebookai", "openai-community", "google-t5")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Comparison:
    entry: str
    task: str
    reference: Reference
    run: float              # mean over seeds, in points
    seeds: int
    scale: float            # points per unit of the metric as records hold it (100 for fractions, else 1)

    @property
    def delta(self) -> float:
        return self.run - self.reference.value

    def flagged(self, higher_is_better: bool = True) -> bool:
        return (-self.delta if higher_is_better else self.delta) > TOLERANCE


@dataclass(frozen=True)
class Skipped:
    entry: str
    task: str
    model: str
    why: str


def model_matches(reference_model: str, record: dict) -> bool:
    """Whether a record's model is the reference's: hub ids compared once aliases are resolved (case aside), or the
    model named exactly as the reference names it."""
    model = str(record.get("model") or "")
    ours = (_hub_id(model) if model in ALIASES else str(record.get("model_id") or model)).casefold()
    theirs = _hub_id(reference_model).casefold()
    org, _, name = theirs.partition("/")
    return ours == theirs or model.casefold() == reference_model.casefold() or \
        ("/" not in ours and org in LEGACY_ORGS and ours == name)


def _hub_id(model: str) -> str:
    return ALIASES[model].hub_id if model in ALIASES else model


def not_comparable(record: dict) -> str | None:
    """Why a record's score does not compare with a published figure; None when it does."""
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    hp = record.get("hyperparameters") if isinstance(record.get("hyperparameters"), dict) else {}
    if data.get("sample"):
        return "bundled sample"
    for key, why in (("max_train_samples", "--max-train-samples"), ("max_eval_samples", "--max-eval-samples"),
                     ("budget_steps", "--budget-steps"), ("budget_seconds", "--budget-seconds")):
        if hp.get(key) is not None:
            return why
    if (record.get("tuning") or "full") != "full":
        return f"--tuning {record.get('tuning')}"
    if str(data.get("description") or "").endswith("(test carved from train)"):
        return "test carved from the training file"
    used, sizes = data.get("used") or {}, data.get("sizes") or {}
    if any(isinstance(used.get(r), int) and isinstance(sizes.get(r), int) and used[r] < sizes[r]
           for r in ("train", "test")):
        return "part of the data"
    return None


def comparisons(lb: Leaderboard) -> tuple[list[Comparison], list[Skipped]]:
    """Every (entry, task, reference) the run can be compared on, and the cells left out with the reason."""
    return lb.memo("published", lambda: _comparisons(lb))


def _comparisons(lb: Leaderboard) -> tuple[list[Comparison], list[Skipped]]:
    if lb.run is None:
        return [], []
    frame = lb.run.frame
    ok = frame[frame["status"] == "ok"]
    if ok.empty:
        return [], []
    references = run_references(lb.run.info, set(ok["task"]))
    by_job = {r.get("job"): r for r in lb.run.records}
    cells: dict[tuple[str, str], list[dict]] = {}
    for entry, task, job in zip(ok["entry"], ok["task"], ok["job"]):
        if references.get(task) and job in by_job:
            cells.setdefault((entry, task), []).append(by_job[job])
    found, skipped = [], []
    for (entry, task), records in cells.items():
        matching = [ref for ref in references[task] if all(model_matches(ref.model, r) for r in records)]
        if not matching:
            continue
        why = next((w for w in map(not_comparable, records) if w), None)
        if why:
            skipped.append(Skipped(entry, task, matching[0].model, why))
            continue
        found += [c for ref in matching if (c := _compare(entry, task, ref, records)) is not None]
    return found, skipped


def _compare(entry: str, task: str, reference: Reference, records: list[dict]) -> Comparison | None:
    values = [(r.get("metrics") or {}).get(reference.metric) for r in records]
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        return None
    scale = 100.0 if _unit_scale(records[0], reference.metric) else 1.0
    return Comparison(entry, task, reference, scale * sum(values) / len(values), len(values), scale)


def _unit_scale(record: dict, metric: str) -> bool:
    """Whether the metric is recorded as a fraction (0-1 or -1..1), i.e. published figures are 100 times it."""
    from harness.report.normalize import spec_for

    if metric == record.get("primary_metric") and record.get("metric_scale"):
        return record["metric_scale"] in ("unit", "signed")
    return spec_for(str(record.get("kind")), metric).scale in ("unit", "signed")


def run_references(info: dict, tasks: set[str]) -> dict[str, tuple[Reference, ...]]:
    """The references of the run's tasks, from the bundled cards and the run's --tasks-dir folders (which override
    them, as when the run was planned). A card that no longer loads just has none."""
    from harness.paths import cards_dir
    from harness.tasks.card import load_card

    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    extra = config.get("tasks_dir") or []
    folders = [cards_dir(), *(Path(str(d)).expanduser() for d in (extra if isinstance(extra, list) else [extra]))]
    out: dict[str, tuple[Reference, ...]] = {}
    for folder in folders:
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []
        for file in files:
            try:
                card = load_card(file)
            except UserError as exc:
                logger.debug("no published references from %s: %s", file, exc)
                continue
            if card.name in tasks:
                out[card.name] = card.references
    return out


def with_published(lb: Leaderboard, table: Table) -> Table:
    """A per-task table (task, entry, mean, ...) with the published column after `mean` and sentences naming the
    figures, their sources and the cells left out; the table as it was when nothing in it compares."""
    found, skipped = comparisons(lb)
    tasks = {row[0].text for row in table.rows}
    found = [c for c in found if c.task in tasks]
    skipped = [s for s in skipped if s.task in tasks]
    intro = list(table.intro) + _sentences(lb, found, skipped)
    if not found:
        return Table(table.key, table.title, table.columns, table.rows, intro, table.numeric)
    at = table.columns.index("mean") + 1
    rows = [row[:at] + [_cell(lb, found, row[0].text, row[1].text)] + row[at:] for row in table.rows]
    return Table(table.key, table.title, table.columns[:at] + [COLUMN] + table.columns[at:], rows, intro,
                 table.numeric)


def _cell(lb: Leaderboard, found: list[Comparison], task: str, entry: str) -> Cell:
    primary = _primary(lb, task)
    match = next((c for c in found if c.task == task and c.entry == entry and c.reference.metric == primary), None)
    if match is None:
        return Cell("–", sort=None)
    digits = 4 if match.scale == 100 else 2
    flag = f" {FLAG}" if match.flagged(_higher(lb, task)) else ""
    shown = f"{fmt.num(match.reference.value / match.scale, digits)} " \
            f"(Δ {fmt.num(match.delta / match.scale, digits)}){flag}"
    return Cell(shown, sort=match.reference.value, numeric=True,
                title=f"{match.reference.recipe}; source: {match.reference.source}")


def _primary(lb: Leaderboard, task: str) -> str:
    return str(lb.tasks.set_index("task").loc[task, "metric"])


def _higher(lb: Leaderboard, task: str) -> bool:
    return bool(lb.tasks.set_index("task").loc[task, "higher_is_better"])


def _sentences(lb: Leaderboard, found: list[Comparison], skipped: list[Skipped]) -> list[str]:
    out = []
    if found:
        out.append(f"Published (Δ) = the figure the model's authors or a reference script published for this model "
                   f"on the same test split, and this run's mean minus it, on the metric's own scale. {FLAG} = "
                   f"more than {TOLERANCE:g} points ({TOLERANCE / 100:g} on a 0–1 metric) below it: far beyond "
                   "seed-to-seed variation, so most likely a recipe problem (epochs, learning rate, maximum length, "
                   "data handling) rather than a property of the model. Only full fine-tuning on all of the card's "
                   "data is compared.")
    out += [_comparison_sentence(c, c.flagged(_higher(lb, c.task))) for c in found]
    out += [f"{printable(s.task)}, {printable(s.entry)}: not compared with the figure published for "
            f"{printable(s.model)} ({s.why}: a reduced run measures the shortcut, not the model)." for s in skipped]
    return out


def _comparison_sentence(c: Comparison, flagged: bool) -> str:
    ref = c.reference
    seeds = f"{c.seeds} seed{'' if c.seeds == 1 else 's'}"
    return (f"{printable(c.task)}, {printable(c.entry)}: {ref.metric} {fmt.num(c.run, 2)} (mean of {seeds}, in "
            f"points) against {ref.value:g} published for {printable(ref.model)} on {ref.split}, "
            f"Δ {fmt.num(c.delta, 2)}{f' {FLAG}' if flagged else ''}; recipe: {printable(ref.recipe)}; "
            f"source: {printable(ref.source)}.")
