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
from harness.metrics.spec import MetricSpec
from harness.report.normalize import Scale, scale_for, spec_for
from harness.report.no_training import score_and_throughput
from harness.report.resample import CellDraws, Run, TaskResampler
from harness.report.significance import ALPHA, best_shares, bootstrap_p, difference, holm, probability_best
from harness.report.stats import CONFIDENCE, pareto_front, percentile_interval

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
    specs: dict[str, MetricSpec] = field(default_factory=dict)             # task -> its primary metric's spec
    draws: dict[tuple[str, str], CellDraws] = field(default_factory=dict)  # (entry, task) -> resampled values

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
    cells = _cells(frame)
    specs = _specs(cells)
    draws = _intervals(cells, frame, specs, run.predictions if bootstrap else None)
    tasks, scales = _tasks(cells, frame, task_order, specs)
    cells = _normalize_and_rank(cells, scales, specs, draws)
    footnotes = _footnotes(cells)
    overall = _overall(cells, entry_first, task_order, scales, draws)
    cells["entry_order"] = cells["entry"].map({e: i for i, e in enumerate(overall["entry"])})
    cells["task_order"] = cells["task"].map({t: i for i, t in enumerate(tasks["task"])})
    cells = cells.sort_values(["task_order", "entry_order"]).reset_index(drop=True)
    return Leaderboard(run=run, cells=cells, overall=overall, tasks=tasks, footnotes=footnotes, scales=scales,
                       specs=specs, draws=draws)


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


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    groups = frame.groupby(KEYS, sort=False)
    meta = groups[["model", "tuning", "architecture", "task_family", "kind", "primary_metric", "higher_is_better",
                   "metric_scale", "device"]].first()
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
                  eval_examples=("eval_examples", "max"), job=("job", "first"),
                  # cost figures measured while other jobs shared the device: most at once, and how many seeds
                  train_shared=("train_shared", "max"), train_shared_seeds=("train_was_shared", "sum"),
                  latency_shared=("latency_shared", "max"), latency_shared_seeds=("latency_was_shared", "sum"))
    stats["seeds"] = g["seed"].agg(lambda s: ",".join(str(int(x)) for x in sorted(s.dropna())))
    cells = cells.join(stats)
    cells["n"] = cells["n"].fillna(0).astype(int)
    cells["status"] = np.where(cells["n"] > 0, "ok", np.where(cells["n_unsupported"] == cells["jobs"],
                                                              "unsupported", "failed"))
    cells["partial"] = (cells["n"] > 0) & (cells["n"] < cells["jobs"])
    gpu = cells["peak_gpu_bytes"].notna() & (cells["peak_gpu_bytes"] > 0)
    cells["peak_memory_bytes"] = np.where(gpu, cells["peak_gpu_bytes"], cells["peak_rss_bytes"])
    cells["memory_kind"] = np.where(gpu, "GPU", np.where(cells["peak_rss_bytes"].notna(), "RSS", None))

    return cells.reset_index()


def _specs(cells: pd.DataFrame) -> dict[str, MetricSpec]:
    """Each task's primary metric spec, from its kind (or, for a kind not installed here, from the records)."""
    specs = {}
    for task, group in cells.groupby("task", sort=False):
        first = group.iloc[0]
        scale = first["metric_scale"] if isinstance(first["metric_scale"], str) else None
        specs[task] = spec_for(first["kind"], first["primary_metric"], bool(first["higher_is_better"]), scale)
    return specs


def _intervals(cells: pd.DataFrame, frame: pd.DataFrame, specs: dict[str, MetricSpec],
               load) -> dict[tuple[str, str], CellDraws]:
    """Resample every cell (harness.report.resample); set its 95 % interval, its method and, without one, why."""
    ok = frame.loc[(frame["status"] == "ok") & frame["score"].notna()]
    runs: dict[tuple[str, str], list[Run]] = {}
    columns = [ok[c].tolist() for c in ("entry", "task", "seed", "job", "score")]     # lists: fast to iterate
    for entry, task, seed, job, score in zip(*columns):
        runs.setdefault((entry, task), []).append(Run(int(seed) if pd.notna(seed) else 0, job, float(score)))
    draws: dict[tuple[str, str], CellDraws] = {}
    keys = list(zip(cells["entry"].tolist(), cells["task"].tolist()))
    for task in dict.fromkeys(cells["task"].tolist()):
        mine = {key: runs[key] for key in keys if key[1] == task and key in runs}
        resampler = TaskResampler(task, specs[task], load, max_seeds=max((len(r) for r in mine.values()), default=1))
        for key, cell_runs in mine.items():
            draws[key] = resampler.cell(cell_runs)
    low, high, method, note = [], [], [], []
    for key in keys:
        d = draws.get(key)
        interval = d.interval(specs[key[1]]) if d is not None else None
        low.append(interval[0] if interval else np.nan)
        high.append(interval[1] if interval else np.nan)
        method.append(d.method if d is not None and interval else None)
        # without an interval: why; over seeds only: why the examples could not be resampled
        note.append(None if d is None else (d.note if d.note or interval else "no interval"))
    cells["ci_low"], cells["ci_high"], cells["ci_method"], cells["ci_note"] = low, high, method, note
    return draws


