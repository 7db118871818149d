"""Bootstrap intervals over evaluation examples, for cells with a single seed.

The primary metric is recomputed on resamples (with replacement) of the stored per-example predictions and
references (`predictions/<job>.json`). Most metrics reduce to sums of per-example statistics (a confusion matrix,
entity counts, BLEU n-gram counts, mean per-example scores), so one matrix product gives every resample at once.

A recomputation is trusted only if it reproduces the stored score on the full set; otherwise, and for metrics
with no recipe here, the interval is left empty and the reason says why.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from harness.report.stats import CONFIDENCE, percentile_interval

RESAMPLES = 1000


@dataclass(frozen=True)
class Bootstrap:
    low: float | None
    high: float | None
    note: str | None = None           # why there is no interval

    @property
    def ok(self) -> bool:
        return self.low is not None


class CannotRecompute(Exception):
    """This metric cannot be recomputed from the stored predictions (the message says why)."""


def seed_for(job_id: str) -> int:
    """A fixed resampling seed per job, so the same run always gives the same interval."""
    return int(hashlib.sha256(str(job_id).encode()).hexdigest()[:8], 16)


def bootstrap_interval(kind: str, metric: str, predictions: list, references: list, stored: float | None,
                       seed: int, resamples: int = RESAMPLES, confidence: float = CONFIDENCE) -> Bootstrap:
    try:
        if predictions is None or references is None or len(predictions) != len(references) or not predictions:
            raise CannotRecompute("the stored predictions and references do not match up")
        statistic = recipe(kind, metric, predictions, references)
        full = float(statistic(np.arange(len(predictions))[None, :])[0])
        if stored is not None and not math.isclose(full, stored, rel_tol=1e-4, abs_tol=1e-6):
            raise CannotRecompute(f"recomputing {metric} from the stored predictions gives {full:.6g}, not the "
                                  f"recorded {stored:.6g}")
        rng = np.random.default_rng(seed)
        n = len(predictions)
        samples = statistic(rng.integers(0, n, size=(resamples, n)))
        low, high = percentile_interval(samples, confidence)
        return Bootstrap(low, high)
    except CannotRecompute as exc:
        return Bootstrap(None, None, str(exc))


Statistic = Callable[[np.ndarray], np.ndarray]   # (resamples × n) index matrix -> one value per resample


def recipe(kind: str, metric: str, predictions: list, references: list) -> Statistic:
    builders = RECIPES.get(kind)
    if builders is None or metric not in builders:
        raise CannotRecompute(f"no bootstrap recipe for {metric!r} of kind {kind!r}")
    try:
        return builders[metric](predictions, references)
    except CannotRecompute:
        raise
    except Exception as exc:  # noqa: BLE001 - unexpected stored data means no interval, never a broken report
        raise CannotRecompute(f"stored predictions are not in the expected form ({type(exc).__name__}: {exc})") from exc


def _sums(stats: np.ndarray, reduce: Callable[[np.ndarray], np.ndarray]) -> Statistic:
    """A statistic that is a function of per-example statistics summed over the resample."""
    stats = np.asarray(stats, dtype=float)
    n = len(stats)

    def statistic(index: np.ndarray) -> np.ndarray:
        b = len(index)
        counts = np.bincount((index + np.arange(b)[:, None] * n).ravel(), minlength=b * n).reshape(b, n)
        return reduce(counts @ stats)
    return statistic


def _mean_of(values) -> Statistic:
    values = np.asarray(values, dtype=float)[:, None]
    return _sums(np.hstack([values, np.ones_like(values)]), lambda s: s[:, 0] / s[:, 1])


def _div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


# --- classification: everything from the resampled confusion matrix -----------------------------------------
def _classification(metric: str):
    def build(predictions, references) -> Statistic:
        p, r = np.asarray(predictions, dtype=int), np.asarray(references, dtype=int)
        if p.ndim != 1 or (p < 0).any() or (r < 0).any():
            raise CannotRecompute("predictions are not label indices")
        k = int(max(p.max(), r.max())) + 1
        binary = k <= 2              # as the kind does: binary averages for two labels, macro otherwise
        k = max(k, 2)
        onehot = np.zeros((len(p), k * k))
        onehot[np.arange(len(p)), r * k + p] = 1.0

        def reduce(sums: np.ndarray) -> np.ndarray:
            c = sums.reshape(-1, k, k)                  # [resample, true, predicted]
            tp = np.einsum("bii->bi", c)
            true, pred, total = c.sum(axis=2), c.sum(axis=1), c.sum(axis=(1, 2))
            fp, fn = pred - tp, true - tp
            if metric == "accuracy":
                return tp.sum(axis=1) / total
            if metric == "mcc":
                cov_tp = tp.sum(axis=1) * total - (true * pred).sum(axis=1)
                cov_pp = total ** 2 - (pred * pred).sum(axis=1)
                cov_tt = total ** 2 - (true * true).sum(axis=1)
                return _div(cov_tp, np.sqrt(cov_tt * cov_pp))
            per_class = {"f1": _div(2 * tp, 2 * tp + fp + fn), "macro_f1": _div(2 * tp, 2 * tp + fp + fn),
                         "precision": _div(tp, tp + fp), "recall": _div(tp, tp + fn)}[metric]
            if binary and metric != "macro_f1":
                return per_class[:, 1]
            present = (true + pred) > 0                 # sklearn averages over the labels that occur
            return _div((per_class * present).sum(axis=1), present.sum(axis=1))
        return _sums(onehot, reduce)
    return build


# --- regression -------------------------------------------------------------------------------------------
def _pearson(predictions, references) -> Statistic:
    p, r = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
    if p.std() == 0 or r.std() == 0:
        raise CannotRecompute("predictions or references are constant, so the correlation is undefined")
    p, r = p - p.mean(), r - r.mean()                   # centred for numerical stability

    def reduce(s):
        n, sp, sr, spp, srr, spr = s.T
        cov = spr - sp * sr / n
        var = np.clip(spp - sp ** 2 / n, 0, None) * np.clip(srr - sr ** 2 / n, 0, None)
        return _div(cov, np.sqrt(var))
    return _sums(np.column_stack([np.ones_like(p), p, r, p * p, r * r, p * r]), reduce)


def _spearman(predictions, references) -> Statistic:
    from scipy.stats import rankdata

    p, r = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
    if p.std() == 0 or r.std() == 0:
        raise CannotRecompute("predictions or references are constant, so the correlation is undefined")

    def statistic(index):
        rp, rr = rankdata(p[index], axis=1), rankdata(r[index], axis=1)
        rp, rr = rp - rp.mean(axis=1, keepdims=True), rr - rr.mean(axis=1, keepdims=True)
        return _div((rp * rr).sum(axis=1), np.sqrt((rp * rp).sum(axis=1) * (rr * rr).sum(axis=1)))
    return statistic


def _mse(predictions, references) -> Statistic:
    p, r = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
    return _mean_of((p - r) ** 2)


# --- token classification (seqeval default mode, micro over entity types) --------------------------------------
def _ner(metric: str):
    def build(predictions, references) -> Statistic:
        from seqeval.metrics.sequence_labeling import get_entities

        rows = []
        for pred, gold in zip(predictions, references):
            if isinstance(pred, str) or isinstance(gold, str) or len(pred) != len(gold):
                raise CannotRecompute("predictions are not tag sequences aligned with the references")
            p, g = set(get_entities(list(pred))), set(get_entities(list(gold)))
            rows.append([len(p & g), len(p), len(g), sum(a == b for a, b in zip(pred, gold)), len(gold)])

        def reduce(s):
            tp, n_pred, n_gold, correct, tokens = s.T
            return {"f1": _div(2 * tp, n_pred + n_gold), "precision": _div(tp, n_pred),
                    "recall": _div(tp, n_gold), "accuracy": _div(correct, tokens)}[metric]
        return _sums(np.asarray(rows, dtype=float).reshape(-1, 5), reduce)
    return build


# --- extractive QA (SQuAD v1.1, percent) ---------------------------------------------------------------------
def _squad(metric: str):
    def build(predictions, references) -> Statistic:
        from harness.metrics.qa import exact_match_score, f1_score

        score = exact_match_score if metric == "exact_match" else f1_score
        values = [100.0 * max((float(score(str(p), t)) for t in truths), default=0.0)
                  for p, truths in zip(predictions, references)]
        return _mean_of(values)
    return build


# --- generation ----------------------------------------------------------------------------------------------
def _sacrebleu(metric: str):
    def build(predictions, references) -> Statistic:
        from sacrebleu.metrics import BLEU, CHRF

        scorer = BLEU() if metric == "bleu" else CHRF()
        refs = [[r] if isinstance(r, str) else list(r) for r in references]
        width = len(refs[0])
        if any(len(r) != width for r in refs):
            raise CannotRecompute("examples have different numbers of references")
        streams = [[r[k] for r in refs] for k in range(width)]
        stats = np.asarray(scorer._extract_corpus_statistics([str(p) for p in predictions], streams), dtype=float)

        def reduce(sums):
            return np.asarray([scorer._compute_score_from_stats([int(round(x)) for x in row]).score
                               for row in sums])
        return _sums(stats, reduce)
    return build


def _rouge(metric: str):
    def build(predictions, references) -> Statistic:
        from rouge_score import rouge_scorer

        from harness.metrics.generation import sentence_lines

        scorer = rouge_scorer.RougeScorer([metric], use_stemmer=True)
        values = []
        for p, r in zip(predictions, references):
            p, r = str(p), str(r)
            if metric == "rougeLsum":
                p, r = sentence_lines(p), sentence_lines(r)
            values.append(scorer.score(r, p)[metric].fmeasure)
        return _mean_of(values)
    return build


RECIPES: dict[str, dict[str, Callable]] = {
    "classification": {m: _classification(m) for m in ("accuracy", "f1", "macro_f1", "precision", "recall", "mcc")},
    "regression": {"pearson": _pearson, "spearman": _spearman, "mse": _mse},
    "token_classification": {m: _ner(m) for m in ("f1", "precision", "recall", "accuracy")},
    "extractive_qa": {m: _squad(m) for m in ("f1", "exact_match")},
    "seq2seq": {**{m: _sacrebleu(m) for m in ("bleu", "chrf")},
                **{m: _rouge(m) for m in ("rouge1", "rouge2", "rougeL", "rougeLsum")}},
}
