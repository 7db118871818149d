"""Sizes, row checks and row keys of the Chinese (CLUE) samples: tnews, afqmc, chnsenticorp, cluener, cmrc2018, in
the original files' columns (cluener as characters and IOB2 tags, cmrc2018 in the SQuAD layout).

Smaller than the English samples (160 / 32 / 48 rows): a Chinese character takes three bytes in UTF-8."""
from __future__ import annotations

CLUE_SIZES = {"train": 160, "validation": 32, "test": 48}
CLUE_KEYS = {"tnews": ["label", "label_desc", "sentence"], "afqmc": ["sentence1", "sentence2", "label"],
             "chnsenticorp": ["label", "text_a"], "cluener": ["id", "tokens", "ner_tags"],
             "cmrc2018": ["id", "context", "question", "answers"]}
CLUE_TASKS = tuple(CLUE_KEYS)


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != "" and value == value.strip()


def clue_row_problem(task: str, i: int, row: dict) -> str | None:
    """What is wrong with row i of a split of a CLUE sample, or None."""
    if not isinstance(row, dict) or sorted(row) != sorted(CLUE_KEYS[task]):
        return f"keys {sorted(row)} != {sorted(CLUE_KEYS[task])}"
    texts = [v for k, v in row.items() if k in ("sentence", "sentence1", "sentence2", "text_a", "context", "question")]
    if not all(_text(v) for v in texts):
        return f"bad string among {texts!r}"
    if task == "afqmc" and row["label"] not in ("0", "1"):
        return f"label {row['label']!r} is not '0' or '1'"
    if task == "chnsenticorp" and row["label"] not in (0, 1):
        return f"label {row['label']!r} is not 0 or 1"
    if task == "cluener":
        return _tags_problem(row, i)
    if task == "cmrc2018":
        return _answer_problem(row)
    return None


def _tags_problem(row: dict, i: int) -> str | None:
    tokens, tags = row["tokens"], row["ner_tags"]
    if row["id"] != str(i):
        return f"id {row['id']!r} != {str(i)!r}"
    if len(tokens) != len(tags) or not all(isinstance(t, str) and len(t) == 1 for t in tokens):
        return "tokens must be single characters, one tag each"
    for previous, tag in zip(["O", *tags], tags):
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return f"tag {tag} does not continue {previous}"
    return None


def _answer_problem(row: dict) -> str | None:
    answers = row["answers"]
    for text, start in zip(answers["text"], answers["answer_start"]):
        if row["context"][start:start + len(text)] != text:
            return f"answer {text!r} is not at {start}"
    return None if answers["text"] else "no answer"


def clue_row_key(task: str, row: dict):
    """What makes a row a duplicate of another: its text(s); a paragraph is asked about once."""
    return {"tnews": lambda r: r["sentence"], "afqmc": lambda r: (r["sentence1"], r["sentence2"]),
            "chnsenticorp": lambda r: r["text_a"], "cluener": lambda r: "".join(r["tokens"]),
            "cmrc2018": lambda r: r["context"]}[task](row)
