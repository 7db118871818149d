"""Similarity without training for encoders: the cosine of two sentences' mean-pooled embeddings, as
sentence-embedding benchmarks (SentEval, MTEB) score STS. Each sentence is encoded on its own; its last hidden states
are averaged over its real tokens (weighted by the attention mask, special tokens included, as sentence-transformers
pools); the prediction is the cosine of the two means.

A cosine lies in [-1, 1], gold scores on the task's scale, so the predictions are the cosines mapped linearly onto
that scale (the training scores' range rounded outward to whole numbers, recorded: [-1, 1] -> [0, 5] on STS-B).
Pearson and Spearman are the same for the cosine and its map; Spearman, on ranks, is the figure STS benchmarks report
for cosines (nothing makes the relation linear); MSE means only what the map makes of it. Demonstrations have no
place in a cosine: `icl:K` is unsupported here.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from harness.errors import Unsupported
from harness.kinds.base import EvalContext
from harness.models.loading import load_pretrained

METHOD = "cosine of attention-mask-weighted mean-pooled last hidden states"


def embedding_model(spec):
    """The pretrained encoder without any head (nothing new, nothing random)."""
    from transformers import AutoModel

    return load_pretrained(AutoModel, spec)


def predict(ctx: EvalContext, prompting) -> tuple[list[float], dict[str, Any]]:
    """Each pair's cosine on the training scores' scale, and the record's `prompting` section."""
    if prompting.shots:
        raise Unsupported("an encoder's cosine of embeddings takes no demonstrations: few-shot (icl:K) has nothing "
                          "to show it; use tuning none")
    low, high = score_range(ctx.train_rows)
    similarities = cosines(ctx, list(ctx.rows["text"]), list(ctx.rows["text_pair"]))
    predictions = [round(low + (c + 1) / 2 * (high - low), 5) for c in similarities]
    return predictions, {"method": METHOD, "scale": [low, high]}


def request(ctx: EvalContext, prompting, index: int) -> Callable[[], Any]:
    """One latency request: the cosine of one pair."""
    row = ctx.rows[index % len(ctx.rows)]
    return lambda: cosines(ctx, [row["text"]], [row["text_pair"]])


def score_range(train_rows) -> tuple[float, float]:
    """The task's scale: the lowest and highest training score, rounded outward to whole numbers (STS-B: 0 to 5)."""
    scores = [float(s) for s in train_rows["label"]] if train_rows is not None and len(train_rows) else []
    low, high = (math.floor(min(scores)), math.ceil(max(scores))) if scores else (0, 1)
    return float(low), float(high if high > low else low + 1)


def cosines(ctx: EvalContext, texts: list[str], pairs: list[str]) -> list[float]:
    import torch

    first, second = embeddings(ctx, texts), embeddings(ctx, pairs)
    return torch.nn.functional.cosine_similarity(first, second, dim=-1).tolist()


def embeddings(ctx: EvalContext, texts: list[str]):
    """The mean-pooled last hidden states of each text (float32, on the CPU), in the order given."""
    import torch

    from harness.data.batching import collate_features, sorted_batches
    from harness.kinds.seq2seq import _position_limit, _position_limit_of

    limit = min(_position_limit(ctx.tokenizer), _position_limit_of(ctx.model))
    encoded = ctx.tokenizer(texts, truncation=True, max_length=limit)
    columns = [c for c in ("input_ids", "attention_mask", "token_type_ids") if c in encoded]
    out: list[Any] = [None] * len(texts)
    ctx.model.eval()
    with torch.inference_mode(), ctx.autocast():
        for indices in sorted_batches([len(ids) for ids in encoded["input_ids"]], ctx.batch_size):
            batch = collate_features([{c: encoded[c][i] for c in columns} for i in indices], ctx.tokenizer.pad_token_id)
            batch = {k: v.to(ctx.device) for k, v in batch.items()}
            hidden = ctx.model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            for row, index in enumerate(indices):
                out[index] = pooled[row].cpu()
    return torch.stack(out)
