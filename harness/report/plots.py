"""The report's figures (matplotlib, Agg, no pyplot state): quality vs speed and vs memory with their Pareto
fronts, a model × task heatmap of normalized scores, per-task bars with 95 % intervals, and the learning-rate
sensitivity. Each public function draws one figure of harness.report.figures.FIGURES from a leaderboard.

Labels are placed greedily around their points (never over another label, point or the axes edge); a label that
finds no free place is left out and the figure says how many.
"""
from __future__ import annotations

import math

import numpy as np

from harness.report import format as fmt
from harness.report.aggregate import Leaderboard
from harness.report.no_training import NO_TRAINING, training_throughput
from harness.report.normalize import metric_range
from harness.report.text import shorten

DPI = 100
ARCH_STYLE = {"encoder": ("#1f77b4", "o"), "decoder": ("#d62728", "s"), "encoder-decoder": ("#2ca02c", "^")}
OTHER_STYLE = ("#7f7f7f", "D")
FRONT_COLOR = "#ff7f0e"
# Row-per-entry figures show the best MAX_ROWS entries (a taller figure is not readable at a glance, and the
# tables hold everything); scatter plots show every point but label at most MAX_LABELS of them.
MAX_ROWS = 30
MAX_BAR_ROWS = 20
MAX_LABELS = 20
MAX_LABEL_CHARS = 40


def plain(text) -> str:
    """A user string shown literally by matplotlib ($ would start mathtext), shortened to a label's length: a figure
    has fixed room for its labels (the tables show full names)."""
    return shorten(text, MAX_LABEL_CHARS).replace("$", r"\$")


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


# --- scatter plots with Pareto fronts --------------------------------------------------------------------------
def speed(lb: Leaderboard):
    o = lb.overall
    x, no_training_at = _no_training_at_right(training_throughput(o))
    fig = _scatter(lb, x, maximize_x=True,
                   title="Quality vs training speed",
                   xlabel="training throughput (samples/s)", file_front=o["pareto_speed"].to_numpy(bool),
                   shared=o["train_shared_seeds"].fillna(0).to_numpy(float) > 0)
    ax = fig.axes[0]
    if no_training_at is not None and ax.axison:
        ax.axvline(no_training_at, color="#999999", ls=":", lw=1, zorder=0)
        ax.text(no_training_at, 0.03, NO_TRAINING + " ", transform=ax.get_xaxis_transform(), rotation=90,
                ha="right", va="bottom", fontsize=8, color="#555555")
    return fig


