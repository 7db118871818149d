"""`harness eval` / `harness.evaluate`: a fine-tuned checkpoint evaluated as saved (its own head, nothing trained)
reproduces its job's recorded test score and predictions; its labels are matched to the card's by name."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import harness
from conftest import run_cli

FAST = dict(data="sample", epochs=1, latency_requests=0, executor="inline", save="all", write_report=False,
            progress=lambda _: None)
TRAINED = [("tiny-bert", "sst2", "full"), ("tiny-gpt2", "sst2", "full"), ("tiny-bert", "conll2003", "full"),
           ("tiny-bert", "squad", "full"), ("tiny-bert", "sst2", "lora")]
SST2 = ("tiny-bert", "sst2", "full")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_torch_thread):
    """(model, task, tuning) -> (record, predictions, saved folder) of a fine-tuned job kept by `--save all`."""
    run_dir = tmp_path_factory.mktemp("trained")
    records = [*harness.run(models="tiny-bert,tiny-gpt2", tasks="sst2", output=run_dir, **FAST),
               *harness.run(models="tiny-bert", tasks="conll2003,squad", output=run_dir, **FAST),
               *harness.run(models="tiny-bert", tasks="sst2", tuning="lora", output=run_dir, **FAST)]
    for record in records:
        assert record["status"] == "ok", record["error"]
    return {(r["model"], r["task"], r["tuning"]): (r, _predictions(run_dir, r), run_dir / r["saved_model"])
            for r in records}


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


@pytest.mark.parametrize("key", TRAINED, ids="-".join)
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
    record = evaluated[SST2][0]
    assert record["train"]["steps"] == 0 and record["train"]["samples_per_s"] is None
    assert record["trainable_params"] == 0 and record["optimizer_state_bytes"] == 0
    assert record["params"] > 0 and record["memory"]["peak_rss_bytes"] > 0 and record["eval"]["examples"] > 0


def test_the_report_lists_the_saved_entries(evaluated):
    run_dir = evaluated[SST2][2]
    report = (run_dir / "report.md").read_text()
    assert "sst2" in report and "conll2003" in report and "squad" in report


def test_labels_in_another_order_give_the_same_predictions(trained, evaluated, tmp_path):
    """A checkpoint naming its labels in another order than the card: its logits are reordered by name."""
    from transformers import AutoModelForSequenceClassification

    source = trained[SST2][2]
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
    assert _predictions(tmp_path / "out", record)["predictions"] == evaluated[SST2][1]["predictions"]


@pytest.mark.parametrize("task", ["cola", "mnli_matched"])
def test_a_label_mismatch_is_a_usage_error_before_anything_runs(trained, tmp_path, task):
    """cola: other names, same count; mnli: three labels, not two."""
    output = tmp_path / "out"
    result = run_cli("eval", "-m", str(trained[SST2][2]), "-t", task, "--data", "sample",
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


def test_the_command_evaluates_a_saved_model_on_its_own_task(trained, tmp_path):
    record, _, folder = trained[SST2]
    result = run_cli("eval", "-m", str(folder), "--data", "sample", "--latency-requests", "0", "--executor", "inline",
                     "--no-report", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    again = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [(r["task"], r["tuning"], r["score"]) for r in again] == [("sst2", "saved", record["score"])]


def test_a_checkpoint_needs_a_task_of_its_kind(trained, tmp_path):
    from harness.models.builtin import ensure_tiny_model

    result = run_cli("eval", "-m", str(ensure_tiny_model("tiny-bert")), "--data", "sample", "-o", str(tmp_path / "a"))
    assert result.returncode == 2 and "no --tasks given" in result.stderr
    result = run_cli("eval", "-m", str(trained[SST2][2]), "-t", "conll2003", "--data", "sample",
                     "-o", str(tmp_path / "b"))
    assert result.returncode == 2 and "kind classification" in result.stderr and "token_classification" in result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
