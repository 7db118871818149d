"""What the report says about a run in words: the summary line, the method, the normalization per task, and the
settings and versions it ran with (as label, value pairs)."""
from __future__ import annotations

from harness.report.aggregate import Leaderboard


def method_lines(lb: Leaderboard) -> list[str]:
    """What was computed, exactly: the report's Method section."""
    from harness.report.resample import RESAMPLES

    tests = sorted({str(t) for t in lb.cells["test"].dropna()}) if "test" in lb.cells else []
    return [
        f"Intervals: a two-level bootstrap ({RESAMPLES:,} resamples, seeded per task so the report is "
        "reproducible). Each resample draws the test examples with replacement (one draw shared by every entry "
        "evaluated on the same examples) and the seeds with replacement (the same draw for entries that ran the "
        "same seeds); an entry's value is the mean over its drawn seeds of its primary metric recomputed on the "
        "drawn examples from the stored predictions, using the metric's per-example sufficient statistics. The "
        "95 % interval is the 2.5–97.5 percentile range of those values, so it combines seed-to-seed and "
        "example-to-example variation and stays inside the metric's range. A recomputation must reproduce every "
        "stored score; where it cannot (or predictions are missing), cells with two or more seeds are resampled "
        "over seeds only and single-seed cells get no interval (the table says why).",
        "Differences from the best entry on a task are paired: both entries' values come from the same resamples, "
        "so the difference's interval and its two-sided p-value, 2·min(P(Δ ≤ 0), P(Δ ≥ 0)), account for the "
        "shared test examples and seeds (paired bootstrap). Accuracy of two single-seed entries on the same "
        "examples uses McNemar's exact test. Entries evaluated on different examples are compared on independent "
        "resamples (unpaired bootstrap). "
        + (f"Tests used in this report: {', '.join(tests)}. " if tests else "")
        + "The p-values of a task's comparisons with its best entry are adjusted together with Holm's step-down "
        "method (family-wise error 5 %); ≈ marks adjusted p ≥ 0.05. The overall score is compared the same way, "
        "on the mean normalized score per resample, Holm-adjusted over the entries.",
        "P(best): the share of resamples in which the entry has the best value (ties shared).",
    ] + _replaced_lines(lb.run.replaced)


def _replaced_lines(replaced: int) -> list[str]:
    """Seeds that ran again under another job id (a card, data or setting changed in between) count once."""
    if not replaced:
        return []
    earlier = "1 earlier record" if replaced == 1 else f"{replaced} earlier records"
    return [f"Each model × tuning × grid point × task × seed counts once, with its latest record: this report "
            f"replaced {earlier} of a seed that ran again under another job id."]



def normalization_lines(lb: Leaderboard) -> list[str]:
    return [f"{t['task']}: {t['normalization_note']}" for _, t in lb.tasks.iterrows()]


def generation_lines(records: list[dict]) -> list[tuple[str, str]]:
    """Per generating task, the generate() settings its jobs ran with (one line per distinct set); per model, how
    its outputs were decoded and what its own generation_config added."""
    tasks: dict[str, list[str]] = {}
    models: dict[str, dict] = {}
    for record in records:
        generation = record.get("generation")
        if record.get("status") != "ok" or not isinstance(generation, dict):
            continue
        text = ", ".join(f"{k}={v}" for k, v in (generation.get("settings") or {}).items())
        if generation.get("max_new_tokens_within_positions"):
            text += f" (max_new_tokens cut to {generation['max_new_tokens_within_positions']} by the positions " \
                    "the longest prompts left)"
        if text not in tasks.setdefault(record["task"], []):
            tasks[record["task"]].append(text)
        models.setdefault(str(record.get("model")), generation)
    out = [(f"generation {task}" + (f" #{n}" if n > 1 else ""), text)
           for task, texts in tasks.items() for n, text in enumerate(texts, start=1)]
    for model, generation in models.items():
        out.append((f"decoding {model}", str(generation.get("decoding"))))
        if generation.get("model_config"):
            own = ", ".join(f"{k}={v}" for k, v in generation["model_config"].items())
            out.append((f"generation_config {model}", own))
    return out


def settings_lines(lb: Leaderboard) -> list[tuple[str, str]]:
    """(label, value) pairs describing how the run was made."""
    info, frame = lb.run.info, lb.run.frame
    out = []
    board = info.get("leaderboard")
    if isinstance(board, dict):
        out.append(("leaderboard", f"{board.get('name')} — {board.get('description') or ''}".strip(" —")))
    if info.get("command"):
        command = str(info["command"]).split(" ", 1)
        if command[0].endswith("/harness"):          # the venv's path says nothing about the run
            command[0] = "harness"
        out.append(("command", " ".join(command)))
    out.append(("run directory", str(lb.run.run_dir)))
    jobs = frame["status"].value_counts()
    out.append(("jobs", ", ".join(f"{n} {s}" for s, n in jobs.items())))
    seeds = sorted({int(s) for s in frame["seed"].dropna()})
    out.append(("seeds", ", ".join(map(str, seeds))))
    for label, column in (("device", "device"), ("precision", "precision")):
        values = sorted({str(v) for v in frame[column].dropna()})
        if values:
            out.append((label, ", ".join(values)))
    if info.get("overrides"):
        out.append(("options", ", ".join(f"{k}={v}" for k, v in info["overrides"].items())))
    hp = {}
    for record in lb.run.records:
        if record.get("status") == "ok" and isinstance(record.get("hyperparameters"), dict):
            hp.setdefault(record["task"], record["hyperparameters"])
    shown = {task: ", ".join(f"{k}={v}" for k, v in values.items() if v is not None) for task, values in hp.items()}
    if len(set(shown.values())) == 1 and len(shown) > 1:
        out.append(("hyperparameters (every task)", next(iter(shown.values()))))
    else:
        out += [(f"hyperparameters {task}", text) for task, text in shown.items()]
    out += generation_lines(lb.run.records)
    data = info.get("data") or {}
    for task, source in data.items():
        if isinstance(source, dict):
            out.append((f"data {task}", str(source.get("description") or source.get("origin"))))
    skipped = info.get("skipped_tasks") or {}
    for task, why in skipped.items():
        out.append((f"skipped {task}", str(why)))
    return out


def version_lines(lb: Leaderboard) -> list[tuple[str, str]]:
    seen: dict[str, set[str]] = {}
    for record in lb.run.records:
        for name, version in (record.get("versions") or {}).items():
            seen.setdefault(str(name), set()).add(str(version))
    return [(name, ", ".join(sorted(v))) for name, v in seen.items()]


def summary_parts(lb: Leaderboard) -> tuple[str, str | None, list[str]]:
    """('3 entries × 2 tasks × ...', best entry or None, entries statistically tied with it)."""
    frame = lb.run.frame
    ok = int((frame["status"] == "ok").sum())
    seeds = sorted({int(s) for s in frame["seed"].dropna()})
    head = (f"{_plural(len(lb.entries), 'entry', 'entries')} × {_plural(len(lb.task_names), 'task')} × "
            f"{_plural(len(seeds), 'seed')}: {_plural(len(frame), 'job')}, {ok} ok")
    for status in ("failed", "unsupported"):
        n = int((frame["status"] == status).sum())
        if n:
            head += f", {n} {status}"
    if not len(lb.overall) or not lb.overall.iloc[0]["tasks_ok"]:
        return head, None, []
    ties = [e for e, t in zip(lb.overall["entry"], lb.overall["tied_with_best"]) if t is True]
    return head, str(lb.overall.iloc[0]["entry"]), ties


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
