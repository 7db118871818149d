"""Bad data files, bad cards and hostile YAML: each is one clear line on stderr, exit 2, before anything trains.

Data files are the bundled samples with one example spoilt; cards are small valid cards with one thing wrong. Every
YAML file a user writes (task cards, leaderboards, --config files) goes through one reader, which refuses alias
bombs and deep nesting quickly and in little memory (checked here on the reader itself as well).
"""
from __future__ import annotations

import json
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from test_bad_input import BASE, assert_one_clear_line, snapshot

SAMPLES = REPO / "tasks" / "samples"
# "billion laughs": nine levels of nine aliases, 9**9 strings once expanded, a few hundred bytes as written
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi"))
DEEP = "[" * 100_000 + "]" * 100_000


def _card(name: str = "bad", labels: str = "[negative, positive]", data: str | None = None, extra: str = "") -> str:
    data = data or f"{{sample: {SAMPLES / 'sst2'}}}"
    return textwrap.dedent(f"""\
        name: {name}
        family: classification
        kind: classification
        data: {data}
        columns: {{text: sentence, label: label}}
        labels: {labels}
        metrics: {{primary: accuracy}}
        """) + extra


def _nested(key: str, text: str) -> str:
    return f"{key}:\n" + textwrap.indent(text, "  ")


def _sample_rows(task: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / task / "train.jsonl").read_text().splitlines()]


def _spoilt(task: str, change) -> str:
    """The task's sample train file as JSON lines, with `change` applied to its fourth example."""
    rows = _sample_rows(task)
    change(rows[3])
    return "".join(json.dumps(row) + "\n" for row in rows)


def _set(**values):
    return lambda row: row.update(values)


def _squad_json(answer_start) -> str:
    """The official SQuAD layout with one question whose answer_start is `answer_start`."""
    paragraphs = [{"context": row["context"], "qas": [{"id": row["id"], "question": row["question"], "answers": [
        {"text": text, "answer_start": start} for text, start in zip(row["answers"]["text"],
                                                                      row["answers"]["answer_start"])]}]}
                  for row in _sample_rows("squad")]
    paragraphs[3]["qas"][0]["answers"][0]["answer_start"] = answer_start
    return json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]})


SST2 = [*BASE[:4], "--no-report"]        # tiny-bert on sst2, data given per case
STSB = ["-m", "tiny-bert", "-t", "stsb", "--no-report"]
SQUAD = ["-m", "tiny-bert", "-t", "squad", "--no-report"]

