"""The cost table: per entry, parameters, training throughput, latency, peak memory and the Pareto fronts of score
against speed and memory, with figures measured while other jobs shared the device marked (harness.report.sharing)
and "no training" for the training throughput of entries that train nothing (harness.report.no_training).
"""
from __future__ import annotations

from harness.report import format as fmt
from harness.report import sharing
from harness.report.aggregate import Leaderboard
from harness.report.no_training import NO_TRAINING, SORT_ABOVE_ALL, trains_nothing
from harness.report.tables import Cell, Table, number, text
from harness.report.text import printable


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
                     *_training_figures(o),
                     _shared_figure(o, "latency", o["latency_ms_p50"], fmt.rate(o["latency_ms_p50"], 2)), mem,
                     Cell("★" if o["pareto_speed"] else "", sort=1.0 if o["pareto_speed"] else 0.0,
                          pareto=bool(o["pareto_speed"])),
                     Cell("★" if o["pareto_memory"] else "", sort=1.0 if o["pareto_memory"] else 0.0,
                          pareto=bool(o["pareto_memory"]))])
    device = ", ".join(sorted({printable(d) for d in lb.cells["device"].dropna()})) or "unknown"   # into prose
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
    if any(trains_nothing(t) for t in lb.overall["tuning"]):
        intro.append(f"{NO_TRAINING.capitalize()}: the entry evaluates the pretrained model as it is (tuning none) or "
                     "with examples in its prompt (icl:K); training costs nothing, so its throughput counts as "
                     "unbounded on the speed Pareto front.")
    shared = shared_costs(lb)
    if shared:
        intro.append(f"{sharing.LEGEND} Peak memory is per process and not affected.")
    title = f"Cost ({sharing.MARK}: some figures measured while other jobs shared the device)" if shared else "Cost"
    return Table("cost", title, columns, rows, intro)


def shared_costs(lb: Leaderboard) -> bool:
    """Whether any throughput or latency figure of the cost table was measured while other jobs shared the device."""
    return any(sharing.was_shared(o[f"{m}_shared_seeds"]) for o in lb.overall.to_dict("records")
               for m in ("train", "latency"))


def _training_figures(o: dict) -> list[Cell]:
    """The training throughput cells (samples/s, tokens/s): "no training" for an entry that trains nothing."""
    if trains_nothing(o["tuning"]):
        return [Cell(NO_TRAINING, sort=SORT_ABOVE_ALL, numeric=True) for _ in range(2)]
    return [_shared_figure(o, "train", o["train_samples_per_s"], fmt.rate(o["train_samples_per_s"])),
            _shared_figure(o, "train", o["train_tokens_per_s"], fmt.rate(o["train_tokens_per_s"], 0))]


def _shared_figure(o: dict, measurement: str, value, shown: str) -> Cell:
    """A throughput or latency cell, marked when jobs behind it were measured next to others on their device."""
    cell = number(value, shown)
    if not fmt.missing(value):
        most, jobs = o[f"{measurement}_shared"], o[f"{measurement}_shared_seeds"]
        cell.text += sharing.mark(most, jobs, o["jobs_ok"])
        what = "training throughput" if measurement == "train" else "latency"
        cell.title = sharing.describe(what, most, jobs, o["jobs_ok"])
    return cell
