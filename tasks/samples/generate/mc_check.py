"""Sizes, row checks and row keys of the multiple-choice samples (copa, piqa, arc_easy, swag), in the hub's columns.

Smaller than the other samples (160 / 32 / 48 rows): every example is several (context, choice) pairs to train on."""
from __future__ import annotations

MC_SIZES = {"train": 160, "validation": 32, "test": 48}
# task -> (text columns, label column)
MC_COLUMNS = {"copa": (("premise", "choice1", "choice2"), "label"), "piqa": (("goal", "sol1", "sol2"), "label"),
              "arc_easy": (("id", "question"), "answerKey"),
              "swag": (("startphrase", "sent1", "sent2", "ending0", "ending1", "ending2", "ending3"), "label")}
MC_KEYS = {"copa": ["premise", "choice1", "choice2", "question", "label", "idx"],
           "piqa": ["goal", "sol1", "sol2", "label"], "arc_easy": ["id", "question", "choices", "answerKey"],
           "swag": ["startphrase", "sent1", "sent2", "ending0", "ending1", "ending2", "ending3", "label"]}
MC_TASKS = tuple(MC_COLUMNS)


def mc_row_problem(task: str, i: int, row: dict) -> str | None:
    """What is wrong with row i of a split of a multiple-choice sample, or None."""
    if not isinstance(row, dict) or sorted(row) != sorted(MC_KEYS[task]):
        return f"keys {sorted(row)} != {sorted(MC_KEYS[task])}"
    texts, label_column = MC_COLUMNS[task]
    for column in texts:
        if not isinstance(row[column], str) or not row[column].strip() or row[column] != row[column].strip():
            return f"bad string {row[column]!r} in {column}"
    if task == "arc_easy":
        return _arc_problem(row)
    label, choices = row[label_column], {"copa": 2, "piqa": 2, "swag": 4}[task]
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < choices:
        return f"label {label!r} outside 0..{choices - 1}"
    if task == "copa" and (row["question"] not in ("cause", "effect") or row["idx"] != i):
        return f"question {row['question']!r} or idx {row['idx']!r} (want {i})"
    return None


def _arc_problem(row: dict) -> str | None:
    choices = row["choices"]
    if not isinstance(choices, dict) or sorted(choices) != ["label", "text"]:
        return f"choices {choices!r} are not {{text, label}}"
    if not 3 <= len(choices["text"]) == len(choices["label"]) <= 5 or len(set(choices["text"])) != len(
            choices["text"]):
        return f"{len(choices['text'])} choices, {len(choices['label'])} labels (3-5 distinct each)"
    if row["answerKey"] not in choices["label"]:
        return f"answerKey {row['answerKey']!r} is not a choice label"
    return None


def mc_row_key(task: str, row: dict) -> tuple:
    """What makes a row a duplicate of another: its texts (ARC: the question and its choices)."""
    if task == "arc_easy":
        return row["question"], tuple(row["choices"]["text"])
    return tuple(row[column] for column in MC_COLUMNS[task][0] if column not in ("idx",))
