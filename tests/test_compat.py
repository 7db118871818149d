"""The private APIs of other libraries that harness.compat wraps still exist in the installed versions (a failure
here names the library that changed), and each wrapper does its job."""
from __future__ import annotations

import pytest

from harness import compat


def test_accelerate_still_has_reset_state_and_the_reset_forgets_the_precision():
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    assert callable(getattr(AcceleratorState, "_reset_state", None)), "accelerate dropped AcceleratorState._reset_state"
    compat.reset_accelerate_state()
    Accelerator(cpu=True, mixed_precision="no")
    compat.reset_accelerate_state()
    Accelerator(cpu=True, mixed_precision="bf16")      # a second precision in one process needs the reset
    compat.reset_accelerate_state()


def test_transformers_still_records_the_attention_implementation(tmp_path):
    from transformers import BertConfig, BertModel

    model = BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                                 vocab_size=50))
    assert compat.attention_implementation(model) in ("sdpa", "eager"), "transformers moved _attn_implementation"
    assert compat.attention_implementation(object()) is None


def test_sacrebleu_still_exposes_segment_statistics():
    from sacrebleu.metrics import BLEU, CHRF

    for scorer in (BLEU(), CHRF()):
        stats = compat.sacrebleu_segment_statistics(scorer, ["the cat sat"], [["the cat sat down"]])
        sums = [sum(column) for column in zip(*stats)]
        assert compat.sacrebleu_score_from_statistics(scorer, sums) == pytest.approx(
            scorer.corpus_score(["the cat sat"], [["the cat sat down"]]).score)
