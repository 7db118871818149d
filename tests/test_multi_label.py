"""Multi-label classification: a hand-written card runs on every architecture; micro/macro F1 and subset accuracy
are scikit-learn's and their specs recompute them; the decision threshold comes from validation, never from test;
labels are read as lists (JSON Lines) or joined in a cell (CSV); an unknown label is one line and exit 2."""
from __future__ import annotations

import contextlib
import json
import random

import numpy as np
import pytest
from conftest import run_cli

from harness.data.prepare import prepare
from harness.data.sources import DataRequest, resolve_source
from harness.kinds.base import EvalContext
from harness.metrics.multi_label import THRESHOLDS, choose_threshold, multi_label_metrics
from harness.tasks.registry import Registry, load_kind

LABELS = ["sports", "politics", "science", "music"]
WORDS = {"sports": ["goal", "match", "team"], "politics": ["vote", "senate", "law"],
         "science": ["atom", "lab", "theory"], "music": ["song", "guitar", "band"]}
CARD = """name: topics
family: classification
kind: multi_label
description: synthetic news snippets tagged with any of four topics
data:
  local:
    format: {format}
    files: {{train: train.{ext}, test: test.{ext}}}
columns: {{label: tags}}
labels: [sports, politics, science, music]
{options}metrics:
  primary: micro_f1
  report: [micro_f1, macro_f1, subset_accuracy]
"""

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rows(count: int, seed: int) -> list[dict]:
    """Snippets with 0 to 4 topics each: two words of each topic and two filler words."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        tags = [label for label in LABELS if rng.random() < 0.35]
        words = [w for tag in tags for w in rng.sample(WORDS[tag], 2)] + rng.sample(["the", "a", "today", "news"], 2)
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "tags": tags})
    return rows


def _task(folder, rows: dict[str, list[dict]], fmt: str = "jsonl", options: str = ""):
    """A folder of tasks holding the card, and a --data-dir folder holding the files it names."""
    (folder / "tasks").mkdir(parents=True)
    (folder / "data").mkdir(parents=True)
    ext = {"jsonl": "jsonl", "csv": "csv"}[fmt]
    (folder / "tasks" / "topics.yaml").write_text(CARD.format(format=fmt, ext=ext, options=options))
    for role, split in rows.items():
        path = folder / "data" / f"{role}.{ext}"
        if fmt == "jsonl":
            path.write_text("".join(json.dumps(row) + "\n" for row in split))
        else:
            path.write_text("text,tags\n" + "".join(f"{row['text']},{row['tags']}\n" for row in split))
    return folder / "tasks", folder / "data"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi_label")
    tasks, data = _task(folder, {"train": _rows(40, 0), "test": _rows(16, 1)})
    output = folder / "out"
    result = run_cli("run", "-m", "tiny-bert,tiny-gpt2,tiny-t5", "-t", "topics", "--tasks-dir", str(tasks),
                     "--data-dir", str(data), "--epochs", "1", "--latency-requests", "0", "--executor", "inline",
                     "--no-report", "--quiet", "--output", str(output))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    return output, records


def test_the_kind_runs_ok_on_every_architecture(run):
    _, records = run
    assert sorted(r["architecture"] for r in records) == ["decoder", "encoder", "encoder-decoder"]
    for record in records:
        assert record["status"] == "ok", record.get("error")
        assert set(record["metrics"]) == {"micro_f1", "macro_f1", "subset_accuracy"}
        assert record["score"] == record["metrics"]["micro_f1"] and record["primary_metric"] == "micro_f1"
        assert record["eval"]["threshold"] in THRESHOLDS
        assert record["validation"]["metrics"]["threshold"] in THRESHOLDS


def test_the_stored_predictions_reproduce_the_recorded_metrics(run):
    output, records = run
    kind = load_kind("multi_label")
    for record in records:
        stored = json.loads((output / "predictions" / f"{record['job']}.json").read_text())
        assert stored["context"] == {"num_labels": 4, "threshold": record["eval"]["threshold"]}
        for metric, value in record["metrics"].items():
            stats = kind.metric_spec(metric).example_statistics(stored["predictions"], stored["references"],
                                                                stored["context"])
            assert kind.metric_spec(metric).corpus(stats) == pytest.approx(value, abs=1e-12)


def _label_sets(n: int, seed: int) -> tuple[list[list[int]], list[list[int]]]:
    """Reference and predicted label sets over five labels; the last is never true nor predicted (macro F1 counts it
    as 0, as scikit-learn does), and some examples have no label at all."""
    rng = np.random.default_rng(seed)
    true = rng.random((n, 5)) < 0.3
    predicted = np.where(rng.random((n, 5)) < 0.8, true, ~true)
    true[:, 4] = predicted[:, 4] = False
    sets = lambda matrix: [np.flatnonzero(row).tolist() for row in matrix]  # noqa: E731
    return sets(predicted), sets(true)


@pytest.mark.parametrize("metric", ["micro_f1", "macro_f1", "subset_accuracy"])
def test_metrics_are_scikit_learns_and_the_specs_recompute_them_on_resamples(metric):
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    predictions, references = _label_sets(200, 3)
    binarize = MultiLabelBinarizer(classes=range(5)).fit_transform
    library = {"micro_f1": lambda t, p: f1_score(t, p, average="micro", zero_division=0),
               "macro_f1": lambda t, p: f1_score(t, p, average="macro", zero_division=0),
               "subset_accuracy": accuracy_score}[metric]
    assert any(not labels for labels in references)                  # examples without labels count too
    value = multi_label_metrics(predictions, references, 5)[metric]
    assert value == library(binarize(references), binarize(predictions))
    spec = load_kind("multi_label").metric_spec(metric)
    stats = spec.example_statistics(predictions, references, {"num_labels": 5})
    assert spec.corpus(stats) == pytest.approx(value, abs=1e-12)
    for seed in range(3):
        index = np.random.default_rng(seed).integers(0, 200, 200)
        counts = np.bincount(index, minlength=200)[None, :].astype(float)
        drawn = library(binarize([references[i] for i in index]), binarize([predictions[i] for i in index]))
        assert spec.resample(stats, counts)[0] == pytest.approx(drawn, abs=1e-12)


def test_a_threshold_tie_goes_to_one_half():
    probabilities = np.array([[0.99, 0.01], [0.98, 0.02]])       # every threshold from 0.05 to 0.95 is perfect
    assert choose_threshold(probabilities, [[0], [0]]) == 0.5
    assert choose_threshold(np.array([[0.3, 0.1]]), [[0]]) == 0.3     # 0.15-0.3 are perfect: 0.3 is nearest


class _FixedLogits:
    """A stand-in model: example i (its one input token is i + 1) gets logits[i]."""

    def __init__(self, logits):
        import torch
        self.logits = torch.tensor(logits, dtype=torch.float32)

    def eval(self):
        return self

    def __call__(self, input_ids, **_):
        return type("Output", (), {"logits": self.logits[input_ids[:, 0] - 1]})()


def _context(card, probabilities, references, split):
    import torch
    from datasets import Dataset

    n = len(references)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 1e-6, 1 - 1e-6)
    features = Dataset.from_dict({"input_ids": [[i + 1] for i in range(n)], "attention_mask": [[1]] * n})
    rows = Dataset.from_dict({"text": ["x"] * n, "label": references})
    tokenizer = type("Tokenizer", (), {"pad_token_id": 0})()
    return EvalContext(model=_FixedLogits(np.log(probabilities / (1 - probabilities))), tokenizer=tokenizer,
                       spec=None, card=card, features=features, rows=rows, device=torch.device("cpu"), batch_size=4,
                       autocast=contextlib.nullcontext, split=split)


def test_the_test_split_is_scored_at_the_threshold_chosen_on_validation(tmp_path):
    tasks, _ = _task(tmp_path, {})
    card, kind = Registry([tasks]).card("topics"), load_kind("multi_label")
    # Validation: true labels at 0.85, false ones at 0.75, so only 0.8 separates them. On test the true labels are at
    # 0.3 and the false ones at 0.1: tuned on test, the threshold would be 0.15-0.3; at 0.8 nothing is predicted.
    references = [[0, 1], [2], [], [3]]
    validation = [[0.85 if j in r else 0.75 for j in range(4)] for r in references]
    test_probabilities = [[0.3 if j in r else 0.1 for j in range(4)] for r in references]
    assert kind.evaluate(_context(card, validation, references, "validation")).metrics["threshold"] == 0.8
    test_ctx = _context(card, test_probabilities, references, "test")
    test_ctx.validation = _context(card, validation, references, "validation")
    test = kind.evaluate(test_ctx)
    assert test.record_sections == {"eval": {"threshold": 0.8}} and "threshold" not in test.metrics
    assert test.predictions == [[], [], [], []] and test.metrics["micro_f1"] == 0.0
    assert test.metrics["subset_accuracy"] == 0.25                # the example without labels is right
    assert choose_threshold(np.array(test_probabilities), references) <= 0.3
    alone = kind.evaluate(_context(card, test_probabilities, references, "test"))
    assert alone.record_sections == {"eval": {"threshold": 0.5}}   # no validation at hand: the default, not tuned


def test_labels_joined_in_a_csv_cell_and_empty_cells(tmp_path):
    rows = {"train": [{"text": f"goal vote {i}", "tags": "sports; politics" if i % 2 else ""} for i in range(20)],
            "test": [{"text": "song", "tags": "music"}, {"text": "lab atom", "tags": "science;science"}]}
    tasks, data = _task(tmp_path, rows, fmt="csv", options="options: {label_separator: ';'}\n")
    card = Registry([tasks]).card("topics")
    kind = load_kind(card.kind)
    prepared = prepare(card, kind, resolve_source(card, DataRequest.parse(None, data)))
    assert list(prepared.load("test")["label"]) == [[3], [2]]
    train = [*prepared.load("train")["label"], *prepared.load("validation")["label"]]
    assert sorted(train) == sorted([[0, 1], []] * 10)


@pytest.mark.parametrize("tags, problem", [(["sports", "sprots"], "'sprots' is not one of the card's labels"),
                                           (None, "labels must be a list of label names")])
def test_a_label_the_card_does_not_list_is_one_line_and_exit_2(tmp_path, tags, problem):
    rows = _rows(12, 0)
    rows[5]["tags"] = tags
    tasks, data = _task(tmp_path, {"train": rows, "test": _rows(4, 1)})
    result = run_cli("run", "-m", "tiny-bert", "-t", "topics", "--tasks-dir", str(tasks), "--data-dir", str(data),
                     "--epochs", "1", "--no-report", "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and result.exception is None
    assert problem in result.stderr and "train.jsonl: example 6" in result.stderr
    assert not (tmp_path / "out").exists()


def test_multi_hot_targets_batch_as_float_vectors_on_both_batch_paths():
    import torch

    from harness.data.batching import collate_features
    from harness.train.batches import StaticBatches

    data = {"input_ids": [[5] * n for n in (3, 9, 4, 20, 7)], "attention_mask": [[1] * n for n in (3, 9, 4, 20, 7)],
            "labels": [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]}
    host = collate_features([{k: v[i] for k, v in data.items()} for i in range(5)], pad_id=0)
    assert host["labels"].dtype == torch.float32 and host["labels"].tolist() == data["labels"]
    assert host["input_ids"].shape == (5, 24)
    for batch in StaticBatches(data, pad_id=0, batch_size=4, device=torch.device("cpu")).epoch(seed=0):
        labels = batch.tensors["labels"]
        assert labels.dtype == torch.float32 and labels.shape == (4, 3)
        assert all(row in data["labels"] for row in labels.tolist())     # filler rows repeat real ones, no -100


def test_the_static_batch_path_trains_on_multi_hot_targets(tmp_path):
    """The static-shape path (CUDA graphs' data path, run eagerly here): float targets, filler rows included."""
    import torch
    from datasets import Dataset

    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model
    from harness.settings import Hyperparameters
    from harness.train.loop import train_model

    tasks, _ = _task(tmp_path, {})
    card, kind = Registry([tasks]).card("topics"), load_kind("multi_label")
    spec = resolve_model("tiny-bert")
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec), spec)
    rows = _rows(12, 2)
    hp = Hyperparameters(epochs=1, batch_size=8, lr=1e-3, max_length=32)
    batch = {"text": [r["text"] for r in rows], "label": [[LABELS.index(t) for t in r["tags"]] for r in rows]}
    features = Dataset.from_dict(kind.encoder(card, spec, tokenizer, hp, "train")(batch))
    torch.manual_seed(0)
    outcome = train_model(kind.build_model(card, spec, tokenizer), features, columns=kind.train_columns(),
                          pad_id=tokenizer.pad_token_id, hp=hp, seed=0, device="cpu", precision="fp32",
                          validate=lambda m: {"micro_f1": 0.5}, primary="micro_f1", higher_is_better=True,
                          static=True)
    assert outcome.static_shapes and outcome.steps > 0
    assert all(0 < e.train_loss < 2 for e in outcome.history)          # binary cross-entropy, finite


@pytest.mark.parametrize("options, problem", [("options: {label_separator: '-'}\n", "occurs in the label"),
                                              ("options: {label_separator: ' '}\n", "expected the text that joins")])
def test_a_separator_that_cannot_split_the_labels_is_refused_in_the_card(tmp_path, options, problem):
    from harness.tasks.card import CardError

    tasks, _ = _task(tmp_path, {}, options=options)
    (tasks / "topics.yaml").write_text((tasks / "topics.yaml").read_text().replace("music]", "hip-hop]"))
    with pytest.raises(CardError, match=problem):
        Registry([tasks])
