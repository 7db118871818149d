"""The `harness` command line: a thin layer over harness.api. Torch is imported only by commands that train."""
from __future__ import annotations

import os
import sys

import click

from harness.config.click_options import field_options, given_values, run_options
from harness.config.fields import OWN_DATA_KINDS
from harness.errors import UserError
from harness.evaluate_saved import EVAL_FIELDS
from harness.logs import LEVELS, configure_cli_logging

EPILOG_RUN = """\b
Examples:
  harness run                                   # smoke preset: tiny models x every task, bundled samples
  harness run --models bert,gpt2 --tasks all --seeds 0,1,2
  harness run --models tiny-bert --tasks classification,similarity --data sample
  harness run --models minilm --tasks sst2 --data-dir ../shared/data --max-train-samples 4000 --epochs 1
  harness run --models ./my-model --tasks sst2 --data sst2=train:my/train.tsv,test:my/dev.tsv
  harness run --models minilm --tasks ./reviews.csv --columns text=review,label=stars   # own data, no card

\b
Configuration files (every option above as a YAML key; options given on the command line win):
  harness run -m tiny-bert -t sst2 --lr-grid 1e-4,3e-4 --print-config > sweep.yaml
  harness run --config sweep.yaml --seeds 0,1

\b
Sweeps at scale (see docs/architecture.md):
  harness run -m bert,roberta,deberta -t all --seeds 0,1,2 -o runs/board   # re-run the same line to resume
  harness run -m bert -t all --jobs-per-gpu 4                # at most 4 jobs share a GPU (auto: by memory)
  harness run -m qwen -t sst2 --parallel data --num-processes 4 --accelerate-config fsdp.yaml
  harness run -m tiny-bert -t sst2 --data sample --device cpu --workers 2 --job-timeout 600 --quiet
  harness run -m bert -t all --executor ray --ray-address auto   # an existing Ray cluster (`ray start --head`)
"""


class HarnessGroup(click.Group):
    """Prints user errors (ours and click's) as one line with a hint and exits 2, never a traceback."""

    def main(self, args=None, prog_name=None, **kwargs):
        try:
            return super().main(args=args, prog_name=prog_name, standalone_mode=False, **kwargs)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "harness"
            click.echo(f"error: {exc.format_message()} (hint: see `{command} --help`)", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort as exc:
            cause = exc.__cause__       # click turns Ctrl-C (KeyboardInterrupt) into Abort
            if isinstance(cause, KeyboardInterrupt):
                click.echo(f"interrupted: {cause}" if str(cause) else
                           "interrupted: finished results are kept; run the same command again to resume", err=True)
            else:
                click.echo("aborted", err=True)
            sys.exit(130)
        except KeyboardInterrupt as exc:
            click.echo(f"interrupted: {exc}" if str(exc) else
                       "interrupted: finished results are kept; run the same command again to resume", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - a bug in the tool: say so briefly, keep the traceback on request
            if os.environ.get("HARNESS_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (hint: set HARNESS_DEBUG=1 for the traceback "
                       "and please report it)", err=True)
            sys.exit(1)


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="harness")
@click.option("--log-level", type=click.Choice(LEVELS), default="info", show_default=True,
              help="Messages shown on stderr (debug adds the traceback of each failed job).")
@click.option("--verbose", "-v", is_flag=True, help="Same as --log-level debug.")
def main(log_level, verbose):
    """Fine-tune pretrained language models on downstream tasks and compare them.

    \b
    Quick start:
      harness run                       # smoke preset, offline, a few minutes on a laptop CPU
      harness list tasks                # the registered tasks
      harness report runs/<timestamp>   # leaderboard of a run
    """
    configure_cli_logging("debug" if verbose else log_level)


@main.command(epilog=EPILOG_RUN)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="YAML file of run options (keys as the options here: lr_grid, lora_r, ...; see --print-config); "
              "options given here override it.")
@click.option("--print-config", is_flag=True, help="Print the effective configuration as YAML (a file --config "
              "reads back) and exit without running.")
@run_options
def run(config_file, print_config, **options):
    """Fine-tune every model on every task for every seed and store the results.

    With no --models and --tasks, runs the smoke preset: the tiny built-in models on every task's bundled sample
    for one epoch, entirely offline.
    """
    from harness.config import read_file, resolve, to_yaml

    file_values = read_file(config_file) if config_file else {}
    config = resolve(given_values(click.get_current_context()), file_values,
                     note=lambda message: click.echo(message, err=True))
    if print_config:
        click.echo(to_yaml(config), nl=False)
        return
    from harness.api import run as api_run
    from harness.executors.worker import quiet_libraries

    quiet_libraries()       # this process is ours: inline jobs run here, and their chatter stays out as in workers
    results = api_run(config)
    if results and config.write_report:
        _print_leaderboard(results[0]["run"], config.output)
    failed = sum(r["status"] == "failed" for r in results)
    if failed:
        click.echo(f"{failed} job(s) failed; see the report, or resume to retry them", err=True)


