"""`harness eval` / `harness.evaluate`: a fine-tuned checkpoint evaluated as saved (its own head, nothing trained)
reproduces its job's recorded test score and predictions; its labels are matched to the card's by name."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import harness
from conftest import run_cli

FAST = dict(data="sample", epochs=1, latency_requests=0, executor="inline", progress=lambda _: None)
TRAINED = [("tiny-bert", "sst2"), ("tiny-gpt2", "sst2"), ("tiny-bert", "conll2003"), ("tiny-bert", "squad")]


def _keep_models(monkeypatch, folder: Path) -> None:
    """Save every job's fine-tuned model as `harness run --save` lays it out (docs/architecture.md, Saved models):
    the model and tokenizer as `save_pretrained` writes them, and `harness.json` with what evaluating it needs."""
    import harness.job

    test = harness.job._test

    def saving_test(job, record, kind, card, test_ctx, device, log):
        target = folder / job.id
        test_ctx.model.save_pretrained(target)
        test_ctx.tokenizer.save_pretrained(target)
        info = {"format": 1, "job": job.id, "task": job.task, "kind": job.kind, "model": job.model,
                "seed": job.seed, "tuning": job.tuning, "hyperparameters": job.hyperparameters,
                "generation": job.generation, "labels": list(card.labels)}
        (target / "harness.json").write_text(json.dumps(info))
        return test(job, record, kind, card, test_ctx, device, log)

    monkeypatch.setattr(harness.job, "_test", saving_test)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_torch_thread):
    """(model, task) -> (record, predictions, saved folder) of a fine-tuned job."""
    folder = tmp_path_factory.mktemp("trained")
    out = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        _keep_models(monkeypatch, folder / "models")
        for tasks in ("sst2", "conll2003,squad"):
            models = "tiny-bert,tiny-gpt2" if tasks == "sst2" else "tiny-bert"
            for record in harness.run(models=models, tasks=tasks, output=folder / "run", write_report=False, **FAST):
                assert record["status"] == "ok", record["error"]
                out[record["model"], record["task"]] = (record, _predictions(folder / "run", record),
                                                       folder / "models" / record["job"])
    return out


@pytest.fixture(scope="module")
def evaluated(trained, tmp_path_factory):
    """(model, task) -> (record, predictions, run directory) of `harness.evaluate` on each saved folder."""
    output = tmp_path_factory.mktemp("evaluated")
    folders = [str(trained[key][2]) for key in TRAINED]
    records = harness.evaluate(models=folders, output=output, data="sample", latency_requests=0, executor="inline",
                               progress=lambda _: None)
    by_folder = {record["model"]: record for record in records}
    return {key: (by_folder[str(trained[key][2])], _predictions(output, by_folder[str(trained[key][2])]), output)
            for key in TRAINED}


def _predictions(run_dir: Path, record: dict) -> dict:
    return json.loads((run_dir / "predictions" / f"{record['job']}.json").read_text())


@pytest.mark.parametrize("key", TRAINED, ids=lambda key: "-".join(key))
def test_a_saved_model_reproduces_its_test_score_and_predictions(trained, evaluated, key):
    record, predictions, _ = trained[key]
    again, again_predictions, _ = evaluated[key]
    assert again["status"] == "ok", again["error"]
    assert again["tuning"] == "saved" and again["task"] == record["task"] and again["seed"] == record["seed"]
    assert again["score"] == record["score"] and again["metrics"] == record["metrics"]
    assert again_predictions["predictions"] == predictions["predictions"]
    assert again["validation"]["metrics"][record["primary_metric"]] == \
        record["validation"]["metrics"][record["primary_metric"]]
    assert again["hyperparameters"]["max_length"] == record["hyperparameters"]["max_length"]


def test_nothing_is_trained(evaluated):
    record = evaluated["tiny-bert", "sst2"][0]
    assert record["train"]["steps"] == 0 and record["train"]["samples_per_s"] is None
    assert record["trainable_params"] == 0 and record["optimizer_state_bytes"] == 0
    assert record["params"] > 0 and record["memory"]["peak_rss_bytes"] > 0 and record["eval"]["examples"] > 0


def test_the_report_lists_the_saved_entries(evaluated):
    run_dir = evaluated["tiny-bert", "sst2"][2]
    report = (run_dir / "report.md").read_text()
    assert "sst2" in report and "conll2003" in report and "squad" in report


def test_labels_in_another_order_give_the_same_predictions(trained, evaluated, tmp_path):
    """A checkpoint naming its labels in another order than the card: its logits are reordered by name."""
    from transformers import AutoModelForSequenceClassification

    source = trained["tiny-bert", "sst2"][2]
    swapped = tmp_path / "swapped"
    shutil.copytree(source, swapped)
    model = AutoModelForSequenceClassification.from_pretrained(source)
    model.classifier.weight.data = model.classifier.weight.data.flip(0)
    model.classifier.bias.data = model.classifier.bias.data.flip(0)
    model.config.id2label, model.config.label2id = {0: "positive", 1: "negative"}, {"positive": 0, "negative": 1}
    model.save_pretrained(swapped)
    (swapped / "harness.json").unlink()         # any checkpoint: the task comes from --tasks
    record = harness.evaluate(models=[str(swapped)], tasks="sst2", output=tmp_path / "out", data="sample",
                              latency_requests=0, executor="inline", write_report=False)[0]
    assert record["status"] == "ok", record["error"]
    assert _predictions(tmp_path / "out", record)["predictions"] == evaluated["tiny-bert", "sst2"][1]["predictions"]


@pytest.mark.parametrize("task", ["cola", "mnli_matched"])
def test_a_label_mismatch_is_a_usage_error_before_anything_runs(trained, tmp_path, task):
    """cola: other names, same count; mnli: three labels, not two."""
    output = tmp_path / "out"
    result = run_cli("eval", "-m", str(trained["tiny-bert", "sst2"][2]), "-t", task, "--data", "sample",
                     "-o", str(output))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "do not match" in result.stderr and task in result.stderr
    assert not output.exists()


def test_eval_refuses_training_options_and_needs_a_model():
    result = run_cli("eval", "-m", "x", "--epochs", "1")
    assert result.returncode == 2 and "--epochs" in result.stderr
    result = run_cli("eval", "-t", "sst2")
    assert result.returncode == 2 and "--models" in result.stderr
    with pytest.raises(harness.api.UserError, match="takes no --lr"):
        harness.evaluate(models=["x"], lr=1e-3)


def test_a_model_without_a_fine_tuned_head_is_unsupported(tmp_path):
    """A base checkpoint has no question-answering head to evaluate: the job says so rather than scoring a random
    head."""
    from harness.models.builtin import ensure_tiny_model

    record = harness.evaluate(models=[str(ensure_tiny_model("tiny-bert"))], tasks="squad", output=tmp_path,
                              data="sample", latency_requests=0, executor="inline", write_report=False)[0]
    assert record["status"] == "unsupported" and "no fine-tuned extractive_qa head" in record["error"]
