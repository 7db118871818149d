"""Own data in --tasks: files, folders and train:…,test:… pairs run without a card, their card inferred from the
columns and values (harness.tasks.infer, harness.tasks.own_data), saved in the run directory and usable again."""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from conftest import run_cli

import harness
from harness.kinds.classification import label_id
from harness.tasks.card import load_card

POSITIVE, NEGATIVE = ("great", "lovely", "superb", "good"), ("awful", "bad", "boring", "dull")
RUN = ("-m", "tiny-bert", "--epochs", "1", "--latency-requests", "0", "--max-length", "32", "--executor", "inline",
       "--no-report", "--quiet")


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _reviews(n: int, seed: int) -> list[list]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        good = i % 2 == 0
        words = POSITIVE if good else NEGATIVE
        text = f"the film was {rng.choice(words)} and {rng.choice(words)}"
        rows.append([i, text, "positive" if good else "negative"])
    return rows


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("own")
    # Two label-like columns (sentiment, score): --columns says which one is the label.
    _csv(root / "reviews.csv", ["id", "review", "sentiment", "score"],
         [row + [i % 7] for i, row in enumerate(_reviews(30, 0))])
    rng = random.Random(1)
    _csv(root / "scores.csv", ["sentence1", "sentence2", "score"],
         [[f"a cat sat on mat {i}", f"a dog sat on rug {i % 5}", f"{rng.uniform(0, 5):.2f}"] for i in range(30)])
    _jsonl(root / "entities.jsonl", [{"tokens": ["Anna", "visits", "Oslo", str(i)],
                                      "tags": ["B-PER", "O", "B-LOC", "O"]} for i in range(30)])
    for role, count in (("train", 24), ("test", 8)):        # integer star ratings 1-3, as JSON numbers
        _jsonl(root / "stars" / f"{role}.jsonl", [{"text": f"rated {1 + i % 3} {'good ' * (i % 3)}", "stars": 1 + i % 3}
                                                   for i in range(count)])
    _csv(root / "pair" / "train.csv", ["review", "sentiment"], [r[1:] for r in _reviews(24, 2)])
    _csv(root / "pair" / "held_out.csv", ["review", "sentiment"], [r[1:] for r in _reviews(8, 3)])
    return root


