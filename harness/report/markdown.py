"""report.md: the leaderboard (model x task), the cost table, and notes on unsupported or failed pairs."""
from __future__ import annotations

import pandas as pd

from harness.report.format import human_bytes, human_count, rate, score_cell


def md_table(header: list[str], rows: list[list[str]]) -> str:
    def clean(cell) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def leaderboard_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    tasks = list(dict.fromkeys(table["task"]))
    metric = {t: table.loc[table["task"] == t, "primary_metric"].iloc[0] for t in tasks}
    header = ["model", "family"] + [f"{t} ({metric[t]})" for t in tasks]
    rows = []
    for model, group in table.groupby("model", sort=False):
        cells = {r["task"]: score_cell(r) for _, r in group.iterrows()}
        rows.append([model, group["family"].iloc[0]] + [cells.get(t, "–") for t in tasks])
    return header, rows


def render_markdown(table: pd.DataFrame, frame: pd.DataFrame, run_info: dict) -> str:
    parts = ["# Leaderboard", ""]
    if table["sample"].any():
        parts += ["> **Sample data.** Results marked with † were computed on the bundled synthetic samples: they show "
                  "that the pipeline works, not how good a model is.", ""]
    header, rows = leaderboard_rows(table)
    sample_tasks = set(table.loc[table["sample"], "task"])
    header = [h + (" †" if h.split(" (")[0] in sample_tasks else "") for h in header]
    parts += [f"Mean ± standard deviation over seeds of each task's primary metric on its test split.", "",
              md_table(header, rows), ""]
    cost_rows = [[r["model"], r["task"], str(r["seeds"]), human_count(r["params"]), rate(r["train_samples_per_s"]),
                  rate(r["train_tokens_per_s"], 0), rate(r["eval_latency_ms_p50"], 2), human_bytes(r["peak_rss_bytes"]),
                  human_bytes(r["peak_gpu_bytes"])] for _, r in table.iterrows() if r["status"] == "ok"]
    if cost_rows:
        parts += ["## Cost", "", md_table(["model", "task", "seeds", "params", "train samples/s", "train tokens/s",
                                           "latency p50 (ms, batch 1)", "peak RSS", "peak GPU"], cost_rows), ""]
    notes = [(r["model"], r["task"], r["status"], r["error"]) for _, r in table.iterrows()
             if r["status"] != "ok"]
    if notes:
        parts += ["## Not run to completion", ""]
        parts += [f"- {model} × {task}: **{status}** — {error}" for model, task, status, error in notes]
        parts.append("")
    skipped = run_info.get("skipped_tasks") or {}
    if skipped:
        parts += ["## Tasks skipped (no data)", ""] + [f"- {t}: {why}" for t, why in skipped.items()] + [""]
    parts += ["## Settings", ""]
    ok = frame[frame["status"] == "ok"]
    if len(ok):
        first = ok.iloc[0]
        parts.append(f"- device: {first.get('device')}; precision: {first.get('precision')}")
        versions = {k.split(".", 1)[1]: v for k, v in first.items() if k.startswith("versions.")}
        parts.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if run_info.get("overrides"):
        parts.append("- overrides: " + ", ".join(f"{k}={v}" for k, v in run_info["overrides"].items()))
    data = run_info.get("data") or {}
    for task, source in data.items():
        parts.append(f"- data {task}: {source.get('description')}")
    return "\n".join(parts) + "\n"
