"""The report's figures, in drawing and display order: the one list report.md, report.html and the painter read.

A figure's draw function is named, not imported: the painter forks its workers before numpy, pandas or matplotlib
are loaded (see painter.py), so this module must stay free of heavy imports; the function is imported where the
figure is drawn.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    file: str               # under plots/
    caption: str
    draw: str               # "module:function" in harness.report; function(leaderboard) -> matplotlib Figure | None
    wide: bool = False      # spans the full width of the HTML page (heatmap and bars grow with the tasks)

    def drawer(self):
        module, function = self.draw.split(":")
        return getattr(importlib.import_module(f"harness.report.{module}"), function)


FIGURES = (
    Figure("score_vs_throughput.png", "Overall score vs training throughput, Pareto front", "plots:speed"),
    Figure("score_vs_memory.png", "Overall score vs peak memory, Pareto front", "plots:memory"),
    Figure("heatmap.png", "Normalized score per entry and task", "plots:heatmap", wide=True),
    Figure("task_scores.png", "Per-task scores with 95 % intervals", "plots:task_bars", wide=True),
    Figure("sensitivity.png", "Validation score vs learning rate (hyperparameter grid)", "plots:sensitivity"),
)
BY_FILE = {figure.file: figure for figure in FIGURES}
