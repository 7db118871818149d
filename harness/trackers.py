"""Experiment trackers (`--report-to tensorboard,mlflow,wandb,...`) through Accelerate's tracker integration.

Each job is one tracker run, grouped by the sweep: TensorBoard writes one folder per job under
`OUTPUT/trackers/tensorboard/`; MLflow keeps one experiment per run directory (named after it) with one run per job,
in a file store at `OUTPUT/mlruns` unless `MLFLOW_TRACKING_URI` says otherwise; Weights & Biases groups a sweep's
runs by the run directory's name. A run holds the job's configuration, the loss of every training step, each
epoch's validation metrics, the test metrics and the cost figures (throughput, latency, peak memory).

Trackers live in the process that runs the job (a worker, a rank, a Ray task). Nothing here imports a tracker
library unless a tracker was asked for; the driver only checks, at plan time, that the libraries are installed.
Logging never changes a result, so none of this is part of a job's id.
"""
from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from harness.errors import UserError

logger = logging.getLogger(__name__)

# Accelerate's tracker names -> the modules that provide one (any of them) and what to install.
LIBRARIES: dict[str, tuple[tuple[str, ...], str]] = {
    "tensorboard": (("tensorboard", "tensorboardX"), "tensorboard"),
    "mlflow": (("mlflow",), "mlflow-skinny"),
    "wandb": (("wandb",), "wandb"),
    "comet_ml": (("comet_ml",), "comet_ml"),
    "aim": (("aim",), "aim"),
    "clearml": (("clearml",), "clearml"),
    "dvclive": (("dvclive",), "dvclive"),
    "swanlab": (("swanlab",), "swanlab"),
    "trackio": (("trackio",), "trackio"),
}
TRACKERS = tuple(LIBRARIES)
WANDB_PROJECT = "harness"       # the W&B project when WANDB_PROJECT is not set; a sweep is a group in it


def check_trackers(names: list[str]) -> None:
    """Before anything trains: every tracker asked for must be importable (one line, exit 2, otherwise)."""
    for name in names:
        modules, package = LIBRARIES[name]
        if not any(importlib.util.find_spec(module) for module in modules):
            raise UserError(f"--report-to {name}: the {' or '.join(modules)} library is not installed",
                            hint=f"pip install {package}, or leave {name} out of --report-to")


def tracking_settings(names: list[str], output: Path) -> dict[str, Any] | None:
    """What a job needs to open its tracker runs (a Job field, so it travels with the job to its process)."""
    if not names:
        return None
    output = Path(output).expanduser().resolve()
    return {"report_to": list(names), "dir": str(output / "trackers"), "group": output.name,
            "mlflow_store": str(output / "mlruns")}


