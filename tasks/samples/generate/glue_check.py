"""Row checks and row keys of the GLUE samples added to the original three (cola, qqp, mnli, qnli, rte, wnli): the
hub's column names, string fields, integer labels in the task's range and `idx` numbering each split from 0."""
from __future__ import annotations

# task -> (text columns, number of labels)
GLUE_COLUMNS = {"cola": (("sentence",), 2), "qqp": (("question1", "question2"), 2),
                "mnli": (("premise", "hypothesis"), 3), "qnli": (("question", "sentence"), 2),
                "rte": (("sentence1", "sentence2"), 2), "wnli": (("sentence1", "sentence2"), 2)}
GLUE_TASKS = tuple(GLUE_COLUMNS)


def glue_row_problem(task: str, i: int, row: dict) -> str | None:
    """What is wrong with row i of a split of a GLUE sample, or None."""
    texts, labels = GLUE_COLUMNS[task]
    if not isinstance(row, dict) or sorted(row) != sorted([*texts, "label", "idx"]):
        return f"keys {sorted(row)} != {sorted([*texts, 'label', 'idx'])}"
    for column in texts:
        value = row[column]
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            return f"bad string {value!r} in {column}"
    label = row["label"]
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < labels:
        return f"label {label!r} outside 0..{labels - 1}"
    if row["idx"] != i:
        return f"idx {row['idx']!r} != {i}"
    return None


def glue_row_key(task: str, row: dict) -> tuple:
    """What makes a row a duplicate of another: its texts."""
    return tuple(row[column] for column in GLUE_COLUMNS[task][0])
