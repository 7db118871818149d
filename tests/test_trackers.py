"""--report-to: a sweep's jobs logged to TensorBoard and MLflow, read back with the trackers' own libraries."""
from __future__ import annotations

from pathlib import Path

import pytest

import harness
from conftest import run_cli
from harness import trackers

pytest.importorskip("tensorboard")
pytest.importorskip("mlflow")

EPOCHS = 2
RUN = dict(models=["tiny-bert"], tasks=["sst2"], data="sample", seeds=[0, 1], epochs=EPOCHS, latency_requests=0,
           max_train_samples=64, max_eval_samples=32, write_report=False, executor="inline", quiet=True)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> tuple[Path, list[dict]]:
    """One 2-job run (two seeds, two epochs) logging to TensorBoard and MLflow."""
    out = tmp_path_factory.mktemp("tracked") / "sweep"
    return out, harness.run(**RUN, output=str(out), report_to=["tensorboard", "mlflow"])


@pytest.fixture
def mlflow_client(monkeypatch):
    """A client on a run directory's file store (MLflow 3 reads file stores only when allowed to)."""
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return lambda out: MlflowClient(tracking_uri=(out / "mlruns").as_uri())


def _mlflow_runs(client, out: Path) -> dict[str, object]:
    experiment = client.get_experiment_by_name(out.name)        # one experiment per run directory
    return {run.data.tags["harness.job"]: run for run in client.search_runs([experiment.experiment_id])}


def _scalars(folder: Path) -> dict[str, list]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: events.Scalars(tag) for tag in events.Tags()["scalars"]}


def _hparams(folder: Path) -> dict[str, object]:
    """The configuration TensorBoard's HParams plugin shows (written in a subfolder of the job's folder)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    for sub in folder.iterdir():
        if sub.is_dir() and any(f.name.startswith("events.") for f in sub.iterdir()):
            events = EventAccumulator(str(sub))
            events.Reload()
            for content in events.PluginTagToContent("hparams").values():
                start = HParamsPluginData.FromString(content).session_start_info
                if start.hparams:
                    return {k: v.string_value or v.number_value for k, v in start.hparams.items()}
    return {}


def test_tensorboard_holds_every_job_epoch_and_test_metric(tracked):
    out, records = tracked
    folders = {p.name.rsplit("_", 1)[1]: p for p in (out / "trackers" / "tensorboard").iterdir()}
    assert sorted(folders) == sorted(r["job"][:8] for r in records)      # one folder per job
    for record in records:
        folder = folders[record["job"][:8]]
        scalars = _scalars(folder)
        history = record["validation"]["history"]
        assert len(history) == EPOCHS
        validation = scalars["validation/accuracy"]
        assert [e.value for e in validation] == pytest.approx([h["metrics"]["accuracy"] for h in history])
        assert [e.value for e in scalars["train/epoch_loss"]] == pytest.approx([h["train_loss"] for h in history])
        steps = [e.step for e in scalars["train/loss"]]
        assert steps == list(range(1, record["train"]["steps"] + 1))       # every step's loss, numbered
        assert validation[-1].step == steps[-1]
        (test,) = scalars["test/accuracy"]
        assert test.value == pytest.approx(record["metrics"]["accuracy"])
        assert scalars["cost/train_samples_per_s"][0].value == pytest.approx(record["train"]["samples_per_s"])
        assert "cost/peak_rss_bytes" in scalars
        config = _hparams(folder)
        assert config["model"] == "tiny-bert" and config["seed"] == record["seed"]
        assert config["hp.lr"] == pytest.approx(record["hyperparameters"]["lr"])


def test_mlflow_holds_one_finished_run_per_job(tracked, mlflow_client):
    out, records = tracked
    client = mlflow_client(out)
    runs = _mlflow_runs(client, out)
    assert sorted(runs) == sorted(r["job"] for r in records)
    for record in records:
        run = runs[record["job"]]
        assert run.info.status == "FINISHED" and run.info.run_name == f"tiny-bert × sst2 × seed {record['seed']}"
        params = run.data.params
        assert params["model"] == "tiny-bert" and params["task"] == "sst2" and params["seed"] == str(record["seed"])
        assert float(params["hp.lr"]) == pytest.approx(record["hyperparameters"]["lr"])
        history = client.get_metric_history(run.info.run_id, "validation/accuracy")
        assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(
            [h["metrics"]["accuracy"] for h in record["validation"]["history"]])
        assert len(client.get_metric_history(run.info.run_id, "train/loss")) == record["train"]["steps"]
        assert run.data.metrics["test/accuracy"] == pytest.approx(record["metrics"]["accuracy"])
        assert run.data.metrics["cost/train_samples_per_s"] == pytest.approx(record["train"]["samples_per_s"])


def test_logging_leaves_job_ids_unchanged(tracked):
    out, records = tracked
    untracked = harness.api.plan_run(**{k: v for k, v in RUN.items() if k not in ("executor", "quiet")})
    assert sorted(r["job"] for r in records) == sorted(job.id for job in untracked.jobs)


def test_a_failed_job_ends_its_tracker_run_as_failed(tmp_path, mlflow_client, monkeypatch):
    from harness.train import loop

    def fail(*args, **kwargs):
        raise RuntimeError("injected after the first epoch")
    monkeypatch.setattr(loop._BestEpoch, "update", fail)      # the inline executor runs the job in this process
    out = tmp_path / "failed"
    (record,) = harness.run(**{**RUN, "seeds": [0], "epochs": 1, "max_train_samples": 8}, output=str(out),
                            report_to=["mlflow", "tensorboard"])
    assert record["status"] == "failed" and "injected" in record["error"]
    (run,) = _mlflow_runs(mlflow_client(out), out).values()
    assert run.info.status == "FAILED"
    (folder,) = (out / "trackers" / "tensorboard").iterdir()
    assert _hparams(folder)["seed"] == 0          # the configuration was logged before training failed


def test_nothing_is_logged_unless_asked(tmp_path):
    out = tmp_path / "plain"
    (record,) = harness.run(**{**RUN, "seeds": [0], "epochs": 1, "max_train_samples": 8}, output=str(out))
    assert record["status"] == "ok"
    assert not (out / "trackers").exists() and not (out / "mlruns").exists()


def test_a_tracker_library_not_installed_is_one_line_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setitem(trackers.LIBRARIES, "wandb", (("harness_absent_wandb",), "wandb"))
    out = tmp_path / "never"
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--report-to", "tensorboard,wandb",
                     "--output", str(out))
    assert result.returncode == 2 and result.exception is None
    assert "wandb" in result.stderr and "not installed" in result.stderr and "pip install wandb" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_an_unknown_tracker_is_refused_with_the_list(tmp_path):
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--report-to", "tensorbord",
                     "--output", str(tmp_path / "never"))
    assert result.returncode == 2
    assert "tensorbord" in result.stderr and "mlflow" in result.stderr and "tensorboard" in result.stderr