@dataclass
class JobTracker:
    """The tracker runs of one job: started with the job's first Accelerator, fed by the training loop, ended
    (finished or failed) by `close` once the job has its record."""
    job: Any                    # harness.job.Job
    settings: dict[str, Any]
    accelerator: Any = None     # the Accelerator that started the runs (an out-of-memory retry makes another)
    last_step: int = 0          # the x axis is the micro-step (one per training batch; the optimizer step without
                                # gradient accumulation)

    @classmethod
    def for_job(cls, job) -> "JobTracker | None":
        return cls(job, job.tracking) if getattr(job, "tracking", None) else None

    def accelerator_options(self) -> dict[str, Any]:
        """Keywords for the job's Accelerator: the trackers on the first one only (a retry logs to the same runs)."""
        if self.accelerator is not None:
            return {}
        return {"log_with": self._trackers(), "project_dir": self.settings["dir"]}

    def attach(self, accelerator) -> None:
        """Start the runs on the first Accelerator and store the job's configuration in them."""
        if self.accelerator is not None:
            return
        self.accelerator = accelerator
        with self._mlflow_store():
            if "mlflow" in self.settings["report_to"] and accelerator.is_main_process:
                self._mlflow_experiment()
            accelerator.init_trackers(self.settings["group"], config=job_config(self.job))

    def log_epoch(self, micro_done: int, step_losses, epoch: int, mean_loss: float, validation: dict) -> None:
        """At an epoch's end: each step's loss (kept on the device during the epoch: one read here), then the
        epoch's mean loss and validation metrics at the epoch's last step."""
        losses = step_losses.tolist() if step_losses is not None else []
        first, self.last_step = micro_done - len(losses) + 1, micro_done
        with self._mlflow_store():
            for offset, loss in enumerate(losses):
                self.accelerator.log({"train/loss": loss}, step=first + offset)
            self.accelerator.log({"epoch": epoch, "train/epoch_loss": mean_loss,
                                  **numbers(validation, "validation/")}, step=micro_done)

    def close(self, record) -> None:
        """Log the test metrics and cost figures of a finished job and end its runs (failed ones marked so where
        the tracker has a status). Never raises: a job's record does not depend on its logging."""
        if self.accelerator is None:
            return
        try:
            with self._mlflow_store():
                if record.status == "ok":
                    self.accelerator.log({**numbers(record.metrics, "test/"), **cost_figures(record)},
                                         step=self.last_step)
                self._end(failed=record.status != "ok")
        except Exception as exc:  # noqa: BLE001 - the record stands whatever the tracker does
            logger.warning("could not end the tracker runs of %s: %s", self.job.label, exc)

    def _end(self, failed: bool) -> None:
        if not failed:
            self.accelerator.end_training()
            return
        for tracker in self.accelerator.trackers:
            if tracker.name == "mlflow" and self.accelerator.is_main_process:
                import mlflow

                mlflow.end_run(status="FAILED")
            elif tracker.name == "wandb":
                tracker.run.finish(exit_code=1)
            else:
                tracker.finish()

    def _mlflow_experiment(self) -> None:
        """Create the sweep's experiment once: jobs starting together in several workers would each create one
        (Accelerate's tracker looks it up, then creates it), and it carries no job's tags."""
        import mlflow

        from harness.locking import file_lock

        name = os.environ.get("MLFLOW_EXPERIMENT_NAME", self.settings["group"])
        with file_lock(Path(self.settings["dir"]) / ".mlflow.lock"):
            if mlflow.get_experiment_by_name(name) is None:
                mlflow.create_experiment(name)

    def _trackers(self) -> list:
        """Accelerate's tracker objects, named per job within the sweep's group."""
        from accelerate.tracking import LOGGER_TYPE_TO_CLASS, MLflowTracker, TensorBoardTracker, WandBTracker

        group, folder, job = self.settings["group"], Path(self.settings["dir"]), self.job
        made = []
        for name in self.settings["report_to"]:
            if name == "tensorboard":
                made.append(TensorBoardTracker(run_folder(job), folder / "tensorboard"))
            elif name == "mlflow":
                made.append(MLflowTracker(experiment_name=group, run_name=job.label, tags=job_tags(job)))
            elif name == "wandb":
                made.append(WandBTracker(os.environ.get("WANDB_PROJECT", WANDB_PROJECT), group=group,
                                         name=job.label, dir=str(folder), tags=[job.model, job.task]))
            elif LOGGER_TYPE_TO_CLASS[name].requires_logging_directory:
                made.append(LOGGER_TYPE_TO_CLASS[name](group, folder / name))
            else:
                made.append(LOGGER_TYPE_TO_CLASS[name](group))
        return made

    @contextlib.contextmanager
    def _mlflow_store(self) -> Iterator[None]:
        """Without MLFLOW_TRACKING_URI, MLflow writes to the run directory's file store. MLflow 3 refuses file
        stores unless MLFLOW_ALLOW_FILE_STORE is set: set only while this job's tracker calls run."""
        if "mlflow" not in self.settings["report_to"] or os.environ.get("MLFLOW_TRACKING_URI"):
            yield
            return
        import mlflow

        previous = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        mlflow.set_tracking_uri(Path(self.settings["mlflow_store"]).as_uri())
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
            else:
                os.environ["MLFLOW_ALLOW_FILE_STORE"] = previous


def run_folder(job) -> str:
    """A job's folder name: its label made safe for a path, and its id's start (labels may repeat across runs)."""
    return f"{re.sub(r'[^A-Za-z0-9._=-]+', '_', job.label).strip('_')[:100]}_{job.id[:8]}"


def job_tags(job) -> dict[str, str]:
    return {"harness.job": job.id, "model": job.model, "task": job.task, "tuning": job.tuning,
            "seed": str(job.seed)}


def job_config(job) -> dict[str, Any]:
    """The job's configuration as flat scalars (what every tracker's hyperparameter table accepts)."""
    config = {"job": job.id, "model": job.model, "model_id": job.model_spec.get("source"), "task": job.task,
              "kind": job.kind, "tuning": job.tuning, "seed": job.seed, "precision": job.precision,
              "device": job.device}
    for prefix, values in (("hp", job.hyperparameters), ("grid", job.grid), ("lora", job.lora or {}),
                           ("option", job.options), ("generation", job.generation)):
        config.update({f"{prefix}.{k}": v if isinstance(v, (bool, int, float, str)) else str(v)
                       for k, v in values.items() if v is not None})
    return config


def numbers(values: dict, prefix: str) -> dict[str, float]:
    """The finite numbers of a metrics dict (nested dicts flattened with '/'), keys prefixed."""
    flat = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            flat.update(numbers(value, f"{prefix}{key}/"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            flat[f"{prefix}{key}"] = float(value)
    return flat


def cost_figures(record) -> dict[str, float]:
    """Throughput, latency and peak memory of a finished job, as the record holds them."""
    figures = {"train_samples_per_s": record.train.samples_per_s, "train_tokens_per_s": record.train.tokens_per_s,
               "train_seconds": record.train.seconds, "eval_samples_per_s": record.eval.samples_per_s,
               "latency_ms_p50": record.eval.latency_ms_p50, "latency_ms_p95": record.eval.latency_ms_p95,
               "peak_rss_bytes": record.memory.peak_rss_bytes, "peak_gpu_bytes": record.memory.peak_gpu_bytes,
               "wall_seconds": record.wall_seconds}
    return numbers({k: v for k, v in figures.items() if v is not None}, "cost/")