def _no_training_at_right(x: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Entries that train nothing (+inf throughput) drawn on a line of their own right of the fastest measured
    entry, where the best speed is: (the positions, that line's x, or None without such entries)."""
    untrained = np.isposinf(x)
    if not untrained.any():
        return x, None
    measured = x[np.isfinite(x) & (x > 0)]
    at = float(measured.max()) * 3 if measured.size else 1.0
    return np.where(untrained, at, x), at


def memory(lb: Leaderboard):
    o = lb.overall
    kind = {"GPU": "peak GPU memory", "RSS": "peak process memory (RSS, CPU run)"}.get(lb.memory_kind,
                                                                                       "peak memory (GPU or RSS)")
    memory = o["peak_memory_bytes"].to_numpy(float)
    unit, size = ("GiB", 2 ** 30) if np.nanmax(np.append(memory, 0)) >= 2 * 2 ** 30 else ("MiB", 2 ** 20)
    return _scatter(lb, memory / size, maximize_x=False, title="Quality vs memory", xlabel=f"{kind} ({unit})",
                    file_front=o["pareto_memory"].to_numpy(bool))


def _scatter(lb: Leaderboard, x: np.ndarray, maximize_x: bool, title: str, xlabel: str, file_front: np.ndarray,
             shared: np.ndarray | None = None):
    """shared: entries whose x was measured (partly) while other jobs shared the device, drawn hollow. Peak memory
    is per process, so the memory plot has none."""
    o = lb.overall
    y = o["score"].to_numpy(float) * 100
    low, high = o["score_low"].to_numpy(float) * 100, o["score_high"].to_numpy(float) * 100
    valid = np.isfinite(x) & np.isfinite(y) & (x > 0)
    fig = _figure(7.6, 5.0)
    ax = fig.add_subplot()
    ax.set_title(title + (" (bundled sample data †)" if lb.any_sample else ""), fontsize=12, loc="left")
    ax.set_title("error bars: 95 % interval", fontsize=8, loc="right", color="#666")
    if not valid.any():
        ax.text(0.5, 0.5, "no completed entry has this measurement", ha="center", va="center",
                transform=ax.transAxes, color="#555")
        ax.set_axis_off()
        return fig
    xv, yv = x[valid], y[valid]
    log = xv.max() / xv.min() > 20
    if log:
        ax.set_xscale("log")
    err = np.vstack([np.nan_to_num(yv - low[valid]), np.nan_to_num(high[valid] - yv)])
    ax.errorbar(xv, yv, yerr=np.clip(err, 0, None), fmt="none", ecolor="#bbbbbb", elinewidth=1, capsize=2,
                zorder=1)
    _points(ax, xv, yv, o["architecture"].to_numpy()[valid],
             np.zeros(len(xv), bool) if shared is None else shared[valid])
    front = file_front[valid]
    if front.any():
        order = np.argsort(xv[front])
        fx, fy = xv[front][order], yv[front][order]
        ax.plot(fx, fy, color=FRONT_COLOR, lw=1.6, ls="--", zorder=2, label="Pareto front")
        ax.scatter(fx, fy, s=130, facecolors="none", edgecolors=FRONT_COLOR, linewidths=1.6, zorder=4)
    ax.set_xlabel(xlabel + (", log scale" if log else "") + ("  →  better" if maximize_x else "  ←  better"))
    ax.set_ylabel("overall score (mean normalized, 0–100)  →  better")
    ax.grid(True, which="major", color="#e6e6e6", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.margins(x=0.18 if not log else 0.12, y=0.18)
    ax.autoscale_view()
    # Limits follow the points, not the intervals: a two-seed t-interval can be wider than the whole scale.
    span = max(float(yv.max() - yv.min()), 10.0)
    ax.set_ylim(float(yv.min()) - 0.35 * span, float(yv.max()) + 0.35 * span)
    ax.legend(loc="best", fontsize=8.5, frameon=True, framealpha=0.9)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.92, bottom=0.12)   # fixed: tight_layout costs a full draw
    names = [plain(e) for e in o["entry"].to_numpy()[valid]]
    priority = np.lexsort((-yv, ~front))            # Pareto entries first, then by score
    skipped = max(0, len(priority) - MAX_LABELS)
    skipped += place_labels(fig, ax, xv, yv, names, priority[:MAX_LABELS], avoid_legend=True)
    if skipped:
        ax.text(1.0, -0.16 if not log else -0.17, f"{skipped} label(s) left out for space; see the tables",
                transform=ax.transAxes, ha="right", va="top", fontsize=7.5, color="#666")
    return fig


def _points(ax, xs, ys, arch, shared) -> None:
    """One colour and marker per architecture; hollow where the figure was measured next to other jobs on the
    device, with a legend entry saying so."""
    for a in dict.fromkeys(arch):
        color, marker = ARCH_STYLE.get(a, OTHER_STYLE)
        mask = arch == a
        solo, hollow = mask & ~shared, mask & shared
        ax.scatter(xs[solo], ys[solo], c=color, marker=marker, s=46, zorder=3, edgecolors="white", linewidths=0.6,
                   label=plain(a or "unknown") if solo.any() else None)
        if hollow.any():
            ax.scatter(xs[hollow], ys[hollow], facecolors="none", edgecolors=color, marker=marker, s=46, zorder=3,
                       linewidths=1.4, label=None if solo.any() else plain(a or "unknown"))
    if shared.any():
        ax.scatter([], [], facecolors="none", edgecolors="#555555", marker="o", s=46, linewidths=1.4,
                   label="hollow: measured while other jobs shared the device")


def place_labels(fig, ax, xs, ys, labels, priority, avoid_legend: bool = False) -> int:
    """Put each label next to its point where it overlaps nothing; returns how many found no place."""
    renderer = fig.canvas.get_renderer()
    points = ax.transData.transform(np.column_stack([xs, ys]))
    frame = ax.get_window_extent(renderer)
    ring = 8 * fig.dpi / 72.0                       # the marker and the Pareto ring around it
    blocked = [(px - ring, py - ring, px + ring, py + ring) for px, py in points]
    if avoid_legend and ax.get_legend() is not None:
        b = ax.get_legend().get_window_extent(renderer)
        blocked.append((b.x0, b.y0, b.x1, b.y1))
    scale = fig.dpi / 72.0
    directions = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]
    skipped = 0
    for i in priority:
        probe = ax.text(0, 0, labels[i], fontsize=8.5)
        box = probe.get_window_extent(renderer)
        probe.remove()
        w, h = box.width, box.height
        placed = False
        for radius in (9, 15, 24, 36):
            for dx, dy in directions:
                ox, oy = dx * radius * scale, dy * radius * scale
                cx, cy = points[i][0] + ox, points[i][1] + oy
                x0 = cx if dx > 0 else cx - w if dx < 0 else cx - w / 2
                y0 = cy if dy > 0 else cy - h if dy < 0 else cy - h / 2
                rect = (x0 - 1, y0 - 1, x0 + w + 1, y0 + h + 1)
                if rect[0] < frame.x0 or rect[2] > frame.x1 or rect[1] < frame.y0 or rect[3] > frame.y1:
                    continue
                if any(_hit(rect, other) for j, other in enumerate(blocked) if j != i):
                    continue
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
                ax.annotate(labels[i], (xs[i], ys[i]), xytext=(dx * radius, dy * radius), textcoords="offset points",
                            ha=ha, va=va, fontsize=8.5, color="#222",
                            arrowprops={"arrowstyle": "-", "color": "#999", "lw": 0.6} if radius > 15 else None)
                blocked.append(rect)
                placed = True
                break
            if placed:
                break
        skipped += not placed
    return skipped


def _hit(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# --- heatmap -----------------------------------------------------------------------------------------------------
def heatmap(lb: Leaderboard):
    from matplotlib.colors import Normalize

    entries, tasks = lb.entries[:MAX_ROWS], lb.task_names
    if not entries or not tasks:
        return None
    values = np.full((len(entries), len(tasks)), np.nan)
    texts = [[""] * len(tasks) for _ in entries]
    digits = {t["task"]: fmt.decimals_for(lb.cells.loc[lb.cells["task"] == t["task"], "mean"],
                                          t["normalization"] == "percent") for _, t in lb.tasks.iterrows()}
    for i, entry in enumerate(entries):
        for j, task in enumerate(tasks):
            cell = lb.cell(entry, task)
            if cell is None:
                texts[i][j] = "–"
            elif cell["status"] != "ok":
                texts[i][j] = "n/a" if cell["status"] == "unsupported" else "failed"
            else:
                values[i, j] = 100 * cell["norm"]
                texts[i][j] = fmt.num(cell["mean"], digits[task])
    label_w = _text_inches(entries) + 0.3
    rotate = len(tasks) > 4
    bottom_in = 0.45 + (_text_inches(tasks) * 0.5 if rotate else 0.0) + (0.3 if len(lb.entries) > len(entries)
                                                                          else 0.0)
    width = max(min(1.6 + label_w + 0.95 * len(tasks), 22), 6.0)
    height = max(min(0.5 + bottom_in + 0.36 * len(entries), 40), 3.0)
    fig = _figure(width, height)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=label_w / width, right=1 - 0.75 / width, top=1 - 0.45 / height,
                        bottom=bottom_in / height)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 100.0)
    if hi - lo < 10:                         # keep small differences from looking dramatic
        mid = (hi + lo) / 2
        lo, hi = mid - 5, mid + 5
    norm = Normalize(lo, hi)
    cmap = __import__("matplotlib").colormaps["viridis"]
    masked = np.ma.masked_invalid(values)
    cmap = cmap.with_extremes(bad="#eeeeee")
    image = ax.imshow(masked, cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(len(tasks)), [plain(t) for t in tasks], rotation=30 if rotate else 0,
                  ha="right" if rotate else "center", rotation_mode="anchor" if rotate else "default")
    ax.set_yticks(range(len(entries)), [plain(e) for e in entries])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if len(entries) * len(tasks) <= 900:
        for i in range(len(entries)):
            for j in range(len(tasks)):
                v = values[i, j]
                color = "#666" if not np.isfinite(v) else ("white" if norm(v) < 0.55 else "black")
                ax.text(j, i, texts[i][j], ha="center", va="center", fontsize=8, color=color)
    bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.015, aspect=30)
    bar.set_label("normalized score (0–100)")
    ax.set_title("Normalized score per task (cell text: mean primary metric)" +
                 (" †" if lb.any_sample else ""), fontsize=11, loc="left")
    if len(lb.entries) > len(entries):
        ax.set_xlabel(f"top {len(entries)} of {len(lb.entries)} entries by overall score", fontsize=8.5,
                      color="#666")
    return fig


