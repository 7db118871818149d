"""Task cards: the bundled ones load; every kind of mistake is one error naming the file and the field."""
from __future__ import annotations

import textwrap

import pytest

from harness.errors import UserError
from harness.tasks.card import load_card
from harness.tasks.registry import Registry

GOOD = """\
name: mytask
family: classification
kind: classification
data:
  sample: samples/x
columns: {text: sentence, label: label}
labels: [neg, pos]
metrics: {primary: accuracy}
"""


def write(tmp_path, text, name="card.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_bundled_cards_load_and_validate():
    registry = Registry()
    assert {"sst2", "mrpc", "stsb"} <= set(registry.cards)
    sst2 = registry.card("sst2")
    assert sst2.family == "classification" and sst2.primary_metric == "accuracy"
    assert registry.card("stsb").kind == "regression"
    assert sst2.hub.revision and len(sst2.hub.revision) == 40


def test_families_and_all_are_addressable():
    registry = Registry()
    cards, explicit = registry.select("classification,similarity")
    names = [c.name for c in cards]
    assert {"sst2", "mrpc", "stsb"} <= set(names) and explicit == set()
    assert all(c.family in ("classification", "similarity") for c in cards)
    everything, _ = registry.select("all")
    assert len(everything) == len(registry.cards)
    picked, explicit = registry.select("stsb,sst2,stsb")
    assert [c.name for c in picked] == ["stsb", "sst2"] and explicit == {"stsb", "sst2"}


def test_unknown_task_suggests_the_closest_name():
    with pytest.raises(UserError) as err:
        Registry().select("sst")
    assert "unknown task 'sst'" in str(err.value) and "sst2" in str(err.value)


def test_card_hash_changes_with_content(tmp_path):
    a = load_card(write(tmp_path, GOOD, "a.yaml"))
    b = load_card(write(tmp_path, GOOD.replace("accuracy", "f1"), "b.yaml"))
    assert a.hash != b.hash and a.hash == load_card(write(tmp_path, GOOD, "c.yaml")).hash


@pytest.mark.parametrize("mutation, field, words", [
    (lambda t: t.replace("family: classification", "family: poetry"), "family", "not one of"),
    (lambda t: t.replace("name: mytask\n", ""), "name", "missing"),
    (lambda t: t.replace("labels: [neg, pos]", "labels: {a: 1}"), "labels", "expected a list"),
    (lambda t: t.replace("metrics: {primary: accuracy}", "metrics: {primary: 3}"), "metrics.primary",
     "expected a string"),
    (lambda t: t + "hyperparameters: {epochs: -1}\n", "hyperparameters.epochs", "positive"),
    (lambda t: t + "hyperparameters: {lr: fast}\n", "hyperparameters.lr", "expected a number"),
    (lambda t: t + "colums: {}\n", "colums", "did you mean 'columns'"),
    (lambda t: t.replace("data:\n  sample: samples/x\n", "data: {}\n"), "data.hub", "at least one data source"),
])
def test_bad_card_fields_are_named(tmp_path, mutation, field, words):
    path = write(tmp_path, mutation(GOOD))
    with pytest.raises(UserError) as err:
        load_card(path)
    message = str(err.value)
    assert str(path) in message and f"field '{field}'" in message and words in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, GOOD + "labels: [unclosed\n")
    with pytest.raises(UserError) as err:
        load_card(path)
    assert "invalid YAML" in str(err.value) and str(path) in str(err.value)


def test_kind_checks_run_in_the_registry(tmp_path):
    write(tmp_path, GOOD.replace("kind: classification", "kind: clasification"))
    with pytest.raises(UserError) as err:
        Registry([tmp_path])
    assert "field 'kind'" in str(err.value) and "did you mean 'classification'" in str(err.value)
    write(tmp_path, GOOD.replace("primary: accuracy", "primary: bleu"))
    with pytest.raises(UserError) as err:
        Registry([tmp_path])
    assert "'bleu' is not a metric of kind 'classification'" in str(err.value)


def test_tasks_dir_adds_and_overrides_cards(tmp_path):
    write(tmp_path, GOOD)
    registry = Registry([tmp_path])
    assert "mytask" in registry.cards and "sst2" in registry.cards
