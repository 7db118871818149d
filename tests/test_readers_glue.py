"""GLUE-style readers and data resolution: TSV with BOM and unbalanced quotes, CSV, JSONL, label mapping, carving."""
from __future__ import annotations

import pytest

from harness.data.prepare import prepare
from harness.data.readers import read_file
from harness.data.sources import DataRequest, resolve_source
from harness.data.splits import carve
from harness.errors import UserError
from harness.tasks.registry import Registry, load_kind


def test_tsv_with_bom_and_unbalanced_quotes(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_bytes("\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                     '1\t1\t2\tHe said "hello\tShe said "bye\n0\t3\t4\ta\tb\n'.encode("utf-8"))
    rows = read_file(path, "glue_tsv")
    assert rows[0]["Quality"] == "1" and rows[0]["#1 String"] == 'He said "hello' and len(rows) == 2


def test_tsv_wrong_field_count_names_the_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("sentence\tlabel\nfine\t1\nbroken line without tab\n")
    with pytest.raises(UserError) as err:
        read_file(path, "glue_tsv")
    assert "line 3" in str(err.value)


@pytest.mark.parametrize("content, words", [
    (b"", "holds no examples"), (b"sentence\tlabel\n\xff\xfe\x00bad\t1\n", "not valid UTF-8"),
])
def test_empty_and_undecodable_files(tmp_path, content, words):
    path = tmp_path / "x.tsv"
    path.write_bytes(content)
    with pytest.raises(UserError) as err:
        read_file(path, "glue_tsv")
    assert words in str(err.value)


def test_jsonl_and_csv(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"sentence": "good", "label": 1}\n\n{"sentence": "bad", "label": 0}\n')
    assert [r["label"] for r in read_file(tmp_path / "a.jsonl", "jsonl")] == [1, 0]
    (tmp_path / "a.csv").write_text('sentence,label\n"a, quoted",1\nplain,0\n')
    assert read_file(tmp_path / "a.csv", "csv")[0]["sentence"] == "a, quoted"
    (tmp_path / "b.jsonl").write_text('{"sentence": "good"\n')
    with pytest.raises(UserError, match="line 1: invalid JSON"):
        read_file(tmp_path / "b.jsonl", "jsonl")


def test_carve_is_seeded_disjoint_and_bounded():
    columns = {"x": list(range(100))}
    rest, part = carve(columns, 0.1, 5, seed=3)
    assert len(part["x"]) == 5 and len(rest["x"]) == 95 and not set(part["x"]) & set(rest["x"])
    assert carve(columns, 0.1, 5, seed=3)[1] == part and carve(columns, 0.1, 5, seed=4)[1] != part


def _prepared(card_name, data, data_dir=None):
    registry = Registry()
    card = registry.card(card_name)
    source = resolve_source(card, DataRequest.parse(data, data_dir, set(registry.cards)))
    return prepare(card, load_kind(card.kind), source)


def test_single_file_gets_validation_and_test_carved(tmp_path):
    lines = ["sentence\tlabel"] + [f"sentence number {i}\t{i % 2}" for i in range(60)]
    (tmp_path / "all.tsv").write_text("\n".join(lines) + "\n")
    prepared = _prepared("sst2", [f"sst2={tmp_path / 'all.tsv'}"])
    assert prepared.sizes["train"] + prepared.sizes["validation"] + prepared.sizes["test"] == 60
    assert min(prepared.sizes.values()) >= 1
    train = prepared.load("train")
    assert set(train.column_names) == {"text", "label"} and set(train["label"]) == {0, 1}


def test_labels_by_name_and_bad_label(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"sentence": "a", "label": "positive"}\n{"sentence": "b", "label": 0}\n'
                                          '{"sentence": "c", "label": "1"}\n')
    (tmp_path / "test.jsonl").write_text('{"sentence": "d", "label": "negative"}\n')
    prepared = _prepared("sst2", [f"sst2={tmp_path}"])
    assert sorted(list(prepared.load("train")["label"]) + list(prepared.load("validation")["label"])) == [0, 1, 1]
    (tmp_path / "test.jsonl").write_text('{"sentence": "d", "label": "meh"}\n')
    with pytest.raises(UserError) as err:
        _prepared("sst2", [f"sst2={tmp_path}"])
    assert "label 'meh' is not one of the card's labels" in str(err.value)


def test_wrong_columns_are_named(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"text_a": "x", "label": 1}\n{"text_a": "y", "label": 0}\n')
    (tmp_path / "test.jsonl").write_text('{"text_a": "x", "label": 1}\n')
    with pytest.raises(UserError) as err:
        _prepared("sst2", [f"sst2={tmp_path}"])
    assert "no column 'sentence'" in str(err.value) and "text_a" in str(err.value)


def test_real_glue_files(shared_data):
    sst2 = _prepared("sst2", [], shared_data)
    assert sst2.sizes["test"] == 872
    assert sst2.sizes["train"] + sst2.sizes["validation"] + sst2.overlap["removed_from_train"] == 67349
    stsb = _prepared("stsb", [], shared_data)
    assert stsb.sizes["test"] == 1500
    scores = list(stsb.load("test")["label"])
    assert 0.0 <= min(scores) and max(scores) <= 5.0
    mrpc = _prepared("mrpc", [f"mrpc={shared_data / 'mrpc' / 'dev.tsv'}"])
    assert sum(mrpc.sizes.values()) == 408
    assert set(mrpc.load("test").column_names) == {"text", "text_pair", "label"}


def test_missing_data_dir_files_fall_back_to_hub_with_a_clear_error(tmp_path):
    with pytest.raises(UserError) as err:
        _prepared("mrpc", [], tmp_path)
    assert "not cached and the hub is offline" in str(err.value) and "--data mrpc=PATH" in str(err.value)


def test_tsv_and_csv_fields_holding_unicode_line_separators(tmp_path):
    # str.splitlines() breaks records on these; only \n (and \r\n) end a record
    odd = "a\u2028b\u2029c\x85d\x0ce\x1cf\x1dg\x1eh"
    (tmp_path / "train.tsv").write_text(f"sentence\tlabel\r\n{odd}\t1\r\nplain\t0\r\n", encoding="utf-8")
    assert [r["sentence"] for r in read_file(tmp_path / "train.tsv", "glue_tsv")] == [odd, "plain"]
    (tmp_path / "train.csv").write_text(f'sentence,label\n{odd},1\n"two\nlines",0\n', encoding="utf-8")
    assert [r["sentence"] for r in read_file(tmp_path / "train.csv", "csv")] == [odd, "two\nlines"]
