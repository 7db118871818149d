"""The report's tables as plain data (cells with text, a sort key and marks), rendered by markdown, html and latex.

Marks on a cell: "best" (bold: best entry on the task / overall), "tie" (≈: a paired test against the best, Holm-
adjusted over the table's comparisons, finds no significant difference), "sample" (†: computed on the bundled
samples), a footnote number (why a cell is n/a or failed), "pareto" (★: on the Pareto front).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.report import format as fmt
from harness.report import sharing
from harness.report.aggregate import TASK_FAMILY_ORDER, Leaderboard

FAMILY_TITLES = {"classification": "Classification", "ner": "Named-entity recognition", "qa": "Question answering",
                 "translation": "Translation", "summarization": "Summarization", "similarity": "Similarity"}


@dataclass
class Cell:
    text: str
    sort: float | str | None = None      # None: missing, sorts last either way
    best: bool = False
    tie: bool = False
    sample: bool = False
    pareto: bool = False
    footnote: int | None = None
    title: str | None = None             # hover text in HTML
    numeric: bool = False


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    intro: list[str] = field(default_factory=list)        # sentences shown before the table
    numeric: list[bool] = field(default_factory=list)


def text(value) -> Cell:
    value = "" if value is None else str(value)
    return Cell(value, sort=value.lower())


def number(value, shown: str) -> Cell:
    return Cell(shown, sort=None if fmt.missing(value) else float(value), numeric=True)


def _digits(lb: Leaderboard) -> dict[str, int]:
    return lb.memo("digits", lambda: _task_digits(lb))


def _task_digits(lb: Leaderboard) -> dict[str, int]:
    out = {}
    for _, task in lb.tasks.iterrows():
        values = lb.cells.loc[lb.cells["task"] == task["task"], "mean"]
        out[task["task"]] = fmt.decimals_for(values, percent=task["normalization"] == "percent")
    return out


def status_cell(row) -> Cell:
    """The text of a cell that has no score: 'n/a' for unsupported pairs, 'failed' for failures."""
    shown = "n/a" if row["status"] == "unsupported" else "failed"
    return Cell(shown, sort=None, footnote=row["footnote"], title=None)


def score_cell(row, digits: int, with_interval_title: bool = True) -> Cell:
    if row["status"] != "ok":
        return status_cell(row)
    title = None
    if with_interval_title:
        title = (f"95% CI {fmt.interval(row['ci_low'], row['ci_high'], digits)}" if row["ci_method"]
                 else f"no interval: {row['ci_note']}")
    # Sample data is marked once, on the task's header, not on every cell.
    return Cell(fmt.num(row["mean"], digits), sort=float(row["mean"]), best=bool(row["best"]),
                tie=row["tied_with_best"] is True, footnote=row["footnote"],
                title=title, numeric=True)


def task_header(lb: Leaderboard, task: str) -> str:
    t = lb.tasks.set_index("task").loc[task]
    arrow = "" if t["higher_is_better"] else " ↓"
    return f"{task} ({t['metric']}){arrow}" + (" †" if t["sample"] else "")


def overall_table(lb: Leaderboard) -> Table:
    return lb.memo("overall", lambda: _overall_table(lb))


def _overall_table(lb: Leaderboard) -> Table:
    digits = _digits(lb)
    columns = ["#", "entry", "architecture", "overall (0–100)", "95 % CI", "P(best)", "avg rank", "coverage"]
    columns += [task_header(lb, t) for t in lb.task_names]
    rows = []
    for o in lb.overall.to_dict("records"):
        row = [number(o["rank"], str(o["rank"])), text(o["entry"]), text(o["architecture"])]
        overall = number(o["score"], fmt.points(o["score"]))
        overall.best, overall.tie = bool(o["best"]), o["tied_with_best"] is True
        overall.sample = bool(o["sample"])
        row += [overall,
                Cell(fmt.interval(100 * o["score_low"], 100 * o["score_high"], 1), sort=None if fmt.missing(
                    o["score_low"]) else float(o["score_low"]), numeric=True),
                probability_cell(o["p_best"]),
                number(o["avg_rank"], fmt.num(o["avg_rank"], 2)),
                Cell(o["coverage"], sort=o["tasks_ok"] / max(o["tasks_asked"], 1), numeric=True)]
        for task in lb.task_names:
            cell = lb.cell(o["entry"], task)
            row.append(Cell("–", sort=None) if cell is None else score_cell(cell, digits[task]))
        rows.append(row)
    intro = [
        "Overall = mean of the normalized primary scores over the tasks an entry completed, × 100 "
        "(normalization per task is listed below the table). Its 95 % CI and P(best) (the share of resamples in "
        "which the entry has the best overall score) come from the same bootstrap over seeds and test examples as "
        "the task intervals (see Method). Avg rank = mean rank over completed tasks (1 = best). Coverage = tasks "
        "ok / tasks asked.",
        "Task columns show the mean primary metric over seeds; **bold** = best on the task; ≈ = a paired test "
        "against the best finds no significant difference (p ≥ 0.05 after Holm's correction over the entries "
        "compared with the best); ↓ = lower is better.",
    ]
    return Table("overall", "Overall leaderboard", columns, rows, intro)


def family_tables(lb: Leaderboard) -> list[Table]:
    return lb.memo("families", lambda: _family_tables(lb))


def _family_tables(lb: Leaderboard) -> list[Table]:
    digits = _digits(lb)
    tables = []
    families = list(dict.fromkeys(lb.tasks["task_family"]))
    families.sort(key=lambda f: TASK_FAMILY_ORDER.index(f) if f in TASK_FAMILY_ORDER else len(TASK_FAMILY_ORDER))
    for family in families:
        tasks = lb.tasks[lb.tasks["task_family"] == family]
        rows = []
        for _, t in tasks.iterrows():
            d = digits[t["task"]]
            for c in lb.rows(t["task"]):
                score = score_cell(c, d, with_interval_title=False)
                if c["status"] != "ok":
                    interval, how, versus = Cell("–"), Cell("–"), Cell("–")
                else:
                    interval = Cell(fmt.interval(c["ci_low"], c["ci_high"], d),
                                    sort=None if fmt.missing(c["ci_low"]) else float(c["ci_low"]), numeric=True)
                    how = text(interval_method(c))
                    versus = versus_cell(c, d)
                counts = [f"{c['n_ok']} ok"] + [f"{c[k]} {s}" for k, s in (("n_failed", "failed"),
                                                                         ("n_unsupported", "unsupported")) if c[k]]
                rows.append([text(t["task"]), text(c["entry"]), score,
                             number(c["std"], fmt.num(c["std"], d)), interval, how,
                             Cell(c["seeds"] if isinstance(c["seeds"], str) and c["seeds"] else "–",
                                  sort=float(c["n"]), numeric=True),
                             text(", ".join(counts)), versus, probability_cell(c["p_best"])])
        intro = ["; ".join(f"{t['task']}: {t['metric']} ({'higher' if t['higher_is_better'] else 'lower'} is "
                           f"better{', bundled sample †' if t['sample'] else ''})" for _, t in tasks.iterrows())]
        tables.append(Table(f"family-{family}", FAMILY_TITLES.get(family, family.title()),
                            ["task", "entry", "mean", "std", "95 % CI", "interval", "seeds", "jobs",
                             "vs best: Δ [95 % CI], p (Holm)", "P(best)"], rows, intro))
    return tables


def interval_method(c) -> str:
    """How a cell's interval was obtained, in words."""
    examples = "" if fmt.missing(c["eval_examples"]) else f" ({int(c['eval_examples'])})"
    if c["ci_method"] == "seeds × examples":
        return f"bootstrap over {c['n']} seeds × test examples{examples}"
    if c["ci_method"] == "examples":
        return f"bootstrap over test examples{examples}"
    if c["ci_method"] == "seeds":
        return f"bootstrap over {c['n']} seeds only ({c['ci_note']})"
    return f"none: {c['ci_note']}"


