"""Inferring a task card from a data file's columns and values: own data without writing a card.

`infer_card` looks at the rows of a task's files and returns the card as a mapping, the same YAML a user would
write (harness.tasks.card validates it like any other card). The rules:

- Columns: `--columns FIELD=COLUMN` first, then the common spellings in SPELLINGS (any letter case). Two columns
  that could both play one field is an error naming them and what to pass, never a guess.
- Kind, unless `--task-kind` says it: tokens + tags (lists per row) -> token_classification; question + context +
  answers -> extractive_qa; source + target -> seq2seq; text (+ text_pair) + label -> by the labels' values:
  strings, integers or booleans -> classification; numbers written with a decimal point or an exponent ->
  regression; a list per row (or labels joined by `|` in a CSV/TSV cell) -> multi_label.
- Labels are listed sorted (integers by value), so the card does not depend on the order of the rows; NER tags as
  O, then B-/I- of each entity type, sorted. A label column with more than MAX_CLASSES distinct values is refused:
  it is more likely an id or a score than a class.
- Metrics and hyperparameters are those of the bundled card of the same kind (RECIPES), so own data trains as the
  shipped tasks do.
"""
from __future__ import annotations

import math
import re
from typing import Any

from harness.errors import UserError

MAX_CLASSES = 1000
LIST_SEPARATOR = "|"        # the multi_label kind's default separator of several labels in one CSV/TSV cell
# Standard field -> common column spellings, most likely first (matched in any letter case).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "text": ("text", "sentence", "sentence1", "review", "content", "document", "comment", "body", "tweet", "premise",
             "question1", "text_a", "utterance"),
    "text_pair": ("text_pair", "pair", "sentence2", "hypothesis", "question2", "text_b"),
    "label": ("label", "labels", "stars", "star", "rating", "sentiment", "class", "category", "score", "gold_label"),
    "tokens": ("tokens", "words"),
    "ner_tags": ("ner_tags", "tags", "ner", "labels", "label"),
    "question": ("question", "query"),
    "context": ("context", "passage", "paragraph"),
    "answers": ("answers", "answer"),
    "source": ("source", "src", "input"),
    "target": ("target", "tgt", "output", "summary"),
}
# Short names --columns accepts for standard fields.
FIELD_ALIASES = {"pair": "text_pair", "tags": "ner_tags", "labels": "label"}
# Kind -> its required fields, then optional ones; auto-detection tries the kinds in this order.
SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "token_classification": (("tokens", "ner_tags"), ()),
    "extractive_qa": (("question", "context", "answers"), ()),
    "seq2seq": (("source", "target"), ()),
    "classification": (("text", "label"), ("text_pair",)),
    "regression": (("text", "label"), ("text_pair",)),
    "multi_label": (("text", "label"), ("text_pair",)),
}
_SEQUENCE = {"lr": 2.0e-5, "epochs": 3, "batch_size": 32, "max_length": 128}     # sst2, stsb
RECIPES: dict[str, dict[str, Any]] = {
    "classification": {"family": "classification", "hyperparameters": _SEQUENCE},
    "regression": {"family": "similarity", "metrics": {"primary": "pearson", "report": ["pearson", "spearman", "mse"]},
                   "hyperparameters": _SEQUENCE},
    "multi_label": {"family": "classification", "hyperparameters": _SEQUENCE,
                    "metrics": {"primary": "micro_f1", "report": ["micro_f1", "macro_f1", "subset_accuracy"]}},
    "token_classification": {"family": "ner", "metrics": {"primary": "f1", "report": ["f1", "precision", "recall",
                                                                                      "accuracy"]},
                             "hyperparameters": {"epochs": 3, "batch_size": 32, "lr": 5.0e-5, "max_length": 128}},
    "extractive_qa": {"family": "qa", "metrics": {"primary": "f1", "report": ["f1", "exact_match"]},
                      "hyperparameters": {"epochs": 2, "batch_size": 32, "lr": 3.0e-5, "max_length": 384}},
    "seq2seq": {"family": "translation", "metrics": {"primary": "bleu", "report": ["bleu", "chrf"]},
                "hyperparameters": {"epochs": 3, "batch_size": 16, "lr": 5.0e-5, "max_length": 128,
                                    "max_target_length": 128},
                "generation": {"max_new_tokens": 128, "num_beams": 4}},
}
_INTEGER = re.compile(r"[+-]?\d+")


