"""From result records to a per model x task table: mean and standard deviation over seeds, plus costs."""
from __future__ import annotations

import pandas as pd

from harness.errors import UserError

COLUMNS = ["model", "model_id", "family", "task", "task_family", "primary_metric", "higher_is_better", "seeds",
           "score_mean", "score_std", "status", "error", "sample", "params", "train_samples_per_s",
           "train_tokens_per_s", "eval_latency_ms_p50", "peak_rss_bytes", "peak_gpu_bytes"]


def load_frame(store) -> pd.DataFrame:
    records = store.latest()
    if not records:
        if not store.path.is_file():
            raise UserError(f"{store.run_dir} holds no results.jsonl", hint="pass the --output folder of a run")
        raise UserError(f"{store.path} holds no complete result", hint="run (or resume) the sweep first")
    frame = pd.json_normalize(records)
    for column in ("train.samples_per_s", "train.tokens_per_s", "eval.latency_ms_p50", "memory.peak_rss_bytes",
                   "memory.peak_gpu_bytes", "data.sample", "params", "score", "error"):
        if column not in frame:
            frame[column] = None
    return frame


def _status(statuses: pd.Series) -> str:
    if (statuses == "ok").any():
        return "ok"
    if (statuses == "unsupported").all():
        return "unsupported"
    return "failed"


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, task): statistics over the seeds that finished ok."""
    rows = []
    for (model, task), group in frame.groupby(["model", "task"], sort=False):
        ok = group[group["status"] == "ok"]
        scores = pd.to_numeric(ok["score"], errors="coerce").dropna()
        first = group.iloc[0]
        errors = group.loc[group["status"] != "ok", "error"].dropna()
        rows.append({
            "model": model, "model_id": first["model_id"], "family": first["family"], "task": task,
            "task_family": first["task_family"], "primary_metric": first["primary_metric"],
            "higher_is_better": bool(first.get("higher_is_better", True)), "seeds": int(len(scores)),
            "score_mean": float(scores.mean()) if len(scores) else None,
            "score_std": float(scores.std(ddof=1)) if len(scores) > 1 else (0.0 if len(scores) == 1 else None),
            "status": _status(group["status"]), "error": errors.iloc[0] if len(errors) else None,
            "sample": bool(group["data.sample"].fillna(False).any()),
            "params": _first(ok["params"]),
            "train_samples_per_s": _mean(ok["train.samples_per_s"]),
            "train_tokens_per_s": _mean(ok["train.tokens_per_s"]),
            "eval_latency_ms_p50": _mean(ok["eval.latency_ms_p50"]),
            "peak_rss_bytes": _max(ok["memory.peak_rss_bytes"]),
            "peak_gpu_bytes": _max(ok["memory.peak_gpu_bytes"]),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _mean(series: pd.Series):
    values = pd.to_numeric(series, errors="coerce").dropna()
    return float(values.mean()) if len(values) else None


def _max(series: pd.Series):
    values = pd.to_numeric(series, errors="coerce").dropna()
    return int(values.max()) if len(values) else None


def _first(series: pd.Series):
    values = pd.to_numeric(series, errors="coerce").dropna()
    return int(values.iloc[0]) if len(values) else None
