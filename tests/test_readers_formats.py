"""Readers and data resolution for NER, QA and seq2seq: CoNLL (IOB1 and IOB2), SQuAD JSON, parallel text, JSONL.

Small fixtures are written here; the real files in ../shared/data are read when present (skipped otherwise).
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from harness.data.prepare import prepare
from harness.data.readers import is_iob1, iob1_to_iob2, read_file
from harness.data.sources import DataRequest, resolve_source
from harness.errors import UserError
from harness.tasks.registry import Registry, load_kind

IOB1 = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
Paul NNP I-NP B-PER
Smith NNP I-NP I-PER

"""
IOB2_TAGS = [["B-ORG", "O", "B-MISC", "O", "O"], ["B-PER", "I-PER", "B-PER", "I-PER"]]


@pytest.fixture(scope="module")
def registry():
    return Registry()


def _prepared(registry, task, **request):
    card = registry.card(task)
    kind = load_kind(card.kind)
    return prepare(card, kind, resolve_source(card, DataRequest.parse(**request)))


# --- CoNLL ------------------------------------------------------------------------------------------------------
def test_conll_iob1_is_detected_and_converted_to_iob2(tmp_path):
    path = tmp_path / "eng.train"
    path.write_text(IOB1)
    rows = read_file(path, "conll")
    assert [r["tokens"] for r in rows] == [["EU", "rejects", "German", "call", "."],
                                           ["Peter", "Blackburn", "Paul", "Smith"]]
    assert [r["ner_tags"] for r in rows] == IOB2_TAGS
    assert [r["id"] for r in rows] == ["0", "1"]


def test_conll_iob2_is_left_as_is(tmp_path):
    path = tmp_path / "train.txt"
    lines = ["-DOCSTART- -X- -X- O", ""]
    for tokens, tags in zip([["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn", "Paul", "Smith"]],
                            IOB2_TAGS):
        lines += [f"{t} X X {g}" for t, g in zip(tokens, tags)] + [""]
    path.write_text("\n".join(lines))
    assert [r["ner_tags"] for r in read_file(path, "conll")] == IOB2_TAGS


def test_iob_helpers():
    assert is_iob1([["I-PER", "I-PER"]]) and not is_iob1([["B-PER", "I-PER", "O", "B-LOC"]])
    assert iob1_to_iob2(["I-LOC", "I-LOC", "B-LOC", "I-ORG", "O", "I-ORG"]) == \
        ["B-LOC", "I-LOC", "B-LOC", "B-ORG", "O", "B-ORG"]


@pytest.mark.parametrize("content, words", [("EU\n", "line 1"), ("EU NNP X-ORG\n", "not IOB")])
def test_conll_malformed_files_name_the_problem(tmp_path, content, words):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(UserError) as err:
        read_file(path, "conll")
    assert words in str(err.value) and str(path) in str(err.value)


def test_real_conll_both_encodings_agree_after_conversion(shared_data):
    folder = shared_data / "conll2003"
    expected = {"eng.train": ("train.txt", 14041, 203621), "eng.testa": ("valid.txt", 3250, 51362),
                "eng.testb": ("test.txt", 3453, 46435)}
    for original, (converted, sentences, tokens) in expected.items():
        iob1 = read_file(folder / original, "conll")
        assert iob1 == read_file(folder / converted, "conll")
        assert len(iob1) == sentences and sum(len(r["tokens"]) for r in iob1) == tokens
    train = read_file(folder / "eng.train", "conll")
    begins = Counter(t for r in train for t in r["ner_tags"] if t.startswith("B-"))
    assert begins == {"B-LOC": 7140, "B-MISC": 3438, "B-ORG": 6321, "B-PER": 6600}   # SOURCE.md's counts


def test_conll_data_dir_and_explicit_iob1_files(registry, shared_data):
    folder = shared_data / "conll2003"
    by_dir = _prepared(registry, "conll2003", data=None, data_dir=shared_data)
    assert by_dir.sizes == {"train": 14041, "validation": 3250, "test": 3453}
    explicit = _prepared(registry, "conll2003", data=[f"conll2003=train:{folder}/eng.train,"
                                                     f"validation:{folder}/eng.testa,test:{folder}/eng.testb"],
                         data_dir=None)
    assert explicit.sizes == by_dir.sizes
    assert explicit.load("test")["ner_tags"] == by_dir.load("test")["ner_tags"]
    labels = registry.card("conll2003").labels
    first = by_dir.load("train")[0]
    assert first["tokens"][:3] == ["EU", "rejects", "German"]
    assert [labels[t] for t in first["ner_tags"][:3]] == ["B-ORG", "O", "B-MISC"]


