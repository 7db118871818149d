"""Readers for local files in their original formats. Each returns a list of row dicts with the file's own columns.

Every failure a user can cause (missing, empty, undecodable, malformed) is a `UserError` naming the file.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Callable

from harness.errors import UserError

Rows = list[dict]
_READERS: dict[str, Callable[[Path], Rows]] = {}


def reader(*formats: str):
    def register(fn: Callable[[Path], Rows]) -> Callable[[Path], Rows]:
        for name in formats:
            _READERS[name] = fn
        return fn
    return register


def read_file(path: Path, fmt: str) -> Rows:
    """Read `path` as `fmt`; one clear error for anything wrong with the file."""
    if fmt not in _READERS:
        raise UserError(f"unknown data format {fmt!r}", hint="formats: " + ", ".join(sorted(_READERS)))
    if fmt != "parallel_text" and not path.is_file():
        raise UserError(f"data file not found: {path}", hint="check --data / --data-dir")
    rows = _READERS[fmt](path)
    if not rows:
        raise UserError(f"data file {path} holds no examples", hint="is it the right file?")
    return rows


def guess_format(path: Path) -> str | None:
    """The format a file's name suggests, for `--data TASK=FILE` without a card-given format."""
    name = path.name.lower()
    if name.endswith(".jsonl"):
        return "jsonl"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".tsv"):
        return "glue_tsv"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _text(path: Path, encoding: str = "utf-8") -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read data file {path}: {exc.strerror}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UserError(f"data file {path} is not valid UTF-8 (bad byte at offset {exc.start})",
                        hint="convert it to UTF-8") from None


def _json(text: str, path: Path, line: int | None = None):
    """json.loads, with a UserError for a value nested too deeply to decode (the decoder recurses per level)."""
    try:
        return json.loads(text)
    except RecursionError:
        where = f"data file {path}" + (f", line {line}" if line is not None else "")
        raise UserError(f"{where}: JSON nested too deeply to read", hint="examples hold text, labels and short "
                        "lists, not deeply nested values") from None