def _tasks(cells: pd.DataFrame, frame: pd.DataFrame, order: list[str],
           specs: dict[str, MetricSpec]) -> tuple[pd.DataFrame, dict[str, Scale]]:
    rows, scales = [], {}
    sample = frame.groupby("task")["sample"].any()
    for task in order:
        mine = cells[cells["task"] == task]
        first = mine.iloc[0]
        ok = mine[mine["status"] == "ok"]
        spec = specs[task]
        scale = scale_for(spec, ok["mean"])
        scales[task] = scale
        rows.append({"task": task, "task_family": first["task_family"], "kind": first["kind"],
                     "metric": first["primary_metric"], "higher_is_better": spec.higher_is_better,
                     "metric_scale": spec.scale, "normalization": scale.method,
                     "normalization_note": scale.describe(first["primary_metric"], spec.scale == "signed"),
                     "sample": bool(sample.get(task, False)), "entries_ok": int(len(ok)),
                     "entries": int(len(mine))})
    return pd.DataFrame(rows), scales


def _normalize_and_rank(cells: pd.DataFrame, scales: dict[str, Scale], specs: dict[str, MetricSpec],
                        draws: dict[tuple[str, str], CellDraws]) -> pd.DataFrame:
    cells = cells.copy()
    cells["higher_is_better"] = cells["task"].map({t: s.higher_is_better for t, s in specs.items()})
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
    return _versus_best(cells, specs, draws)


VERSUS_COLUMNS = ("delta_best", "delta_low", "delta_high", "p_value", "p_holm", "test", "p_best")


def _versus_best(cells: pd.DataFrame, specs: dict[str, MetricSpec],
                 draws: dict[tuple[str, str], CellDraws]) -> pd.DataFrame:
    """Each ok cell against its task's best: paired difference, p-value, Holm over the task's comparisons, and the
    probability of being the best. tied_with_best: True = not significantly different after Holm."""
    columns = {c: [None] * len(cells) for c in (*VERSUS_COLUMNS, "tied_with_best")}
    position = {key: i for i, key in enumerate(zip(cells["entry"], cells["task"]))}
    for task, group in cells[cells["status"] == "ok"].groupby("task", sort=False):
        spec = specs[task]
        best = group[group["best"]].iloc[0]
        reference = draws.get((best["entry"], task))          # the first of several exact ties
        chances = probability_best(spec, {(e, task): draws[(e, task)] for e in group["entry"]
                                          if (e, task) in draws})
        compared = []
        for row in group.itertuples():
            i = position[(row.entry, task)]
            columns["p_best"][i] = chances.get((row.entry, task))
            if row.best or reference is None or (row.entry, task) not in draws:
                continue
            diff = difference(spec, draws[(row.entry, task)], row.mean, reference, best["mean"])
            for name, value in (("delta_best", diff.delta), ("delta_low", diff.low), ("delta_high", diff.high),
                                ("p_value", diff.p), ("test", diff.test)):
                columns[name][i] = value
            compared.append(i)
        for i, adjusted in zip(compared, holm([columns["p_value"][i] for i in compared])):
            columns["p_holm"][i] = adjusted
            columns["tied_with_best"][i] = None if adjusted is None else bool(adjusted >= ALPHA)
    for name, values in columns.items():
        cells[name] = pd.Series(values, index=cells.index, dtype=object)
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