# case id -> (files to write under tmp, arguments after `harness run`, words the one stderr line must contain)
CASES: dict[str, tuple[dict, list[str], list[str]]] = {
    # text that is not text
    "text-null": ({"d.jsonl": lambda: _spoilt("sst2", _set(sentence=None))},
                  [*SST2, "--data", "sst2={tmp}/d.jsonl"], ["example 4", "'sentence'", "got null"]),
    "text-number": ({"d.jsonl": lambda: _spoilt("sst2", _set(sentence=42))},
                    [*SST2, "--data", "sst2={tmp}/d.jsonl"], ["must be text", "got int 42"]),
    "text-list": ({"d.jsonl": lambda: _spoilt("sst2", _set(sentence=["a", "b"]))},
                  [*SST2, "--data", "sst2={tmp}/d.jsonl"], ["must be text", "got list"]),
    "text-object": ({"d.jsonl": lambda: _spoilt("sst2", _set(sentence={"a": 1}))},
                    [*SST2, "--data", "sst2={tmp}/d.jsonl"], ["must be text", "got dict"]),
    "text-pair-null": ({"d.jsonl": lambda: _spoilt("stsb", _set(sentence2=None))},
                       [*STSB, "--data", "stsb={tmp}/d.jsonl"], ["'sentence2' (text_pair)", "got null"]),
    "qa-question-number": ({"d.jsonl": lambda: _spoilt("squad", _set(question=7))},
                           [*SQUAD, "--data", "squad={tmp}/d.jsonl"], ["'question'", "got int 7"]),
    "summary-source-null": ({"d.jsonl": lambda: _spoilt("xsum", _set(document=None))},
                            ["-m", "tiny-t5", "-t", "xsum", "--no-report", "--data", "xsum={tmp}/d.jsonl"],
                            ["'document' (source)", "got null"]),
    "ner-word-null": ({"d.jsonl": lambda: _spoilt("conll2003", lambda row: row["tokens"].__setitem__(0, None))},
                      [*BASE[:2], "-t", "conll2003", "--no-report", "--data", "conll2003={tmp}/d.jsonl"],
                      ["'tokens'", "a list of words"]),
    # regression labels that are not finite numbers (a NaN loss in every job otherwise)
    "score-nan": ({"d.jsonl": lambda: _spoilt("stsb", _set(label=float("nan")))},
                  [*STSB, "--data", "stsb={tmp}/d.jsonl"], ["score nan", "not a finite number"]),
    "score-infinity": ({"d.jsonl": lambda: _spoilt("stsb", _set(label=float("inf")))},
                       [*STSB, "--data", "stsb={tmp}/d.jsonl"], ["score inf", "not a finite number"]),
    "score-minus-infinity": ({"d.jsonl": lambda: _spoilt("stsb", _set(label=float("-inf")))},
                             [*STSB, "--data", "stsb={tmp}/d.jsonl"], ["not a finite number"]),
    "score-inf-as-text": ({"d.jsonl": lambda: _spoilt("stsb", _set(label="inf"))},
                          [*STSB, "--data", "stsb={tmp}/d.jsonl"], ["score 'inf'", "not a finite number"]),
    "score-nan-in-csv": ({"d.csv": lambda: "sentence1,sentence2,label\n" + "".join(
                              f"a {i},b {i},{'nan' if i == 3 else i % 5}\n" for i in range(40))},
                         [*STSB, "--data", "stsb={tmp}/d.csv"], ["score 'nan'", "not a finite number"]),
    # SQuAD answer offsets that are not integers
    "squad-start-word": ({"train.json": lambda: _squad_json("six")}, [*SQUAD, "--data", "squad={tmp}/train.json"],
                         ["answer_start 'six' is not an integer"]),
    "squad-start-fraction": ({"train.json": lambda: _squad_json(6.5)}, [*SQUAD, "--data", "squad={tmp}/train.json"],
                             ["answer_start 6.5 is not an integer"]),
    "squad-start-null": ({"train.json": lambda: _squad_json(None)}, [*SQUAD, "--data", "squad={tmp}/train.json"],
                         ["answer_start None is not an integer"]),
    "squad-start-boolean": ({"train.json": lambda: _squad_json(True)}, [*SQUAD, "--data", "squad={tmp}/train.json"],
                            ["answer_start True is not an integer"]),
    # JSON nested deeper than the decoder can recurse
    "json-deep-squad": ({"train.json": lambda: '{"data": ' + DEEP + "}"}, [*SQUAD, "--data", "squad={tmp}/train.json"],
                        ["JSON nested too deeply"]),
    "json-deep-jsonl-line": ({"d.jsonl": lambda: '{"sentence": ' + DEEP + ', "label": 0}\n'},
                             [*SST2, "--data", "sst2={tmp}/d.jsonl"], ["line 1", "nested too deeply"]),
    "json-deep-json-file": ({"cards/j.yaml": lambda: _card("jcls", data=f"{{sample: {SAMPLES / 'sst2'}, local: "
                                                                          "{format: json, files: {train: t.json, "
                                                                          "test: t.json}}}"),
                             "deep.json": lambda: DEEP},
                            ["-m", "tiny-bert", "-t", "jcls", "--tasks-dir", "{tmp}/cards", "--no-report",
                             "--data", "jcls={tmp}/deep.json"], ["deep.json", "nested too deeply"]),
    # parallel text: a longer stem's files are not the stem's
    "parallel-stem-with-extra-dots": ({"p/dots.en": lambda: "a\nb\n", "p/dots.old.en": lambda: "c\nd\n"},
                                      ["-m", "tiny-t5", "-t", "wmt16_en_ro", "--no-report",
                                       "--data", "wmt16_en_ro={tmp}/p/dots"], ["expected two files dots.<lang>",
                                                                               "found 1"]),
    # cards
    "card-nested-1000-deep": ({"cards/c.yaml": lambda: _card(extra="options: " + "[" * 1000 + "]" * 1000 + "\n")},
                              [*BASE, "--tasks-dir", "{tmp}/cards"], ["task card", "nested more than 100 levels"]),
    "card-description-nested-deep": ({"cards/c.yaml": lambda: _card(extra="description: " + "{a: " * 1000 +
                                                                    "}" * 1000 + "\n")},
                                     [*BASE, "--tasks-dir", "{tmp}/cards"], ["nested more than 100 levels"]),
    "card-latin-1": ({"cards/c.yaml": lambda: _card().encode() + b"description: caf\xe9\n"},
                     [*BASE, "--tasks-dir", "{tmp}/cards"], ["task card", "not valid UTF-8"]),
    "card-utf-16": ({"cards/c.yaml": lambda: _card().encode("utf-16")},
                    [*BASE, "--tasks-dir", "{tmp}/cards"], ["task card", "not valid UTF-8"]),
    "card-duplicate-labels": ({"cards/c.yaml": lambda: _card(labels="[negative, positive, negative]")},
                              [*BASE, "--tasks-dir", "{tmp}/cards"], ["labels[2]", "'negative' is listed twice"]),
    "card-duplicate-labels-number-and-text": ({"cards/c.yaml": lambda: _card(labels="[0, '0']")},
                                              [*BASE, "--tasks-dir", "{tmp}/cards"], ["labels[1]", "listed twice"]),
    "card-local-file-up-and-out": ({"cards/c.yaml": lambda: _card(data="{local: {format: jsonl, files: "
                                                                       "{train: ../../etc/passwd, test: t.jsonl}}}")},
                                   [*BASE, "--tasks-dir", "{tmp}/cards"], ["data.local.files.train",
                                                                           "leaves the data directory"]),
    "card-local-file-absolute": ({"cards/c.yaml": lambda: _card(data="{local: {format: jsonl, files: "
                                                                     "{train: t.jsonl, test: /etc/passwd}}}")},
                                 [*BASE, "--tasks-dir", "{tmp}/cards"], ["data.local.files.test",
                                                                         "leaves the data directory"]),
    "card-name-trailing-newline": ({"cards/c.yaml": lambda: _card(name='"bad\\n"')},
                                   [*BASE, "--tasks-dir", "{tmp}/cards"], ["field 'name'", "'bad\\n'"]),
    # YAML alias bombs and self-reference
    "card-alias-bomb-in-options": ({"cards/c.yaml": lambda: _card(extra=_nested("options", BOMB))},
                                   [*BASE, "--tasks-dir", "{tmp}/cards"], ["task card", "aliases", "expand"]),
    "card-alias-bomb-in-description": ({"cards/c.yaml": lambda: _card(extra=_nested("x-anchors", BOMB) +
                                                                      "description: *i\n")},
                                       [*BASE, "--tasks-dir", "{tmp}/cards"], ["aliases", "expand"]),
    "card-alias-inside-itself": ({"cards/c.yaml": lambda: _card(extra="options: &loop {again: *loop}\n")},
                                 [*BASE, "--tasks-dir", "{tmp}/cards"], ["alias", "refers to the node"]),
    # leaderboards and --config files go through the same reader
    "leaderboard-alias-bomb-in-models": ({"board.yaml": lambda: "name: b\ntasks: [sst2]\ndata: sample\n" +
                                          _nested("anchors", BOMB) + "models: *i\n"},
                                         ["--leaderboard", "{tmp}/board.yaml"], ["leaderboard", "aliases", "expand"]),
    "leaderboard-latin-1": ({"board.yaml": lambda: b"name: b\nmodels: [tiny-bert]\ntasks: [sst2]\ndata: sample\n"
                                                   b"description: caf\xe9\n"},
                            ["--leaderboard", "{tmp}/board.yaml"], ["leaderboard", "not valid UTF-8"]),
    "leaderboard-nested-deep": ({"board.yaml": lambda: "name: b\ntasks: [sst2]\nmodels: " + DEEP + "\n"},
                                ["--leaderboard", "{tmp}/board.yaml"], ["leaderboard", "nested more than 100"]),
    "config-alias-bomb": ({"run.yaml": lambda: "models: [tiny-bert]\ntasks: [sst2]\n" + _nested("seeds", BOMB)},
                          ["--config", "{tmp}/run.yaml", "--data", "sample", "--no-report"],
                          ["--config file", "aliases", "expand"]),
    "config-latin-1": ({"run.yaml": lambda: b"models: [tiny-bert]  # caf\xe9\ntasks: [sst2]\n"},
                       ["--config", "{tmp}/run.yaml", "--data", "sample", "--no-report"],
                       ["--config file", "not valid UTF-8"]),
}


