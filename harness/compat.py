"""Every private API of another library the harness relies on, in one place, each with a fallback.

These are the spots a library release can break without notice; tests/test_compat.py calls each one against the
installed versions and fails loudly (naming the library) when one has gone, while the fallback keeps users running.
"""
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def reset_accelerate_state() -> None:
    """Forget Accelerate's process-wide state, so the next job in a long-lived worker can choose its own precision
    and device (`AcceleratorState._reset_state`, private)."""
    from accelerate.state import AcceleratorState, PartialState

    reset = getattr(AcceleratorState, "_reset_state", None)
    if reset is not None:
        reset(reset_partial_state=True)
        return
    for state in (AcceleratorState, PartialState):       # what _reset_state does: drop the shared (Borg) state
        shared = getattr(state, "_shared_state", None)
        if isinstance(shared, dict):
            shared.clear()


def attention_implementation(model) -> str | None:
    """The attention implementation a loaded model runs (sdpa, eager, ...): transformers keeps it in the private
    `config._attn_implementation`; None when that is gone."""
    return getattr(getattr(model, "config", None), "_attn_implementation", None)


def sacrebleu_segment_statistics(scorer, hypotheses: list[str], reference_streams: list[list[str]]) -> list[list]:
    """sacreBLEU's sufficient statistics per segment (`_extract_corpus_statistics`, private); None-safe callers
    treat a missing method as 'cannot resample'."""
    extract = getattr(scorer, "_extract_corpus_statistics", None)
    if extract is None:
        from harness.metrics.spec import CannotRecompute

        raise CannotRecompute("this sacreBLEU release no longer exposes per-segment statistics")
    return extract(hypotheses, reference_streams)


def sacrebleu_score_from_statistics(scorer, sums: list[int]) -> float:
    """A corpus score from summed segment statistics (`_compute_score_from_stats`, private)."""
    compute = getattr(scorer, "_compute_score_from_stats", None)
    if compute is None:
        from harness.metrics.spec import CannotRecompute

        raise CannotRecompute("this sacreBLEU release no longer computes scores from statistics")
    return float(compute(sums).score)
