"""The real tokens a model processes, counted the same way for every architecture: the input positions its attention
mask keeps, plus, for an encoder-decoder, the decoder positions (its separately padded label columns) that are not
padding. Throughput (tokens/s) and FLOPs both rest on this count."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from harness.data.batching import LABEL_PAD


@dataclass(frozen=True)
class TokenCount:
    encoder: int = 0        # input tokens: an encoder's source, a decoder-only model's prompt and target
    decoder: int = 0        # an encoder-decoder's decoder (target) tokens

    @property
    def total(self) -> int:
        return self.encoder + self.decoder


def count_tokens(batch: dict, separately_padded: Iterable[str] = ()) -> TokenCount:
    """The tokens of `batch`: a collated batch (tensors) or feature columns of unpadded rows (lists)."""
    mask = batch.get("attention_mask")
    encoder = _kept(mask, 0) if mask is not None else _positions(batch["input_ids"])
    decoder = sum(_kept(batch[column], LABEL_PAD) for column in separately_padded if column in batch)
    return TokenCount(encoder, decoder)


def example_tokens(data: dict[str, list], separately_padded: Iterable[str] = ()) -> list[TokenCount]:
    """`count_tokens` of every example of `data` (unpadded feature columns), for batch sources to add up."""
    masks = data.get("attention_mask")
    encoder = [len(m) - m.count(0) for m in masks] if masks is not None else [len(ids) for ids in data["input_ids"]]
    decoder = [0] * len(encoder)
    for column in (c for c in separately_padded if c in data):
        decoder = [d + len(row) - row.count(LABEL_PAD) for d, row in zip(decoder, data[column])]
    return [TokenCount(e, d) for e, d in zip(encoder, decoder)]


def sum_tokens(counts: Iterable[TokenCount]) -> tuple[int, int]:
    """(all tokens, decoder tokens) of some examples."""
    counts = list(counts)
    return sum(c.total for c in counts), sum(c.decoder for c in counts)


def _kept(rows, padding: int) -> int:
    if hasattr(rows, "ne"):                 # a tensor
        return int(rows.ne(padding).sum())
    return sum(len(row) - row.count(padding) for row in rows)


def _positions(rows) -> int:
    return rows.numel() if hasattr(rows, "numel") else sum(len(row) for row in rows)