def test_there_are_enough_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", list(CASES))
def test_bad_data_is_one_clear_line_and_exit_2(case, tmp_path, monkeypatch):
    files, arguments, words = CASES[case]
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content()
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    out = tmp_path / "run"
    monkeypatch.chdir(tmp_path)
    result = run_cli("run", *[a.replace("{tmp}", str(tmp_path)) for a in arguments], "--output", str(out))
    assert result.exception is None, repr(result.exception)
    assert_one_clear_line(result, words)
    assert snapshot(out) is None                    # nothing trained, no run directory made


@pytest.mark.parametrize("text", [BOMB, _nested("anchors", BOMB) + "models: *i\n", "x: " + DEEP])
def test_hostile_yaml_is_refused_fast_and_small(tmp_path, text):
    from harness import yamlfile
    from harness.errors import UserError

    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(UserError) as err:
            yamlfile.read(path, "task card")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10         # about a second on a loaded machine; expanding takes minutes
    assert peak < 64 * 2**20, peak
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path):
    from harness import yamlfile

    path = tmp_path / "shared.yaml"
    path.write_text("base: &base {epochs: 1, lr: 1.0e-4}\nfast: {<<: *base, epochs: 2}\nlist: [*base, *base]\n")
    assert yamlfile.read(path, "leaderboard") == {"base": {"epochs": 1, "lr": 1e-4}, "fast": {"epochs": 2, "lr": 1e-4},
                                                  "list": [{"epochs": 1, "lr": 1e-4}] * 2}


