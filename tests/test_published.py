"""Published reference scores: cards carry them (checked field by field), and the report sets a run beside them only
when the model matches and the run trained on all of the card's data, flagging a run far below its reference."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli

import harness
from harness.report import write_report
from harness.report.published import COLUMN, FLAG, TOLERANCE, model_matches
from harness.report.synthetic import record, write_run
from harness.tasks.registry import Registry

SST2 = ("sst2", "classification", "classification", "accuracy", True)
SQUAD = ("squad", "qa", "extractive_qa", "f1", True)
BERT_CASED = "google-bert/bert-base-cased"

CARD = """\
name: mytask
family: classification
kind: classification
data:
  hub: {path: some/dataset, splits: {train: train, test: validation}}
columns: {text: sentence, label: label}
labels: [neg, pos]
metrics: {primary: accuracy, report: [accuracy, f1]}
references:
  - model: %s
    metric: accuracy
    value: 90.5
    split: validation
    source: https://example.org/paper, Table 2
    recipe: 3 epochs, lr 2e-5
"""
GOOD = CARD % "distilbert"


def _card_dir(tmp_path, text):
    folder = tmp_path / "cards"
    folder.mkdir(exist_ok=True)
    (folder / "mytask.yaml").write_text(textwrap.dedent(text))
    return folder


def test_bundled_cards_carry_the_published_figures_cited():
    cards = Registry().cards
    sst2 = {(r.model, r.metric): r for r in cards["sst2"].references}
    assert sst2[(BERT_CASED, "accuracy")].value == 92.32
    assert "05ce25bec3bf88363cd6fe05693b6947aba7e604" in sst2[(BERT_CASED, "accuracy")].source
    mrpc = {r.metric: r.value for r in cards["mrpc"].references}
    assert mrpc == {"f1": 88.85, "accuracy": 84.07}
    squad = {r.metric: r.value for r in cards["squad"].references}
    assert squad == {"f1": 86.9965, "exact_match": 79.5998}
    squad_v2 = {(r.model, r.metric): r.value for r in cards["squad_v2"].references}
    assert squad_v2 == {("deepset/roberta-base-squad2", "f1"): 82.9501,
                        ("deepset/roberta-base-squad2", "exact_match"): 79.9309}
    assert {r.split for r in cards["conll2003"].references} == {"test"}
    # the rest of run_glue's table: every GLUE card, MNLI's two dev sets on their own cards
    glue = {name: {r.metric: r.value for r in cards[name].references}
            for name in ("cola", "qqp", "mnli_matched", "mnli_mismatched", "qnli", "rte", "wnli")}
    assert glue == {"cola": {"mcc": 56.53}, "qqp": {"accuracy": 90.71, "f1": 87.49},
                    "mnli_matched": {"accuracy": 83.91}, "mnli_mismatched": {"accuracy": 84.10},
                    "qnli": {"accuracy": 90.66}, "rte": {"accuracy": 65.70}, "wnli": {"accuracy": 56.34}}
    # a figure changes no result: the card's hash (and so every job id) is the same without it
    card = cards["sst2"]
    assert "references" in card.raw and card.hash == _hash_without_references(card)


def _hash_without_references(card):
    import hashlib
    import json

    from harness.tasks.card import PROMPT_FIELDS, RESULT_NEUTRAL_FIELDS, _without
    raw = {k: v for k, v in card.raw.items() if k != "references"}
    return hashlib.sha256(json.dumps(_without(raw, RESULT_NEUTRAL_FIELDS + PROMPT_FIELDS), sort_keys=True,
                                     default=str).encode()).hexdigest()[:16]


def test_a_good_reference_loads(tmp_path):
    result = run_cli("list", "tasks", "--tasks-dir", str(_card_dir(tmp_path, GOOD)))
    assert result.returncode == 0, result.stderr
    assert "mytask" in result.stdout


@pytest.mark.parametrize("change, field, words", [
    (("value: 90.5", "value: ninety"), "references[0].value", "expected a number"),
    (("value: 90.5", "value: .nan"), "references[0].value", "not a score in points"),
    (("value: 90.5", "value: 905"), "references[0].value", "not a score in points"),
    (("metric: accuracy\n    value", "metric: bleu\n    value"), "references[0].metric", "not one of the card's"),
    (("split: validation\n    source", "split: train\n    source"), "references[0].split", "reports as test"),
    (("    source: https://example.org/paper, Table 2\n", ""), "references[0].source", "missing (required)"),
    (("recipe: 3 epochs, lr 2e-5", "recipe: ''"), "references[0].recipe", "non-empty string"),
    (("recipe: 3 epochs, lr 2e-5", "recipe: x\n    year: 2019"), "references[0].year", "unknown field"),
    (("model: distilbert", "model: my model"), "references[0].model", "one word"),
    (("references:\n  - model", "references:\n  - 3\n  - model"), "references[0]", "expected a mapping"),
])
def test_a_malformed_reference_is_one_line_and_exit_2(tmp_path, change, field, words):
    assert change[0] in GOOD
    result = run_cli("list", "tasks", "--tasks-dir", str(_card_dir(tmp_path, GOOD.replace(*change))))
    assert result.returncode == 2
    assert f"field '{field}'" in result.stderr and words in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2         # the error line and its hint


def test_two_figures_for_one_model_and_metric_are_refused(tmp_path):
    twice = GOOD + GOOD[GOOD.index("  - model"):]
    result = run_cli("list", "tasks", "--tasks-dir", str(_card_dir(tmp_path, twice)))
    assert result.returncode == 2 and "references[1]" in result.stderr and "keep one" in result.stderr


@pytest.mark.parametrize("model, model_id, matches", [
    ("google-bert/bert-base-cased", BERT_CASED, True),
    ("bert-base-cased", "bert-base-cased", True),                # the legacy id the hub redirects
    ("Google-BERT/bert-base-cased", "Google-BERT/bert-base-cased", True),
    ("bert", "google-bert/bert-base-uncased", False),             # the alias is the uncased model
    ("someone/bert-base-cased", "someone/bert-base-cased", False),
    ("./bert-base-cased", "/home/me/bert-base-cased", False),
])
def test_models_match_by_hub_id_with_aliases_resolved(model, model_id, matches):
    assert model_matches(BERT_CASED, {"model": model, "model_id": model_id}) is matches
    assert model_matches("bert", {"model": "x", "model_id": "google-bert/bert-base-uncased"})


def _run(tmp_path, scores, model=BERT_CASED, task=SST2, info=None, **changes):
    records = []
    for seed, score in enumerate(scores):
        r = record(model, task, seed, score=score)
        r["model_id"] = model
        for path, value in changes.items():
            section, _, key = path.partition("__")
            if key:
                r[section] = {**(r.get(section) or {}), key: value}
            else:
                r[section] = value
        records.append(r)
    other = [record("tiny-bert", task, seed, score=0.6) for seed in range(len(scores))]
    run_dir = write_run(tmp_path / "run", records + other, info=info)
    write_report(run_dir, formats="md", plots=False)
    return (run_dir / "report.md").read_text()


def test_a_full_data_run_is_set_beside_its_published_figure(tmp_path):
    report = _run(tmp_path, [0.921, 0.925])
    assert COLUMN in report
    assert "0.9232 (Δ -0.0002)" in report or "0.9232 (Δ −0.0002)" in report
    assert "against 92.32 published for google-bert/bert-base-cased on validation" in report
    assert "05ce25bec3bf88363cd6fe05693b6947aba7e604" in report           # the source, cited
    assert f") {FLAG}" not in report                                      # within the tolerance: no flag


def test_a_signed_metric_compares_in_points(tmp_path):
    cola = ("cola", "classification", "classification", "mcc", True)
    report = _run(tmp_path, [0.5653 - 0.05], task=cola)
    assert f"0.5653 (Δ -0.0500) {FLAG}" in report.replace("−", "-")


def test_a_run_far_below_its_reference_is_flagged(tmp_path):
    low = (92.32 - TOLERANCE - 1) / 100
    report = _run(tmp_path, [low, low])
    assert COLUMN in report and f"(Δ -0.0400) {FLAG}" in report.replace("−", "-")
    assert "most likely a recipe problem" in report


@pytest.mark.parametrize("changes, why", [
    ({"data__sample": True}, "bundled sample"),
    ({"hyperparameters": {"epochs": 1.0, "max_train_samples": 1000}}, "--max-train-samples"),
    ({"hyperparameters": {"epochs": 1.0, "budget_steps": 100}}, "--budget-steps"),
    ({"data__used": {"train": 500, "test": 872}, "data__sizes": {"train": 66349, "test": 872}}, "part of the data"),
    ({"tuning": "lora"}, "--tuning lora"),
])
def test_reduced_runs_are_never_compared(tmp_path, changes, why):
    report = _run(tmp_path, [0.5, 0.5], **changes)
    assert COLUMN not in report and FLAG not in report
    assert f"not compared with the figure published for {BERT_CASED} ({why}" in report


def test_other_models_get_no_column(tmp_path):
    report = _run(tmp_path, [0.9], model="roberta-base-custom")
    assert COLUMN not in report and "published for" not in report


def test_a_percent_metric_and_a_tasks_dir_card_resolving_an_alias(tmp_path):
    squad = _run(tmp_path / "a", [87.5], model="distilbert/distilbert-base-cased-distilled-squad", task=SQUAD)
    assert "87.00 (Δ 0.50)" in squad and f") {FLAG}" not in squad
    # a card from the run's --tasks-dir whose reference names an alias: `distilbert` is distilbert-base-uncased
    cards = _card_dir(tmp_path, GOOD)
    mytask = ("mytask", "classification", "classification", "accuracy", True)
    report = _run(tmp_path / "b", [0.80], model="distilbert", task=mytask,
                  info={"config": {"tasks_dir": [str(cards)]}}, model_id="distilbert/distilbert-base-uncased")
    assert "0.9050 (Δ -0.1050)" in report.replace("−", "-") and FLAG in report


@pytest.mark.slow
def test_a_real_run_is_compared_on_all_of_the_cards_data_and_not_on_part_of_it(tmp_path):
    """Through harness.run: a card of --tasks-dir whose local files are the whole data set, a figure for tiny-bert far
    above what one epoch of a random tiny model reaches."""
    data = tmp_path / "data" / "mytask"
    data.mkdir(parents=True)
    for split in ("train", "validation", "test"):
        shutil.copy(Path(__file__).parent.parent / "tasks" / "samples" / "sst2" / f"{split}.jsonl", data)
    card = GOOD.replace("model: distilbert", "model: tiny-bert").replace(
        "  hub: {path: some/dataset, splits: {train: train, test: validation}}",
        "  local: {format: jsonl, files: {train: mytask/train.jsonl, validation: mytask/validation.jsonl, "
        "test: mytask/test.jsonl}}").replace("split: validation", "split: test").replace(
        "[neg, pos]", "[negative, positive]").replace("value: 90.5", "value: 99.5")
    cards = _card_dir(tmp_path, card)
    common = dict(models=["tiny-bert"], tasks=["mytask"], tasks_dir=[str(cards)], data_dir=str(tmp_path / "data"),
                  epochs=1, seeds=[0], executor="inline", write_report=False)
    for name, extra in (("full", {}), ("part", {"max_train_samples": 100})):
        results = harness.run(output=str(tmp_path / name), **common, **extra)
        assert [r["status"] for r in results] == ["ok"]
        write_report(tmp_path / name, formats="md", plots=False)
    full = (tmp_path / "full" / "report.md").read_text()
    assert COLUMN in full and "against 99.5 published for tiny-bert on test" in full and f") {FLAG}" in full
    part = (tmp_path / "part" / "report.md").read_text()
    assert COLUMN not in part and "not compared with the figure published for tiny-bert (--max-train-samples" in part
