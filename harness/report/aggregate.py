"""From job records to the numbers every output shows.

`build(run)` returns a `Leaderboard`:
- `cells`: one row per entry × task (an entry is a model, or a model + tuning when a run mixes tunings):
  mean / std / 95 % interval of the primary metric over the seeds that finished ok, seed and status counts,
  the normalized score, the rank on the task, whether the entry is the task's best or statistically tied with
  it, and cost figures (means over seeds; peak memory is the maximum);
- `overall`: one row per entry, ordered best first: mean normalized score over the tasks it completed, its
  interval, average rank, coverage (tasks ok / tasks asked), and cost figures summarised over tasks;
- `tasks`: one row per task: metric, direction, normalization and whether bundled samples were used;
- `footnotes`: the reasons behind every "n/a" and "failed" cell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.report.load import RunData
from harness.report.normalize import Scale, scale_for
from harness.report.resample import bootstrap_interval, seed_for
from harness.report.stats import pareto_front, t_half_widths

KEYS = ["entry", "task"]
TASK_FAMILY_ORDER = ("classification", "ner", "qa", "translation", "summarization", "similarity")


@dataclass
class Footnote:
    number: int
    status: str
    text: str
    where: list[str] = field(default_factory=list)


@dataclass
class Leaderboard:
    run: RunData
    cells: pd.DataFrame
    overall: pd.DataFrame
    tasks: pd.DataFrame
    footnotes: list[Footnote]
    scales: dict[str, Scale]

    @property
    def entries(self) -> list[str]:
        return list(self.overall["entry"])

    @property
    def task_names(self) -> list[str]:
        return list(self.tasks["task"])

    @property
    def show_tuning(self) -> bool:
        return self.run.frame["tuning"].nunique() > 1

    def cell(self, entry: str, task: str) -> dict | None:
        """One entry × task row as a dict (None when the pair was never run)."""
        return self._index.get((entry, task))

    def rows(self, task: str | None = None) -> list[dict]:
        """The cells as dicts, in display order (optionally of one task)."""
        return self._rows if task is None else self._by_task.get(task, [])

    def __post_init__(self):
        self._rows = self.cells.to_dict("records")
        self._index = {(r["entry"], r["task"]): r for r in self._rows}
        self._by_task: dict[str, list[dict]] = {}
        for row in self._rows:
            self._by_task.setdefault(row["task"], []).append(row)
        self._memo: dict = {}

    @property
    def selection(self):
        """The hyperparameter grid with mean validation scores, or None when the run had no grid."""
        return self._selection if hasattr(self, "_selection") else (self.run.selection if self.run else None)

    def for_plots(self) -> "Leaderboard":
        """A copy without the raw records (cheap to send to a plotting process)."""
        light = Leaderboard(run=None, cells=self.cells, overall=self.overall, tasks=self.tasks,
                            footnotes=self.footnotes, scales=self.scales)
        light._selection = self.selection
        return light

    def memo(self, key, make):
        """Tables are rendered into several formats; build each once."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    @property
    def memory_kind(self) -> str:
        kinds = set(self.cells.loc[self.cells["status"] == "ok", "memory_kind"].dropna())
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def any_sample(self) -> bool:
        return bool(self.tasks["sample"].any())


def build(run: RunData, bootstrap: bool = True) -> Leaderboard:
    frame = run.frame
    task_order = _task_order(frame, run.info)
    entry_first = list(dict.fromkeys(frame["entry"]))
    cells = _cells(frame, run, bootstrap)
    tasks, scales = _tasks(cells, frame, task_order)
    cells = _normalize_and_rank(cells, scales)
    footnotes = _footnotes(cells)
    overall = _overall(cells, entry_first, task_order)
    cells["entry_order"] = cells["entry"].map({e: i for i, e in enumerate(overall["entry"])})
    cells["task_order"] = cells["task"].map({t: i for i, t in enumerate(tasks["task"])})
    cells = cells.sort_values(["task_order", "entry_order"]).reset_index(drop=True)
    return Leaderboard(run=run, cells=cells, overall=overall, tasks=tasks, footnotes=footnotes, scales=scales)


