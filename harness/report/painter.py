"""Drawing the report's plots, in forked worker processes where that pays.

Rendering PNGs is most of a report's time. A `Painter` made at the very start of a report forks its workers
before numpy, pandas or matplotlib are imported in the parent (so the fork copies a small, single-threaded
process); the workers import the plotting stack while the parent loads and aggregates the results, then draw one
figure each from the aggregated tables that `start` sends them. With fewer than 4 cores, when torch is loaded
(its thread pools make fork unsafe), without fork, or with HARNESS_PLOT_PROCESSES=0/1, it draws in this process.
This module must stay free of heavy imports.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import sys
from pathlib import Path

from harness.report.figures import BY_FILE, FIGURES



def plot_processes(parallel: bool | None = None) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = os.environ.get("HARNESS_PLOT_PROCESSES", "").strip()
    if wanted.isdigit():
        processes = int(wanted)
    elif parallel is None:
        # On one or two cores the workers would only compete with the parent.
        processes = cores if cores >= 4 and "torch" not in sys.modules else 1
    else:
        processes = max(cores, 2) if parallel else 1
    if "fork" not in multiprocessing.get_all_start_methods():
        processes = 1
    return min(processes, len(FIGURES))


class Painter:
    def __init__(self, parallel: bool | None = None):
        processes = plot_processes(parallel)
        self.pool = None
        if processes > 1:
            self.pool = multiprocessing.get_context("fork").Pool(processes, initializer=_warm_up)
        self.jobs: list = []
        self.pending = None

    def start(self, lb, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        light = lb.for_plots()
        self.jobs = [(name, str(folder / name), light) for name in BY_FILE]
        if self.pool is not None:
            self.pending = self.pool.map_async(draw_one, self.jobs)
        else:
            self.pending = None

    def finish(self) -> list[Path]:
        done = self.pending.get() if self.pending is not None else [draw_one(job) for job in self.jobs]
        return [Path(path) for path in done if path]

    def close(self, failed: bool = False) -> None:
        if self.pool is not None:
            if failed:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        self.close(failed=kind is not None)


def write_plots(lb, folder: Path, parallel: bool | None = None) -> list[Path]:
    """Draw every figure into folder; returns the written paths in FIGURES order."""
    with Painter(parallel) as painter:
        painter.start(lb, folder)
        return painter.finish()


def draw_one(job) -> str | None:
    """Draw one figure: job = (file name, path, leaderboard). Runs in a plot worker or in this process."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    name, path, lb = job
    fig = BY_FILE[name].drawer()(lb)
    if fig is None:
        return None
    from harness.atomic import write_atomic
    from harness.report.plots import DPI

    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    write_atomic(path, png.getvalue())
    return path


def _warm_up() -> None:
    """In a worker, before any job arrives: import what drawing (and unpickling the tables) needs."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import pandas  # noqa: F401

    for figure in FIGURES:
        figure.drawer()