def test_ner_tags_as_names_or_hub_indices_and_bad_tags(registry, tmp_path):
    card = registry.card("conll2003")
    kind = load_kind("token_classification")
    out = kind.standardize(card, {"tokens": [["a", "b"], ["c"]], "ner_tags": [["B-PER", "O"], [5]]}, "f")
    assert out["ner_tags"] == [[1, 0], [5]]
    with pytest.raises(UserError) as err:
        kind.standardize(card, {"tokens": [["a"]], "ner_tags": [["B-FOO"]]}, "my.jsonl")
    assert "my.jsonl" in str(err.value) and "B-FOO" in str(err.value)
    with pytest.raises(UserError, match="2 tokens but 1 tags"):
        kind.standardize(card, {"tokens": [["a", "b"]], "ner_tags": [["O"]]}, "f")


# --- SQuAD ------------------------------------------------------------------------------------------------------
SQUAD = {"version": "1.1", "data": [{"title": "T", "paragraphs": [
    {"context": "The cat sat on the mat in Paris.",
     "qas": [{"id": "q1", "question": "Where did the cat sit?", "answers": [{"answer_start": 15, "text": "the mat"},
                                                                           {"answer_start": 19, "text": "mat"}]},
             {"id": "q2", "question": "Which city?", "answers": [{"answer_start": 0, "text": "Paris"}]}]}]}]}


def test_squad_json_is_flattened_and_bad_starts_are_repaired(tmp_path, registry):
    path = tmp_path / "dev-v1.1.json"
    path.write_text(json.dumps(SQUAD))
    rows = read_file(path, "squad_json")
    assert [r["id"] for r in rows] == ["q1", "q2"]
    assert rows[0]["answers"] == {"text": ["the mat", "mat"], "answer_start": [15, 19]}
    kind = load_kind("extractive_qa")
    batch = {k: [r[k] for r in rows] for k in ("question", "context", "answers", "id")}
    out = kind.standardize(registry.card("squad"), batch, str(path))
    assert out["answers"][1] == {"text": ["Paris"], "answer_start": [26]}     # 0 pointed elsewhere: moved
    assert out["example_index"] == [0, 1]


def test_squad_json_that_is_not_squad_names_the_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"data": [{"title": "no paragraphs"}]}))
    with pytest.raises(UserError) as err:
        read_file(path, "squad_json")
    assert "not SQuAD JSON" in str(err.value) and str(path) in str(err.value)


def test_real_squad_dev_file(registry, shared_data):
    rows = read_file(shared_data / "squad" / "dev-v1.1.json", "squad_json")
    assert len(rows) == 10570 and len({r["id"] for r in rows}) == 10570
    assert all(r["context"][s:s + len(t)] == t for r in rows[:500]
               for t, s in zip(r["answers"]["text"], r["answers"]["answer_start"]))
    # one file given explicitly: test and validation are carved out of it
    single = _prepared(registry, "squad", data=[f"squad={shared_data}/squad/dev-v1.1.json"], data_dir=None)
    assert sum(single.sizes.values()) == 10570 and set(single.sizes) == {"train", "validation", "test"}


def test_squad_data_dir_with_only_the_dev_file_explains_what_to_do(registry, shared_data):
    card = registry.card("squad")
    source = resolve_source(card, DataRequest.parse(None, shared_data))
    assert source.origin == "hub"            # --data-dir never carves the dev file by itself
    assert "dev-v1.1.json" in source.note and "train-v1.1.json" in source.note
    assert f"--data squad={shared_data}/squad/dev-v1.1.json" in source.note
    with pytest.raises(UserError) as err:   # offline in tests: the hub fails with that note as the hint
        prepare(card, load_kind(card.kind), source)
    assert "train-v1.1.json" in str(err.value)