EPILOG_EVAL = """\b
Examples:
  harness eval --models runs/board/models/<job id> --data sample        # a model `harness run --save` kept
  harness eval -m runs/board/models/<job id> --data sst2=train:my/train.tsv,test:my/new.tsv   # new data
  harness eval -m ./my-finetuned-ner -t conll2003 --data-dir ../shared/data     # any fine-tuned checkpoint
"""


@main.command(name="eval", epilog=EPILOG_EVAL)
@click.option("--models", "-m", "models", required=True, metavar="DIR,DIR,...",
              help="Comma list of fine-tuned model directories whose head fits the task (e.g. OUT/models/<job id>, "
              "written by `harness run --save`).")
@click.option("--tasks", "-t", "tasks", metavar="TASK,...", help="Tasks to evaluate on.  [default: the task in "
              "each model's harness.json]")
@field_options([name for name in EVAL_FIELDS if name not in ("models", "tasks")])
def eval_(**options):
    """Evaluate fine-tuned models as saved (their own heads, nothing trained) on validation and test.

    Writes ordinary records (tuning `saved`) and a report: a model kept by `harness run --save` reproduces its
    recorded test score on the same data, and can be evaluated on new data.
    """
    from harness.api import evaluate
    from harness.executors.worker import quiet_libraries

    quiet_libraries()
    given = given_values(click.get_current_context())
    results = evaluate(**given)
    if results and given.get("write_report", True):
        _print_leaderboard(results[0]["run"], given.get("output"))
    failed = sum(r["status"] == "failed" for r in results)
    if failed:
        click.echo(f"{failed} evaluation(s) failed; see the report", err=True)


def _print_leaderboard(run_name, output):
    from pathlib import Path

    from harness.cli_report import print_leaderboard

    print_leaderboard(Path(output) if output else Path("runs") / run_name)


@main.group(name="list")
def list_():
    """List registered tasks, model aliases, leaderboards or task kinds."""


@list_.command(name="tasks")
@click.option("--tasks-dir", multiple=True, type=click.Path(), help="Extra folder of task cards.")
def list_tasks(tasks_dir):
    """Registered task cards with family, kind and primary metric.

    \b
    Example:
      harness list tasks --tasks-dir my_cards/
    """
    from harness.tasks.registry import Registry

    registry = Registry(tasks_dir)
    rows = [[c.name, c.family, c.kind, c.primary_metric, "yes" if c.sample else "no",
             c.hub.path if c.hub else "–"] for c in registry.ordered()]
    _echo_table(["task", "family", "kind", "primary metric", "sample", "hub dataset"], rows)


@list_.command(name="models")
def list_models():
    """Model aliases and built-in tiny test models. Any hub id or local directory works too.

    \b
    Example:
      harness run --models bert,roberta,google/electra-small-discriminator,./my-model --tasks sst2
    """
    from harness.models.aliases import ALIASES
    from harness.models.tiny import TINY_MODELS

    rows = [[name, a.hub_id, a.architecture, a.params] for name, a in ALIASES.items()]
    rows += [[name, f"built-in: {desc}", "", ""] for name, desc in TINY_MODELS.items()]
    _echo_table(["alias", "resolves to", "architecture", "params"], rows)


@list_.command(name="leaderboards")
def list_leaderboards():
    """Leaderboard definitions shipped in leaderboards/.

    \b
    Example:
      harness list leaderboards
    """
    from harness.paths import boards_dir
    from harness.yamlfile import read

    rows = []
    for file in sorted(boards_dir().glob("*.yaml")):
        data = read(file, "leaderboard") or {}
        rows.append([file.stem, str(data.get("description", "")).strip().splitlines()[0] if data.get("description")
                     else ""])
    _echo_table(["leaderboard", "description"], rows)


@list_.command(name="kinds")
def list_kinds():
    """Task kinds (built-in and plugins from the `harness.tasks` entry-point group)."""
    from harness.tasks.registry import kind_names

    for name in kind_names():
        click.echo(name)


@main.group(name="card")
def card_():
    """Task cards for your own data."""


@card_.command(name="init")
@click.argument("data", metavar="FILE|FOLDER|train:PATH,test:PATH")
@click.option("--columns", default="", metavar="FIELD=COLUMN,...", help="Which column is which field, e.g. "
              "text=review,label=stars (default: guessed from the column names).")
@click.option("--task-kind", type=click.Choice(OWN_DATA_KINDS), help="The task kind (default: inferred).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the card to this file (default: stdout).")
def card_init(data, columns, task_kind, output):
    """Write the task card `harness run --tasks FILE` would infer, for editing.

    \b
    Example:
      harness card init reviews.csv --columns text=review,label=stars --output cards/reviews.yaml
      harness run -m minilm -t reviews --tasks-dir cards --data-dir .
    """
    from pathlib import Path

    from harness.settings import parse_list
    from harness.tasks.own_data import init_card

    text = init_card(data, parse_list(columns), task_kind, Path(output) if output else None)
    click.echo(f"wrote {output}" if output else text, err=bool(output), nl=bool(output))


def _echo_table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


from harness.cli_report import COMMANDS as _REPORT_COMMANDS  # noqa: E402 - report, select, compare

for _command in _REPORT_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
