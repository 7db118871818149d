"""Interval math, bootstrap recomputation and Pareto fronts of harness.report."""
from __future__ import annotations

import math

import numpy as np
import pytest

from harness.report.resample import bootstrap_interval, recipe, seed_for
from harness.report.stats import overlap, pareto_front, t_half_widths, t_interval, t_quantile

scipy_stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("dof", [1, 2, 3, 4, 5, 9, 30, 999, 2500, 100_000])
def test_t_quantile_matches_scipy(dof, confidence):
    assert t_quantile(dof, confidence) == pytest.approx(scipy_stats.t.ppf(0.5 + confidence / 2, dof), rel=1e-10)


def test_t_interval_matches_scipy():
    values = [0.81, 0.84, 0.79, 0.86, 0.80]
    low, high = t_interval(values)
    ref = scipy_stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=scipy_stats.sem(values))
    assert (low, high) == pytest.approx(ref, rel=1e-12)


def test_t_interval_by_hand():
    # mean 2, sample std 1, n 3: half width = t(0.975, 2) * 1 / sqrt(3) = 4.302653 / 1.732051
    low, high = t_interval([1.0, 2.0, 3.0])
    assert high - 2.0 == pytest.approx(4.302652729749464 / math.sqrt(3), rel=1e-12)
    assert low == pytest.approx(4.0 - high)
    assert t_interval([0.5]) is None
    assert np.isnan(t_half_widths(np.array([0.1]), np.array([1]))[0])


def test_overlap():
    assert overlap((0, 1), (0.5, 2)) is True
    assert overlap((0, 1), (1, 2)) is True           # touching counts as overlapping
    assert overlap((0, 1), (1.1, 2)) is False
    assert overlap(None, (0, 1)) is None
    assert overlap((0, float("nan")), (0, 1)) is None


def test_pareto_front():
    # columns: score (max), throughput (max)
    values = np.array([[0.9, 100], [0.8, 300], [0.7, 200], [0.9, 50], [np.nan, 1000], [0.6, 300]])
    assert pareto_front(values, [True, True]).tolist() == [True, True, False, False, False, False]
    # memory: lower is better
    values = np.array([[0.9, 8.0], [0.8, 4.0], [0.85, 9.0], [0.8, 4.0]])
    assert pareto_front(values, [True, False]).tolist() == [True, True, False, True]
    assert pareto_front(np.zeros((0, 2)), [True, True]).tolist() == []


def _classification_data(n=300, labels=2, seed=1):
    rng = np.random.default_rng(seed)
    refs = rng.integers(0, labels, n)
    preds = np.where(rng.random(n) < 0.7, refs, rng.integers(0, labels, n))
    return preds.tolist(), refs.tolist()


@pytest.mark.parametrize("labels", [2, 3])
@pytest.mark.parametrize("metric", ["accuracy", "f1", "macro_f1", "precision", "recall", "mcc"])
def test_classification_recipe_reproduces_the_kind(labels, metric):
    from harness.kinds.classification import classification_metrics

    preds, refs = _classification_data(labels=labels)
    expected = classification_metrics(preds, refs, labels)[metric]
    statistic = recipe("classification", metric, preds, refs)
    assert statistic(np.arange(len(preds))[None, :])[0] == pytest.approx(expected, abs=1e-12)
    # and on a resample, against sklearn on the resampled lists
    index = np.random.default_rng(0).integers(0, len(preds), len(preds))
    resampled = classification_metrics([preds[i] for i in index], [refs[i] for i in index], labels)[metric]
    assert statistic(index[None, :])[0] == pytest.approx(resampled, abs=1e-12)


@pytest.mark.parametrize("metric", ["pearson", "spearman", "mse"])
def test_regression_recipe_reproduces_the_kind(metric):
    from harness.kinds.regression import regression_metrics

    rng = np.random.default_rng(3)
    refs = rng.uniform(0, 5, 200).round(1)
    preds = (refs + rng.normal(0, 1, 200)).round(5)
    statistic = recipe("regression", metric, preds.tolist(), refs.tolist())
    index = rng.integers(0, 200, 200)
    expected = regression_metrics(preds[index].tolist(), refs[index].tolist())[metric]
    assert statistic(index[None, :])[0] == pytest.approx(expected, abs=1e-9)


def test_ner_recipe_reproduces_seqeval():
    pytest.importorskip("seqeval")
    from harness.metrics.ner import ner_metrics

    refs = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"], ["B-MISC", "O"]] * 10
    preds = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "O", "O"], ["B-MISC", "O"]] * 10
    statistic = recipe("token_classification", "f1", preds, refs)
    assert statistic(np.arange(30)[None, :])[0] == pytest.approx(ner_metrics(refs, preds)["f1"], abs=1e-12)


def test_squad_and_bleu_recipes_reproduce_the_metrics():
    pytest.importorskip("sacrebleu")
    from harness.metrics.generation import bleu_chrf
    from harness.metrics.qa import squad_metrics

    preds = ["the cat", "Paris", "in 1990", "blue whale"] * 5
    refs = [["the cat", "a cat"], ["Paris"], ["1990"], ["whale"]] * 5
    statistic = recipe("extractive_qa", "f1", preds, refs)
    assert statistic(np.arange(20)[None, :])[0] == pytest.approx(squad_metrics(preds, refs)["f1"])
    hyps = ["the cat sat on the mat", "a quick brown fox", "hello world again"] * 4
    gold = ["the cat sat on a mat", "the quick brown fox", "hello world"] * 4
    statistic = recipe("seq2seq", "bleu", hyps, gold)
    assert statistic(np.arange(12)[None, :])[0] == pytest.approx(bleu_chrf(hyps, gold)["bleu"])


def test_bootstrap_is_deterministic_and_covers_the_score():
    preds, refs = _classification_data(n=400)
    from harness.kinds.classification import classification_metrics

    score = classification_metrics(preds, refs, 2)["accuracy"]
    first = bootstrap_interval("classification", "accuracy", preds, refs, score, seed_for("job-1"))
    again = bootstrap_interval("classification", "accuracy", preds, refs, score, seed_for("job-1"))
    other = bootstrap_interval("classification", "accuracy", preds, refs, score, seed_for("job-2"))
    assert first == again
    assert first != other
    assert first.low < score < first.high
    # the width is about 2 * 1.96 * sqrt(p (1-p) / n)
    expected = 2 * 1.96 * math.sqrt(score * (1 - score) / len(preds))
    assert first.high - first.low == pytest.approx(expected, rel=0.15)


def test_bootstrap_refuses_what_it_cannot_recompute():
    preds, refs = _classification_data()
    unknown = bootstrap_interval("classification", "auroc", preds, refs, 0.5, 1)
    assert not unknown.ok and "no bootstrap recipe" in unknown.note
    wrong = bootstrap_interval("classification", "accuracy", preds, refs, 0.123, 1)
    assert not wrong.ok and "not the recorded" in wrong.note
    garbled = bootstrap_interval("classification", "accuracy", ["x"] * 3, [1, 0, 1], None, 1)
    assert not garbled.ok and "expected form" in garbled.note
    constant = bootstrap_interval("regression", "pearson", [1.0] * 5, [1, 2, 3, 4, 5], 0.0, 1)
    assert not constant.ok and "constant" in constant.note
