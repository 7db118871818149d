"""Sizes, row checks and row keys of the BoolQ, CB and SQuAD v2.0 samples, in the hub's columns (aps/super_glue,
rajpurkar/squad_v2). Smaller than the first samples (160 / 32 / 48 rows), which is plenty for a smoke run."""
from __future__ import annotations

SUPERGLUE_SIZES = {"train": 160, "validation": 32, "test": 48}
SUPERGLUE_KEYS = {"boolq": ["question", "passage", "idx", "label"], "cb": ["premise", "hypothesis", "label", "idx"],
                  "squad_v2": ["id", "title", "context", "question", "answers"]}
SUPERGLUE_TASKS = tuple(SUPERGLUE_KEYS)
_TEXTS = {"boolq": ("question", "passage"), "cb": ("premise", "hypothesis"),
          "squad_v2": ("id", "title", "context", "question")}
_LABELS = {"boolq": 2, "cb": 3}


def superglue_row_problem(task: str, split: str, i: int, row: dict) -> str | None:
    """What is wrong with row i of a split of a BoolQ, CB or SQuAD v2.0 sample, or None."""
    if not isinstance(row, dict) or sorted(row) != sorted(SUPERGLUE_KEYS[task]):
        return f"keys {sorted(row)} != {sorted(SUPERGLUE_KEYS[task])}"
    for column in _TEXTS[task]:
        value = row[column]
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            return f"bad string {value!r} in {column}"
    if task == "squad_v2":
        return _answers_problem(split, row)
    label = row["label"]
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < _LABELS[task]:
        return f"label {label!r} outside 0..{_LABELS[task] - 1}"
    if row["idx"] != i:
        return f"idx {row['idx']!r} != {i}"
    if task == "boolq" and (row["question"] != row["question"].lower() or " -- " not in row["passage"]):
        return "a BoolQ question is lower case and its passage is 'Title -- text'"
    return None


def _answers_problem(split: str, row: dict) -> str | None:
    answers = row["answers"]
    if not isinstance(answers, dict) or sorted(answers) != ["answer_start", "text"]:
        return f"answers {answers!r} are not {{text, answer_start}}"
    texts, starts = answers["text"], answers["answer_start"]
    if len(texts) != len(starts) or len(texts) > (1 if split == "train" else 3):
        return f"{len(texts)} answers, {len(starts)} starts in {split}"
    for text, start in zip(texts, starts):
        if not isinstance(start, int) or not text or row["context"][start:start + len(text)] != text:
            return f"answer {text!r} not at {start!r}"
    return None


def superglue_row_key(task: str, row: dict) -> tuple:
    """What makes a row a duplicate of another: its texts (SQuAD: the paragraph and the question)."""
    return (row["context"], row["question"]) if task == "squad_v2" else tuple(row[c] for c in _TEXTS[task])
