"""The CLUE (Chinese) cards: TNEWS, AFQMC, ChnSentiCorp, CLUENER2020 and CMRC 2018. Their original files (read when
../shared/data holds them, with the counts of each folder's SOURCE.md), the CLUENER span conversion (every entity of
the dev file survives spans -> tags -> spans), Chinese text in the tiny models' vocabularies, and every card's
bundled sample running on the three architectures."""
from __future__ import annotations

import json
from collections import Counter

import pytest

import harness
from harness.data.prepare import prepare
from harness.data.readers import read_file
from harness.data.sources import DataRequest, resolve_source
from harness.data.spans import entity_spans, spans_to_tags, tags_to_spans
from harness.errors import UserError
from harness.tasks.registry import Registry, load_kind

CLUE_CARDS = ("tnews", "afqmc", "chnsenticorp", "cluener", "cmrc2018")
TINY = ("tiny-bert", "tiny-gpt2", "tiny-t5")


def _prepared(card_name, data=(), data_dir=None):
    """The task's data prepared as a run prepares it, from --data values and --data-dir."""
    registry = Registry()
    card = registry.card(card_name)
    request = DataRequest.parse(list(data), data_dir, set(registry.cards))
    return prepare(card, load_kind(card.kind), resolve_source(card, request))


def _folder(shared_data, task):
    folder = shared_data / task
    if not folder.is_dir():
        pytest.skip(f"../shared/data/{task} is not present")
    return folder


def _kept(prepared, original: int) -> None:
    """Every row of the file ended up in one split (or was a train row repeating a carved one)."""
    assert sum(prepared.sizes.values()) + prepared.overlap["removed_from_train"] == original


def test_real_tnews_dev_and_its_labels_file(shared_data):
    folder = _folder(shared_data, "tnews")
    labels = [json.loads(line) for line in (folder / "labels.json").read_text(encoding="utf-8").splitlines()]
    assert tuple(label["label_desc"] for label in labels) == Registry().card("tnews").labels
    rows = read_file(folder / "dev.json", "jsonl")
    assert len(rows) == 10000 and Counter(r["label"] for r in rows).most_common(1) == [("109", 1089)]
    tnews = _prepared("tnews", data_dir=shared_data)          # dev alone: test and validation carved from it
    _kept(tnews, 10000)
    assert tnews.sizes["test"] == 1000 and len(set(tnews.load("train")["label"])) == 15


def test_real_afqmc_dev(shared_data):
    folder = _folder(shared_data, "afqmc")
    afqmc = _prepared("afqmc", data_dir=shared_data)          # dev alone: test and validation carved from it
    assert afqmc.sizes["test"] == 432
    official = _prepared("afqmc", [f"afqmc=train:{folder / 'dev.json'},test:{folder / 'dev.json'}"])
    assert official.sizes["test"] == 4316          # given a train file, the official dev set is reported whole
    _kept(afqmc, 4316)
    labels = Counter(label for role in afqmc.sizes for label in afqmc.load(role)["label"])
    assert labels[1] + afqmc.overlap["removed_from_train"] >= 1338 >= labels[1]


def test_real_chnsenticorp_official_splits(shared_data):
    _folder(shared_data, "chnsenticorp")
    senti = _prepared("chnsenticorp", data_dir=shared_data)
    assert senti.sizes == {"train": 9600, "validation": 1200, "test": 1200}
    assert [sum(senti.load(role)["label"]) for role in ("train", "validation", "test")] == [4799, 593, 608]


def test_real_cluener_files_and_every_dev_entity_round_trips(shared_data):
    folder = _folder(shared_data, "cluener")
    for name, sentences, mentions in (("train.json", 10748, 23971), ("dev.json", 1343, 3072)):
        rows = read_file(folder / name, "cluener_json")
        assert len(rows) == sentences
        nested = 2 if name == "train.json" else 0       # mentions inside another mention: one tag per character
        assert sum(len(tags_to_spans(r["ner_tags"])) for r in rows) == mentions - nested
    originals = [json.loads(line) for line in (folder / "dev.json").read_text(encoding="utf-8").splitlines()]
    for original, row in zip(originals, read_file(folder / "dev.json", "cluener_json")):
        assert "".join(row["tokens"]) == original["text"]
        expected = [(kind, start, end) for kind, start, end, _ in entity_spans(original["label"], "dev")]
        assert tags_to_spans(row["ner_tags"]) == expected
    cluener = _prepared("cluener", data_dir=shared_data)
    assert cluener.sizes["test"] == 1343