def test_a_csv_field_with_a_newline_inside_quotes_is_one_field(tmp_path):
    """Valid CSV: a quoted field may hold a line break; it is part of the text, not the start of a new example."""
    from harness.data.readers import read_file

    path = tmp_path / "d.csv"
    path.write_text('sentence,label\n"first line\nsecond line",1\nplain,0\n')
    assert read_file(path, "csv") == [{"sentence": "first line\nsecond line", "label": "1"},
                                      {"sentence": "plain", "label": "0"}]


def test_a_parallel_stem_reads_only_its_own_files(tmp_path):
    """dots.en / dots.ro are the stem `dots`; dots.old.en belongs to the stem `dots.old` and is left alone."""
    from harness.data.readers import read_file

    for name, text in {"dots.en": "one\ntwo\n", "dots.ro": "unu\ndoi\n", "dots.old.en": "old\n"}.items():
        (tmp_path / name).write_text(text)
    assert read_file(tmp_path / "dots", "parallel_text") == [{"en": "one", "ro": "unu"}, {"en": "two", "ro": "doi"}]


def test_whole_float_and_digit_answer_starts_are_still_read(tmp_path):
    from harness.data.readers import read_file

    path = tmp_path / "train.json"
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "hello world", "qas": [
        {"id": "1", "question": "q?", "answers": [{"text": "world", "answer_start": 6.0}]},
        {"id": "2", "question": "q?", "answers": [{"text": "world", "answer_start": "6"}]}]}]}]}))
    assert [row["answers"]["answer_start"] for row in read_file(path, "squad_json")] == [[6], [6]]


def test_card_paths_inside_the_data_directory_are_accepted(tmp_path):
    from harness.tasks.card import load_card

    path = tmp_path / "ok.yaml"
    path.write_text(_card("ok", data="{local: {format: jsonl, files: {train: ok/train.jsonl, test: ./ok/t.jsonl}}}"))
    assert load_card(Path(path)).local.files == {"train": "ok/train.jsonl", "test": "./ok/t.jsonl"}