def parse_columns(items: list[str]) -> dict[str, str]:
    """`--columns text=review,label=stars` (already split on commas) -> {standard field: column}."""
    known = sorted({*SPELLINGS, *FIELD_ALIASES})
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = (part.strip() for part in item.partition("="))
        field = FIELD_ALIASES.get(field, field)
        if not sep or not field or not column:
            raise UserError(f"--columns {item!r}: expected FIELD=COLUMN", hint="e.g. --columns text=review,label=stars")
        if field not in SPELLINGS:
            raise UserError(f"--columns {item!r}: unknown field {field!r}", hint="fields: " + ", ".join(known))
        mapping[field] = column
    return mapping


class _Table:
    """The rows of every split of one task, with the questions inference asks about a column."""

    def __init__(self, rows: list[dict], where: str, given: dict[str, str]):
        self.rows, self.where, self.given = rows, where, given
        self.columns = list(dict.fromkeys(key for row in rows[:100] for key in row))
        for field, column in given.items():
            if column not in self.columns:
                raise UserError(f"--columns {field}={column}: {where} has no column {column!r}",
                                hint="its columns: " + ", ".join(self.columns))

    def values(self, column: str) -> list:
        return [row.get(column) for row in self.rows]

    def candidates(self, field: str) -> list[str]:
        """The columns that could be `field`: the one --columns names, else those spelled as SPELLINGS lists."""
        if field in self.given:
            return [self.given[field]]
        taken = set(self.given.values())
        lowered = {column.lower(): column for column in self.columns if column not in taken}
        return [lowered[name] for name in SPELLINGS[field] if name in lowered]

    def lists(self, column: str) -> bool:
        return all(isinstance(value, list) for value in self.values(column))

    def column(self, field: str, exclude: set[str] = frozenset()) -> str | None:
        found = [c for c in self.candidates(field) if c not in exclude]
        if len(found) > 1:
            raise UserError(f"{self.where}: columns {', '.join(map(repr, found))} could each be the {field} field",
                            hint=f"pass --columns {field}=COLUMN naming one")
        return found[0] if found else None


def infer_card(name: str, rows: list[dict], where: str, columns: dict[str, str], kind: str | None,
               data: dict) -> dict:
    """The card (as YAML data) for task `name` whose rows (every split together) come from `where`; `data` is the
    card's `data` section, `columns` what --columns gave, `kind` what --task-kind gave (None: infer it)."""
    table = _Table(rows, where, columns)
    chosen = kind or _detect_kind(table)
    mapping = _map_fields(table, chosen)
    if kind is None and chosen == "classification":        # the labels' values tell the three apart
        chosen = _label_kind(table, mapping["label"])
    kind = chosen
    card: dict[str, Any] = {"name": name, "family": RECIPES[kind]["family"], "kind": kind,
                            "description": _description(where, kind, mapping), "data": data,
                            "columns": _kind_columns(kind, mapping)}
    labels = _labels(table, kind, mapping)
    if labels is not None:
        card["labels"] = labels
    card["metrics"] = RECIPES[kind].get("metrics") or _classification_metrics(len(labels or ()))
    card["hyperparameters"] = dict(RECIPES[kind]["hyperparameters"])
    if "generation" in RECIPES[kind]:
        card["generation"] = dict(RECIPES[kind]["generation"])
    return card


def _detect_kind(table: _Table) -> str:
    """The first shape whose required fields all have a column (given fields must belong to it)."""
    for kind, (required, optional) in SHAPES.items():
        if not set(table.given) <= {*required, *optional}:
            continue
        found = {field: table.candidates(field) for field in required}
        if not all(found.values()):
            continue
        if kind == "token_classification" and not any(table.lists(c) for c in found["tokens"]):
            continue
        return kind if kind in ("token_classification", "extractive_qa", "seq2seq") else "classification"
    raise UserError(f"cannot tell the task from the columns of {table.where} ({', '.join(table.columns)})",
                    hint="name them, e.g. --columns text=COLUMN,label=COLUMN (or tokens/ner_tags, question/context/"
                         "answers, source/target), and --task-kind KIND if need be")


def _map_fields(table: _Table, kind: str) -> dict[str, str]:
    required, optional = SHAPES[kind]
    mapping: dict[str, str] = {}
    for field in (*required, *optional):
        column = table.column(field, exclude=set(mapping.values()))
        if column is None and field in required:
            raise UserError(f"{table.where}: no column for the {field} field of a {kind} task "
                            f"(columns: {', '.join(table.columns)})", hint=f"pass --columns {field}=COLUMN")
        if column is not None:
            mapping[field] = column
    return mapping