# --- parallel text and JSONL --------------------------------------------------------------------------------------
def test_parallel_text_pairs_lines_of_the_two_languages(tmp_path, registry):
    (tmp_path / "dev.en").write_text("Hello\nGood day\n\nBye\n")
    (tmp_path / "dev.ro").write_text("Salut\nBună ziua\n\nPa\n")
    (tmp_path / "test.en").write_text("One\nTwo\n")
    (tmp_path / "test.ro").write_text("Unu\nDoi\n")
    assert read_file(tmp_path / "dev", "parallel_text") == [
        {"en": "Hello", "ro": "Salut"}, {"en": "Good day", "ro": "Bună ziua"}, {"en": "Bye", "ro": "Pa"}]
    prepared = _prepared(registry, "wmt16_en_ro", data=[f"wmt16_en_ro=train:{tmp_path}/dev,test:{tmp_path}/test"],
                         data_dir=None)
    test = prepared.load("test")
    assert test["source"] == ["One", "Two"] and test["target"] == ["Unu", "Doi"]
    (tmp_path / "bad.en").write_text("a\nb\n")
    (tmp_path / "bad.ro").write_text("a\n")
    with pytest.raises(UserError, match="2 lines in .en but 1 in .ro"):
        read_file(tmp_path / "bad", "parallel_text")


def test_real_wmt16_from_data_dir(registry, shared_data):
    prepared = _prepared(registry, "wmt16_en_ro", data=None, data_dir=shared_data)
    assert prepared.sizes == {"train": 1799, "validation": 200, "test": 1999}
    test = prepared.load("test")
    assert test[0]["source"] == "UN Chief Says There Is No Military Solution in Syria"
    assert test[0]["target"] == "Șeful ONU declară că nu există soluții militare în Siria"


def test_xsum_ids_may_be_ints_or_strings(tmp_path, registry):
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps({"id": i, "document": f"Doc {i}.", "summary": "S."})
                                                    for i in range(12)))
    (tmp_path / "test.jsonl").write_text(json.dumps({"id": "36", "document": "D.", "summary": "S."}) + "\n")
    prepared = _prepared(registry, "xsum", data=[f"xsum=train:{tmp_path}/train.jsonl,test:{tmp_path}/test.jsonl"],
                         data_dir=None)
    assert all(isinstance(i, str) for role in ("train", "validation", "test") for i in prepared.load(role)["id"])


def test_real_xsum_subsets_from_data_dir(registry, shared_data):
    prepared = _prepared(registry, "xsum", data=None, data_dir=shared_data)
    assert prepared.sizes == {"train": 900, "validation": 100, "test": 1000}
    test = prepared.load("test")
    assert set(test.column_names) == {"source", "target", "id"} and isinstance(test[0]["id"], str)
    assert "\n" in test[0]["source"] and test[0]["target"]


def test_samples_of_the_new_tasks_read_into_the_standard_schema(registry):
    expect = {"conll2003": {"tokens", "ner_tags", "id"},
              "squad": {"question", "context", "answers", "id", "title", "example_index"},
              "wmt16_en_ro": {"source", "target"}, "xsum": {"source", "target", "id"}}
    for task, columns in expect.items():
        prepared = _prepared(registry, task, data="sample", data_dir=None)
        assert set(prepared.load("test").column_names) == columns, task
        assert prepared.sizes["train"] > 100


def test_cnn_dailymail_has_no_sample_and_is_skipped_by_all(registry):
    from harness.api import plan_run

    warnings = []
    plan = plan_run(models="tiny-bert", tasks="summarization", data="sample", warn=warnings.append)
    assert plan.tasks == ["xsum"] and "cnn_dailymail" in plan.skipped_tasks
    assert any("cnn_dailymail" in w for w in warnings)


# --- records are split on newlines only ---------------------------------------------------------------------------
# str.splitlines() also breaks on these; inside a record they are ordinary characters.
UNICODE_BREAKS = "\u2028\u2029\x85\x0c\x1c\x1d\x1e"


