"""Step targets and budgets: `--budget-seconds` counts every step it ran, and a training loop that cannot make
progress stops with an error instead of running validation-only epochs forever."""
from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest

import harness
from harness.settings import Hyperparameters
from harness.train.batches import HostBatches
from harness.train.loop import train_model
from harness.train.throughput import warmup_steps_excluded

QUICK = dict(models="tiny-bert", tasks="sst2", data="sample", executor="inline", max_eval_samples=8,
             latency_requests=0, write_report=False, progress=lambda _: None)


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the test run) if the body has not finished after `seconds`."""
    def expire(*_):
        raise TimeoutError(f"still running after {seconds} s: the training loop does not stop")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _tiny_model_and_features(n: int):
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification

    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    spec = resolve_model("tiny-bert")
    tokenizer = load_tokenizer(spec)
    texts = [" ".join(["good", "bad", "fine"][: 1 + i % 3]) for i in range(n)]
    encoded = tokenizer(texts) if texts else {"input_ids": [], "attention_mask": []}
    features = Dataset.from_dict({**encoded, "labels": [i % 2 for i in range(n)]})
    model = AutoModelForSequenceClassification.from_pretrained(spec.source, num_labels=2)
    return model, features, tokenizer.pad_token_id


def _train(model, features, pad_id, hp):
    return train_model(model, features, columns=("input_ids", "attention_mask", "labels"), pad_id=pad_id, hp=hp,
                       seed=0, device="cpu", precision="fp32", validate=lambda m: {"acc": 0.5}, primary="acc",
                       higher_is_better=True)


def test_budget_seconds_counts_the_step_that_spends_it(tmp_path, one_torch_thread):
    """The step after which the budget is found spent ran and was timed: its samples count too."""
    record = harness.run(output=tmp_path, epochs=50, batch_size=4, max_train_samples=64, budget_seconds=2.0,
                         **QUICK)[0]
    train = record["train"]
    assert record["status"] == "ok", record["error"]
    planned = 50 * 64 // 4              # optimizer steps the epochs alone would take
    skipped = warmup_steps_excluded(planned)
    assert train["budget_exhausted"] and skipped < train["steps"] < planned
    # Every step past the warm-up is measured: its time and its samples (steps x batch size) both count.
    assert train["measured_steps"] == train["steps"] - skipped
    assert train["epochs"] == pytest.approx(train["steps"] * 4 / 64, abs=1e-3)      # recorded to 3 decimals


def test_an_epoch_without_a_training_step_stops_the_job_instead_of_spinning(monkeypatch, one_torch_thread):
    """A batch source that yields nothing while steps remain: an error, not validation-only epochs forever."""
    monkeypatch.setattr(HostBatches, "epoch", lambda self, seed, limit=None: iter(()))
    model, features, pad_id = _tiny_model_and_features(8)
    with deadline(30), pytest.raises(RuntimeError, match="no training step"):
        _train(model, features, pad_id, Hyperparameters(epochs=1, batch_size=4))


def test_an_empty_training_set_is_a_clear_error(one_torch_thread):
    model, features, pad_id = _tiny_model_and_features(0)
    with deadline(60), pytest.raises(ValueError, match="training set is empty"):
        _train(model, features, pad_id, Hyperparameters(epochs=1, batch_size=4))


@pytest.mark.parametrize("budget, grad_accum", [(3, 1), (5, 2)])
def test_budget_steps_is_exact_whatever_the_epoch_length(budget, grad_accum, one_torch_thread):
    model, features, pad_id = _tiny_model_and_features(10)           # 3 micro-batches per epoch, the last partial
    with deadline(120):
        outcome = _train(model, features, pad_id, Hyperparameters(epochs=1, batch_size=4, grad_accum=grad_accum,
                                                                  budget_steps=budget))
    assert outcome.steps == budget
    assert outcome.epochs == pytest.approx(budget * grad_accum / 3)


def test_patience_stops_a_job_whose_validation_stops_improving(tmp_path, one_torch_thread):
    """`--patience 1`: a learning rate too small to move the validation score stops training after the first epoch
    without improvement, not after the 6 epochs asked for; the patience is part of the recorded hyperparameters."""
    from conftest import run_cli

    out = tmp_path / "run"
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--executor", "inline",
                     "--max-train-samples", "16", "--max-eval-samples", "8", "--batch-size", "8", "--epochs", "6",
                     "--lr", "1e-12", "--latency-requests", "0", "--patience", "1", "--no-report", "--quiet",
                     "--output", str(out))
    assert result.returncode == 0, result.stderr
    from harness.store import ResultStore

    (record,) = ResultStore(out).latest()
    assert record["status"] == "ok", record["error"]
    assert record["hyperparameters"]["early_stopping_patience"] == 1
    assert [e["epoch"] for e in record["validation"]["history"]] == [1, 2]
    assert record["train"]["epochs"] == 2.0
