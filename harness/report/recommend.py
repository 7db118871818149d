"""`harness select`: the best entries for some tasks under cost limits, with the reasoning spelled out.

An entry qualifies when it finished every selected task and meets every limit on every one of them: the figures
checked (and shown) are the worst case over the selected tasks — slowest training throughput, slowest latency,
largest peak memory (GPU where a GPU was used, else process RSS), largest parameter count. Entries are ranked by
their mean normalized score over the selected tasks (0-100 "points"); the Pareto-optimal ones (no other qualifying
entry is at least as good on score, throughput, latency and memory and better on one) are marked. A throughput or
latency measured while other jobs shared the device is marked ‡N (harness.report.sharing) and said so in the
reasons, for chosen and excluded entries alike. An entry that trains nothing (tuning none, icl:K) is an option like
any other, with "no training" for its throughput: +inf, the best there is (harness.report.no_training).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from harness.errors import UserError, did_you_mean
from harness.report import format as fmt
from harness.report import sharing
from harness.report.aggregate import Leaderboard, score_draws
from harness.report.limits import Limit
from harness.report.no_training import NO_TRAINING, training_throughput, untrained_throughput
from harness.report.significance import ALPHA, best_shares, bootstrap_p, holm
from harness.report.stats import CONFIDENCE, pareto_front, percentile_interval
from harness.tasks.pick import pick_tasks as pick


@dataclass
class Selection:
    tasks: list[str]
    limits: list[Limit]
    chosen: pd.DataFrame                      # qualifying entries, best first, with "pareto" and "reason"
    excluded: list[tuple[str, str]]           # (entry, why)
    memory_kind: str
    none_fits: str | None = None              # the explanation when nothing qualifies
    notes: list[str] = field(default_factory=list)


def pick_tasks(lb: Leaderboard, spec) -> list[str]:
    """The run's tasks named by --tasks (task names, family names, all); every task of the run without it."""
    if not spec:
        return lb.task_names

    def unknown(name: str) -> None:
        raise UserError(f"--tasks: {name!r} is not a task of this run",
                        hint=did_you_mean(name, [*families, *families.values()]) or
                        "tasks here: " + ", ".join(lb.task_names))

    families = {task: family for task, family in zip(lb.tasks["task"], lb.tasks["task_family"])}
    return pick(spec, {task: families[task] for task in lb.task_names}, unknown)[0]


