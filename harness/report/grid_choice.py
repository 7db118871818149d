"""Hyperparameter selection on validation: with `--lr-grid` (or a batch-size / epochs grid) a model × tuning × task
was trained at several settings; the leaderboard keeps only the setting with the best mean validation score over
seeds. Test scores never take part in the choice. The full grid stays in `selection` for the sensitivity table
and plot.
"""
from __future__ import annotations

import json
import math

import pandas as pd

GROUP = ["model", "tuning", "task"]


def grid_key(grid) -> str:
    return json.dumps(grid or {}, sort_keys=True)


def describe(grid: dict) -> str:
    if not grid:
        return "default"
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(grid.items()))


def select_on_validation(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(frame with only each group's chosen grid point, the grid table) — or (frame, None) without a grid."""
    if "grid_key" not in frame or frame["grid_key"].nunique() <= 1:
        return frame, None
    rows, keep = [], []
    for (model, tuning, task), group in frame.groupby(GROUP, sort=False):
        higher = bool(group["higher_is_better"].iloc[0])
        points = []
        for key, point in group.groupby("grid_key", sort=False):
            ok = point[point["status"] == "ok"]
            scores = pd.to_numeric(ok["validation_score"], errors="coerce").dropna()
            points.append({"key": key, "validation_mean": float(scores.mean()) if len(scores) else math.nan,
                           "seeds": int(len(scores)), "entry": point["entry"].iloc[0],
                           "grid": json.loads(key)})
        scored = [p for p in points if not math.isnan(p["validation_mean"])]
        chosen = (max if higher else min)(scored, key=lambda p: p["validation_mean"])["key"] if scored \
            else points[0]["key"]
        keep.append(group[group["grid_key"] == chosen])
        for p in points:
            rows.append({"model": model, "tuning": tuning, "task": task, "entry": p["entry"],
                         "setting": describe(p["grid"]), "grid": p["grid"], "validation_mean": p["validation_mean"],
                         "seeds": p["seeds"], "chosen": p["key"] == chosen,
                         "primary_metric": group["primary_metric"].iloc[0]})
    return pd.concat(keep).reset_index(drop=True), pd.DataFrame(rows)
