"""The checks every sample file must pass: schema and types per task, row counts, no row twice within or across
splits, label balance, and (given a fresh generation) byte-for-byte equality."""
from __future__ import annotations

import json
from pathlib import Path

from .common import SIZES, SPLITS, XSUM_SIZES
from .conll2003 import NER_TAGS
from .mc_check import MC_SIZES, MC_TASKS, mc_row_key, mc_row_problem
from .glue_check import GLUE_TASKS, glue_row_key, glue_row_problem
from .clue_check import CLUE_SIZES, CLUE_TASKS, clue_row_key, clue_row_problem
from .superglue_check import SUPERGLUE_SIZES, SUPERGLUE_TASKS, superglue_row_key, superglue_row_problem

TASKS = ("sst2", "mrpc", "stsb", "conll2003", "squad", "wmt16_en_ro", "xsum", *GLUE_TASKS, *MC_TASKS, *CLUE_TASKS,
         *SUPERGLUE_TASKS)
# The samples ship in the wheel: a bound on their size (the Chinese ones take three bytes per character).
MAX_TOTAL_BYTES = 1_800_000


class CheckError(Exception):
    pass


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckError(msg)


def _keys(row: dict, keys: list[str], where: str) -> None:
    _need(isinstance(row, dict) and sorted(row) == sorted(keys), f"{where}: keys {sorted(row)} != {sorted(keys)}")


def _str(v, where):
    _need(isinstance(v, str) and v.strip() != "" and v == v.strip(), f"{where}: bad string {v!r}")


def _int(v, where):
    _need(isinstance(v, int) and not isinstance(v, bool), f"{where}: not an int {v!r}")


def _check_sst2(task: str, split: str, i: int, row: dict, w: str) -> None:
    _keys(row, ["sentence", "label", "idx"], w)
    _str(row["sentence"], w)
    _need(row["sentence"] == row["sentence"].lower(), f"{w}: not lowercased")
    _need(row["label"] in (0, 1) and isinstance(row["label"], int), f"{w}: label")
    _int(row["idx"], w)
    _need(row["idx"] == i, f"{w}: idx {row['idx']} != {i}")


def _check_pair(task: str, split: str, i: int, row: dict, w: str) -> None:
    _keys(row, ["sentence1", "sentence2", "label", "idx"], w)
    _str(row["sentence1"], w)
    _str(row["sentence2"], w)
    _int(row["idx"], w)
    _need(row["idx"] == i, f"{w}: idx")
    if task == "mrpc":
        _need(row["label"] in (0, 1) and isinstance(row["label"], int), f"{w}: label")
    else:
        lab = row["label"]
        _need(isinstance(lab, float) and 0.0 <= lab <= 5.0 and round(lab, 2) == lab, f"{w}: label {lab!r}")


def _check_conll2003(task: str, split: str, i: int, row: dict, w: str) -> None:
    _keys(row, ["id", "tokens", "ner_tags"], w)
    _need(row["id"] == str(i), f"{w}: id")
    toks, tags = row["tokens"], row["ner_tags"]
    _need(isinstance(toks, list) and len(toks) > 0 and len(toks) == len(tags), f"{w}: lengths")
    prev = "O"
    for t, g in zip(toks, tags):
        _need(isinstance(t, str) and t != "" and not any(c.isspace() for c in t), f"{w}: token {t!r}")
        _need(g in NER_TAGS, f"{w}: tag {g!r}")
        if g.startswith("I-"):
            _need(prev[2:] == g[2:] and prev != "O", f"{w}: {g} after {prev} (not IOB2)")
        prev = g


def _check_squad(task: str, split: str, i: int, row: dict, w: str) -> None:
    _keys(row, ["id", "title", "context", "question", "answers"], w)
    for k in ("id", "title", "context", "question"):
        _str(row[k], f"{w}.{k}")
    ans = row["answers"]
    _keys(ans, ["text", "answer_start"], f"{w}.answers")
    n = len(ans["text"])
    _need(n == len(ans["answer_start"]), f"{w}: answers lengths")
    _need(n == 1 if split == "train" else 1 <= n <= 3, f"{w}: {n} answers in {split}")
    for t, s in zip(ans["text"], ans["answer_start"]):
        _str(t, w)
        _int(s, w)
        _need(row["context"][s:s + len(t)] == t, f"{w}: answer {t!r} not at {s}")


def _check_wmt16_en_ro(task: str, split: str, i: int, row: dict, w: str) -> None:
    _keys(row, ["translation"], w)
    tr = row["translation"]
    _keys(tr, ["en", "ro"], f"{w}.translation")
    _str(tr["en"], w)
    _str(tr["ro"], w)
    _need(5 <= len(tr["en"].split()) <= 12, f"{w}: en length")
    _need("\u015f" not in tr["ro"] + tr["ro"].lower() and "\u0163" not in tr["ro"].lower(),
          f"{w}: cedilla s/t instead of comma-below")