# --- per-task bars -----------------------------------------------------------------------------------------------
def task_bars(lb: Leaderboard):
    entries, tasks = lb.entries[:MAX_BAR_ROWS], lb.task_names
    if not entries or not tasks:
        return None
    cols = min(3, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    label_w = _text_inches(entries) + 0.25
    panel_h = 0.75 + 0.26 * len(entries)
    width, height = min(label_w + 3.4 * cols, 24), min(panel_h * rows + 0.55, 60)
    fig = _figure(width, height)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    fig.subplots_adjust(left=label_w / width, right=0.98, top=1 - 0.75 / height, bottom=0.5 / height,
                        wspace=0.08, hspace=0.75 / (panel_h - 0.75))
    ypos = np.arange(len(entries))
    for k, (_, task) in enumerate(lb.tasks.iterrows()):
        ax = axes[k // cols][k % cols]
        part = lb.cells[lb.cells["task"] == task["task"]].set_index("entry")
        means = np.array([part["mean"].get(e, np.nan) for e in entries], dtype=float)
        lows = np.array([part["ci_low"].get(e, np.nan) for e in entries], dtype=float)
        highs = np.array([part["ci_high"].get(e, np.nan) for e in entries], dtype=float)
        bounds = metric_range(task["kind"], task["metric"])
        if bounds:          # a t-interval over few seeds can leave the metric's range; the metric cannot
            lows, highs = np.clip(lows, *bounds), np.clip(highs, *bounds)
        best = np.array([bool(part["best"].get(e, False)) for e in entries])
        colors = np.where(best, "#1f77b4", "#9ecae1")
        ok = np.isfinite(means)
        ax.barh(ypos[ok], means[ok], color=colors[ok], height=0.7, zorder=2)
        has = ok & np.isfinite(lows) & np.isfinite(highs)
        if has.any():
            err = np.vstack([np.clip(means[has] - lows[has], 0, None), np.clip(highs[has] - means[has], 0, None)])
            ax.errorbar(means[has], ypos[has], xerr=err, fmt="none", ecolor="#333", elinewidth=1, capsize=2.5,
                        zorder=3)
        for y, entry in zip(ypos[~ok], np.asarray(entries, dtype=object)[~ok]):
            status = part["status"].get(entry)
            ax.text(0.01, y, "n/a" if status == "unsupported" else "failed" if status == "failed" else "–",
                    transform=ax.get_yaxis_transform(), va="center", fontsize=8, color="#a33")
        arrow = "  →  better" if task["higher_is_better"] else "  ←  better"
        ax.set_xlabel(plain(task["metric"]) + arrow, fontsize=8.5)
        ax.set_title(plain(task["task"]) + (" †" if task["sample"] else ""), fontsize=10, loc="left")
        ax.grid(True, axis="x", color="#e6e6e6", lw=0.8, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        finite = np.concatenate([means[ok], lows[has], highs[has]])
        if finite.size:
            lo, hi = min(0.0, float(finite.min())), float(finite.max())
            ax.set_xlim(lo - 0.02 * (hi - lo or 1), hi + 0.05 * (hi - lo or 1))
        ax.tick_params(labelsize=8)
    for k in range(len(tasks), rows * cols):
        axes[k // cols][k % cols].set_axis_off()
    axes[0][0].set_yticks(ypos, [plain(e) for e in entries])
    axes[0][0].invert_yaxis()
    shown = "" if len(lb.entries) <= len(entries) else f"; top {len(entries)} of {len(lb.entries)} entries"
    fig.suptitle(f"Primary metric per task: mean over seeds, 95 % interval within the metric's range (dark bar = "
                 f"best){shown}", fontsize=11,
                 x=0.01, y=1 - 0.12 / height, ha="left", va="top")
    return fig


def _text_inches(labels, fontsize: float = 8.5) -> float:
    """Rough width of the longest label (DejaVu Sans averages ~0.6 em per character)."""
    longest = max((len(plain(label)) for label in labels), default=0)
    return longest * fontsize * 0.6 / 72


# --- hyperparameter sensitivity ---------------------------------------------------------------------------------
def sensitivity(lb: Leaderboard):
    """Mean validation score vs learning rate, one line per entry, one panel per task (only with an lr grid)."""
    grid = lb.selection
    if grid is None or grid.empty or not any("lr" in g for g in grid["grid"]):
        return None
    tasks = list(dict.fromkeys(grid["task"]))
    columns = min(3, len(tasks))
    rows = math.ceil(len(tasks) / columns)
    fig = _figure(4.6 * columns + 1.8, 3.4 * rows + 0.6)
    for index, task in enumerate(tasks):
        ax = fig.add_subplot(rows, columns, index + 1)
        part = grid[grid["task"] == task]
        for entry, lines in list(part.groupby("entry", sort=False))[:MAX_LABELS]:
            points = sorted((g["lr"], v, c) for g, v, c in zip(lines["grid"], lines["validation_mean"],
                                                                  lines["chosen"]) if "lr" in g and v == v)
            if not points:
                continue
            xs, ys, chosen = zip(*points)
            line, = ax.plot(xs, ys, marker="o", label=plain(entry), linewidth=1.4)
            for x, y, c in points:
                if c:
                    ax.plot([x], [y], marker="*", markersize=13, color=line.get_color(), zorder=5)
        ax.set_xscale("log")
        ax.set_title(plain(task), fontsize=10)
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel(f"validation {plain(part['primary_metric'].iloc[0])}")
        ax.grid(alpha=0.3)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.suptitle("Sensitivity to the learning rate (★ = chosen on validation)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 1.8 / (4.6 * columns + 1.8), 0.95))
    return fig