def candidates(lb: Leaderboard, tasks: list[str]) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Per entry: score over the tasks and worst-case costs; plus entries that did not finish every task."""
    rows, incomplete = [], []
    cells = lb.cells[lb.cells["task"].isin(tasks)]
    for entry in lb.entries:
        mine = cells[cells["entry"] == entry].set_index("task")
        missing = [(t, mine["status"].get(t, "not run")) for t in tasks
                   if t not in mine.index or mine.loc[t, "status"] != "ok"]
        if missing:
            incomplete.append((entry, "did not finish " + ", ".join(f"{t} ({s})" for t, s in missing)))
            continue
        score = float(mine["norm"].mean())
        rows.append({"entry": entry, "architecture": mine["architecture"].iloc[0], "score": score,
                     "min_throughput": _agg(training_throughput(mine.reset_index()), min),
                     "max_latency": _agg(mine["latency_ms_p50"], max),
                     "max_memory": _agg(mine["peak_memory_bytes"], max),
                     "max_params": _agg(mine["params"], max), **_shared_columns(mine)})
    table = pd.DataFrame(rows, columns=["entry", "architecture", "score", "min_throughput", "max_latency",
                                        "max_memory", "max_params", *SHARED_COLUMNS])
    vectors = score_draws({e: tasks for e in table["entry"]}, lb.scales, lb.draws)
    intervals = [percentile_interval(vectors[e], CONFIDENCE) if e in vectors else (math.nan, math.nan)
                 for e in table["entry"]]
    table["score_low"] = [low for low, _ in intervals]
    table["score_high"] = [high for _, high in intervals]
    table.attrs["draws"] = vectors
    return table, incomplete


# Per candidate: how its throughput and latency were measured (most other jobs on the device at once, how many of
# its jobs were measured shared, how many jobs in all).
SHARED_COLUMNS = ["throughput_shared", "throughput_shared_jobs", "latency_shared", "latency_shared_jobs", "jobs"]


def _shared_columns(mine: pd.DataFrame) -> dict:
    return {"throughput_shared": _agg(mine["train_shared"], max),
            "throughput_shared_jobs": float(mine["train_shared_seeds"].fillna(0).sum()),
            "latency_shared": _agg(mine["latency_shared"], max),
            "latency_shared_jobs": float(mine["latency_shared_seeds"].fillna(0).sum()),
            "jobs": float(mine["n"].sum())}


def _shared_note(column: str, row) -> str | None:
    """'latency measured while up to 2 other jobs shared the device (...)' for a figure measured next to others."""
    if column == "min_throughput":
        return sharing.describe("training throughput", row["throughput_shared"], row["throughput_shared_jobs"],
                                row["jobs"])
    if column == "max_latency":
        return sharing.describe("latency", row["latency_shared"], row["latency_shared_jobs"], row["jobs"])
    return None


def _shared_mark(column: str, row) -> str:
    prefix = "throughput" if column == "min_throughput" else "latency"
    return sharing.mark(row[f"{prefix}_shared"], row[f"{prefix}_shared_jobs"], row["jobs"])


def _agg(series, how):
    values = [float(v) for v in series if not fmt.missing(v)]
    return how(values) if values else math.nan


def select(lb: Leaderboard, tasks=None, limits: list[Limit] = ()) -> Selection:
    chosen_tasks = pick_tasks(lb, tasks)
    table, excluded = candidates(lb, chosen_tasks)
    failing = {limit.option: [] for limit in limits}
    keep = []
    for _, row in table.iterrows():
        broken = [limit for limit in limits if limit.fails(row[limit.column])]
        for limit in broken:
            failing[limit.option].append(row)
        if broken:
            excluded.append((row["entry"], "; ".join(_why(limit, row[limit.column], _shared_note(limit.column, row))
                                                     for limit in broken)))
        else:
            keep.append(row)
    chosen = pd.DataFrame(keep, columns=table.columns).sort_values(
        ["score", "min_throughput"], ascending=[False, False], na_position="last").reset_index(drop=True)
    selection = Selection(chosen_tasks, list(limits), chosen, excluded, lb.memory_kind)
    if chosen.empty:
        selection.none_fits = _none_fits(table, failing, limits, excluded)
        return selection
    dims = [("score", True), ("min_throughput", True), ("max_latency", False), ("max_memory", False)]
    dims = [(c, up) for c, up in dims if chosen[c].notna().all()]
    chosen["pareto"] = pareto_front(chosen[[c for c, _ in dims]].to_numpy(float), [up for _, up in dims])
    _chances_and_tests(chosen, table.attrs.get("draws", {}))
    chosen["reason"] = [_reason(chosen, i, limits, dims) + _shared_sentence(chosen.iloc[i])
                        for i in range(len(chosen))]
    selection.chosen = chosen
    return selection


def _shown(column: str, value) -> str:
    if column == "max_memory":
        return fmt.human_bytes(value)
    if column == "max_latency":
        return f"{fmt.rate(value, 1)} ms"
    if column == "min_throughput":
        return NO_TRAINING if untrained_throughput(value) else f"{fmt.rate(value, 1)} samples/s"
    return fmt.human_count(value)


def _why(limit: Limit, measured, shared_note: str | None = None) -> str:
    if fmt.missing(measured):
        return f"{limit.option}: not measured"
    return (f"{limit.option} {limit.text}: {'needs' if limit.upper else 'reaches only'} "
            f"{_shown(limit.column, measured)}" + (f" ({shared_note})" if shared_note else ""))


def _shared_sentence(row) -> str:
    """' Its latency was measured while ...' for the figures of a chosen entry measured next to other jobs."""
    notes = [n for n in (_shared_note("min_throughput", row), _shared_note("max_latency", row)) if n]
    return "".join(f" {note[0].upper()}{note[1:]}." for note in notes)


def _none_fits(table, failing, limits, excluded) -> str:
    if table.empty:
        return ("No entry finished every selected task, so none can be recommended"
                + (f" ({'; '.join(f'{e}: {w}' for e, w in excluded[:4])})" if excluded else "") + ".")
    worst = max(limits, key=lambda l: len(failing[l.option]))
    n = len(failing[worst.option])
    closest = None
    measured = [r for r in failing[worst.option] if not fmt.missing(r[worst.column])]
    if measured:
        best = min(measured, key=lambda r: r[worst.column]) if worst.upper else \
            max(measured, key=lambda r: r[worst.column])
        closest = f"closest: {best['entry']} at {_shown(worst.column, best[worst.column])}"
    text = (f"No entry satisfies every limit. {worst.option} {worst.text} excludes the most: {n} of {len(table)} "
            f"entries{f' ({closest})' if closest else ''}.")
    others = [f"{l.option} {l.text} excludes {len(failing[l.option])}" for l in limits if l is not worst]
    if others:
        text += " Also: " + ", ".join(others) + "."
    return text


def _within(limits: list[Limit]) -> str:
    if not limits:
        return ""
    return " within " + " and ".join(l.short() for l in limits)


def _speed(a, b) -> str | None:
    if untrained_throughput(a) or untrained_throughput(b):      # an entry that trains nothing: no ratio to give
        return {(True, True): "about as cheap to train (neither trains)", (True, False): "cheaper to train (no "
                "training)", (False, True): "costlier to train (it needs training)"}[(untrained_throughput(a),
                                                                                     untrained_throughput(b))]
    if fmt.missing(a) or fmt.missing(b) or b == 0:
        return None
    r = a / b
    if 0.95 <= r <= 1.05:
        return "about as fast to train"
    return f"{fmt.ratio(a, b)} faster to train" if r > 1 else f"{fmt.ratio(b, a)} slower to train"


def _chances_and_tests(chosen: pd.DataFrame, vectors: dict) -> None:
    """Among the qualifying entries: the probability that each is the best, and paired tests of each against the
    top entry (and of the top against the runner-up), Holm-adjusted over those comparisons."""
    shares = best_shares({e: vectors[e] for e in chosen["entry"] if e in vectors}) if \
        all(e in vectors for e in chosen["entry"]) else {}
    chosen["p_best"] = pd.Series([shares.get(e) for e in chosen["entry"]], index=chosen.index, dtype=object)
    entries = list(chosen["entry"])
    reference = entries[1] if len(entries) > 1 else None           # the top entry is tested against the runner-up
    raw = []
    for i, entry in enumerate(entries):
        other = reference if i == 0 else entries[0]
        ok = other is not None and entry in vectors and other in vectors
        raw.append(bootstrap_p(vectors[entry] - vectors[other]) if ok else None)
    # the top entry's one comparison needs no correction; the others against the top form one family
    chosen["p_holm"] = pd.Series([raw[0], *holm(raw[1:])] if raw else [], index=chosen.index, dtype=object)


def _significance(row) -> str:
    p = row.get("p_holm")
    if p is None or fmt.missing(p):
        return "significance unknown"
    verdict = "not significant" if p >= ALPHA else "significant"
    return f"difference {verdict}, paired p = {fmt.p_value(p)} Holm-adjusted"


def _chance(row) -> str:
    p = row.get("p_best")
    return "" if p is None or fmt.missing(p) else f"; best in {100 * p:.0f} % of resamples"


def _reason(chosen: pd.DataFrame, i: int, limits: list[Limit], dims) -> str:
    row = chosen.iloc[i]
    top = chosen.iloc[0]
    if len(chosen) == 1:
        return f"the only entry{_within(limits)} that finished every selected task."
    if i == 0:
        second = chosen.iloc[1]
        gap = 100 * (row["score"] - second["score"])
        speed = _speed(row["min_throughput"], second["min_throughput"])
        if speed is None:
            return (f"best score{_within(limits)}; {gap:.1f} points above the runner-up {second['entry']}, "
                    f"{_significance(row)}{_chance(row)}.")
        joint = "as" if speed.startswith("about") else "than"
        return (f"best score{_within(limits)}; {speed} {joint} the runner-up {second['entry']}, {gap:.1f} points "
                f"higher, {_significance(row)}{_chance(row)}.")
    gap = 100 * (top["score"] - row["score"])
    parts = [f"{gap:.1f} points below {top['entry']} ({_significance(row)}{_chance(row)})"]
    speed = _speed(row["min_throughput"], top["min_throughput"])
    if speed:
        parts.append(speed)
    if not fmt.missing(row["max_memory"]) and not fmt.missing(top["max_memory"]) and top["max_memory"] > 0:
        change = row["max_memory"] / top["max_memory"] - 1
        if abs(change) >= 0.1:
            parts.append(f"{abs(change) * 100:.0f} % {'less' if change < 0 else 'more'} memory")
    if not fmt.missing(row["max_latency"]) and not fmt.missing(top["max_latency"]) and top["max_latency"] > 0:
        r = row["max_latency"] / top["max_latency"]
        if r <= 0.9 or r >= 1.1:
            parts.append(f"{'lower' if r < 1 else 'higher'} latency ({fmt.rate(row['max_latency'], 1)} vs "
                         f"{fmt.rate(top['max_latency'], 1)} ms)")
    if row["pareto"]:
        parts.append("Pareto-optimal")
    else:
        dominator = _dominator(chosen, i, dims)
        if dominator:
            parts.append(f"dominated by {dominator}")
    return "; ".join(parts) + "."


def _dominator(chosen: pd.DataFrame, i: int, dims) -> str | None:
    """The first entry that is at least as good as entry i on every dimension and better on one, if any."""
    values = chosen[[c for c, _ in dims]].to_numpy(float)
    maximize = [up for _, up in dims]
    for j in range(len(chosen)):
        if j != i and not pareto_front(values[[j, i]], maximize)[1]:       # j dominates i
            return str(chosen.iloc[j]["entry"])
    return None


def render_selection(selection: Selection) -> str:
    from harness.report.markdown import text_table

    scope = ", ".join(selection.tasks)
    limits = "; ".join(l.describe() for l in selection.limits) or "no limits"
    memory = {"GPU": "GPU", "RSS": "RSS"}.get(selection.memory_kind, "GPU or RSS")
    lines = [f"Tasks: {scope}. Limits: {limits} (memory = peak {memory}; costs are the worst case over the "
             "selected tasks; score = mean normalized primary score, 0–100)."]
    if selection.none_fits:
        lines += ["", selection.none_fits]
    else:
        rows = []
        for i, r in selection.chosen.iterrows():
            interval = "–" if fmt.missing(r["score_low"]) else fmt.interval(100 * r["score_low"],
                                                                          100 * r["score_high"], 1)
            rows.append([str(i + 1), str(r["entry"]), fmt.points(r["score"]), interval,
                         _throughput(r["min_throughput"]) + _shared_mark("min_throughput", r),
                         fmt.rate(r["max_latency"], 2) + _shared_mark("max_latency", r),
                         fmt.human_bytes(r["max_memory"]), fmt.human_count(r["max_params"]),
                         "★" if r["pareto"] else ""])
        lines += ["", text_table(["#", "entry", "score", "95 % CI", "train samples/s", "latency p50 ms",
                                  f"peak memory ({memory})", "params", "Pareto"], rows,
                                 [True, False, True, False, True, True, True, True, False])]
        lines += [""] + [f"{i + 1}. {r['entry']}{' ★' if r['pareto'] else ''} — {r['reason']}"
                         for i, r in selection.chosen.iterrows()]
        lines += ["", "★ Pareto-optimal: no other qualifying entry is at least as good on score, throughput, "
                      "latency and memory and better on one."]
        if any(_shared_mark(c, r) for _, r in selection.chosen.iterrows() for c in ("min_throughput", "max_latency")):
            lines.append(sharing.LEGEND)
    if selection.excluded:
        lines += ["", "Excluded:"] + [f"- {entry}: {why}" for entry, why in selection.excluded]
    return "\n".join(lines)


def _throughput(value) -> str:
    return NO_TRAINING if untrained_throughput(value) else fmt.rate(value)


def selection_json(selection: Selection) -> dict:
    from harness.report.export import _clean

    return _clean({
        "tasks": selection.tasks,
        "limits": [{"option": l.option, "value": l.text, "checked": l.column, "limit": l.value}
                   for l in selection.limits],
        "memory_kind": selection.memory_kind,
        "chosen": [] if selection.chosen.empty else selection.chosen.to_dict(orient="records"),
        "excluded": [{"entry": e, "why": w} for e, w in selection.excluded],
        "none_fits": selection.none_fits,
    })
