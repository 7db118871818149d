"""Multiple-choice data: the original formats of COPA, PIQA (labels in a separate file) and ARC, the choices gathered
from several columns, and cards whose local files hold no test split (test and validation carved, seeded).

Small fixtures are written here; the real files in ../shared/data are read when present (skipped otherwise).
"""
from __future__ import annotations

import json

import pytest

from harness.data.prepare import prepare
from harness.data.readers import read_file
from harness.data.sources import DataRequest, resolve_source
from harness.errors import UserError
from harness.tasks.card import CardError, parse_card
from harness.tasks.registry import Registry, load_kind


@pytest.fixture(scope="module")
def registry():
    return Registry()


def _prepared(registry, task, **request):
    card = registry.card(task)
    return prepare(card, load_kind(card.kind), resolve_source(card, DataRequest.parse(**request)))


def _write_piqa(folder, goals, labels):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "valid.jsonl").write_text("".join(json.dumps({"goal": g, "sol1": f"{g} one", "sol2": f"{g} two"}) + "\n"
                                                for g in goals))
    (folder / "valid-labels.lst").write_text("".join(f"{label}\n" for label in labels))


def test_piqa_labels_come_from_the_file_beside_the_questions(tmp_path, registry):
    goals = [f"goal {i}" for i in range(40)]
    _write_piqa(tmp_path / "piqa", goals, [i % 2 for i in range(40)])
    rows = read_file(tmp_path / "piqa" / "valid.jsonl", "jsonl_labels")
    assert [r["label"] for r in rows[:3]] == ["0", "1", "0"] and rows[1]["goal"] == "goal 1"
    prepared = _prepared(registry, "piqa", data=None, data_dir=tmp_path)
    assert prepared.source["carve_test"] and sum(prepared.sizes.values()) == 40
    test = prepared.load("test")
    for row in test:
        index = goals.index(row["context"])
        assert row["choices"] == [f"{row['context']} one", f"{row['context']} two"] and row["label"] == index % 2


def test_piqa_labels_file_missing_or_short_is_one_clear_error(tmp_path):
    _write_piqa(tmp_path, ["a", "b"], [0])
    with pytest.raises(UserError, match="2 examples but 1 labels"):
        read_file(tmp_path / "valid.jsonl", "jsonl_labels")
    (tmp_path / "valid-labels.lst").unlink()
    with pytest.raises(UserError, match="labels file .*valid-labels.lst is missing"):
        read_file(tmp_path / "valid.jsonl", "jsonl_labels")


def test_a_changed_labels_file_is_new_data(tmp_path, registry):
    _write_piqa(tmp_path / "piqa", [f"g{i}" for i in range(20)], [0] * 20)
    card = registry.card("piqa")
    first = resolve_source(card, DataRequest.parse(None, tmp_path)).fingerprint(card, "multiple_choice")
    (tmp_path / "piqa" / "valid-labels.lst").write_text("1\n" * 20)
    assert resolve_source(card, DataRequest.parse(None, tmp_path)).fingerprint(card, "multiple_choice") != first


def test_copa_asks_for_a_cause_or_an_effect(tmp_path, registry):
    rows = [{"premise": f"Ana slipped {i}.", "choice1": "The floor was wet.", "choice2": "I spilled tea.",
             "question": "cause" if i % 2 else "effect", "label": i % 2, "idx": i} for i in range(30)]
    (tmp_path / "copa").mkdir()
    (tmp_path / "copa" / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    prepared = _prepared(registry, "copa", data=None, data_dir=tmp_path)
    assert sum(prepared.sizes.values()) == 30 and prepared.sizes["test"] == 6
    row = next(r for r in prepared.load("train"))
    number = int(row["context"].split()[2])
    assert row["context"] == f"Ana slipped {number} " + ("because" if number % 2 else "so")
    assert row["choices"] == ["the floor was wet.", "I spilled tea."] and row["id"] == str(number)


def test_arc_file_choices_and_answer_keys_of_both_kinds(tmp_path, registry):
    questions = []
    for i in range(30):
        names = ["1", "2", "3"] if i % 3 == 0 else ["A", "B", "C", "D", "E"][:4 + i % 2]
        questions.append({"id": f"q{i}", "question": {"stem": f"Question {i}?", "choices": [
            {"text": f"answer {i}.{n}", "label": n} for n in names]}, "answerKey": names[i % len(names)]})
    (tmp_path / "arc_easy").mkdir()
    (tmp_path / "arc_easy" / "ARC-Easy-Dev.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    prepared = _prepared(registry, "arc_easy", data=None, data_dir=tmp_path)
    seen = 0
    for role in ("train", "validation", "test"):
        for row in prepared.load(role):
            i = int(row["id"][1:])
            assert row["context"] == f"Question {i}?"
            assert len(row["choices"]) == len(questions[i]["question"]["choices"])
            assert row["choices"][row["label"]].endswith("." + questions[i]["answerKey"])
            seen += 1
    assert seen == 30


def test_a_card_carving_its_test_split_names_no_test_file(tmp_path):
    card = {"name": "mc", "family": "multiple_choice", "kind": "multiple_choice", "columns": {},
            "metrics": {"primary": "accuracy"}, "options": {"max_choices": 2},
            "data": {"local": {"format": "jsonl", "files": {"train": "a.jsonl", "test": "b.jsonl"},
                               "carve_test": True}}}
    with pytest.raises(CardError, match="carve_test"):
        parse_card(card, tmp_path / "mc.yaml")
    card["data"]["local"]["files"] = {"train": "a.jsonl"}
    assert parse_card(card, tmp_path / "mc.yaml").local.carve_test
    card["data"]["local"]["carve_test"] = False
    with pytest.raises(CardError, match="train and test files"):
        parse_card(card, tmp_path / "mc.yaml")


# --- the real files -----------------------------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.parametrize("task, total, sample", [
    ("copa", 100, "because"), ("piqa", 1838, None), ("arc_easy", 570, None)])
def test_real_files_from_the_data_directory(registry, shared_data, task, total, sample):
    prepared = _prepared(registry, task, data=None, data_dir=shared_data)
    assert prepared.source["origin"] == "local" and prepared.source["carve_test"]
    assert sum(prepared.sizes.values()) == total
    rows = [row for role in ("train", "validation", "test") for row in prepared.load(role)]
    assert all(0 <= row["label"] < len(row["choices"]) for row in rows)
    if task == "arc_easy":              # 567 questions with 4 choices, 2 with 5, 1 with 3; some keys are 1-4
        assert sorted(len(r["choices"]) for r in rows).count(4) == 567
        assert {len(r["choices"]) for r in rows} == {3, 4, 5}
    if task == "piqa":                  # valid-labels.lst: 928 ones, 910 zeros
        assert sum(r["label"] for r in rows) == 928
    if task == "copa":                  # 52 causes, 48 effects; label 1 for 45
        assert sum(r["context"].endswith(" because") for r in rows) == 52 and sum(r["label"] for r in rows) == 45
