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
from harness.report.stats import overlap, pareto_front, t_half_widths

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

    def cell(self, entry: str, task: str):
        hit = self._index.get((entry, task))
        return None if hit is None else self.cells.loc[hit]

    def __post_init__(self):
        self._index = {(e, t): i for i, (e, t) in enumerate(zip(self.cells["entry"], self.cells["task"]))}

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
    cells["error"] = errors.reindex(cells.index)

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
    cells["best"] = False
    cells["tied_with_best"] = None
    for task, index in cells.groupby("task", sort=False).groups.items():
        scale = scales[task]
        part = cells.loc[index]
        norm = scale.apply(part["mean"])
        a, b = scale.apply(part["ci_low"]), scale.apply(part["ci_high"])
        cells.loc[index, "norm"] = norm
        cells.loc[index, "norm_low"] = np.fmin(a, b)
        cells.loc[index, "norm_high"] = np.fmax(a, b)
        ok = part["status"] == "ok"
        if not ok.any():
            continue
        oriented = part["mean"].where(ok) * (1 if part["higher_is_better"].iloc[0] else -1)
        cells.loc[index, "rank"] = oriented.rank(ascending=False, method="average")
        best = oriented.idxmax()
        cells.loc[best, "best"] = True
        best_ci = _interval(cells.loc[best])
        for i in part.index[ok.to_numpy()]:
            if i != best:
                cells.at[i, "tied_with_best"] = overlap(_interval(cells.loc[i]), best_ci)
    return cells


def _interval(row) -> tuple[float, float] | None:
    low, high = row["ci_low"], row["ci_high"]
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)) or \
            (isinstance(high, float) and math.isnan(high)):
        return None
    return float(low), float(high)


def _footnotes(cells: pd.DataFrame) -> list[Footnote]:
    notes: dict[tuple[str, str], Footnote] = {}
    cells["footnote"] = None
    for i, row in cells.iterrows():
        if row["status"] == "ok" and not row["partial"]:
            continue
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
    asked = len(task_order)
    rows = []
    for entry, part in cells.groupby("entry", sort=False):
        ok = part[part["status"] == "ok"]
        k = len(ok)
        half = (ok["norm_high"] - ok["norm_low"]) / 2
        score = float(ok["norm"].mean()) if k else np.nan
        # Tasks are independent samples: the half width of a mean of k estimates is √(Σ h²) / k.
        width = float(np.sqrt((half ** 2).sum()) / k) if k and half.notna().all() else np.nan
        first = part.iloc[0]
        kinds = set(ok["memory_kind"].dropna())
        rows.append({
            "entry": entry, "model": first["model"], "tuning": first["tuning"], "architecture": first["architecture"],
            "params": _max(ok["params"]), "trainable_params": _max(ok["trainable_params"]),
            "tasks_ok": k, "tasks_asked": asked, "coverage": f"{k}/{asked}",
            "tasks_failed": int((part["status"] == "failed").sum()),
            "tasks_unsupported": int((part["status"] == "unsupported").sum()),
            "score": score, "score_low": score - width, "score_high": score + width,
            "avg_rank": float(ok["rank"].mean()) if k else np.nan,
            "train_samples_per_s": _mean(ok["train_samples_per_s"]),
            "train_tokens_per_s": _mean(ok["train_tokens_per_s"]),
            "latency_ms_p50": _mean(ok["latency_ms_p50"]), "latency_ms_p50_max": _max(ok["latency_ms_p50"]),
            "peak_memory_bytes": _max(ok["peak_memory_bytes"]),
            "memory_kind": kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else None),
            "sample": bool(part["sample"].any()), "seeds": _max(ok["n"]),
            "first_seen": entry_first.index(entry) if entry in entry_first else len(entry_first),
        })
    overall = pd.DataFrame(rows)
    overall = overall.sort_values(["score", "avg_rank", "first_seen"], ascending=[False, True, True],
                                  na_position="last").reset_index(drop=True)
    overall["rank"] = np.arange(1, len(overall) + 1)
    overall["best"] = False
    overall["tied_with_best"] = None
    if len(overall) and not math.isnan(overall.loc[0, "score"]):
        overall.loc[0, "best"] = True
        best_ci = _pair(overall.loc[0, "score_low"], overall.loc[0, "score_high"])
        for i in range(1, len(overall)):
            if not math.isnan(overall.loc[i, "score"]):
                overall.at[i, "tied_with_best"] = overlap(_pair(overall.loc[i, "score_low"],
                                                                overall.loc[i, "score_high"]), best_ci)
    values = overall[["score", "train_samples_per_s"]].to_numpy(dtype=float)
    overall["pareto_speed"] = pareto_front(values, [True, True])
    values = overall[["score", "peak_memory_bytes"]].to_numpy(dtype=float)
    overall["pareto_memory"] = pareto_front(values, [True, False])
    return overall.drop(columns=["first_seen"])


def _pair(low, high):
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return None
    return float(low), float(high)


def _mean(series: pd.Series):
    values = pd.to_numeric(series, errors="coerce").dropna()
    return float(values.mean()) if len(values) else np.nan


def _max(series: pd.Series):
    values = pd.to_numeric(series, errors="coerce").dropna()
    return float(values.max()) if len(values) else np.nan