def _check_xsum(task: str, split: str, i: int, row: dict, w: str) -> None:
    _keys(row, ["document", "summary", "id"], w)
    for k in ("document", "summary", "id"):
        _str(row[k], f"{w}.{k}")
    lines = row["document"].split("\n")
    _need(4 <= len(lines) <= 8, f"{w}: {len(lines)} sentences")
    words = len(row["document"].split())
    _need(60 <= words <= 120, f"{w}: {words} words")
    _need("\n" not in row["summary"], f"{w}: multi-line summary")
    _need(row["summary"] not in lines, f"{w}: summary copies a document sentence")


ROW_CHECKS = {"sst2": _check_sst2, "mrpc": _check_pair, "stsb": _check_pair, "conll2003": _check_conll2003,
              "squad": _check_squad, "wmt16_en_ro": _check_wmt16_en_ro, "xsum": _check_xsum}


def _check_glue(task: str, split: str, i: int, row: dict, w: str) -> None:
    problem = glue_row_problem(task, i, row)
    _need(problem is None, f"{w}: {problem}")


ROW_CHECKS.update({task: _check_glue for task in GLUE_TASKS})


def _check_mc(task: str, split: str, i: int, row: dict, w: str) -> None:
    problem = mc_row_problem(task, i, row)
    _need(problem is None, f"{w}: {problem}")


ROW_CHECKS.update({task: _check_mc for task in MC_TASKS})


def _check_clue(task: str, split: str, i: int, row: dict, w: str) -> None:
    problem = clue_row_problem(task, i, row)
    _need(problem is None, f"{w}: {problem}")


ROW_CHECKS.update({task: _check_clue for task in CLUE_TASKS})


def _check_superglue(task: str, split: str, i: int, row: dict, w: str) -> None:
    problem = superglue_row_problem(task, split, i, row)
    _need(problem is None, f"{w}: {problem}")


ROW_CHECKS.update({task: _check_superglue for task in SUPERGLUE_TASKS})


def check_row(task: str, split: str, i: int, row: dict) -> None:
    if task not in ROW_CHECKS:  # pragma: no cover
        raise CheckError(f"unknown task {task}")
    ROW_CHECKS[task](task, split, i, row, f"{task}/{split}.jsonl:{i + 1}")


def row_key(task: str, row: dict):
    if task in MC_TASKS:
        return mc_row_key(task, row)
    if task in CLUE_TASKS:
        return clue_row_key(task, row)
    if task in SUPERGLUE_TASKS:
        return superglue_row_key(task, row)
    if task in GLUE_TASKS:
        return glue_row_key(task, row)
    return {
        "sst2": lambda r: r["sentence"],
        "mrpc": lambda r: (r["sentence1"], r["sentence2"]),
        "stsb": lambda r: (r["sentence1"], r["sentence2"]),
        "conll2003": lambda r: tuple(r["tokens"]),
        "squad": lambda r: (r["context"], r["question"]),
        "wmt16_en_ro": lambda r: r["translation"]["en"],
        "xsum": lambda r: r["document"],
    }[task](row)


def check_dir(root: Path, expected: dict[str, dict[str, bytes]] | None = None) -> int:
    """Validate every file under root; return the total number of bytes."""
    total = 0
    for task in TASKS:
        sizes = XSUM_SIZES if task == "xsum" else MC_SIZES if task in MC_TASKS else SIZES
        sizes = SUPERGLUE_SIZES if task in SUPERGLUE_TASKS else sizes
        sizes = CLUE_SIZES if task in CLUE_TASKS else sizes
        seen_keys: set = set()
        for split in SPLITS:
            path = root / task / f"{split}.jsonl"
            _need(path.is_file(), f"missing {path}")
            data = path.read_bytes()
            total += len(data)
            if expected is not None:
                _need(data == expected[task][split], f"{path} differs from a fresh generation")
            text = data.decode("utf-8")
            _need(text.endswith("\n") and "\r" not in text, f"{path}: line endings")
            lines = text.split("\n")[:-1]
            _need(len(lines) == sizes[split], f"{path}: {len(lines)} rows, want {sizes[split]}")
            rows = [json.loads(line) for line in lines]
            for i, row in enumerate(rows):
                check_row(task, split, i, row)
                k = row_key(task, row)
                _need(k not in seen_keys, f"{path}:{i + 1}: duplicate row (within or across splits)")
                seen_keys.add(k)
            if task in ("sst2", "mrpc"):
                share = sum(r["label"] for r in rows) / len(rows)
                lo, hi = (0.45, 0.55) if task == "sst2" else (0.55, 0.78)
                _need(lo <= share <= hi, f"{path}: label-1 share {share:.2f} outside [{lo}, {hi}]")
            if task == "stsb":
                buckets = {min(int(r["label"]), 4) for r in rows}
                _need(buckets == {0, 1, 2, 3, 4}, f"{path}: scores do not cover 0..5")
            if task in ("squad", "xsum"):
                ids = [r["id"] for r in rows]
                _need(len(set(ids)) == len(ids), f"{path}: duplicate ids")
            if task == "conll2003":
                types = {t[2:] for r in rows for t in r["ner_tags"] if t != "O"}
                _need(types == {"PER", "ORG", "LOC", "MISC"}, f"{path}: entity types {sorted(types)}")
    _need(total < MAX_TOTAL_BYTES, f"samples total {total} bytes >= {MAX_TOTAL_BYTES}")
    return total
