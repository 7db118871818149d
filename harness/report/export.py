"""Machine-readable outputs: leaderboard.csv (one row per entry × task) and results.json (everything aggregated)."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone

import numpy as np

from harness.report.aggregate import Leaderboard
from harness.report.run_facts import method_lines, settings_lines, version_lines

CSV_COLUMNS = ["model", "tuning", "entry", "architecture", "task", "task_family", "kind", "primary_metric",
               "higher_is_better", "status", "n_ok", "n_failed", "n_unsupported", "seeds", "mean", "std", "ci_low",
               "ci_high", "ci_method", "ci_note", "delta_best", "delta_low", "delta_high", "p_value", "p_holm",
               "test", "tied_with_best", "p_best", "best", "rank", "norm", "sample", "params",
               "train_samples_per_s", "train_tokens_per_s", "latency_ms_p50", "latency_ms_p95",
               "train_shared", "train_shared_seeds", "latency_shared", "latency_shared_seeds",
               "peak_memory_bytes", "memory_kind", "error"]
OVERALL_COLUMNS = ["rank", "entry", "model", "tuning", "architecture", "score", "score_low", "score_high",
                   "score_p_value", "score_p_holm", "p_best", "best", "tied_with_best", "avg_rank", "tasks_ok", "tasks_asked", "tasks_failed",
                   "tasks_unsupported", "params", "params_min", "trainable_params", "train_samples_per_s",
                   "train_tokens_per_s", "latency_ms_p50", "latency_ms_p50_max", "peak_memory_bytes", "memory_kind",
                   "pareto_speed", "pareto_memory", "sample", "jobs_ok", "train_shared", "train_shared_seeds",
                   "latency_shared", "latency_shared_seeds"]


# A spreadsheet runs a cell that starts with one of these as a formula (tab and CR too, in some), so such a text cell
# gets a leading single quote, as spreadsheet-safe exporters do: shown as text, still readable. A text that is a
# plain number ("-2") runs nothing and is left alone; numeric columns are numbers and never touched.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def spreadsheet_safe(value):
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        value = "'" + value
    # The CSV writer quotes a cell holding the line terminator (\n) but not a lone CR, which readers take for the end
    # of the row: line breaks in a cell are written as \n, so the cell is quoted and the rows stay whole.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def render_csv(lb: Leaderboard) -> str:
    frame = lb.cells[CSV_COLUMNS].copy()
    for column in frame.select_dtypes(include=["object", "string"]).columns:
        frame[column] = frame[column].map(spreadsheet_safe)
    return frame.to_csv(index=False, lineterminator="\n")


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _records(frame, columns) -> list[dict]:
    return [dict(zip(columns, row)) for row in frame[columns].itertuples(index=False, name=None)]


def render_json(lb: Leaderboard) -> str:
    data = {
        "schema": 1,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": {"name": lb.run.name, "directory": str(lb.run.run_dir), "jobs": int(len(lb.run.frame))},
        "method": {
            "paragraphs": method_lines(lb),
            "rank": "average rank over completed tasks (1 = best; exact ties share the better rank)",
        },
        "tasks": _records(lb.tasks, list(lb.tasks.columns)),
        "overall": _records(lb.overall, OVERALL_COLUMNS),
        "cells": _records(lb.cells, CSV_COLUMNS + ["seeds", "jobs", "partial", "footnote", "eval_examples",
                                                    "norm_low", "norm_high"]),
        "footnotes": [{"number": n.number, "status": n.status, "text": n.text, "where": n.where}
                      for n in lb.footnotes],
        "settings": dict(settings_lines(lb)),
        "versions": dict(version_lines(lb)),
    }
    return json.dumps(_clean(data), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