def test_real_cmrc2018_trial_and_dev(shared_data):
    folder = _folder(shared_data, "cmrc2018")
    assert len(read_file(folder / "cmrc2018_dev.json", "squad_json")) == 3219
    assert len(read_file(folder / "cmrc2018_trial.json", "squad_json")) == 1002
    cmrc = _prepared("cmrc2018", data_dir=shared_data)
    assert cmrc.sizes["test"] == 3219
    _kept(cmrc, 3219 + 1002)


def test_spans_become_character_tags_and_back():
    label = {"name": {"彭小军": [[0, 2]]}, "address": {"台湾": [[5, 6], [9, 10]]}}
    text = "彭小军认为台湾和在台湾"
    tags = spans_to_tags(text, label, "x")
    assert tags == ["B-name", "I-name", "I-name", "O", "O", "B-address", "I-address", "O", "O", "B-address",
                    "I-address"]
    assert tags_to_spans(tags) == [("name", 0, 2), ("address", 5, 6), ("address", 9, 10)]
    nested = {"company": {"小军": [[1, 2]]}, "name": {"彭小军": [[0, 2]]}}
    assert tags_to_spans(spans_to_tags(text, nested, "x")) == [("name", 0, 2)]      # the outer one is kept
    assert tags_to_spans(["B-a", "B-a", "I-a", "I-b", "O", "I-a"]) == [("a", 0, 0), ("a", 1, 2), ("b", 3, 3),
                                                                      ("a", 5, 5)]


@pytest.mark.parametrize("label, words", [
    ({"name": {"彭小": [[0, 2]]}}, "not '彭小'"), ({"name": {"军x": [[2, 3]]}}, "outside"),
({"name": {"彭": [[0]]}}, r"are not \[start, end\]"),
    ({"name": ["彭"]}, "must map each mention"),
])
def test_bad_spans_name_the_example(tmp_path, label, words):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"text": "彭小军", "label": {}}, ensure_ascii=False) + "\n"
                    + json.dumps({"text": "彭小军", "label": label}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=words) as err:
        read_file(path, "cluener_json")
    assert "example 2" in str(err.value)


def test_cards_say_why_no_hub_copy_is_pinned():
    registry = Registry()
    for name in CLUE_CARDS:
        card = registry.card(name)
        assert card.hub is None and card.local is not None and card.sample is not None
        assert "no citable revision" in " ".join(card.description.split())


def test_chinese_sample_text_is_in_the_tiny_vocabularies():
    from transformers import AutoTokenizer

    from harness.models.builtin import ensure_tiny_model

    registry = Registry()
    texts = [json.loads(line)["sentence"] for line in
             (registry.card("tnews").sample / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    for name in TINY:
        tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_model(name))
        ids = [i for text in texts for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
        assert tokenizer.unk_token_id not in ids, name
        if name == "tiny-bert":       # one sub-word per character, as Chinese BERT vocabularies have it
            assert len(ids) == sum(len(text) for text in texts)


@pytest.mark.slow
def test_clue_samples_run_ok_on_every_architecture(tmp_path):
    results = harness.run(models=",".join(TINY), tasks=",".join(CLUE_CARDS), data="sample", executor="inline",
                          epochs=1, batch_size=8, lr=3e-3, latency_requests=0, output=tmp_path, write_report=False,
                          progress=lambda _: None)
    assert {(r["model"], r["task"]): r["status"] for r in results} == {(m, t): "ok" for m in TINY for t in CLUE_CARDS}
    cmrc = [r for r in results if r["task"] == "cmrc2018"]
    assert all(r["metric_scale"] == "percent" and 0 <= r["score"] <= 100 for r in cmrc)
