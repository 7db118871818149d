"""Batched generation gives what generate() gives one example at a time.

The seq2seq kind generates in batches sorted by source length, padded (decoders on the left, so every prompt ends
where generation starts) and with the KV cache on. None of that may change an output: for each architecture (a
decoder, an encoder-decoder, a warm-started bert2bert) and for greedy and beam search, the kind's batched evaluation
must produce, token for token, the text of `model.generate()` called on each example alone, unpadded.
"""
from __future__ import annotations

import json

import pytest

from conftest import REPO

TASK = "wmt16_en_ro"
EXAMPLES = 12              # sources of different lengths, so batches pad
NEW_TOKENS = 12


def _rows():
    from datasets import Dataset

    lines = (REPO / "tasks" / "samples" / TASK / "test.jsonl").read_text(encoding="utf-8").splitlines()[:EXAMPLES]
    pairs = [json.loads(line)["translation"] for line in lines]
    return Dataset.from_dict({"source": [p["en"] for p in pairs], "target": [p["ro"] for p in pairs]})


def _context(model_name: str, batch_size: int, num_beams: int):
    import torch
    from contextlib import nullcontext

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
    with torch.no_grad():      # random weights far from their small initialisation, so outputs depend on the input
        for parameter in model.parameters():
            if parameter.dim() > 1:        # matrices and embeddings; norms keep their unit scale
                parameter.normal_(0.0, 0.3)
    rows = _rows()
    features = kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=64), "test")(rows[:])
    options = {"max_new_tokens": NEW_TOKENS, "num_beams": num_beams}
    return kind, EvalContext(model=model, tokenizer=tokenizer, spec=spec, card=card, features=features, rows=rows,
                             device=torch.device("cpu"), batch_size=batch_size, autocast=nullcontext,
                             options=options, split="test", train_rows=rows)


def _one_at_a_time(kind, ctx) -> list[str]:
    """The reference: plain generate() on each example alone (no padding, no batch), decoded as the kind decodes."""
    import copy

    import torch

    from harness.kinds.seq2seq import generate_arguments

    config = copy.deepcopy(ctx.model.generation_config)
    config.update(**generate_arguments(kind.generation_settings(ctx.card, ctx.options)))
    if config.no_repeat_ngram_size == 0:
        config.no_repeat_ngram_size = None
    decoder = kind._text_decoder(ctx)
    texts = []
    for ids in ctx.features["input_ids"]:
        with torch.inference_mode():
            output = ctx.model.generate(input_ids=torch.tensor([ids]), generation_config=config)
        texts.append(decoder.batch_decode(output[:, len(ids):] if ctx.spec.architecture == "decoder" else output)[0])
    return texts


@pytest.mark.parametrize("num_beams", [1, 3], ids=["greedy", "beam3"])
@pytest.mark.parametrize("model_name", ["tiny-gpt2", "tiny-t5", "tiny-bert"])
def test_batched_generation_equals_generate_on_one_example_at_a_time(model_name, num_beams, one_torch_thread):
    kind, ctx = _context(model_name, batch_size=5, num_beams=num_beams)
    lengths = {len(ids) for ids in ctx.features["input_ids"]}
    assert len(lengths) > 3                        # the batches really pad
    batched = kind.evaluate(ctx).predictions
    alone = _one_at_a_time(kind, ctx)
    assert len({text for text in alone}) > 1       # the model's outputs depend on the input: a comparison that can fail
    assert batched == alone