def _overall(cells: pd.DataFrame, entry_first: list[str], task_order: list[str], scales: dict[str, Scale],
             draws: dict[tuple[str, str], CellDraws]) -> pd.DataFrame:
    every = cells.groupby("entry", sort=False)
    overall = every[["model", "tuning", "architecture"]].first()
    status = cells.groupby(["entry", "status"], sort=False).size().unstack(fill_value=0)
    overall["tasks_asked"] = len(task_order)
    ok = cells[cells["status"] == "ok"].copy()
    g = ok.groupby("entry", sort=False)
    stats = g.agg(tasks_ok=("norm", "size"), score=("norm", "mean"),
                  avg_rank=("rank", "mean"), params=("params", "max"), params_min=("params", "min"),
                  trainable_params=("trainable_params", "max"),
                  train_samples_per_s=("train_samples_per_s", "mean"),
                  train_tokens_per_s=("train_tokens_per_s", "mean"), latency_ms_p50=("latency_ms_p50", "mean"),
                  latency_ms_p50_max=("latency_ms_p50", "max"), peak_memory_bytes=("peak_memory_bytes", "max"),
                  seeds=("n", "max"), memory_kinds=("memory_kind", "nunique"), memory_kind=("memory_kind", "first"),
                  jobs_ok=("n", "sum"), train_shared=("train_shared", "max"),
                  train_shared_seeds=("train_shared_seeds", "sum"), latency_shared=("latency_shared", "max"),
                  latency_shared_seeds=("latency_shared_seeds", "sum"))
    overall = overall.join(stats)
    overall["tasks_ok"] = overall["tasks_ok"].fillna(0).astype(int)
    overall["coverage"] = overall["tasks_ok"].astype(str) + "/" + overall["tasks_asked"].astype(str)
    for name in ("failed", "unsupported"):
        overall[f"tasks_{name}"] = status[name].reindex(overall.index).fillna(0).astype(int) \
            if name in status else 0
    overall["memory_kind"] = overall["memory_kind"].where(overall["memory_kinds"] <= 1, "mixed")
    overall["sample"] = every["sample"].any()
    overall["first_seen"] = [entry_first.index(e) if e in entry_first else len(entry_first) for e in overall.index]
    overall = overall.reset_index().sort_values(["score", "avg_rank", "first_seen"], ascending=[False, True, True],
                                                na_position="last").reset_index(drop=True)
    overall["rank"] = np.arange(1, len(overall) + 1)
    overall["best"] = False
    if len(overall) and not math.isnan(overall.loc[0, "score"]):
        overall.loc[0, "best"] = True
    overall = _overall_versus_best(overall, ok, scales, draws)
    overall["pareto_speed"] = pareto_front(score_and_throughput(overall), [True, True])
    values = overall[["score", "peak_memory_bytes"]].to_numpy(dtype=float)
    overall["pareto_memory"] = pareto_front(values, [True, False])
    columns = ["entry", "model", "tuning", "architecture", "params", "params_min", "trainable_params", "tasks_ok",
               "tasks_asked",
               "coverage", "tasks_failed", "tasks_unsupported", "score", "score_low", "score_high", "score_p_value",
               "score_p_holm", "p_best", "avg_rank",
               "train_samples_per_s", "train_tokens_per_s", "latency_ms_p50", "latency_ms_p50_max", "jobs_ok",
               "train_shared", "train_shared_seeds", "latency_shared", "latency_shared_seeds",
               "peak_memory_bytes", "memory_kind", "sample", "seeds", "rank", "best", "tied_with_best",
               "pareto_speed", "pareto_memory"]
    return overall[columns]


def score_draws(entry_tasks: dict[str, list[str]], scales: dict[str, Scale],
                draws: dict[tuple[str, str], CellDraws]) -> dict[str, np.ndarray]:
    """entry -> its mean normalized score over the given tasks in each resample; only for entries whose every such
    task has resampled values. Every task's resamples are shared by all entries, so these are paired too."""
    out = {}
    for entry, tasks in entry_tasks.items():
        values = [draws.get((entry, task)) for task in tasks]
        if values and all(v is not None and v.values is not None for v in values):
            out[entry] = np.mean([scales[t].apply(v.values) for t, v in zip(tasks, values)], axis=0)
    return out


def _overall_versus_best(overall: pd.DataFrame, ok: pd.DataFrame, scales: dict[str, Scale],
                         draws: dict[tuple[str, str], CellDraws]) -> pd.DataFrame:
    """Overall interval, paired test against the best entry (Holm over the entries) and probability of being best.

    Every task's resamples are shared by all entries, so the overall resamples are paired too."""
    vectors = score_draws({e: list(g["task"]) for e, g in ok.groupby("entry", sort=False)}, scales, draws)
    low, high, p, p_best = [], [], [], []
    best = overall.loc[overall["best"], "entry"]
    reference = vectors.get(best.iloc[0]) if len(best) else None
    winners = best_shares(vectors)
    for entry, is_best in zip(overall["entry"], overall["best"]):
        v = vectors.get(entry)
        interval = percentile_interval(v, CONFIDENCE) if v is not None else (np.nan, np.nan)
        low.append(interval[0])
        high.append(interval[1])
        p.append(None if v is None or reference is None or is_best else bootstrap_p(v - reference))
        p_best.append(winners.get(entry))
    overall["score_low"], overall["score_high"] = low, high
    overall["score_p_value"] = pd.Series(p, index=overall.index, dtype=object)
    adjusted = holm(p)
    overall["score_p_holm"] = pd.Series(adjusted, index=overall.index, dtype=object)
    overall["tied_with_best"] = pd.Series([None if a is None else bool(a >= ALPHA) for a in adjusted],
                                          index=overall.index, dtype=object)
    overall["p_best"] = pd.Series(p_best, index=overall.index, dtype=object)
    return overall