def versus_cell(c, digits: int) -> Cell:
    """The difference from the task's best entry: Δ, its interval, the Holm-adjusted p-value and the test."""
    if c["best"]:
        return text("best")
    if c["p_holm"] is None or fmt.missing(c["p_holm"]):
        return text("unknown (no resamples)")
    verdict = "≈ not significant" if c["tied_with_best"] else "significantly worse"
    shown = (f"{fmt.num(c['delta_best'], digits)} {fmt.interval(c['delta_low'], c['delta_high'], digits)}, "
             f"p = {fmt.p_value(c['p_holm'])}: {verdict}")
    return Cell(shown, sort=float(c["p_holm"]), title=f"{c['test']}; unadjusted p = {fmt.p_value(c['p_value'])}")


def probability_cell(value) -> Cell:
    if value is None or fmt.missing(value):
        return Cell("–", sort=None)
    return Cell(f"{100 * value:.0f} %", sort=float(value), numeric=True)


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
    ]


def cost_table(lb: Leaderboard) -> Table:
    return lb.memo("cost", lambda: _cost_table(lb))


def _cost_table(lb: Leaderboard) -> Table:
    kind = lb.memory_kind
    memory = {"GPU": "peak GPU memory", "RSS": "peak RSS (CPU)"}.get(kind, "peak memory")
    columns = ["#", "entry", "params", *(["trainable params", "optimizer state"] if lb.show_tuning else []),
               "train samples/s", "train tokens/s", "latency p50 (ms)", memory, "Pareto: speed", "Pareto: memory"]
    rows = []
    for o in lb.overall.to_dict("records"):
        mem = number(o["peak_memory_bytes"], fmt.human_bytes(o["peak_memory_bytes"]))
        if kind == "mixed" and o["memory_kind"]:
            mem.text += f" ({o['memory_kind']})"
        params = fmt.human_count(o["params"])
        if not fmt.missing(o["params_min"]) and o["params"] > 1.05 * o["params_min"]:
            params = f"{fmt.human_count(o['params_min'])}–{params}"       # heads differ by task (e.g. bert2bert)
        tuning_cells = []
        if lb.show_tuning:
            trainable = o["trainable_params"]
            state = None if fmt.missing(trainable) else 8 * trainable        # AdamW: two fp32 moments each
            tuning_cells = [number(trainable, fmt.human_count(trainable)), number(state, fmt.human_bytes(state))]
        rows.append([number(o["rank"], str(o["rank"])), text(o["entry"]), number(o["params"], params),
                     *tuning_cells,
                     _shared_figure(o, "train", o["train_samples_per_s"], fmt.rate(o["train_samples_per_s"])),
                     _shared_figure(o, "train", o["train_tokens_per_s"], fmt.rate(o["train_tokens_per_s"], 0)),
                     _shared_figure(o, "latency", o["latency_ms_p50"], fmt.rate(o["latency_ms_p50"], 2)), mem,
                     Cell("★" if o["pareto_speed"] else "", sort=1.0 if o["pareto_speed"] else 0.0,
                          pareto=bool(o["pareto_speed"])),
                     Cell("★" if o["pareto_memory"] else "", sort=1.0 if o["pareto_memory"] else 0.0,
                          pareto=bool(o["pareto_memory"]))])
    device = ", ".join(sorted({str(d) for d in lb.cells["device"].dropna()})) or "unknown"
    which = {"GPU": "the GPU peak", "RSS": "the process peak RSS (no GPU was used)"}.get(
        kind, "the GPU peak where a GPU was used, else the process peak RSS")
    intro = [f"Means over the tasks each entry completed (peak memory: the maximum; parameters: the range over "
             f"tasks when the task heads differ). Throughput counts training "
             f"examples (and real, non-pad tokens) per second in steady state; latency is one batch-1 request. "
             f"Memory is {which}. Device: {device}. ★ = Pareto-optimal: no other entry is at least as good on "
             f"overall score and on throughput (speed) or peak memory (memory), and better on one."]
    if lb.show_tuning:
        intro.append("Trainable params: what the tuning strategy updates (full: everything; head: the new task head; "
                     "lora: adapters and head); optimizer state: AdamW's two fp32 moments per trainable parameter.")
    shared = shared_costs(lb)
    if shared:
        intro.append(f"{sharing.LEGEND} Peak memory is per process and not affected.")
    title = f"Cost ({sharing.MARK}: some figures measured while other jobs shared the device)" if shared else "Cost"
    return Table("cost", title, columns, rows, intro)


