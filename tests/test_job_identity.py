"""A job's identity: what cannot change a result (a card's free text, a data file's modification time) never makes a
finished job run again, and a report never counts one model x tuning x grid point x task x seed twice."""
from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

from conftest import REPO, run_cli
from harness.report.synthetic import TASKS, record, write_run

FAST = ["--seeds", "0", "--max-train-samples", "16", "--max-eval-samples", "8", "--epochs", "1",
        "--latency-requests", "0", "--batch-size", "8", "--executor", "inline", "--no-report", "--quiet"]
SST2 = TASKS[0]


def _run(output: Path, *args: str):
    result = run_cli("run", "--models", "tiny-bert", "--output", str(output), *args, *FAST)
    assert result.returncode == 0, result.stderr
    return (output / "results.jsonl").read_text().splitlines()


def _card_copy(tasks_dir: Path, description: str) -> None:
    """tasks/sst2.yaml as task `mysst`, its bundled sample named by an absolute path."""
    text = (REPO / "tasks" / "sst2.yaml").read_text()
    text = text.replace("name: sst2", "name: mysst").replace("sample: samples/sst2",
                                                             f"sample: {REPO / 'tasks' / 'samples' / 'sst2'}")
    head, _, rest = text.partition("description: >")
    body = rest.split("\ndata:", 1)[1]
    definition = "  definition: accuracy = share of sentences whose predicted label equals the gold label"
    body = body.replace(next(line for line in body.splitlines() if line.startswith("  definition:")),
                        definition + ("." if description == "first" else " (the same, reworded)."))
    tasks_dir.mkdir(exist_ok=True)
    (tasks_dir / "mysst.yaml").write_text(f"{head}description: {description} wording\ndata:{body}")


def test_editing_a_cards_free_text_does_not_rerun_its_jobs(tmp_path):
    tasks_dir, output = tmp_path / "cards", tmp_path / "run"
    _card_copy(tasks_dir, "first")
    first = _run(output, "--tasks", "mysst", "--tasks-dir", str(tasks_dir), "--data", "sample")
    assert len(first) == 1 and json.loads(first[0])["status"] == "ok"
    _card_copy(tasks_dir, "second")      # the description and the metric's definition reworded
    assert _run(output, "--tasks", "mysst", "--tasks-dir", str(tasks_dir), "--data", "sample") == first


def _sst2_copy(tmp_path):
    """A copy of the SST-2 sample's train and test files, and the --data value that names them."""
    data = tmp_path / "data"
    data.mkdir()
    for role in ("train", "test"):
        shutil.copy(REPO / "tasks" / "samples" / "sst2" / f"{role}.jsonl", data / f"{role}.jsonl")
    return data, f"sst2=train:{data / 'train.jsonl'},test:{data / 'test.jsonl'}"


def test_touching_a_data_file_does_not_rerun_its_jobs(tmp_path):
    data, spec = _sst2_copy(tmp_path)
    first = _run(tmp_path / "run", "--tasks", "sst2", "--data", spec)
    assert len(first) == 1 and json.loads(first[0])["status"] == "ok"
    for file in data.iterdir():          # `touch`: same bytes, a later modification time
        stat = file.stat()
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert _run(tmp_path / "run", "--tasks", "sst2", "--data", spec) == first


def test_editing_a_data_file_reruns_its_jobs(tmp_path):
    data, spec = _sst2_copy(tmp_path)
    first = _run(tmp_path / "run", "--tasks", "sst2", "--data", spec)
    lines = (data / "train.jsonl").read_text().splitlines(keepends=True)
    stat = (data / "train.jsonl").stat()
    (data / "train.jsonl").write_text("".join(reversed(lines)))     # an edit: same size, other content
    os.utime(data / "train.jsonl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert len(_run(tmp_path / "run", "--tasks", "sst2", "--data", spec)) == len(first) + 1


def test_a_report_counts_one_seed_once_and_says_it_replaced_a_record(tmp_path):
    older = record("A", SST2, 0, score=0.6, run="before")
    newer = record("A", SST2, 0, score=0.8, run="after")         # same model, task and seed, another job id
    other = record("A", SST2, 1, score=0.7)
    assert older["job"] != newer["job"]
    run_dir = write_run(tmp_path / "r", [older, newer, other])
    result = run_cli("report", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert "replaced" in result.stderr
    rows = list(csv.DictReader((run_dir / "leaderboard.csv").open()))
    assert [row["seeds"] for row in rows] == ["0,1"]
    assert float(rows[0]["mean"]) == 0.75              # the latest record of seed 0 (0.8) and seed 1 (0.7)
    report = (run_dir / "report.md").read_text()
    assert "replaced 1 earlier record" in report


def test_the_card_hash_leaves_out_only_what_cannot_change_a_result():
    from harness.tasks.card import load_card, parse_card

    card = load_card(REPO / "tasks" / "sst2.yaml")
    reworded = {**card.raw, "description": "other words",
                "metrics": {**card.raw["metrics"], "definition": "other words", "higher_is_better": True}}
    assert parse_card(reworded, card.path).hash == card.hash
    relabelled = {**card.raw, "labels": ["neg", "pos"]}
    assert parse_card(relabelled, card.path).hash != card.hash


def test_a_files_digest_is_read_once_until_it_changes(tmp_path, monkeypatch):
    from harness.data import content_hash

    file = tmp_path / "train.jsonl"
    file.write_text('{"sentence": "fine", "label": 1}\n')
    settled = file.stat().st_mtime_ns - 60_000_000_000       # written a minute ago: not racily clean
    os.utime(file, ns=(settled, settled))
    reads = []
    real = content_hash._sha256
    monkeypatch.setattr(content_hash, "_sha256", lambda path: reads.append(path) or real(path))
    first = content_hash.file_digest(file)
    assert content_hash.file_digest(file) == first and len(reads) == 1
    os.utime(file, ns=(settled + 1_000_000_000, settled + 1_000_000_000))       # touched: read again, same digest
    assert content_hash.file_digest(file) == first and len(reads) == 2
    file.write_text('{"sentence": "fine", "label": 0}\n')
    assert content_hash.file_digest(file) != first