def _task_order(frame: pd.DataFrame, info: dict) -> list[str]:
    present = list(dict.fromkeys(frame["task"]))
    asked = [t for t in (info.get("tasks") or []) if isinstance(t, str)]
    order = list(dict.fromkeys([*asked, *present]))
    family = frame.groupby("task")["task_family"].first().to_dict()

    def key(task):
        fam = family.get(task, "")
        return (TASK_FAMILY_ORDER.index(fam) if fam in TASK_FAMILY_ORDER else len(TASK_FAMILY_ORDER), fam,
                order.index(task))
    return sorted((t for t in order if t in family), key=key)


def _cells(frame: pd.DataFrame, run: RunData, bootstrap: bool) -> pd.DataFrame:
    groups = frame.groupby(KEYS, sort=False)
    meta = groups[["model", "tuning", "architecture", "task_family", "kind", "primary_metric", "higher_is_better",
                   "device"]].first()
    counts = frame.groupby([*KEYS, "status"], sort=False).size().unstack(fill_value=0)
    for status in ("ok", "failed", "unsupported"):
        if status not in counts:
            counts[status] = 0
    cells = meta.join(counts[["ok", "failed", "unsupported"]].rename(
        columns={"ok": "n_ok", "failed": "n_failed", "unsupported": "n_unsupported"}))
    cells["jobs"] = groups.size()
    cells["sample"] = groups["sample"].any()
    errors = frame.loc[frame["status"] != "ok"].groupby(KEYS, sort=False)["error"].first()
    cells["error"] = errors.reindex(cells.index).astype(object)
    cells["error"] = cells["error"].where(cells["error"].notna(), None)

    ok = frame.loc[(frame["status"] == "ok") & frame["score"].notna()]
    g = ok.groupby(KEYS, sort=False)
    stats = g.agg(n=("score", "size"), mean=("score", "mean"), std=("score", "std"), params=("params", "max"),
                  trainable_params=("trainable_params", "max"),
                  train_samples_per_s=("train_samples_per_s", "mean"),
                  train_tokens_per_s=("train_tokens_per_s", "mean"),
                  latency_ms_p50=("latency_ms_p50", "mean"), latency_ms_p95=("latency_ms_p95", "mean"),
                  peak_gpu_bytes=("peak_gpu_bytes", "max"), peak_rss_bytes=("peak_rss_bytes", "max"),
                  eval_examples=("eval_examples", "max"), job=("job", "first"))
    stats["seeds"] = g["seed"].agg(lambda s: ",".join(str(int(x)) for x in sorted(s.dropna())))
    cells = cells.join(stats)
    cells["n"] = cells["n"].fillna(0).astype(int)
    cells["status"] = np.where(cells["n"] > 0, "ok", np.where(cells["n_unsupported"] == cells["jobs"],
                                                              "unsupported", "failed"))
    cells["partial"] = (cells["n"] > 0) & (cells["n"] < cells["jobs"])
    gpu = cells["peak_gpu_bytes"].notna() & (cells["peak_gpu_bytes"] > 0)
    cells["peak_memory_bytes"] = np.where(gpu, cells["peak_gpu_bytes"], cells["peak_rss_bytes"])
    cells["memory_kind"] = np.where(gpu, "GPU", np.where(cells["peak_rss_bytes"].notna(), "RSS", None))

    half = t_half_widths(cells["std"].to_numpy(), cells["n"].to_numpy())
    cells["ci_low"] = cells["mean"] - half
    cells["ci_high"] = cells["mean"] + half
    cells["ci_method"] = np.where(cells["n"] >= 2, "t", None)
    cells["ci_note"] = None
    single = cells.index[cells["n"] == 1]
    for key in single:
        row = cells.loc[key]
        if not bootstrap:
            result_note, low, high = "bootstrap skipped", None, None
        else:
            stored = run.predictions(row["job"])
            if stored is None:
                result_note, low, high = "one seed and no stored predictions to resample", None, None
            else:
                result = bootstrap_interval(row["kind"], row["primary_metric"], stored.get("predictions"),
                                            stored.get("references"), row["mean"], seed_for(row["job"]))
                result_note, low, high = result.note, result.low, result.high
        if low is not None:
            cells.loc[key, ["ci_low", "ci_high", "ci_method"]] = [low, high, "bootstrap"]
        else:
            cells.loc[key, "ci_note"] = result_note
    return cells.reset_index()