def lines_of(text: str) -> list[str]:
    """The records of a line-based file, split on LF only (a CR before it is dropped). Not str.splitlines(): it also
    breaks on U+2028, U+2029, NEL, form feed and U+001C-U+001E, which are ordinary characters inside a JSON string, a
    sentence or a token, and splitting there would cut a record or shift parallel lines."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _columns(line: str) -> list[str]:
    """Whitespace-separated columns (CoNLL): spaces and tabs only, so a token may hold any other character."""
    stripped = line.strip(" \t")
    return re.split(r"[ \t]+", stripped) if stripped else []


@reader("glue_tsv", "tsv")
def read_tsv(path: Path) -> Rows:
    # GLUE files start with a BOM (MRPC) and hold unbalanced quotes, so quoting is off: a tab is the only separator.
    lines = [line for line in lines_of(_text(path, "utf-8-sig")) if line.strip()]
    if len(lines) < 2:
        return []
    header = lines[0].split("\t")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise UserError(f"data file {path}, line {number}: {len(fields)} tab-separated fields, "
                            f"the header has {len(header)}", hint="is it a tab-separated file with a header?")
        rows.append(dict(zip(header, fields)))
    return rows


@reader("tsv_noheader")
def read_tsv_noheader(path: Path) -> Rows:
    """Tab-separated rows without a header line (CoLA's original files). Columns are named by their position from 0
    ("0", "1", ...), so a card maps them as `text: "3"`; every line needs as many fields as the first."""
    lines = [line for line in lines_of(_text(path, "utf-8-sig")) if line.strip()]
    width = len(lines[0].split("\t")) if lines else 0
    rows = []
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) != width:
            raise UserError(f"data file {path}, line {number}: {len(fields)} tab-separated fields, the first line "
                            f"has {width}", hint="is it a tab-separated file without a header?")
        rows.append({str(i): value for i, value in enumerate(fields)})
    return rows


@reader("csv")
def read_csv(path: Path) -> Rows:
    csv.field_size_limit(sys.maxsize)
    try:
        # newline="": the csv module finds record ends itself (\n, \r\n, or inside quotes part of a field)
        return list(csv.DictReader(io.StringIO(_text(path, "utf-8-sig"), newline="")))
    except csv.Error as exc:
        raise UserError(f"data file {path} is not valid CSV: {exc}") from None


@reader("parquet")
def read_parquet(path: Path) -> Rows:
    """Apache Parquet (the format of the hub's converted datasets): one dict per row, lists and nested values kept."""
    import pyarrow
    import pyarrow.parquet

    try:
        return pyarrow.parquet.read_table(path).to_pylist()
    except (OSError, pyarrow.ArrowException) as exc:
        raise UserError(f"data file {path} is not valid Parquet: {exc}") from None


@reader("jsonl")
def read_jsonl(path: Path) -> Rows:
    rows = []
    for number, line in enumerate(lines_of(_text(path)), start=1):
        if not line.strip():
            continue
        try:
            row = _json(line, path, number)
        except json.JSONDecodeError as exc:
            raise UserError(f"data file {path}, line {number}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise UserError(f"data file {path}, line {number}: expected a JSON object per line")
        rows.append(row)
    return rows


def labels_file(path: Path) -> Path:
    """The labels beside a JSON Lines file that holds none: STEM-labels.lst next to STEM.jsonl (PIQA's valid.jsonl
    and valid-labels.lst)."""
    return path.with_name(path.name.rsplit(".", 1)[0] + "-labels.lst")


@reader("jsonl_labels")
def read_jsonl_labels(path: Path) -> Rows:
    """JSON Lines whose labels are in a separate file, one per line in the same order (`labels_file`); each row
    gets the line as its `label`."""
    rows, labels_path = read_jsonl(path), labels_file(path)
    if not labels_path.is_file():
        raise UserError(f"data file {path}: its labels file {labels_path} is missing",
                        hint="the labels go one per line in STEM-labels.lst beside STEM.jsonl")
    labels = [line.strip() for line in lines_of(_text(labels_path)) if line.strip()]
    if len(labels) != len(rows):
        raise UserError(f"data file {path}: {len(rows)} examples but {len(labels)} labels in {labels_path}")
    return [{**row, "label": label} for row, label in zip(rows, labels)]


@reader("json")
def read_json(path: Path) -> Rows:
    try:
        data = _json(_text(path), path)
    except json.JSONDecodeError as exc:
        raise UserError(f"data file {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise UserError(f"data file {path}: expected a list of objects (or {{\"data\": [...]}})")
    return data


@reader("conll")
def read_conll(path: Path) -> Rows:
    """CoNLL column files (token first, NER tag last); IOB1 tags are detected and converted to IOB2."""
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(lines_of(_text(path)), start=1):
        parts = _columns(line)
        if not parts or parts[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        if len(parts) < 2:
            raise UserError(f"data file {path}, line {number}: expected 'token ... tag' columns",
                            hint="CoNLL files hold one token per line with the NER tag in the last column")
        tokens.append(parts[0])
        tags.append(parts[-1])
    if tokens:
        sentences.append((tokens, tags))
    for _, sentence_tags in sentences:
        for tag in sentence_tags:
            if tag != "O" and not re.match(r"^[BI]-\S+$", tag):
                raise UserError(f"data file {path}: tag {tag!r} is not IOB (O, B-TYPE, I-TYPE)")
    iob1 = is_iob1([t for _, t in sentences])
    return [{"id": str(i), "tokens": toks, "ner_tags": iob1_to_iob2(tgs) if iob1 else tgs}
            for i, (toks, tgs) in enumerate(sentences)]


def is_iob1(tag_sequences: list[list[str]]) -> bool:
    """IOB1 lets an entity start with I- (B- only separates two adjacent entities of one type); IOB2 never does."""
    for tags in tag_sequences:
        previous = "O"
        for tag in tags:
            if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
                return True
            previous = tag
    return False


def iob1_to_iob2(tags: list[str]) -> list[str]:
    out, previous = [], "O"
    for tag in tags:
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


@reader("cluener_json")
def read_cluener(path: Path) -> Rows:
    """CLUENER2020 JSON Lines, `{"text", "label": {TYPE: {MENTION: [[start, end], ...]}}}`: one row per sentence,
    its characters as `tokens` and their IOB2 tags as `ner_tags` (harness.data.spans)."""
    from harness.data.spans import spans_to_tags

    rows = []
    for number, row in enumerate(read_jsonl(path), start=1):
        where = f"data file {path}, example {number}"
        if not isinstance(row.get("text"), str):
            raise UserError(f"{where}: 'text' must be a string", hint="CLUENER lines hold a text and its label spans")
        rows.append({"id": str(number - 1), "tokens": list(row["text"]),
                     "ner_tags": spans_to_tags(row["text"], row.get("label"), where)})
    return rows


@reader("squad_json")
def read_squad(path: Path) -> Rows:
    """The official SQuAD JSON (articles > paragraphs > qas), flattened to one row per question."""
    try:
        data = _json(_text(path), path)
        rows = []
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    rows.append({
                        "id": str(qa["id"]), "title": article.get("title", ""), "context": paragraph["context"],
                        "question": qa["question"],
                        "answers": {"text": [a["text"] for a in qa["answers"]],
                                    "answer_start": [_offset(a["answer_start"], path, qa["id"])
                                                     for a in qa["answers"]]},
                    })
        return rows
    except json.JSONDecodeError as exc:
        raise UserError(f"data file {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except (KeyError, TypeError) as exc:
        raise UserError(f"data file {path} is not SQuAD JSON (missing {exc})",
                        hint="expected {'data': [{'paragraphs': [{'context', 'qas': [...]}]}]}") from None


def _offset(value, path: Path, question_id) -> int:
    """An answer_start: a character offset, so an integer (or a whole float, or digits in a string, as some
    converters write it)."""
    whole = (isinstance(value, int) or (isinstance(value, float) and value.is_integer())
             or (isinstance(value, str) and value.strip().isdigit()))
    if isinstance(value, bool) or not whole:
        raise UserError(f"data file {path}: question {question_id!r}: answer_start {value!r} is not an integer",
                        hint="answer_start is the character offset of the answer in its context")
    return int(value)


def parallel_files(stem: Path) -> list[Path]:
    """The files of a parallel-text stem: STEM.LANG, one suffix without further dots (newstest2016 ->
    newstest2016.en, newstest2016.ro; never newstest2016.old.en, which belongs to the stem newstest2016.old)."""
    if not stem.parent.is_dir():
        return []
    return sorted(p for p in stem.parent.glob(stem.name + ".*")
                  if "." not in p.name[len(stem.name) + 1:] and p.is_file())


@reader("parallel_text")
def read_parallel(path: Path) -> Rows:
    """Line-aligned plain text pairs: `path` is the common stem (newstest2016 -> newstest2016.en + .ro).

    The language suffixes are taken from the files that exist beside the stem; exactly two are expected.
    """
    siblings = parallel_files(path)
    if len(siblings) != 2:
        raise UserError(f"parallel text {path}: expected two files {path.name}.<lang>, found {len(siblings)}",
                        hint="give the common stem, e.g. --data wmt16_en_ro=DIR/newstest2016")
    columns = {}
    for file in siblings:
        columns[file.suffix[1:]] = lines_of(_text(file))
    (lang_a, lines_a), (lang_b, lines_b) = columns.items()
    if len(lines_a) != len(lines_b):
        raise UserError(f"parallel text {path}: {len(lines_a)} lines in .{lang_a} but {len(lines_b)} in .{lang_b}")
    return [{lang_a: a, lang_b: b} for a, b in zip(lines_a, lines_b) if a.strip() and b.strip()]
