"""A two-level bootstrap over seeds and evaluation examples, shared by every entry of a task.

For each task, one set of B resamples is drawn and used for every entry:
- examples: each resample is a vector of example counts (a multinomial draw of n out of n), shared by every entry
  evaluated on the same test examples (same references), so differences between entries are paired on examples;
- seeds: each resample also draws seed positions with replacement; entries that ran the same seeds draw the same
  positions, so differences are paired on seeds too.

An entry's value in one resample is the mean, over its drawn seeds, of its metric recomputed (from the metric spec's
per-example statistics, harness.metrics.spec) on the drawn examples. Its 95 % interval is the percentile interval of
those values: it combines seed-to-seed and example-to-example variation and cannot leave the metric's range. The
same resamples give paired differences, p-values and the probability that each entry is the best
(harness.report.significance).

A recomputation is trusted only if it reproduces every stored score on the full set; otherwise, or without stored
predictions, a cell with two or more seeds is resampled over seeds only, and a single-seed cell gets no interval
(the reason is kept).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from harness.metrics.spec import CannotRecompute, MetricSpec
from harness.report.stats import CONFIDENCE, percentile_interval

RESAMPLES = 1000

EXAMPLES_AND_SEEDS = "seeds × examples"
EXAMPLES = "examples"
SEEDS = "seeds"


@dataclass
class Run:
    """One finished job of a cell: its seed, id and stored score."""
    seed: int
    job: str
    score: float


@dataclass
class CellDraws:
    """An entry × task cell's resampled values and how they were obtained."""
    values: np.ndarray | None             # (B,) the cell's mean score in each resample; None: no interval
    method: str | None                    # EXAMPLES_AND_SEEDS, EXAMPLES, SEEDS or None
    note: str | None = None               # why the examples could not be resampled
    group: str | None = None              # which test examples (fingerprint of the references)
    seeds: tuple[int, ...] = ()
    # per seed: (predictions, references) as stored, for exact tests that need them (McNemar)
    stored: dict[int, tuple[list, list]] = field(default_factory=dict)

    def interval(self, spec: MetricSpec, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
        if self.values is None:
            return None
        low, high = percentile_interval(self.values, confidence)
        low, high = spec.clip([low, high])
        return float(low), float(high)


def task_seed(task: str) -> int:
    """A fixed resampling seed per task, so the same run always gives the same intervals."""
    return int(hashlib.sha256(str(task).encode()).hexdigest()[:8], 16)


class TaskResampler:
    """Draws the shared resamples of one task and turns each cell's stored predictions into resampled values."""

    def __init__(self, task: str, spec: MetricSpec, load: Callable[[str], dict | None] | None,
                 resamples: int = RESAMPLES, max_seeds: int = 1):
        self.task, self.spec, self.load, self.resamples = task, spec, load, resamples
        self._seed = task_seed(task)
        rng = np.random.default_rng(self._seed)
        self.seed_draws = rng.random((resamples, max(1, max_seeds)))       # uniform; scaled per seed count
        self._example_draws: dict[tuple[str, int], np.ndarray] = {}

    def counts(self, group: str, n: int) -> np.ndarray:
        """The (B × n) example counts shared by every cell evaluated on these test examples."""
        key = (group, n)
        if key not in self._example_draws:
            rng = np.random.default_rng([self._seed, int(group[:8], 16), n])
            self._example_draws[key] = rng.multinomial(n, np.full(n, 1.0 / n), size=self.resamples).astype(float)
        return self._example_draws[key]

    def seed_positions(self, seeds: int) -> np.ndarray:
        """(B × seeds) positions drawn with replacement from 0..seeds-1; equal for cells with as many seeds."""
        if seeds > self.seed_draws.shape[1]:
            extra = np.random.default_rng([self._seed, seeds]).random((self.resamples, seeds))
            return np.floor(extra * seeds).astype(int)
        return np.floor(self.seed_draws[:, :seeds] * seeds).astype(int)

    def cell(self, runs: Sequence[Run]) -> CellDraws:
        runs = sorted(runs, key=lambda r: r.seed)
        seeds = tuple(r.seed for r in runs)
        if not runs:
            return CellDraws(None, None, "no finished seed", seeds=seeds)
        try:
            per_seed, group, stored = self._example_values(runs)
        except CannotRecompute as exc:
            note = str(exc)
            if len(runs) < 2:
                return CellDraws(None, None, note, seeds=seeds)
            scores = np.asarray([r.score for r in runs], dtype=float)
            values = scores[self.seed_positions(len(runs))].mean(axis=1)
            return CellDraws(values, SEEDS, note, seeds=seeds)
        positions = self.seed_positions(len(runs))                        # (B × S)
        values = per_seed[positions, np.arange(self.resamples)[:, None]].mean(axis=1)
        return CellDraws(values, EXAMPLES_AND_SEEDS if len(runs) > 1 else EXAMPLES, group=group, seeds=seeds,
                         stored=stored)

    def _example_values(self, runs: Sequence[Run]) -> tuple[np.ndarray, str, dict]:
        """(S × B) metric values of every seed on the shared example resamples."""
        if self.load is None:
            raise CannotRecompute("resampling skipped")
        if not self.spec.resamplable:
            raise CannotRecompute(f"{self.spec.name!r} declares no per-example statistics to resample")
        rows, group, stored = [], None, {}
        for run in runs:
            data = self.load(run.job)
            if data is None:
                raise CannotRecompute("no stored predictions to resample")
            predictions, references = data.get("predictions"), data.get("references")
            stats = self.spec.example_statistics(predictions, references, data.get("context") or {})
            full = self.spec.corpus(stats)
            if run.score is not None and not math.isclose(full, run.score, rel_tol=1e-4, abs_tol=1e-6):
                raise CannotRecompute(f"recomputing {self.spec.name} from the stored predictions gives {full:.6g}, "
                                      f"not the recorded {run.score:.6g}")
            fingerprint = references_fingerprint(references)
            if group is not None and fingerprint != group:
                raise CannotRecompute("the seeds were evaluated on different test examples")
            group = fingerprint
            rows.append(self.spec.resample(stats, self.counts(group, len(stats))))
            stored[run.seed] = (predictions, references)
        return np.vstack(rows), group, stored


def references_fingerprint(references: list) -> str:
    return hashlib.sha256(json.dumps(references, sort_keys=True, default=str).encode()).hexdigest()[:16]
