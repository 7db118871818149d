"""The Python API. `run` plans, executes and stores a sweep; the CLI calls exactly these functions."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

from harness.config import RunConfig, lora_options, resolve, without_defaults
from harness.errors import UserError
from harness.job import Job
from harness.leaderboards import load as load_leaderboard
from harness.paths import check_cache_dir
from harness.run_dir import check_output
from harness.settings import Hyperparameters
from harness.store import ResultStore

logger = logging.getLogger(__name__)


@dataclass
class RunPlan:
    jobs: list[Job]
    skipped_tasks: dict[str, str] = field(default_factory=dict)     # task -> why it was left out
    models: list[dict] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    own_data: Any = None        # harness.tasks.own_data.OwnTasks: the cards inferred from files in --tasks


def plan_run(config: RunConfig | None = None, *, warn: Callable[[str], None] = logger.warning,
             **options) -> RunPlan:
    """Expand models x tasks x tunings x grid points x seeds into jobs; validate everything a user can get wrong
    before any training. `config` and the keyword options are those of `run` (the same defaults and checks)."""
    import itertools

    from harness.models.limits import check_max_length
    from harness.models.resolve import resolve_model
    from harness.tasks.registry import load_kind
    from harness.kept_models import check_saving
    from harness.trackers import check_trackers
    from harness.train.device import check_device_request, resolve_precision
    from harness.tuning import LoraSettings, is_prompted

    config = _effective_config(config, options, note=lambda _: None)
    check_cache_dir()
    check_device_request(config.device)
    check_trackers(config.report_to)       # a tracker library that is not installed fails before anything trains
    check_saving(config)                   # --push-to-hub offline fails here, before anything trains
    if config.device == "cpu":
        resolve_precision(config.precision, "cpu")     # fp16 on CPU is refused here, before anything runs
    grid = _grid(config)
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]
    lora_settings = LoraSettings(**lora_options(config)).to_dict() if "lora" in config.tuning else None
    overrides = {k: v for k, v in config.by_role("hp").items() if v is not None}
    run_options = config.by_role("option")

    cards, explicit, request, own = _tasks_and_data(config)
    specs = [resolve_model(name, trust_remote_code=config.trust_remote_code)
             for name in dict.fromkeys(config.models)]
    check_max_length(specs, config.max_length)

    plan = RunPlan(jobs=[], models=[s.to_dict() for s in specs], own_data=own)
    prepared = _prepare_tasks(cards, explicit, request, plan, warn)
    plan.tasks = list(prepared)

    for spec in specs:
        for card in cards:
            if card.name not in prepared:
                continue
            data_info, kind = prepared[card.name], load_kind(card.kind)
            for strategy, point, seed in itertools.product(config.tuning, points, config.seeds):
                if is_prompted(strategy) and point != points[0]:
                    continue        # nothing trains: one job per seed, not one per grid point
                hp = Hyperparameters().with_overrides(card.hyperparameters).with_overrides(overrides)
                plan.jobs.append(Job(
                    model=spec.name, model_spec=spec.to_dict(), task=card.name, task_family=card.family,
                    kind=card.kind, card_path=str(card.path), seed=seed,
                    card_hash=card.prompted_hash if is_prompted(strategy) else card.hash,
                    hyperparameters=hp.with_overrides(point).to_dict(), precision=config.precision,
                    device=config.device,
                    data={"path": str(data_info.path), "fingerprint": data_info.fingerprint,
                          "sizes": data_info.sizes, "source": data_info.source, "overlap": data_info.overlap},
                    options=_job_options(run_options, kind, strategy), tuning=strategy,
                    lora=lora_settings if strategy == "lora" else None, grid=point,
                    generation=kind.generation_settings(card, run_options),
                ))
    return plan


def _tasks_and_data(config: RunConfig):
    """(the cards --tasks chooses, the names it gives explicitly, the data request, the own data): files, folders
    and train:…,test:… pairs in --tasks become tasks with inferred cards (harness.tasks.own_data)."""
    from harness.data.sources import DataRequest
    from harness.tasks.own_data import own_tasks
    from harness.tasks.registry import Registry

    registry = Registry(config.tasks_dir)
    own = own_tasks(config.tasks, config.columns, config.task_kind, registry)
    cards, explicit = registry.select(own.names)
    request = DataRequest.parse([*config.data, *own.data], config.data_dir, known_tasks=set(registry.cards))
    return cards, explicit, request, own


def _prepare_tasks(cards, explicit: set, request, plan: RunPlan, warn) -> dict:
    """Task name -> its prepared data; a task picked by family or `all` without data is skipped (noted in plan)."""
    from harness.data.prepare import prepare
    from harness.data.sources import resolve_source
    from harness.tasks.registry import load_kind

    prepared = {}
    for card in cards:
        kind = load_kind(card.kind)
        try:
            source = resolve_source(card, request)
            prepared[card.name] = prepare(card, kind, source)
        except UserError as exc:
            if card.name in explicit:
                raise
            plan.skipped_tasks[card.name] = str(exc)
            warn(f"skipping task {card.name}: {exc}")
    if not prepared:
        reasons = "; ".join(f"{k}: {v}" for k, v in plan.skipped_tasks.items())
        raise UserError(f"no selected task has data available ({reasons})",
                        hint="pass --data sample, --data TASK=PATH or --data-dir DIR")
    return prepared


# Run options only kinds that generate text read (TaskKind.uses_generation); other jobs keep them out of their ids.
GENERATION_OPTIONS = ("max_new_tokens", "num_beams")
# Run options only zero- and few-shot jobs read (harness.tuning.is_prompted); jobs that train keep them out.
PROMPT_OPTIONS = ("chat_template",)


def _job_options(options: dict | None, kind, strategy: str = "full") -> dict:
    from harness.tuning import is_prompted

    return {k: v for k, v in (options or {}).items()
            if v is not None and (k not in GENERATION_OPTIONS or kind.uses_generation)
            and (k not in PROMPT_OPTIONS or is_prompted(strategy))}


def _with_tracking(jobs: list[Job], report_to: list[str], output: Path) -> list[Job]:
    """The jobs with where they log (--report-to); their ids stay the same."""
    from dataclasses import replace

    from harness.trackers import tracking_settings

    settings = tracking_settings(report_to, output)
    return [replace(job, tracking=settings) for job in jobs] if settings else jobs


def _grid(config: RunConfig) -> dict[str, list]:
    """Hyperparameter name -> the values to try (lr_grid -> lr, ...)."""
    return {name.removesuffix("_grid"): values for name, values in config.by_role("grid").items() if values}


def _effective_config(config: RunConfig | None, options: dict, note: Callable[[str], None]) -> RunConfig:
    """`config` with `options` over it, the leaderboard or smoke preset it implies filled in, everything checked."""
    if config is None and "models" in options and "tasks" not in options:
        options = {**options, "tasks": "all"}
    return resolve({**(without_defaults(config) if config is not None else {}), **options}, note=note)


def default_output() -> Path:
    return Path("runs") / datetime.now().strftime("%Y-%m-%d_%H%M%S")


def run(config: RunConfig | None = None, *, progress: Callable[[str], None] | None = None, **options) -> list[dict]:
    """Fine-tune every model on every task for every seed; return this run's result records.

    `config` (harness.config.RunConfig) holds every option of the run; keyword arguments set single options over
    it, named like RunConfig's fields and `harness run`'s options (models, tasks, seeds, data, epochs, tuning,
    lr_grid, executor, ...; `harness run --help` describes each). Without `tasks`, keywords choosing models run
    them on every task ("all").
    models: aliases (`harness list models`), hub ids, local directories or tiny-bert / tiny-gpt2 / tiny-t5.
    tasks: task names, family names (classification, similarity, ...) or "all"; or own data: a file, a folder or
    "train:PATH,test:PATH", its card inferred (`columns`, `task_kind`; README "Your own data").
    data: "sample" for the bundled samples, or a list of "TASK=PATH"; data_dir: a folder of original files.
    Results are appended to OUTPUT/results.jsonl; with resume=True finished jobs are not run again.
    `progress` receives the display's lines (started and finished jobs); messages go to the `harness` logger
    (the command line shows them on stderr). Warnings that jobs raise are left to the caller's filters.
    """
    config = _effective_config(config, options, note=logger.info)
    return _drive(config, plan_run, progress)


def evaluate(config: RunConfig | None = None, *, progress: Callable[[str], None] | None = None,
             **options) -> list[dict]:
    """Evaluate fine-tuned checkpoints as saved (their own heads, nothing trained) on validation and test; return
    this run's result records (tuning `saved`), stored and reported like `run`'s.

    models: model directories, e.g. those `harness run --save` writes (their `harness.json` gives the task, seed and
    hyperparameters they were trained with) or any fine-tuned checkpoint whose head fits the task. tasks: optional
    for a saved folder (default: its own task). The other options are `run`'s that apply to evaluation
    (harness.evaluate_saved.EVAL_FIELDS: data, data_dir, output, max_length, latency_requests, device, ...).
    """
    from harness.evaluate_saved import eval_config, plan_saved

    return _drive(eval_config(config, options), plan_saved, progress)


def _drive(config: RunConfig, planner: Callable[..., RunPlan], progress: Callable[[str], None] | None) -> list[dict]:
    """Plan with `planner` (plan_run's signature), then run the plan as the output's only driver."""
    sweep = _sweep_options(config)
    output = Path(config.output) if config.output is not None else default_output()
    plan = _plan(config, output, warn=logger.warning, planner=planner)
    store = ResultStore(output)
    with store.driving():       # this output's only driver: a second one is refused, so no job runs twice
        store.recover_pending()
        return _execute(config, sweep, plan, output, store, progress)


def _execute(config: RunConfig, sweep, plan: RunPlan, output: Path, store: ResultStore,
             progress: Callable[[str], None] | None) -> list[dict]:
    """Run the plan's unfinished jobs, appending each result to the store as it arrives; then write the report."""
    from harness import kept_models
    from harness.executors import make_executor
    from harness.tasks.own_data import save_cards
    executor_impl = make_executor(config.executor, run=output.name, options=sweep, store=store)

    finished = store.finished_jobs() if config.resume else set()
    todo = _with_tracking([job for job in plan.jobs if job.id not in finished], config.report_to, output)
    todo = kept_models.prepare(config, output, plan, store, todo)      # where each job saves its model (--save)
    store.write_run_info(_run_info(config, plan, output))
    if plan.own_data is not None:
        save_cards(plan.own_data, output)       # the cards inferred from own data: kept in OUTPUT/cards, summarised
    if len(todo) < len(plan.jobs) and not config.quiet:
        logger.info("resuming: %d of %d jobs already finished in %s", len(plan.jobs) - len(todo), len(plan.jobs),
                    output)
    if not config.quiet:
        logger.info("running %d job(s) → %s", len(todo), output / "results.jsonl")

    from harness.schedule.progress import Progress
    display = Progress(len(todo), quiet=config.quiet, sink=progress).open()

    def on_result(job: Job, record: dict, predictions: dict | None) -> None:
        if predictions is not None:
            store.write_predictions(job.id, predictions)
        store.append(record)

    try:
        with _sigterm_as_interrupt():
            executor_impl.run(todo, on_result, display)
    except KeyboardInterrupt:
        display.close()
        kept = len(store.finished_jobs() & {job.id for job in plan.jobs})
        raise SweepInterrupted(f"{kept} of {len(plan.jobs)} jobs have finished results in {output}; run the same "
                               f"command with --output {output} to resume") from None
    display.close()
    kept_models.finish(config, output, store)        # --save best: the winners kept, the index written, uploads
    ids = {job.id for job in plan.jobs}
    results = [r for r in store.latest() if r["job"] in ids]
    if config.write_report and results:
        from harness.report import write_report as render
        paths = render(output)
        logger.info("report: %s", paths[0])
    return results


def _plan(config: RunConfig, output: Path, warn, planner: Callable[..., RunPlan] = plan_run) -> RunPlan:
    """`planner` (plan_run) for this configuration, then the output directory made: every check comes first, so a
    mistake (in the output path too) leaves nothing created or written."""
    check_output(output)
    plan = planner(config, warn=warn)
    ResultStore(output).ensure_writable()
    return plan


def _run_info(config: RunConfig, plan: RunPlan, output: Path) -> dict:
    """What run.json records: the effective configuration and what the plan made of it."""
    return {
        "output": str(output), "started_at": datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(sys.argv) if sys.argv and sys.argv[0].endswith("harness") else None,
        "models": plan.models, "tasks": plan.tasks, "skipped_tasks": plan.skipped_tasks,
        "seeds": sorted({j.seed for j in plan.jobs}), "tunings": list(dict.fromkeys(j.tuning for j in plan.jobs)),
        "grid": _grid(config), "precision": config.precision, "device": config.device,
        "overrides": {k: v for k, v in config.by_role("hp").items() if v is not None}, "jobs": len(plan.jobs),
        "data": {j.task: j.data["source"] for j in plan.jobs}, "config": config.to_dict(),
        **({"leaderboard": load_leaderboard(config.leaderboard).info()} if config.leaderboard else {}),
    }


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a sweep; the message says what was kept and how to resume."""


def _sweep_options(config: RunConfig):
    """Check what the scheduling options need from this machine (Ray installed, a readable accelerate config) and
    bundle them; their values were checked with the rest of the configuration."""
    from harness.executors import SweepOptions, check_executor
    from harness.schedule.cpu_workers import parse_workers
    from harness.schedule.placement import parse_jobs_per_gpu

    check_executor(config.executor)
    accelerate_config = config.accelerate_config
    if accelerate_config is not None:
        from harness.executors.distributed import check_accelerate_config
        check_accelerate_config(accelerate_config)
        accelerate_config = str(Path(accelerate_config).expanduser().resolve())
    return SweepOptions(device=config.device, workers=parse_workers(config.workers),
                        jobs_per_gpu=parse_jobs_per_gpu(config.jobs_per_gpu), parallel=config.parallel,
                        num_processes=config.num_processes, accelerate_config=accelerate_config,
                        job_timeout=config.job_timeout, ray_address=config.ray_address)


class _sigterm_as_interrupt:
    """During a sweep SIGTERM (a scheduler's preemption, `timeout`, `kill`) stops it like Ctrl-C: cleanly."""

    def __enter__(self):
        import signal
        import threading

        self.previous = None
        if threading.current_thread() is threading.main_thread():
            def handler(signum, frame):
                raise KeyboardInterrupt
            self.previous = signal.signal(signal.SIGTERM, handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            import signal
            signal.signal(signal.SIGTERM, self.previous)
        return False


def load_results(run_dir: str | Path):
    """The run's latest record per job as a pandas DataFrame (nested fields flattened with dots)."""
    import pandas as pd

    records = ResultStore(run_dir).latest()
    if not records and not (Path(run_dir) / "results.jsonl").is_file():
        raise UserError(f"no results in {run_dir}", hint="pass a run directory holding results.jsonl")
    return pd.json_normalize(records)


def report(run_dir: str | Path, out: str | Path | None = None, formats: str | Sequence[str] = "all") -> list[Path]:
    """Write the report files for a run directory; returns their paths."""
    from harness.report import write_report

    return write_report(Path(run_dir), Path(out) if out else None, formats)
