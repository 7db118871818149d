"""The `harness` command line: a thin layer over harness.api. Torch is imported only by commands that train."""
from __future__ import annotations

import os
import sys

import click

from harness.errors import UserError

EPILOG_RUN = """\b
Examples:
  harness run                                   # smoke preset: tiny models x every task, bundled samples
  harness run --models bert,gpt2 --tasks all --seeds 0,1,2
  harness run --models tiny-bert --tasks classification,similarity --data sample
  harness run --models minilm --tasks sst2 --data-dir ../shared/data --max-train-samples 4000 --epochs 1
  harness run --models ./my-model --tasks sst2 --data sst2=train:my/train.tsv,test:my/dev.tsv


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
def main():
    """Fine-tune pretrained language models on downstream tasks and compare them.

    \b
    Quick start:
      harness run                       # smoke preset, offline, a few minutes on a laptop CPU
      harness list tasks                # the registered tasks
      harness report runs/<timestamp>   # leaderboard of a run
    """


@main.command(epilog=EPILOG_RUN)
@click.option("--models", "-m", help="Comma list of model aliases, hub ids (org/name) or local directories.")
@click.option("--tasks", "-t", help="Comma list of task names, family names (classification, ner, qa, translation, "
              "summarization, similarity) or 'all'.")
@click.option("--seeds", default=None, help="Comma list of seeds, e.g. 0,1,2.  [default: 0]")
@click.option("--output", "-o", type=click.Path(file_okay=False), help="Run directory.  [default: runs/<timestamp>]")
@click.option("--data", multiple=True, help="'sample' for the bundled samples, or TASK=PATH (a file, a folder, or "
              "train:PATH,test:PATH); repeatable.")
@click.option("--data-dir", type=click.Path(), help="Folder holding the tasks' original files (e.g. sst2/train.tsv).")
@click.option("--tasks-dir", multiple=True, type=click.Path(), help="Extra folder of task cards; repeatable.")
@click.option("--epochs", type=float, help="Training epochs (may be fractional).  [default: from the task card]")
@click.option("--batch-size", type=int, help="Training batch size.  [default: from the task card]")
@click.option("--lr", type=float, help="Peak learning rate.  [default: from the task card]")
@click.option("--max-length", type=int, help="Maximum input tokens.  [default: from the task card]")
@click.option("--max-train-samples", type=int, help="Use only the first N training examples.")
@click.option("--max-eval-samples", type=int, help="Use only the first N validation and test examples.")
@click.option("--max-new-tokens", type=int, help="Most tokens generated per output (translation, summarization).  "
              "[default: from the task card]")
@click.option("--num-beams", type=int, help="Beam-search width for generation (1 = greedy).  [default: from the task "
              "card]")
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp16", "fp32"]), default="auto", show_default=True,
              help="auto: bf16 on GPUs that support it, fp32 on CPU.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--tuning", default="full", show_default=True, metavar="full,head,lora",
              help="Tuning strategies, each its own leaderboard entry: full (all parameters), head (frozen body, "
              "train the new head), lora (peft adapters + head).")
@click.option("--lr-grid", metavar="LR,LR,...", help="Learning rates to try; the report keeps, per model and task, "
              "the one with the best mean validation score (test never decides).")
@click.option("--batch-size-grid", metavar="N,N,...", help="Batch sizes to try (selected like --lr-grid).")
@click.option("--epochs-grid", metavar="E,E,...", help="Epoch counts to try (selected like --lr-grid).")
@click.option("--budget-steps", type=int, help="Every job trains exactly this many optimizer steps (equal-cost "
              "comparison).")
@click.option("--budget-seconds", type=float, help="Every job trains for at most this many seconds of wall-clock.")
@click.option("--lora-r", type=int, help="LoRA rank.  [default: 8]")
@click.option("--lora-alpha", type=int, help="LoRA alpha (scaling = alpha / r).  [default: 16]")
@click.option("--lora-dropout", type=float, help="LoRA dropout.  [default: 0.05]")
@click.option("--lora-targets", help="Comma list of module names to adapt.  [default: peft's choice for the "
              "architecture, e.g. query,value for BERT]")
@click.option("--compile", "compile_mode", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="CUDA graphs via torch.compile over a few sequence-length buckets. auto: on a single GPU for jobs "
              "long enough to pay back compilation; never on CPU.")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Skip jobs that already have a finished result in the output directory.")
@click.option("--workers", type=int, default=1, show_default=True, help="Jobs run in parallel on the CPU, each in "
              "its own worker process (on GPUs see --jobs-per-gpu).")
@click.option("--executor", type=click.Choice(["local", "inline", "ray"]), default="local", show_default=True,
              help="local: worker processes (a crash fails one job, not the sweep); inline: this process; "
              "ray: Ray tasks on a local or existing cluster (pip install 'harness[ray]').")
@click.option("--jobs-per-gpu", default="auto", show_default=True, metavar="auto|N",
              help="Jobs sharing one GPU. auto: as many as their memory estimates fit (at most 8).")
@click.option("--parallel", type=click.Choice(["auto", "data", "none"]), default="auto", show_default=True,
              help="data: every job data-parallel over several GPUs (accelerate launch); auto: only jobs too large "
              "for one GPU; none: never.")
@click.option("--num-processes", type=int, help="Processes (GPUs) of a data-parallel job.  [default: all GPUs; 2 on "
              "CPU]")
@click.option("--accelerate-config", type=click.Path(dir_okay=False), help="accelerate config file for data-parallel "
              "jobs (e.g. FSDP or DeepSpeed), as written by `accelerate config`.")
@click.option("--ray-address", help="Address of an existing Ray cluster for --executor ray (e.g. auto, "
              "ray://head:10001).  [default: start a local one]")
@click.option("--quiet", "-q", is_flag=True, help="Plain log: one line per finished job, no live progress.")
@click.option("--job-timeout", type=float, help="Seconds after which a job is stopped and recorded as failed.")
@click.option("--latency-requests", type=int, default=50, show_default=True,
              help="Batch-1 requests timed for the latency figures (0 to skip).")
@click.option("--trust-remote-code", is_flag=True, help="Allow models whose repository ships custom Python code.")
@click.option("--no-report", is_flag=True, help="Do not write the report (report.md, report.html, ...) after the run.")
@click.option("--leaderboard", "leaderboard", metavar="NAME|PATH", help="Run a leaderboard definition (see `harness "
              "list leaderboards`, or a path to its YAML): it fixes models, tasks, seeds, data and settings.")
def run(models, tasks, seeds, output, data, data_dir, tasks_dir, epochs, batch_size, lr, max_length,
        max_train_samples, max_eval_samples, precision, device, resume, workers, executor, job_timeout,
        latency_requests, trust_remote_code, no_report, jobs_per_gpu="auto", parallel="auto", num_processes=None,
        accelerate_config=None, ray_address=None, quiet=False, max_new_tokens=None, num_beams=None,
        compile_mode="auto", leaderboard=None, tuning="full", lr_grid=None, batch_size_grid=None, epochs_grid=None,
        budget_steps=None, budget_seconds=None, lora_r=None, lora_alpha=None, lora_dropout=None, lora_targets=None):
    """Fine-tune every model on every task for every seed and store the results.

    With no --models and --tasks, runs the smoke preset: the tiny built-in models on every task's bundled sample
    for one epoch, entirely offline.
    """
    from harness.api import run as api_run
    from harness.presets import SMOKE

    board = None
    if leaderboard is not None:
        from harness.leaderboards import cli_arguments
        given = cli_arguments(leaderboard, click.get_current_context())
        board = given["leaderboard"]
        models, tasks, seeds, data, data_dir, tasks_dir, output, precision = (given[k] for k in (
            "models", "tasks", "seeds", "data", "data_dir", "tasks_dir", "output", "precision"))
        epochs, batch_size, lr, max_length, max_train_samples, max_eval_samples = (given[k] for k in (
            "epochs", "batch_size", "lr", "max_length", "max_train_samples", "max_eval_samples"))

    if models is None and tasks is None:
        click.echo("no --models/--tasks given: running the smoke preset (tiny models, bundled samples, 1 epoch)",
                   err=True)
        models, tasks = SMOKE["models"], SMOKE["tasks"]
        data = data or (SMOKE["data"],)
        epochs = epochs if epochs is not None else SMOKE["epochs"]
        lr = lr if lr is not None else SMOKE["lr"]
        batch_size = batch_size if batch_size is not None else SMOKE["batch_size"]
        max_new_tokens = max_new_tokens if max_new_tokens is not None else SMOKE.get("max_new_tokens")
        num_beams = num_beams if num_beams is not None else SMOKE.get("num_beams")
    elif models is None or tasks is None:
        raise UserError(f"--{'models' if models is None else 'tasks'} is missing",
                        hint="give both --models and --tasks, or neither for the smoke preset")
    results = api_run(models=models, tasks=tasks, seeds=seeds or "0", output=output, data=list(data),
                      data_dir=data_dir, tasks_dir=tasks_dir, epochs=epochs, batch_size=batch_size, lr=lr,
                      max_length=max_length, max_train_samples=max_train_samples,
                      max_eval_samples=max_eval_samples, precision=precision, device=device, resume=resume,
                      executor=executor, workers=workers, job_timeout=job_timeout,
                      latency_requests=latency_requests, trust_remote_code=trust_remote_code,
                      write_report=not no_report, jobs_per_gpu=jobs_per_gpu, parallel=parallel,
                      num_processes=num_processes, accelerate_config=accelerate_config, ray_address=ray_address,
                      quiet=quiet, max_new_tokens=max_new_tokens, num_beams=num_beams, compile=compile_mode,
                      tuning=tuning, lr_grid=lr_grid, batch_size_grid=batch_size_grid, epochs_grid=epochs_grid,
                      budget_steps=budget_steps, budget_seconds=budget_seconds, lora_r=lora_r, lora_alpha=lora_alpha,
                      lora_dropout=lora_dropout, lora_targets=lora_targets,
                      leaderboard=board)
    if results and not no_report:
        _print_leaderboard(results[0]["run"], output)
    failed = sum(r["status"] == "failed" for r in results)
    if failed:
        click.echo(f"{failed} job(s) failed; see the report, or resume to retry them", err=True)


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

    rows = [[name, a.hub_id, a.family, a.params] for name, a in ALIASES.items()]
    rows += [[name, f"built-in: {desc}", "", ""] for name, desc in TINY_MODELS.items()]
    _echo_table(["alias", "resolves to", "family", "params"], rows)


@list_.command(name="leaderboards")
def list_leaderboards():
    """Leaderboard definitions shipped in leaderboards/.

    \b
    Example:
      harness list leaderboards
    """
    from harness.paths import boards_dir
    import yaml

    rows = []
    for file in sorted(boards_dir().glob("*.yaml")):
        data = yaml.safe_load(file.read_text()) or {}
        rows.append([file.stem, str(data.get("description", "")).strip().splitlines()[0] if data.get("description")
                     else ""])
    _echo_table(["leaderboard", "description"], rows)


@list_.command(name="kinds")
def list_kinds():
    """Task kinds (built-in and plugins from the `harness.tasks` entry-point group)."""
    from harness.tasks.registry import kind_names

    for name in kind_names():
        click.echo(name)


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
