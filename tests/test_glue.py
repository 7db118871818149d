"""The GLUE cards added to SST-2, MRPC and STS-B: CoLA, QQP, MNLI matched / mismatched, QNLI, RTE, WNLI. Their
original files (read when ../shared/data holds them, with the row counts of each folder's SOURCE.md), the headerless
CoLA format, and every new card's bundled sample running on the three architectures."""
from __future__ import annotations

import pytest

import harness
from harness.data.prepare import prepare
from harness.data.readers import read_file
from harness.data.sources import DataRequest, resolve_source
from harness.errors import UserError
from harness.tasks.registry import Registry, load_kind

NEW_CARDS = ("cola", "qqp", "mnli_matched", "mnli_mismatched", "qnli", "rte", "wnli")
GLUE_REVISION = "bcdcba79d07bc864c1c254ccfcedcce55bcc9a8c"


def _prepared(card_name, data=(), data_dir=None):
    registry = Registry()
    card = registry.card(card_name)
    source = resolve_source(card, DataRequest.parse(list(data), data_dir, set(registry.cards)))
    return prepare(card, load_kind(card.kind), source)


def _folder(shared_data, task):
    if not (shared_data / task).is_dir():
        pytest.skip(f"../shared/data/{task} is not present")
    return shared_data / task


def test_cards_pin_the_glue_revision_and_report_the_official_dev_split_as_test():
    registry = Registry()
    for name in NEW_CARDS:
        card = registry.card(name)
        assert card.hub.path == "nyu-mll/glue" and card.hub.revision == GLUE_REVISION, name
        assert card.hub.splits["train"] == "train" and "validation" not in card.hub.splits, name
        assert card.sample is not None and card.description, name
    assert registry.card("cola").primary_metric == "mcc"
    assert registry.card("qqp").metrics[:2] == ("f1", "accuracy")
    assert registry.card("mnli_matched").hub.splits["test"] == "validation_matched"
    assert registry.card("mnli_mismatched").hub.splits["test"] == "validation_mismatched"


def test_headerless_tsv_columns_are_numbered_from_zero(tmp_path):
    path = tmp_path / "dev.tsv"
    # CoLA's layout: source, label, the author's mark (often empty), sentence with unbalanced quotes; no final newline
    path.write_text('gj04\t1\t\tThe "book was red.\ngj04\t0\t*\tRed the book was was.')
    rows = read_file(path, "tsv_noheader")
    assert rows == [{"0": "gj04", "1": "1", "2": "", "3": 'The "book was red.'},
                    {"0": "gj04", "1": "0", "2": "*", "3": "Red the book was was."}]
    path.write_text("gj04\t1\t\tFine.\ngj04\t0\tBroken.\n")
    with pytest.raises(UserError, match="line 2: 3 tab-separated fields, the first line has 4"):
        read_file(path, "tsv_noheader")


def test_mcc_spec_matches_scikit_learn_when_one_class_is_predicted():
    """A model that calls every CoLA sentence acceptable scores MCC 0 (scikit-learn's value for an undefined
    correlation), on the full split and on every resample, not NaN."""
    import numpy as np
    from sklearn.metrics import matthews_corrcoef

    spec = load_kind("classification").metric_spec("mcc")
    references, predictions = [1, 0, 1, 1, 0, 1, 1, 0], [1] * 8
    stats = spec.example_statistics(predictions, references, {"num_labels": 2})
    assert spec.corpus(stats) == matthews_corrcoef(references, predictions) == 0.0
    assert spec.resample(stats, np.array([[0, 2, 1, 0, 1, 3, 0, 1], [1] * 8])).tolist() == [0.0, 0.0]
    predictions = [1, 0, 0, 1, 0, 1, 1, 1]
    stats = spec.example_statistics(predictions, references, {"num_labels": 2})
    assert spec.corpus(stats) == pytest.approx(matthews_corrcoef(references, predictions), abs=1e-12)


def test_real_cola_files(shared_data):
    folder = _folder(shared_data, "cola")
    assert len(read_file(folder / "train.tsv", "tsv_noheader")) == 8551
    cola = _prepared("cola", data_dir=shared_data)
    assert cola.sizes["test"] == 1043
    assert cola.sizes["train"] + cola.sizes["validation"] + cola.overlap["removed_from_train"] == 8551
    test = cola.load("test")
    assert sum(test["label"]) == 721 and "The sailors rode the breeze clear of the rocks." in test["text"]


@pytest.mark.parametrize("task, train, dev, dev_label_1", [("rte", 2490, 277, 131), ("wnli", 635, 71, 31)])
def test_real_rte_and_wnli_files(shared_data, task, train, dev, dev_label_1):
    _folder(shared_data, task)
    prepared = _prepared(task, data_dir=shared_data)
    assert prepared.sizes["test"] == dev
    assert prepared.sizes["train"] + prepared.sizes["validation"] + prepared.overlap["removed_from_train"] == train
    # RTE's label 1 is not_entailment (131 of dev), WNLI's is entailment (31 of dev), as on the hub
    assert sum(prepared.load("test")["label"]) == dev_label_1
    assert set(prepared.load("test").column_names) == {"text", "text_pair", "label"}


def test_real_qnli_dev_alone(shared_data):
    folder = _folder(shared_data, "qnli")
    rows = read_file(folder / "dev.tsv", "glue_tsv")
    assert len(rows) == 5463 and sum(r["label"] == "entailment" for r in rows) == 2702
    # Only dev.tsv is there: --data-dir falls back to the hub for train, and offline says what to do instead
    with pytest.raises(UserError) as err:
        _prepared("qnli", data_dir=shared_data)
    hint = err.value.hint
    assert "dev.tsv" in hint and "train.tsv" in hint and "--data qnli=" in hint
    carved = _prepared("qnli", [f"qnli={folder / 'dev.tsv'}"])
    assert sum(carved.sizes.values()) + carved.overlap["removed_from_train"] == 5463


@pytest.mark.slow
def test_new_cards_samples_run_ok_on_every_architecture(tmp_path):
    results = harness.run(models="tiny-bert,tiny-gpt2,tiny-t5", tasks=",".join(NEW_CARDS), data="sample",
                          executor="inline", epochs=1, batch_size=8, lr=3e-3, latency_requests=0, output=tmp_path,
                          write_report=False, progress=lambda _: None)
    assert len(results) == 3 * len(NEW_CARDS)
    assert {(r["model"], r["task"]): r["status"] for r in results} == {
        (m, t): "ok" for m in ("tiny-bert", "tiny-gpt2", "tiny-t5") for t in NEW_CARDS}
    assert {r["task"]: r["primary_metric"] for r in results}["cola"] == "mcc"
