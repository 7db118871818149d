"""Metric specs: every built-in kind declares each metric's direction and scale, and its per-example statistics
recompute the metric exactly as the library of record computes it, on the full set and on any resample."""
from __future__ import annotations

import numpy as np
import pytest

from harness.metrics.spec import CannotRecompute, MetricSpec
from harness.tasks.registry import BUILTIN_KINDS, load_kind


def _resample_counts(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    index = np.random.default_rng(seed).integers(0, n, n)
    return index, np.bincount(index, minlength=n)[None, :].astype(float)


def _classification_data(n=300, labels=2, seed=1):
    rng = np.random.default_rng(seed)
    refs = rng.integers(0, labels, n)
    preds = np.where(rng.random(n) < 0.7, refs, rng.integers(0, labels, n))
    return preds.tolist(), refs.tolist()


@pytest.mark.parametrize("kind", sorted(BUILTIN_KINDS))
def test_every_builtin_metric_declares_direction_scale_and_statistics(kind):
    for name, spec in load_kind(kind).metric_specs.items():
        assert spec.name == name and spec.scale in ("unit", "percent", "signed", "unbounded")
        assert spec.resamplable, f"{kind}.{name} cannot be resampled"
    assert load_kind("regression").metric_spec("mse").higher_is_better is False
    assert load_kind("regression").metric_spec("pearson").range == (-1.0, 1.0)
    assert load_kind("seq2seq").metric_spec("bleu").range == (0.0, 100.0)


@pytest.mark.parametrize("labels", [2, 3])
@pytest.mark.parametrize("metric", ["accuracy", "f1", "macro_f1", "precision", "recall", "mcc"])
def test_classification_specs_reproduce_scikit_learn(labels, metric):
    from harness.metrics.classification import classification_metrics

    preds, refs = _classification_data(labels=labels)
    spec = load_kind("classification").metric_spec(metric)
    stats = spec.example_statistics(preds, refs, {"num_labels": labels})
    assert spec.corpus(stats) == pytest.approx(classification_metrics(preds, refs, labels)[metric], abs=1e-12)
    index, counts = _resample_counts(len(preds))
    expected = classification_metrics([preds[i] for i in index], [refs[i] for i in index], labels)[metric]
    assert spec.resample(stats, counts)[0] == pytest.approx(expected, abs=1e-12)


def test_a_class_never_predicted_nor_seen_keeps_multiclass_averaging():
    """Three labels, only 0 and 1 occur: the kind averages as multiclass; so must the spec (needs the context)."""
    from harness.metrics.classification import classification_metrics

    preds, refs = _classification_data(labels=2)
    spec = load_kind("classification").metric_spec("f1")
    stats = spec.example_statistics(preds, refs, {"num_labels": 3})
    assert spec.corpus(stats) == pytest.approx(classification_metrics(preds, refs, 3)["f1"], abs=1e-12)


@pytest.mark.parametrize("metric", ["pearson", "spearman", "mse"])
def test_regression_specs_reproduce_scipy_on_resamples_with_ties(metric):
    from harness.metrics.classification import regression_metrics

    rng = np.random.default_rng(3)
    refs = rng.uniform(0, 5, 200).round(1)                       # many ties, as in STS-B
    preds = (refs + rng.normal(0, 1, 200)).round(1)
    spec = load_kind("regression").metric_spec(metric)
    stats = spec.example_statistics(preds.tolist(), refs.tolist())
    assert spec.corpus(stats) == pytest.approx(regression_metrics(preds.tolist(), refs.tolist())[metric], abs=1e-9)
    for seed in range(3):
        index, counts = _resample_counts(200, seed)
        expected = regression_metrics(preds[index].tolist(), refs[index].tolist())[metric]
        assert spec.resample(stats, counts)[0] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("metric", ["f1", "precision", "recall", "accuracy", "f1_PER"])
def test_ner_specs_reproduce_seqeval(metric):
    from harness.metrics.ner import ner_metrics

    refs = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"], ["B-MISC", "O"], ["B-PER", "O"]] * 10
    preds = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "O", "O"], ["B-MISC", "O"], ["B-LOC", "O"]] * 10
    spec = load_kind("token_classification").metric_spec(metric)
    stats = spec.example_statistics(preds, refs)
    assert spec.corpus(stats) == pytest.approx(ner_metrics(refs, preds, ["PER"])[metric], abs=1e-12)
    index, counts = _resample_counts(len(refs), 5)
    expected = ner_metrics([refs[i] for i in index], [preds[i] for i in index], ["PER"])[metric]
    assert spec.resample(stats, counts)[0] == pytest.approx(expected, abs=1e-12)


def test_squad_specs_reproduce_the_official_figures():
    from harness.metrics.qa import squad_metrics

    preds = ["the cat", "Paris", "in 1990", "blue whale"] * 5
    refs = [["the cat", "a cat"], ["Paris"], ["1990"], ["whale"]] * 5
    for metric in ("f1", "exact_match"):
        spec = load_kind("extractive_qa").metric_spec(metric)
        stats = spec.example_statistics(preds, refs)
        assert spec.corpus(stats) == pytest.approx(squad_metrics(preds, refs)[metric])
        assert spec.range == (0.0, 100.0)


@pytest.mark.parametrize("metric", ["bleu", "chrf", "rouge1", "rougeLsum"])
def test_generation_specs_reproduce_sacrebleu_and_rouge(metric):
    from harness.metrics.generation import bleu_chrf, rouge

    hyps = ["the cat sat on the mat. It slept.", "a quick brown fox", "hello world again", "nothing alike"] * 4
    gold = ["the cat sat on a mat. It was asleep.", "the quick brown fox", "hello world", "completely other"] * 4
    spec = load_kind("seq2seq").metric_spec(metric)
    stats = spec.example_statistics(hyps, gold)

    def reference(h, g):
        return (bleu_chrf(h, g) if metric in ("bleu", "chrf") else rouge(h, g))[metric]
    assert spec.corpus(stats) == pytest.approx(reference(hyps, gold), abs=1e-9)
    index, counts = _resample_counts(len(hyps), 2)
    assert spec.resample(stats, counts)[0] == pytest.approx(
        reference([hyps[i] for i in index], [gold[i] for i in index]), abs=1e-9)


def test_statistics_refuse_what_they_cannot_recompute():
    spec = load_kind("classification").metric_spec("accuracy")
    with pytest.raises(CannotRecompute, match="expected form|label indices"):
        spec.example_statistics(["x"] * 3, [1, 0, 1])
    with pytest.raises(CannotRecompute, match="do not match"):
        spec.example_statistics([1, 0], [1, 0, 1])
    with pytest.raises(CannotRecompute, match="no per-example statistics"):
        MetricSpec("auroc").example_statistics([0.1], [1])


def test_a_spec_rejects_an_unknown_scale():
    with pytest.raises(ValueError, match="scale"):
        MetricSpec("x", scale="percentage")
