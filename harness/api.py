"""The Python API. `run` plans, executes and stores a sweep; the CLI calls exactly these functions."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Sequence

from harness.errors import UserError
from harness.job import Job
from harness.settings import Hyperparameters, parse_int_list, parse_list
from harness.store import ResultStore


@dataclass
class RunPlan:
    jobs: list[Job]
    skipped_tasks: dict[str, str] = field(default_factory=dict)     # task -> why it was left out
    models: list[dict] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


def _check_positive(name: str, value, kind=float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or \
            (kind is int and int(value) != value):
        what = "a positive integer" if kind is int else "a positive number"
        raise UserError(f"--{name.replace('_', '-')} {value!r}: expected {what}")


def plan_run(models: Sequence[str] | str, tasks: Sequence[str] | str, seeds: Sequence[int] | str = (0,), *,
             data=None, data_dir=None, tasks_dir: Iterable[str] = (), overrides: dict | None = None,
             precision: str = "auto", device: str = "auto", options: dict | None = None,
             trust_remote_code: bool = False, warn: Callable[[str], None] = lambda _: None,
             tunings: Sequence[str] | str = ("full",), grid: dict[str, list] | None = None,
             lora: dict | None = None) -> RunPlan:
    """Expand models x tasks x tunings x grid points x seeds into jobs; validate everything a user can get wrong
    before any training. `grid` maps hyperparameter names (lr, batch_size, epochs) to the values to try."""
    from harness.data.prepare import prepare
    from harness.data.sources import DataRequest, resolve_source
    from harness.tasks.registry import Registry, load_kind
    from harness.train.device import check_device_request, resolve_precision

    overrides = dict(overrides or {})
    for name in ("epochs", "lr"):
        _check_positive(name, overrides.get(name))
    for name in ("batch_size", "max_length", "max_train_samples", "max_eval_samples", "grad_accum",
                 "eval_batch_size"):
        _check_positive(name, overrides.get(name), int)
    seed_list = parse_int_list(seeds, "--seeds") if isinstance(seeds, str) else parse_int_list(list(seeds), "--seeds")
    model_names = parse_list(models)
    if not model_names:
        raise UserError("no models given", hint="e.g. --models bert,gpt2 or --models tiny-bert")
    check_device_request(device)
    from harness.train.device import PRECISIONS
    if precision not in PRECISIONS:
        raise UserError(f"--precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if device == "cpu":
        resolve_precision(precision, "cpu")     # fp16 on CPU is refused here, before anything runs

    from harness.tuning import STRATEGIES, LoraSettings
    tuning_list = list(dict.fromkeys(parse_list(tunings))) or ["full"]
    for strategy in tuning_list:
        if strategy not in STRATEGIES:
            from harness.errors import did_you_mean
            raise UserError(f"--tuning {strategy!r} is not a tuning strategy",
                            hint=did_you_mean(strategy, STRATEGIES) or "strategies: " + ", ".join(STRATEGIES))
    lora_settings = LoraSettings(**(lora or {})).to_dict() if "lora" in tuning_list else None
    grid = {k: list(v) for k, v in (grid or {}).items() if v}
    for name in grid:
        if overrides.get(name) is not None:
            raise UserError(f"--{name.replace('_', '-')} and --{name.replace('_', '-')}-grid both given",
                            hint="give the single value or the grid, not both")
    import itertools
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]

    registry = Registry(tasks_dir)
    cards, explicit = registry.select(tasks)
    request = DataRequest.parse(data, data_dir, known_tasks=set(registry.cards))

    from harness.models.resolve import resolve_model
    specs = []
    for name in dict.fromkeys(model_names):
        specs.append(resolve_model(name, trust_remote_code=trust_remote_code))

    plan = RunPlan(jobs=[], models=[s.to_dict() for s in specs])
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
    plan.tasks = list(prepared)

    for spec in specs:
        for card in cards:
            if card.name not in prepared:
                continue
            data_info = prepared[card.name]
            for strategy, point, seed in itertools.product(tuning_list, points, seed_list):
                hp = Hyperparameters().with_overrides(card.hyperparameters).with_overrides(overrides)
                hp = hp.with_overrides(point)
                plan.jobs.append(Job(
                    model=spec.name, model_spec=spec.to_dict(), task=card.name, task_family=card.family,
                    kind=card.kind, card_path=str(card.path), card_hash=card.hash, seed=seed,
                    hyperparameters=hp.to_dict(), precision=precision, device=device,
                    data={"path": str(data_info.path), "fingerprint": data_info.fingerprint,
                          "sizes": data_info.sizes, "source": data_info.source, "overlap": data_info.overlap},
                    options=_job_options(options, load_kind(card.kind)), tuning=strategy,
                    lora=lora_settings if strategy == "lora" else None, grid=point,
                    generation=load_kind(card.kind).generation_settings(card, options or {}),
                ))
    return plan


# Run options only kinds that generate text read (TaskKind.uses_generation); other jobs keep them out of their ids.
GENERATION_OPTIONS = ("max_new_tokens", "num_beams")


def _job_options(options: dict | None, kind) -> dict:
    return {k: v for k, v in (options or {}).items()
            if v is not None and (k not in GENERATION_OPTIONS or kind.uses_generation)}


def _grid(lr_grid, batch_size_grid, epochs_grid) -> dict[str, list]:
    from harness.settings import parse_float_list

    grid: dict[str, list] = {}
    if lr_grid is not None:
        grid["lr"] = parse_float_list(lr_grid, "--lr-grid")
    if batch_size_grid is not None:
        grid["batch_size"] = parse_int_list(batch_size_grid, "--batch-size-grid")
        for value in grid["batch_size"]:
            _check_positive("batch_size_grid", value, int)
    if epochs_grid is not None:
        grid["epochs"] = parse_float_list(epochs_grid, "--epochs-grid")
    return grid


def _lora_settings(r, alpha, dropout, targets) -> dict:
    _check_positive("lora_r", r, int)
    _check_positive("lora_alpha", alpha, int)
    if dropout is not None and not 0 <= dropout < 1:
        raise UserError(f"--lora-dropout {dropout!r}: expected a number in [0, 1)")
    settings = {"r": r, "alpha": alpha, "dropout": dropout,
                "target_modules": tuple(parse_list(targets)) if targets else None}
    return {k: v for k, v in settings.items() if v is not None}


def default_output() -> Path:
    return Path("runs") / datetime.now().strftime("%Y-%m-%d_%H%M%S")


def run(models: Sequence[str] | str, tasks: Sequence[str] | str = "all", seeds: Sequence[int] | str = (0,), *,
        output: str | Path | None = None, data=None, data_dir=None, tasks_dir: Iterable[str] = (),
        epochs: float | None = None, batch_size: int | None = None, lr: float | None = None,
        max_length: int | None = None, max_train_samples: int | None = None, max_eval_samples: int | None = None,
        precision: str = "auto", device: str = "auto", resume: bool = True, executor: str = "local",
        workers: int = 1, job_timeout: float | None = None, latency_requests: int = 50,
        trust_remote_code: bool = False, write_report: bool = True,
        progress: Callable[[str], None] | None = None, jobs_per_gpu: int | str | None = "auto",
        parallel: str = "auto", num_processes: int | None = None, accelerate_config: str | Path | None = None,
        ray_address: str | None = None, quiet: bool = False, max_new_tokens: int | None = None,
        num_beams: int | None = None, compile: str = "auto", tuning: Sequence[str] | str = "full",
        lr_grid=None, batch_size_grid=None, epochs_grid=None, budget_steps: int | None = None,
        budget_seconds: float | None = None, lora_r: int | None = None, lora_alpha: int | None = None,
        lora_dropout: float | None = None, lora_targets: Sequence[str] | str | None = None, leaderboard: dict | None = None) -> list[dict]:
    """Fine-tune every model on every task for every seed; return this run's result records.

    models: aliases (`harness list models`), hub ids, local directories or tiny-bert / tiny-gpt2 / tiny-t5.
    tasks: task names, family names (classification, similarity, ...) or "all".
    data: "sample" for the bundled samples, or a list of "TASK=PATH"; data_dir: a folder of original files.
    Results are appended to OUTPUT/results.jsonl; with resume=True finished jobs are not run again.
    Scheduling (docs/architecture.md): jobs_per_gpu ("auto" or N), parallel ("auto", "data", "none"),
    num_processes and accelerate_config for data-parallel jobs, executor "local" / "inline" / "ray" (ray_address:
    an existing cluster), quiet: one line per finished job.
    max_new_tokens / num_beams override the cards' generation settings (translation, summarization).
    compile: "auto" (CUDA graphs on a single GPU when the job is long enough), "on" or "off".
    Fair comparison (docs/architecture.md, "Comparison protocol"): tuning "full", "head", "lora" or several (each a variant); lr_grid,
    batch_size_grid, epochs_grid: values tried per model and task, the best chosen on validation by the report;
    budget_steps / budget_seconds: the same optimizer steps or wall-clock for every model; lora_*: adapter settings.
    """
    say = progress or (lambda message: print(message, file=sys.stderr))
    inform = (lambda _: None) if quiet else say
    from harness.executors.worker import quiet_libraries
    quiet_libraries()
    _check_positive("workers", workers, int)
    if job_timeout is not None:
        _check_positive("job_timeout", job_timeout)
    if latency_requests is None or latency_requests < 0:
        raise UserError(f"--latency-requests {latency_requests!r}: expected 0 or more")
    _check_positive("max_new_tokens", max_new_tokens, int)
    _check_positive("num_beams", num_beams, int)
    if compile not in ("auto", "on", "off"):
        raise UserError(f"--compile {compile!r} is not one of auto, on, off")
    sweep = _sweep_options(executor, device, workers, job_timeout, jobs_per_gpu, parallel, num_processes,
                           accelerate_config, ray_address)
    _check_positive("budget_steps", budget_steps, int)
    _check_positive("budget_seconds", budget_seconds)
    overrides = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "max_length": max_length,
                 "max_train_samples": max_train_samples, "max_eval_samples": max_eval_samples,
                 "budget_steps": budget_steps, "budget_seconds": budget_seconds}
    grid = _grid(lr_grid, batch_size_grid, epochs_grid)
    lora = _lora_settings(lora_r, lora_alpha, lora_dropout, lora_targets)
    output = Path(output) if output is not None else default_output()
    store = ResultStore(output)
    created = [p for p in (output, *output.parents) if not p.exists()]     # removed again if planning fails
    store.ensure_writable()
    try:
        plan = plan_run(models, tasks, seeds, data=data, data_dir=data_dir, tasks_dir=tasks_dir,
                        overrides=overrides, precision=precision, device=device,
                        options={"latency_requests": latency_requests, "max_new_tokens": max_new_tokens,
                                 "num_beams": num_beams, "compile": compile},
                        trust_remote_code=trust_remote_code, tunings=tuning, grid=grid, lora=lora,
                        warn=lambda m: say(f"warning: {m}"))
    except BaseException:
        for folder in created:      # a run that never started leaves nothing behind
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    from harness.executors import make_executor
    executor_impl = make_executor(executor, run=output.name, log=say, options=sweep, store=store)

    finished = store.finished_jobs() if resume else set()
    todo = [job for job in plan.jobs if job.id not in finished]
    store.write_run_info({
        "output": str(output), "started_at": datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(sys.argv) if sys.argv and sys.argv[0].endswith("harness") else None,
        "models": plan.models, "tasks": plan.tasks, "skipped_tasks": plan.skipped_tasks,
        "seeds": sorted({j.seed for j in plan.jobs}), "tunings": list(dict.fromkeys(j.tuning for j in plan.jobs)),
        "grid": grid, "precision": precision, "device": device,
        "overrides": {k: v for k, v in overrides.items() if v is not None}, "jobs": len(plan.jobs),
        "data": {j.task: j.data["source"] for j in plan.jobs},
        **({"leaderboard": leaderboard} if leaderboard else {}),     # harness.leaderboards.Leaderboard.info()
    })
    if len(todo) < len(plan.jobs):
        inform(f"resuming: {len(plan.jobs) - len(todo)} of {len(plan.jobs)} jobs already finished in {output}")
    inform(f"running {len(todo)} job(s) → {output / 'results.jsonl'}")

    from harness.schedule.progress import Progress
    display = Progress(len(todo), quiet=quiet, sink=progress)

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
    ids = {job.id for job in plan.jobs}
    results = [r for r in store.latest() if r["job"] in ids]
    if write_report and results:
        from harness.report import write_report as render
        paths = render(output)
        say(f"report: {paths[0]}")
    return results


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a sweep; the message says what was kept and how to resume."""


def _sweep_options(executor, device, workers, job_timeout, jobs_per_gpu, parallel, num_processes,
                   accelerate_config, ray_address):
    """Validate the scheduling options (cheap checks, before any planning) and bundle them."""
    from harness.executors import SweepOptions, check_executor
    from harness.schedule.placement import PARALLEL_MODES, parse_jobs_per_gpu

    check_executor(executor)
    per_gpu = parse_jobs_per_gpu(jobs_per_gpu)
    if parallel not in PARALLEL_MODES:
        raise UserError(f"--parallel {parallel!r} is not one of {', '.join(PARALLEL_MODES)}")
    _check_positive("num_processes", num_processes, int)
    if accelerate_config is not None:
        from harness.executors.distributed import check_accelerate_config
        check_accelerate_config(accelerate_config)
        accelerate_config = str(Path(accelerate_config).expanduser().resolve())
    if ray_address is not None and executor != "ray":
        raise UserError("--ray-address needs --executor ray")
    return SweepOptions(device=device, workers=workers, jobs_per_gpu=per_gpu, parallel=parallel,
                        num_processes=num_processes, accelerate_config=accelerate_config, job_timeout=job_timeout,
                        ray_address=ray_address)


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