def shared_costs(lb: Leaderboard) -> bool:
    """Whether any throughput or latency figure of the cost table was measured while other jobs shared the device."""
    return any(sharing.was_shared(o[f"{m}_shared_seeds"]) for o in lb.overall.to_dict("records")
               for m in ("train", "latency"))


def _shared_figure(o: dict, measurement: str, value, shown: str) -> Cell:
    """A throughput or latency cell, marked when jobs behind it were measured next to others on their device."""
    cell = number(value, shown)
    if not fmt.missing(value):
        most, jobs = o[f"{measurement}_shared"], o[f"{measurement}_shared_seeds"]
        cell.text += sharing.mark(most, jobs, o["jobs_ok"])
        what = "training throughput" if measurement == "train" else "latency"
        cell.title = sharing.describe(what, most, jobs, o["jobs_ok"])
    return cell


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


def selection_table(lb: Leaderboard) -> Table | None:
    """Every grid point's mean validation score per entry and task; the chosen one (best on validation) bold."""
    grid = lb.selection
    if grid is None or grid.empty:
        return None
    rows = []
    for r in grid.to_dict("records"):
        shown = "–" if fmt.missing(r["validation_mean"]) else f"{r['validation_mean']:.4f}"
        rows.append([text(r["entry"]), text(r["task"]), text(r["setting"]),
                     Cell(shown, sort=None if fmt.missing(r["validation_mean"]) else r["validation_mean"],
                          best=bool(r["chosen"]), numeric=True),
                     number(r["seeds"], str(r["seeds"])), text("chosen" if r["chosen"] else "")])
    return Table("selection", "Hyperparameter selection (validation)",
                 ["entry", "task", "setting", "validation score (mean over seeds)", "seeds", ""], rows,
                 intro=["Each entry × task was trained at every setting of the grid; the setting with the best mean "
                        "validation score (bold) is the one whose test figures enter the tables above. The test "
                        "split takes no part in this choice."])
