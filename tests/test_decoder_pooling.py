"""A decoder's classification head reads the last real token of each example, whatever the padding around it.

Training batches are padded on the right to the batch's longest example; a decoder-only model has no [CLS], so its
sequence-classification head pools one position per example, which must be the last token of the example, not a pad.
If it were not (a pad id the model does not know, a pad token that also occurs in the text, padding on the wrong
side), an example's logits would depend on the batch it lands in. So: the logits of a batch of mixed lengths equal
the logits of each example alone, for each architecture.
"""
from __future__ import annotations

import json
from contextlib import nullcontext

import pytest

from conftest import REPO

TASK = "sst2"
EXAMPLES = 12


def _context(model_name: str, batch_size: int):
    import torch
    from datasets import Dataset

    from harness.kinds.base import EvalContext
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model
    from harness.settings import Hyperparameters
    from harness.tasks.registry import Registry, load_kind

    card = Registry().card(TASK)
    kind = load_kind(card.kind)
    spec = resolve_model(model_name)
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec)
    torch.manual_seed(0)
    model = kind.build_model(card, spec, tokenizer).eval()
    lines = (REPO / "tasks" / "samples" / TASK / "test.jsonl").read_text(encoding="utf-8").splitlines()[:EXAMPLES]
    examples = [json.loads(line) for line in lines]
    rows = Dataset.from_dict({"text": [e["sentence"] for e in examples],
                              "label": [e["label"] for e in examples]})
    features = Dataset.from_dict(kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=64), "test")(rows[:]))
    return kind, EvalContext(model=model, tokenizer=tokenizer, spec=spec, card=card, features=features, rows=rows,
                             device=torch.device("cpu"), batch_size=batch_size, autocast=nullcontext, split="test")


@pytest.mark.parametrize("model_name", ["tiny-gpt2", "tiny-t5", "tiny-bert"])
def test_logits_of_a_mixed_length_batch_equal_each_example_alone(model_name, one_torch_thread):
    import torch

    kind, batched = _context(model_name, batch_size=EXAMPLES)
    assert len({len(ids) for ids in batched.features["input_ids"]}) > 3      # the batch really pads
    together = kind.logits(batched)
    batched.batch_size = 1
    alone = kind.logits(batched)
    assert (alone - alone[0]).abs().max() > 1e-4                  # outputs depend on the example
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-4)
