"""No evaluation data leaks into training: the tiny models' tokenizers see train splits only, carved QA splits never
share a paragraph, and rows that repeat a train row verbatim are removed from train (carved splits) or counted
(given splits)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.paths import cards_dir


def _sample_strings(split: str) -> set[str]:
    """Every string in the bundled samples' `split` files (lists of words joined by spaces)."""
    found: set[str] = set()

    def collect(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            found.add(" ".join(value))
        elif isinstance(value, (list, dict)):
            for v in value.values() if isinstance(value, dict) else value:
                collect(v)

    for file in sorted((cards_dir() / "samples").glob(f"*/{split}.jsonl")):
        for line in file.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                collect(json.loads(line))
    return found


def test_tiny_tokenizers_are_trained_on_the_train_samples_only():
    from harness.models.builtin import sample_corpus

    corpus = set(sample_corpus())
    train = _sample_strings("train")
    held_out = (_sample_strings("validation") | _sample_strings("test")) - train
    assert corpus == train
    assert len(held_out) > 500 and not corpus & held_out


def _prepared(task: str, data=None, data_dir=None):
    from harness.data.prepare import prepare
    from harness.data.sources import DataRequest, resolve_source
    from harness.tasks.registry import Registry, load_kind

    registry = Registry()
    card = registry.card(task)
    source = resolve_source(card, DataRequest.parse(data, data_dir, set(registry.cards)))
    return prepare(card, load_kind(card.kind), source)


# --- extractive QA is carved by paragraph ------------------------------------------------------------------------
def _squad_file(path: Path, articles: int, paragraphs: int, questions: int) -> Path:
    data = []
    for a in range(articles):
        entries = []
        for p in range(paragraphs):
            context = f"Article {a} paragraph {p}: the river Vel{a}x{p} flows past the town of Tor{a}y{p}."
            qas = [{"id": f"{a}-{p}-{q}", "question": f"Question {q}: which town does the river pass?",
                    "answers": [{"text": f"Tor{a}y{p}", "answer_start": context.index(f"Tor{a}y{p}")}]}
                   for q in range(questions)]
            entries.append({"context": context, "qas": qas})
        data.append({"title": f"Article_{a}", "paragraphs": entries})
    path.write_text(json.dumps({"version": "1.1", "data": data}))
    return path


def _contexts_by_split(prepared) -> dict[str, set[str]]:
    return {role: set(prepared.load(role)["context"]) for role in ("train", "validation", "test")}


def _assert_no_context_in_two_splits(prepared) -> None:
    contexts = _contexts_by_split(prepared)
    assert all(contexts.values())
    assert not contexts["train"] & contexts["validation"]
    assert not contexts["train"] & contexts["test"]
    assert not contexts["validation"] & contexts["test"]


def test_squad_single_file_is_carved_by_paragraph(tmp_path):
    path = _squad_file(tmp_path / "dev-v1.1.json", articles=4, paragraphs=10, questions=4)
    prepared = _prepared("squad", [f"squad={path}"])
    assert sum(prepared.sizes.values()) == 160
    _assert_no_context_in_two_splits(prepared)
    assert prepared.sizes["test"] % 4 == 0 and prepared.sizes["validation"] % 4 == 0     # whole paragraphs


def test_squad_validation_carved_from_train_shares_no_paragraph_with_it(tmp_path):
    train = _squad_file(tmp_path / "train-v1.1.json", articles=5, paragraphs=12, questions=5)
    test = _squad_file(tmp_path / "test.json", articles=1, paragraphs=2, questions=2)
    prepared = _prepared("squad", [f"squad=train:{train},test:{test}"])
    assert prepared.sizes["train"] + prepared.sizes["validation"] == 300
    contexts = _contexts_by_split(prepared)
    assert contexts["validation"] and not contexts["train"] & contexts["validation"]


def test_real_squad_dev_carved_into_three_splits_by_paragraph(shared_data):
    prepared = _prepared("squad", [f"squad={shared_data}/squad/dev-v1.1.json"])
    assert sum(prepared.sizes.values()) == 10570
    _assert_no_context_in_two_splits(prepared)
    assert 400 <= prepared.sizes["test"] <= 700 and 400 <= prepared.sizes["validation"] <= 700


# --- rows repeating a train row ------------------------------------------------------------------------------------
def _sst2_files(folder: Path) -> tuple[Path, Path]:
    """60 train rows, every sentence twice; 5 test rows, 2 of them repeating a train sentence."""
    train = folder / "train.tsv"
    train.write_text("sentence\tlabel\n" + "".join(f"sentence number {i % 30} .\t{i % 2}\n" for i in range(60)))
    test = folder / "dev.tsv"
    test.write_text("sentence\tlabel\nsentence number 3 .\t1\nsentence number 7 .\t1\n"
                    + "".join(f"a new sentence {i} .\t0\n" for i in range(3)))
    return train, test


def test_carved_validation_rows_repeating_train_rows_are_removed_from_train_and_test_repeats_counted(tmp_path):
    train, test = _sst2_files(tmp_path)
    prepared = _prepared("sst2", [f"sst2=train:{train},test:{test}"])
    validation_texts = set(prepared.load("validation")["text"])
    train_texts = set(prepared.load("train")["text"])
    assert prepared.sizes["validation"] == 3 and not validation_texts & train_texts
    removed = 60 - prepared.sizes["train"] - prepared.sizes["validation"]
    assert removed >= 1
    assert prepared.overlap == {"removed_from_train": removed, "validation_in_train": 0, "test_in_train": 2}
    meta = json.loads((prepared.path / "meta.json").read_text())
    assert meta["overlap"] == prepared.overlap


def test_the_record_data_section_holds_the_overlap(tmp_path, one_torch_thread):
    import harness

    train, test = _sst2_files(tmp_path)
    records = harness.run(models="tiny-bert", tasks="sst2", data=[f"sst2=train:{train},test:{test}"], epochs=1,
                          batch_size=8, latency_requests=2, executor="inline", write_report=False,
                          output=tmp_path / "run", progress=lambda _: None)
    assert records[0]["status"] == "ok", records[0]["error"]
    overlap = records[0]["data"]["overlap"]
    assert overlap["test_in_train"] == 2 and overlap["validation_in_train"] == 0 and overlap["removed_from_train"]


def test_a_carved_test_split_leaves_no_repeat_in_train(tmp_path):
    path = tmp_path / "all.tsv"
    path.write_text("sentence\tlabel\n" + "".join(f"sentence number {i % 50} .\t{i % 2}\n" for i in range(200)))
    prepared = _prepared("sst2", [f"sst2={path}"])
    texts = {role: set(prepared.load(role)["text"]) for role in ("train", "validation", "test")}
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["validation"]
    assert prepared.overlap["removed_from_train"] == 200 - sum(prepared.sizes.values()) > 0
    assert prepared.overlap["test_in_train"] == prepared.overlap["validation_in_train"] == 0


# SST-2: 8 of the 1000 carved validation sentences repeat 8 train rows; STS-B: 11 of the 575 pairs repeat 13 train rows
@pytest.mark.parametrize("task, validation, removed, test_repeats", [("sst2", 1000, 8, 0), ("stsb", 575, 13, 6)])
def test_real_glue_validation_repeats_removed_from_train(shared_data, task, validation, removed, test_repeats):
    prepared = _prepared(task, None, shared_data)
    assert prepared.sizes["validation"] == validation
    assert prepared.overlap == {"removed_from_train": removed, "validation_in_train": 0, "test_in_train": test_repeats}
    columns = ["text", "text_pair"] if task == "stsb" else ["text"]
    seen = {tuple(row[c] for c in columns) for row in prepared.load("train").select_columns(columns)}
    assert not any(tuple(row[c] for c in columns) in seen
                   for row in prepared.load("validation").select_columns(columns))