def _tasks(cells: pd.DataFrame, frame: pd.DataFrame, order: list[str]) -> tuple[pd.DataFrame, dict[str, Scale]]:
    rows, scales = [], {}
    sample = frame.groupby("task")["sample"].any()
    for task in order:
        mine = cells[cells["task"] == task]
        first = mine.iloc[0]
        ok = mine[mine["status"] == "ok"]
        scale = scale_for(first["kind"], first["primary_metric"], bool(first["higher_is_better"]), ok["mean"])
        scales[task] = scale
        rows.append({"task": task, "task_family": first["task_family"], "kind": first["kind"],
                     "metric": first["primary_metric"], "higher_is_better": bool(first["higher_is_better"]),
                     "normalization": scale.method, "normalization_note": scale.describe(first["primary_metric"]),
                     "sample": bool(sample.get(task, False)), "entries_ok": int(len(ok)),
                     "entries": int(len(mine))})
    return pd.DataFrame(rows), scales


def _normalize_and_rank(cells: pd.DataFrame, scales: dict[str, Scale]) -> pd.DataFrame:
    cells = cells.copy()
    for column in ("norm", "norm_low", "norm_high", "rank"):
        cells[column] = np.nan
    for task, index in cells.groupby("task", sort=False).groups.items():
        scale = scales[task]
        a, b = scale.apply(cells.loc[index, "ci_low"]), scale.apply(cells.loc[index, "ci_high"])
        cells.loc[index, "norm"] = scale.apply(cells.loc[index, "mean"])
        cells.loc[index, "norm_low"] = np.fmin(a, b)
        cells.loc[index, "norm_high"] = np.fmax(a, b)
    ok = cells["status"] == "ok"
    # Orient every metric so that larger is better; rank and find the best per task on that.
    oriented = cells["mean"].where(ok) * np.where(cells["higher_is_better"].astype(bool), 1.0, -1.0)
    cells["rank"] = oriented.groupby(cells["task"]).rank(ascending=False, method="min")
    top = oriented.groupby(cells["task"]).transform("max")
    cells["best"] = ok & (oriented == top)                        # exact ties are all best
    # The best entry's interval per task (the first of several exact ties).
    best = cells[cells["best"]].drop_duplicates("task").set_index("task")
    best_low = cells["task"].map(best["ci_low"]).astype(float)
    best_high = cells["task"].map(best["ci_high"]).astype(float)
    low, high = cells["ci_low"].astype(float), cells["ci_high"].astype(float)
    known = ok & ~cells["best"] & low.notna() & high.notna() & best_low.notna() & best_high.notna()
    tied = (low <= best_high) & (best_low <= high)
    cells["tied_with_best"] = pd.Series([bool(t) if k else None for k, t in zip(known, tied)], index=cells.index,
                                        dtype=object)
    cells.loc[~ok | cells["best"], "tied_with_best"] = None
    return cells


