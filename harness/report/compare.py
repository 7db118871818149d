"""`harness compare RUN_A RUN_B`: what changed between two runs, per entry × task, with significance.

A score change is tested the way it was measured: each run's cell is resampled with the same draws (the
resamples are seeded per task and test set, harness.report.resample), so when both runs evaluated the same test
examples the difference is paired on examples (and on seeds when both ran the same seeds); McNemar's exact test
for accuracy with one seed each. The p-values of all compared cells are Holm-adjusted together and a change is
significant when its adjusted p-value is below 0.05. Cost changes are ratios
(throughput, B / A) and relative changes (latency, memory). Settings and versions that differ are listed too,
because they are usually why numbers moved.
"""
from __future__ import annotations

import pandas as pd

from harness.report import format as fmt
from harness.report.aggregate import Leaderboard
from harness.report.significance import ALPHA, difference, holm


def compare(a: Leaderboard, b: Leaderboard) -> pd.DataFrame:
    left = a.cells.set_index(["entry", "task"])
    right = b.cells.set_index(["entry", "task"])
    keys = list(dict.fromkeys([*left.index, *right.index]))
    rows = []
    for key in keys:
        ra = left.loc[key] if key in left.index else None
        rb = right.loc[key] if key in right.index else None
        ref = ra if ra is not None else rb
        row = {"entry": key[0], "task": key[1], "metric": ref["primary_metric"],
               "higher_is_better": bool(ref["higher_is_better"]),
               "status_a": None if ra is None else ra["status"], "status_b": None if rb is None else rb["status"],
               "score_a": None if ra is None else ra["mean"], "score_b": None if rb is None else rb["mean"],
               "seeds_a": None if ra is None else int(ra["n"]), "seeds_b": None if rb is None else int(rb["n"])}
        both = ra is not None and rb is not None and ra["status"] == "ok" and rb["status"] == "ok"
        if both:
            delta = float(rb["mean"] - ra["mean"])
            da, db = a.draws.get(key), b.draws.get(key)
            test = difference(a.specs[key[1]], db, rb["mean"], da, ra["mean"]) if da and db else None
            row.update({
                "delta": delta,
                "p_value": test.p if test else None, "test": test.test if test else None,
                "better": None if delta == 0 else (delta > 0) == bool(ref["higher_is_better"]),
                "throughput_ratio": _ratio(rb["train_samples_per_s"], ra["train_samples_per_s"]),
                "latency_change": _change(rb["latency_ms_p50"], ra["latency_ms_p50"]),
                "memory_change": _change(rb["peak_memory_bytes"], ra["peak_memory_bytes"]),
            })
        rows.append(row)
    adjusted = holm([r.get("p_value") for r in rows])
    for row, p in zip(rows, adjusted):
        row["p_holm"] = p
        row["significant"] = None if p is None else bool(p < ALPHA)
    columns = ["entry", "task", "metric", "higher_is_better", "status_a", "status_b", "score_a", "score_b",
               "seeds_a", "seeds_b", "delta", "p_value", "p_holm", "test", "significant", "better",
               "throughput_ratio", "latency_change", "memory_change"]
    return pd.DataFrame(rows).reindex(columns=columns)


def _ratio(new, old):
    if fmt.missing(new) or fmt.missing(old) or float(old) == 0:
        return None
    return float(new) / float(old)


def _change(new, old):
    ratio = _ratio(new, old)
    return None if ratio is None else ratio - 1


def _pct(value) -> str:
    return "–" if fmt.missing(value) else f"{100 * value:+.0f} %"


def settings_diff(a: Leaderboard, b: Leaderboard) -> list[str]:
    from harness.report.run_facts import settings_lines, version_lines

    skip = {"command", "run directory", "jobs"}
    sa = dict(settings_lines(a)) | {f"version {k}": v for k, v in version_lines(a)}
    sb = dict(settings_lines(b)) | {f"version {k}": v for k, v in version_lines(b)}
    out = []
    for key in dict.fromkeys([*sa, *sb]):
        if key in skip or sa.get(key) == sb.get(key):
            continue
        out.append(f"{key}: {sa.get(key, '–')}  →  {sb.get(key, '–')}")
    return out


def render_compare(a: Leaderboard, b: Leaderboard, table: pd.DataFrame) -> str:
    from harness.report.markdown import text_table

    rows = []
    for _, r in table.iterrows():
        def shown(score, status):
            if status is None:
                return "(absent)"
            if status != "ok":
                return "n/a" if status == "unsupported" else "failed"
            return fmt.num(score, 3 if abs(score) < 10 else 2)
        if fmt.missing(r["delta"]):
            delta, sig = "–", ""
        else:
            arrow = "" if r["better"] is None else (" ▲" if r["better"] else " ▼")
            delta = f"{r['delta']:+.3f}{arrow}" if abs(r["delta"]) < 10 else f"{r['delta']:+.2f}{arrow}"
            sig = {True: "yes", False: "n.s.", None: "?"}[r["significant"]]
            if not fmt.missing(r["p_holm"]):
                sig += f" (p = {fmt.p_value(r['p_holm'])})"
        rows.append([r["entry"], r["task"], r["metric"] + ("" if r["higher_is_better"] else " ↓"),
                     shown(r["score_a"], r["status_a"]), shown(r["score_b"], r["status_b"]), delta, sig,
                     "–" if fmt.missing(r["throughput_ratio"]) else f"{r['throughput_ratio']:.2f}×",
                     _pct(r["latency_change"]), _pct(r["memory_change"])])
    out = [f"A = {a.run.run_dir}   B = {b.run.run_dir}", "",
           text_table(["entry", "task", "metric", "A", "B", "Δ (B − A)", "significant", "throughput B/A",
                       "latency", "memory"], rows,
                      [False, False, False, True, True, True, False, True, True, True]),
           "", "▲ better / ▼ worse in B; significant = Holm-adjusted p < 0.05 over every compared cell, from a "
               "paired bootstrap over the shared test examples and seeds (McNemar's exact test for single-seed "
               "accuracy; unpaired where the test examples differ); n.s. = not significant; ? = no resamples. "
               "Latency and memory: relative change B vs A."]
    changed = settings_diff(a, b)
    if changed:
        out += ["", "Settings that differ:"] + [f"- {line}" for line in changed]
    ups = int(((table["significant"] == True) & (table["better"] == True)).sum())  # noqa: E712
    downs = int(((table["significant"] == True) & (table["better"] == False)).sum())  # noqa: E712
    out += ["", f"{ups} significant improvement(s), {downs} significant regression(s), "
                f"{int(table['delta'].notna().sum()) - ups - downs} change(s) within noise."]
    return "\n".join(out)