def _label_kind(table: _Table, column: str) -> str:
    """classification, regression or multi_label, from the values of the label column."""
    values = _present(table, column)
    if all(isinstance(v, list) for v in values) or any(isinstance(v, str) and LIST_SEPARATOR in v for v in values):
        return "multi_label"
    if all(isinstance(v, bool) for v in values):
        return "classification"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "regression" if any(isinstance(v, float) for v in values) else "classification"
    if all(isinstance(v, str) for v in values) and all(_is_number(v) for v in values):
        return "classification" if all(_INTEGER.fullmatch(v.strip()) for v in values) else "regression"
    return "classification"


def _present(table: _Table, column: str) -> list:
    values = table.values(column)
    for number, value in enumerate(values, start=1):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise UserError(f"{table.where}: example {number} has no value in the label column {column!r}",
                            hint="every example needs its label")
    return values


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _labels(table: _Table, kind: str, mapping: dict[str, str]) -> list[str] | None:
    if kind == "token_classification":
        return _tags(table, mapping["ner_tags"])
    if kind not in ("classification", "multi_label"):
        return None
    column = mapping["label"]
    values = _present(table, column)
    if kind == "multi_label":
        values = [item.strip() if isinstance(item, str) else item for value in values
                  for item in (value if isinstance(value, list) else str(value).split(LIST_SEPARATOR))]
    distinct = set(values)
    if len(distinct) > MAX_CLASSES:
        raise UserError(f"{table.where}: the label column {column!r} holds {len(distinct)} distinct values (more than "
                        f"{MAX_CLASSES}): is it the label?", hint="name the label column with --columns label=COLUMN, "
                        "or pass --task-kind regression for scores")
    if len(distinct) < 2:
        raise UserError(f"{table.where}: the label column {column!r} holds one value only ({next(iter(distinct))!r})",
                        hint="classification needs at least two labels; check the file or --columns label=COLUMN")
    return _sorted_names(distinct)


def _sorted_names(values: set) -> list[str]:
    """Label names sorted: integers (and integers written as text) by value, booleans false first, else as text."""
    if all(isinstance(v, bool) for v in values):
        return [str(v).lower() for v in sorted(values)]
    if all(isinstance(v, int) or (isinstance(v, str) and _INTEGER.fullmatch(v.strip())) for v in values):
        return [str(v) for v in sorted({int(v) for v in values})]
    return sorted({str(v).strip() for v in values})


def _tags(table: _Table, column: str) -> list[str]:
    tags = set()
    for number, value in enumerate(table.values(column), start=1):
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise UserError(f"{table.where}: example {number}: the tags column {column!r} must hold a list of tag "
                            "names per row", hint="tags as strings, O, B-TYPE, I-TYPE (IOB2)")
        tags.update(value)
    types = set()
    for tag in tags:
        if tag != "O" and not re.fullmatch(r"[BI]-\S+", tag):
            raise UserError(f"{table.where}: tag {tag!r} in column {column!r} is not IOB2 (O, B-TYPE, I-TYPE)",
                            hint="convert the tags to IOB2, or pass --columns ner_tags=COLUMN naming the tags")
        if tag != "O":
            types.add(tag[2:])
    return ["O", *(f"{prefix}-{t}" for t in sorted(types) for prefix in ("B", "I"))]


def _kind_columns(kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """The card's `columns`: the multi-label kind may name its label field otherwise (its `fields` say)."""
    if kind == "multi_label":
        from harness.tasks.registry import kind_names, load_kind
        if kind in kind_names() and "label" not in load_kind(kind).fields and "labels" in load_kind(kind).fields:
            mapping = {("labels" if field == "label" else field): column for field, column in mapping.items()}
    return dict(mapping)


def _classification_metrics(num_labels: int) -> dict:
    if num_labels == 2:
        return {"primary": "accuracy", "report": ["accuracy", "f1", "mcc"]}
    return {"primary": "accuracy", "report": ["accuracy", "macro_f1"]}


def _description(where: str, kind: str, mapping: dict[str, str]) -> str:
    roles = ", ".join(f"{field}={column}" for field, column in mapping.items())
    labels = "; labels sorted, integers by value" if kind in ("classification", "multi_label") else ""
    return (f"Inferred by harness from {where} (a {kind} task: {roles}{labels}). Splits the files lack are carved "
            "from train as data.validation says (test too when no test file is given). To use this card again: "
            "--tasks-dir FOLDER_OF_THIS_CARD --data-dir FOLDER_OF_THE_FILES.")