def _footnotes(cells: pd.DataFrame) -> list[Footnote]:
    notes: dict[tuple[str, str], Footnote] = {}
    cells["footnote"] = None
    for i in cells.index[(cells["status"] != "ok") | cells["partial"]]:
        row = cells.loc[i]
        status = row["status"] if row["status"] != "ok" else "partly failed"
        text = _short(row["error"] or "no reason recorded")
        if row["partial"]:
            text = f"{row['n']} of {row['jobs']} seeds finished; the others failed: {text}"
        key = (status, text)
        if key not in notes:
            notes[key] = Footnote(len(notes) + 1, status, text)
        notes[key].where.append(f"{row['entry']} × {row['task']}")
        cells.at[i, "footnote"] = notes[key].number
    return list(notes.values())


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _overall(cells: pd.DataFrame, entry_first: list[str], task_order: list[str]) -> pd.DataFrame:
    every = cells.groupby("entry", sort=False)
    overall = every[["model", "tuning", "architecture"]].first()
    status = cells.groupby(["entry", "status"], sort=False).size().unstack(fill_value=0)
    overall["tasks_asked"] = len(task_order)
    ok = cells[cells["status"] == "ok"].copy()
    # Tasks are independent samples: the half width of a mean of k estimates is √(Σ h²) / k.
    ok["h2"] = ((ok["norm_high"] - ok["norm_low"]) / 2) ** 2
    g = ok.groupby("entry", sort=False)
    stats = g.agg(tasks_ok=("norm", "size"), score=("norm", "mean"), h2=("h2", "sum"), h2_known=("h2", "count"),
                  avg_rank=("rank", "mean"), params=("params", "max"), params_min=("params", "min"),
                  trainable_params=("trainable_params", "max"),
                  train_samples_per_s=("train_samples_per_s", "mean"),
                  train_tokens_per_s=("train_tokens_per_s", "mean"), latency_ms_p50=("latency_ms_p50", "mean"),
                  latency_ms_p50_max=("latency_ms_p50", "max"), peak_memory_bytes=("peak_memory_bytes", "max"),
                  seeds=("n", "max"), memory_kinds=("memory_kind", "nunique"), memory_kind=("memory_kind", "first"))
    overall = overall.join(stats)
    overall["tasks_ok"] = overall["tasks_ok"].fillna(0).astype(int)
    overall["coverage"] = overall["tasks_ok"].astype(str) + "/" + overall["tasks_asked"].astype(str)
    for name in ("failed", "unsupported"):
        overall[f"tasks_{name}"] = status[name].reindex(overall.index).fillna(0).astype(int) \
            if name in status else 0
    width = np.sqrt(overall["h2"]) / overall["tasks_ok"].replace(0, np.nan)
    width = width.where(overall["h2_known"] == overall["tasks_ok"])
    overall["score_low"] = overall["score"] - width
    overall["score_high"] = overall["score"] + width
    overall["memory_kind"] = overall["memory_kind"].where(overall["memory_kinds"] <= 1, "mixed")
    overall["sample"] = every["sample"].any()
    overall["first_seen"] = [entry_first.index(e) if e in entry_first else len(entry_first) for e in overall.index]
    overall = overall.reset_index().sort_values(["score", "avg_rank", "first_seen"], ascending=[False, True, True],
                                                na_position="last").reset_index(drop=True)
    overall["rank"] = np.arange(1, len(overall) + 1)
    overall["best"] = False
    overall["tied_with_best"] = None
    if len(overall) and not math.isnan(overall.loc[0, "score"]):
        overall.loc[0, "best"] = True
        best_low, best_high = overall.loc[0, "score_low"], overall.loc[0, "score_high"]
        low, high = overall["score_low"], overall["score_high"]
        known = low.notna() & high.notna() & (not math.isnan(best_low)) & (overall.index > 0)
        tied = (low <= best_high) & (best_low <= high)
        overall["tied_with_best"] = pd.Series([bool(t) if k else None for k, t in zip(known, tied)], dtype=object)
    values = overall[["score", "train_samples_per_s"]].to_numpy(dtype=float)
    overall["pareto_speed"] = pareto_front(values, [True, True])
    values = overall[["score", "peak_memory_bytes"]].to_numpy(dtype=float)
    overall["pareto_memory"] = pareto_front(values, [True, False])
    columns = ["entry", "model", "tuning", "architecture", "params", "params_min", "trainable_params", "tasks_ok",
               "tasks_asked",
               "coverage", "tasks_failed", "tasks_unsupported", "score", "score_low", "score_high", "avg_rank",
               "train_samples_per_s", "train_tokens_per_s", "latency_ms_p50", "latency_ms_p50_max",
               "peak_memory_bytes", "memory_kind", "sample", "seeds", "rank", "best", "tied_with_best",
               "pareto_speed", "pareto_memory"]
    return overall[columns]