def test_jsonl_string_holding_unicode_line_separators_reads(tmp_path):
    # U+2028, U+2029 and NEL are legal raw inside a JSON string (the C0 controls are not, so they are escaped here)
    texts = ["one\u2028two", "three\u2029four\x85five", "six\x0cseven\x1e"]
    lines = [json.dumps({"sentence": t, "label": i % 2}, ensure_ascii=False) for i, t in enumerate(texts)]
    path = tmp_path / "train.jsonl"
    path.write_text(lines[0] + "\r\n" + lines[1] + "\n\n" + lines[2] + "\n", encoding="utf-8")
    assert "\u2028" in path.read_text(encoding="utf-8")
    assert [r["sentence"] for r in read_file(path, "jsonl")] == texts


def test_parallel_text_with_unicode_line_separators_stays_aligned(tmp_path):
    english = [f"first{UNICODE_BREAKS}line", "second line", "third\x85line"]
    romanian = ["primul rând", f"al doilea{UNICODE_BREAKS}rând", "al treilea rând"]
    (tmp_path / "news.en").write_text("\n".join(english) + "\n", encoding="utf-8")
    (tmp_path / "news.ro").write_text("\r\n".join(romanian) + "\r\n", encoding="utf-8")
    rows = read_file(tmp_path / "news", "parallel_text")
    assert rows == [{"en": e, "ro": r} for e, r in zip(english, romanian)]


def test_conll_token_holding_a_unicode_line_separator_stays_one_token(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("Foo\u2028Bar NNP B-NP B-ORG\nsays VBZ B-VP O\n\nHi\x85there UH B-INTJ O\n", encoding="utf-8")
    rows = read_file(path, "conll")
    assert [r["tokens"] for r in rows] == [["Foo\u2028Bar", "says"], ["Hi\x85there"]]
    assert [r["ner_tags"] for r in rows] == [["B-ORG", "O"], ["O"]]


# --- the original CoNLL-2003 file names -------------------------------------------------------------------------
ORIGINAL_CONLL = ("eng.train", "eng.testa", "eng.testb")


def _planned_conll(**data):
    """Plan a run on the conll2003 task as `harness run` does; the prepared splits of its job."""
    from datasets import load_from_disk

    from harness.api import plan_run

    plan = plan_run(models="tiny-bert", tasks="conll2003", warn=lambda _: None, **data)
    path = plan.jobs[0].data["path"]
    return plan.jobs[0].data["sizes"], {role: load_from_disk(f"{path}/{role}") for role in plan.jobs[0].data["sizes"]}


def test_folder_with_the_original_conll_names_is_read(tmp_path, registry):
    folder = tmp_path / "conll2003"
    folder.mkdir()
    sentences = IOB1.split("\n\n", 1)[1]          # two sentences in IOB1, without the -DOCSTART- line
    for number, name in enumerate(ORIGINAL_CONLL):
        (folder / name).write_text("-DOCSTART- -X- O O\n\n" + sentences * (number + 1))
    expected_sizes = {"train": 2, "validation": 4, "test": 6}     # testa = validation, testb = test
    labels = registry.card("conll2003").labels
    for data in ({"data": [f"conll2003={folder}"]}, {"data_dir": tmp_path}):
        sizes, splits = _planned_conll(**data)
        assert sizes == expected_sizes, data
        for split in splits.values():
            assert [[labels[t] for t in tags] for tags in split["ner_tags"][:2]] == IOB2_TAGS


def test_real_original_conll_files_under_their_own_names(tmp_path, shared_data, registry):
    folder = tmp_path / "conll2003"
    folder.mkdir()
    for name in ORIGINAL_CONLL:
        (folder / name).symlink_to(shared_data / "conll2003" / name)
    labels = registry.card("conll2003").labels
    for data in ({"data": [f"conll2003={folder}"]}, {"data_dir": tmp_path}):
        sizes, splits = _planned_conll(**data)
        assert sizes == {"train": 14041, "validation": 3250, "test": 3453}, data
        first = splits["train"][0]
        assert first["tokens"][:3] == ["EU", "rejects", "German"]
        assert [labels[t] for t in first["ner_tags"][:3]] == ["B-ORG", "O", "B-MISC"]      # IOB1 I-ORG -> B-ORG
    converted = read_file(shared_data / "conll2003" / "valid.txt", "conll")
    assert [[labels[t] for t in tags] for tags in splits["validation"]["ner_tags"]] == \
        [r["ner_tags"] for r in converted]
