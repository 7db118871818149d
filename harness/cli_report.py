"""The reporting commands: `harness report`, `harness select`, `harness compare` (registered in harness.cli).

Nothing heavy is imported at module level, so `harness --help` stays fast and torch-free.
"""
from __future__ import annotations

import json
import sys

import click

from harness.errors import UserError


def echo(text: str) -> None:
    """Print a report's text: names come from the run, and none may send control sequences to the terminal."""
    from harness.report.text import printable

    click.echo(printable(text))

LIMIT_HELP = ("Limits are checked on every selected task (worst case): sizes take KB/MB/GB (powers of 1000) or "
              "KiB/MiB/GiB, K/M/G (powers of 1024).")


def _board(run_dir: str):
    from harness.report.aggregate import build
    from harness.report.load import load_run

    return build(load_run(run_dir))


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("--format", "formats", default="all", show_default=True, metavar="LIST",
              help="Comma list of md, html, csv, json, tex (plots come with md and html).")
@click.option("--out", type=click.Path(file_okay=False), help="Where to write the report.  [default: RUN_DIR]")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots (faster; HTML then has no figures).")
def report(run_dir, formats, out, no_plots):
    """Write the leaderboard report of RUN_DIR and print the leaderboard.

    \b
    Files (in --out, default RUN_DIR):
      report.md        overall leaderboard, one table per task family, costs, settings
      report.html      the same, self-contained (sortable tables, embedded plots), safe to share
      leaderboard.csv  one row per entry x task;  results.json  everything aggregated
      leaderboard.tex  booktabs tables;  plots/*.png  Pareto fronts, heatmap, per-task bars
    \b
    Examples:
      harness report runs/2026-11-28_120000
      harness report runs/base --format md,csv --out reports/base
    """
    from harness.report import build_and_write, parse_formats
    from harness.report.markdown import render_terminal

    wanted = parse_formats(formats)
    board, paths = build_and_write(run_dir, out, wanted, plots=not no_plots)
    echo(render_terminal(board))
    for path in paths:
        click.echo(f"wrote {path}", err=True)


@click.command(name="select", epilog=LIMIT_HELP)
@click.argument("run_dir", type=click.Path())
@click.option("--tasks", "-t", help="Comma list of tasks or task families to choose for.  [default: all of the run]")
@click.option("--max-memory", metavar="SIZE", help="Peak memory limit (GPU if used, else process RSS), e.g. 8GB.")
@click.option("--max-latency-ms", metavar="MS", help="Batch-1 latency (p50) limit in milliseconds, e.g. 20.")
@click.option("--min-throughput", metavar="N", help="Minimum training throughput in samples/s, e.g. 500 or 1.5k.")
@click.option("--max-params", metavar="COUNT", help="Parameter count limit, e.g. 200M or 1.3B.")
@click.option("--json", "as_json", is_flag=True, help="Print the selection as JSON.")
def select_(run_dir, tasks, max_memory, max_latency_ms, min_throughput, max_params, as_json):
    """Rank the models of RUN_DIR that satisfy every limit, with the reasoning per model.

    Exits with 1 when no model satisfies the limits (and says which limit excludes the most).

    \b
    Examples:
      harness select runs/base --tasks classification --max-memory 8GB --max-latency-ms 20
      harness select runs/base --tasks sst2,stsb --max-params 150M --json
    """
    from harness.report.limits import parse_limits
    from harness.report.recommend import render_selection, select, selection_json

    limits = parse_limits(max_memory, max_latency_ms, min_throughput, max_params)     # bad values fail fast
    selection = select(_board(run_dir), tasks, limits)
    if as_json:
        click.echo(json.dumps(selection_json(selection), indent=1, ensure_ascii=False))
    else:
        echo(render_selection(selection))
    if selection.none_fits:
        sys.exit(1)


@click.command()
@click.argument("run_a", type=click.Path())
@click.argument("run_b", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON records.")
def compare(run_a, run_b, as_json):
    """Per model x task change of score and cost from RUN_A to RUN_B, with significance.

    \b
    Example:
      harness compare runs/before runs/after
    """
    from harness.report.compare import compare as compare_runs, render_compare

    a, b = _board(run_a), _board(run_b)
    table = compare_runs(a, b)
    if as_json:
        from harness.report.export import _clean

        click.echo(json.dumps(_clean(table.to_dict(orient="records")), indent=1, ensure_ascii=False))
    else:
        echo(render_compare(a, b, table))


def print_leaderboard(run_dir) -> None:
    """The leaderboard table `harness run` prints at the end."""
    from harness.report.markdown import render_terminal

    try:
        echo(render_terminal(_board(run_dir)))
    except UserError as exc:
        click.echo(f"(no leaderboard: {exc})", err=True)


COMMANDS = (report, select_, compare)