@pytest.fixture(scope="module")
def own_run(data, tmp_path_factory, one_torch_thread):
    """Five own-data entries into one output: through the CLI (in process) with --columns, a CSV and a
    train:…,test:… pair whose column names are not the standard ones; through harness.run, with the columns guessed,
    a float-label CSV, a tokens/tags JSONL and a folder with train/test files."""
    out = tmp_path_factory.mktemp("run") / "out"
    tasks = f"{data / 'reviews.csv'},train:{data / 'pair' / 'train.csv'},test:{data / 'pair' / 'held_out.csv'}"
    result = run_cli("run", *RUN, "--tasks", tasks, "--columns", "text=review,label=sentiment", "-o", str(out))
    assert result.returncode == 0, (result.stderr, result.exception)
    harness.run(models="tiny-bert", tasks=[str(data / name) for name in ("scores.csv", "entities.jsonl", "stars")],
                output=out, epochs=1, latency_requests=0, max_length=32, executor="inline", write_report=False,
                quiet=True, progress=lambda _: None)
    records = {r["task"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    return out, records, result.stderr


def test_each_entry_runs_as_its_inferred_kind(own_run):
    out, records, _ = own_run
    kinds = {task: record["kind"] for task, record in records.items()}
    assert kinds == {"reviews": "classification", "scores": "regression", "entities": "token_classification",
                     "stars": "classification", "pair": "classification"}
    assert all(r["status"] == "ok" for r in records.values()), {t: r["error"] for t, r in records.items()}
    assert records["scores"]["primary_metric"] == "pearson" and records["entities"]["primary_metric"] == "f1"


def test_cards_are_saved_printed_and_valid(own_run):
    out, records, stderr = own_run
    reviews = load_card(out / "cards" / "reviews.yaml")
    assert reviews.columns == {"text": "review", "label": "sentiment"}
    assert reviews.labels == ("negative", "positive") and reviews.local.carve_test
    assert load_card(out / "cards" / "scores.yaml").columns == {"text": "sentence1", "text_pair": "sentence2",
                                                                  "label": "score"}
    assert load_card(out / "cards" / "entities.yaml").labels == ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")
    assert load_card(out / "cards" / "stars.yaml").labels == ("1", "2", "3")
    assert "task reviews from" in stderr and str(out / "cards" / "reviews.yaml") in stderr


def test_given_test_files_are_the_test_split(own_run):
    _, records, _ = own_run
    assert records["stars"]["data"]["sizes"]["test"] == 8
    assert records["pair"]["data"]["sizes"]["test"] == 8
    assert records["reviews"]["data"]["sizes"]["test"] == 3          # carved: 10 % of 30 rows


def test_integer_labels_are_named_by_value():
    assert [label_id(v, ("1", "2", "3"), "x") for v in (1, 2, 3, "3")] == [0, 1, 2, 2]
    assert [label_id(v, ("negative", "positive"), "x") for v in (0, 1, "positive")] == [0, 1, 1]


def test_card_init_output_reruns_the_same_job_with_tasks_dir(own_run, data, tmp_path):
    """`harness card init` writes the card the run inferred; with --tasks-dir and --data-dir it is the same task
    (same job id: the run resumes, nothing trains)."""
    out, records, _ = own_run
    cards = tmp_path / "cards"
    cards.mkdir()
    init = run_cli("card", "init", str(data / "reviews.csv"), "--columns", "text=review,label=sentiment",
                   "--output", str(cards / "reviews.yaml"))
    assert init.returncode == 0, init.stderr
    assert (cards / "reviews.yaml").read_text() == (out / "cards" / "reviews.yaml").read_text()
    again = harness.run(models="tiny-bert", tasks="reviews", tasks_dir=[str(cards)], data_dir=str(data),
                        output=out, epochs=1, latency_requests=0, max_length=32, executor="inline",
                        write_report=False, quiet=True, progress=lambda _: None)
    assert [r["job"] for r in again] == [records["reviews"]["job"]]


def test_card_init_prints_to_stdout(data):
    result = run_cli("card", "init", str(data / "scores.csv"), "--task-kind", "classification")
    assert result.returncode == 0, result.stderr
    assert "kind: classification" in result.stdout and "name: scores" in result.stdout


@pytest.mark.parametrize("setup, options, expected", [
    ("two_labels", (), "columns 'label', 'sentiment' could each be the label field"),
    ("many_labels", (), "2000 distinct values"),
    ("two_labels", ("--columns", "label=stars"), "has no column 'stars'"),
    ("missing", (), "no such file or folder"),
    ("two_labels", ("--columns", "colour=label"), "unknown field 'colour'"),
    ("bad_parquet", (), "is not valid Parquet"),
])
def test_ambiguous_or_bad_own_data_is_one_line_exit_2(tmp_path, setup, options, expected):
    files = {
        "two_labels": lambda: _csv(tmp_path / "two.csv", ["text", "label", "sentiment"],
                                   [["a", "x", "pos"], ["b", "y", "neg"]] * 5),
        "many_labels": lambda: _csv(tmp_path / "many.csv", ["text", "label"],
                                    [[f"t{i}", f"l{i}"] for i in range(2000)]),
        "missing": lambda: tmp_path / "nope.csv",
        "bad_parquet": lambda: _text(tmp_path / "broken.parquet", "not parquet"),
    }
    path = files[setup]()
    out = tmp_path / "out"
    result = run_cli("run", *RUN, "--tasks", str(path), *options, "-o", str(out))
    assert result.returncode == 2 and result.exception is None
    assert result.stderr.startswith("error:") and expected in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_columns_without_own_data_is_a_usage_error(tmp_path):
    result = run_cli("run", *RUN, "--tasks", "sst2", "--data", "sample", "--columns", "text=review")
    assert result.returncode == 2 and "--columns and --task-kind apply to own data" in result.stderr


@pytest.mark.parametrize("write", [
    lambda d: _jsonl(d / "topics.jsonl", [{"text": f"note {i}", "topics": ["b", "a"][: 1 + i % 2]} for i in range(12)]),
    lambda d: _csv(d / "topics.csv", ["text", "topics"], [[f"note {i}", "b|a" if i % 2 else "b"] for i in range(12)]),
])
def test_a_list_of_labels_per_row_is_multi_label(tmp_path, write):
    path = write(tmp_path)
    result = run_cli("card", "init", str(path), "--columns", "label=topics", "--output", str(tmp_path / "card.yaml"))
    assert result.returncode == 0, result.stderr
    card = load_card(tmp_path / "card.yaml")
    assert (card.kind, card.labels, card.primary_metric) == ("multi_label", ("a", "b"), "micro_f1")


def test_parquet_files_are_read(tmp_path):
    import pyarrow
    import pyarrow.parquet

    rows = [{"sentence": f"text {i}", "label": i % 2, "tags": ["x"] * (i % 3)} for i in range(12)]
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), tmp_path / "polarity.parquet")
    result = run_cli("card", "init", str(tmp_path / "polarity.parquet"), "--output", str(tmp_path / "card.yaml"))
    assert result.returncode == 0, result.stderr
    card = load_card(tmp_path / "card.yaml")
    assert (card.name, card.kind, card.labels, card.local.format) == ("polarity", "classification", ("0", "1"),
                                                                       "parquet")
