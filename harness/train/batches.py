"""Where training batches come from, one epoch at a time.

- `HostBatches`: collated on the host from Python lists (dynamic padding to a multiple of 8, length-grouped),
  pinned and copied without blocking. Works everywhere.
- `StaticBatches`: the whole training set padded once into a few length buckets and kept on the device; a batch is
  a gather by index. Every batch of a bucket has the same shape (partial batches are filled up, the filler rows'
  labels set to the loss's ignore value), which is what CUDA graphs need: each bucket compiles once. Float labels
  (regression) have no ignore value: there the few filler rows of a bucket's last batch count once more.

Both yield `Batch(tensors, examples, tokens, shape)`: `examples` and `tokens` count real rows and real (non-pad)
tokens, known on the host without a device sync.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator, Sequence

from harness.data.batching import LABEL_PAD, collate_features, length_grouped_batches, padded_length

# Bucket widths (tokens). Few buckets = few graphs to compile; powers of two keep padding waste under 50 %.
BUCKETS = (16, 32, 64, 128, 256, 512, 1024, 2048)
# Columns holding class indices whose filler rows must not count in the loss, and the value that ignores them.
QA_POSITION_COLUMNS = ("start_positions", "end_positions")


@dataclass
class Batch:
    tensors: dict
    examples: int
    tokens: int
    shape: tuple


class HostBatches:
    def __init__(self, data: dict[str, list], pad_id: int, batch_size: int, device, separately_padded=(),
                 rank: int = 0, world: int = 1):
        self.data, self.pad_id, self.batch_size, self.device = data, pad_id, batch_size, device
        self.separately_padded, self.rank, self.world = tuple(separately_padded), rank, world
        self.columns = list(data)
        self.lengths = [len(ids) for ids in data["input_ids"]]
        self.pin = getattr(device, "type", str(device)) == "cuda"

    def __len__(self) -> int:
        """Global micro-batches per epoch. With several processes every rank must run the same number of steps
        (DDP waits for all), so the last few batches that do not divide evenly are left out of the epoch."""
        batches = -(-len(self.lengths) // self.batch_size)
        return batches - batches % self.world if batches >= self.world else batches

    def epoch(self, seed: int, limit: int | None = None) -> Iterator[Batch]:
        order = length_grouped_batches(self.lengths, self.batch_size, seed=seed)[:len(self)]
        order = order[:limit]
        order = order[: len(order) - len(order) % self.world][self.rank::self.world]
        for indices in order:
            rows = [{c: self.data[c][i] for c in self.columns} for i in indices]
            tensors = collate_features(rows, self.pad_id, separately_padded=self.separately_padded)
            if self.pin:
                tensors = {k: v.pin_memory() for k, v in tensors.items()}
            tensors = {k: v.to(self.device, non_blocking=True) for k, v in tensors.items()}
            yield Batch(tensors, len(indices) * self.world, sum(self.lengths[i] for i in indices) * self.world,
                        tuple(tensors["input_ids"].shape))


def bucket_width(length: int, max_width: int) -> int:
    for width in BUCKETS:
        if length <= width:
            return min(width, max_width)
    return max_width


class StaticBatches:
    def __init__(self, data: dict[str, list], pad_id: int, batch_size: int, device, separately_padded=()):
        import torch

        self.batch_size, self.device = batch_size, device
        self.lengths = [len(ids) for ids in data["input_ids"]]
        max_width = padded_length(max(self.lengths))
        groups: dict[int, list[int]] = {}
        for i, length in enumerate(self.lengths):
            groups.setdefault(bucket_width(length, max_width), []).append(i)
        # Decoder labels (seq2seq) get one width for the whole set: their lengths vary independently.
        label_widths = {c: padded_length(max(len(v) for v in data[c])) for c in separately_padded}
        self.buckets: dict[int, dict] = {}
        for width, indices in sorted(groups.items()):
            rows = [{c: data[c][i] for c in data} for i in indices]
            tensors = collate_features(rows, pad_id, pad_to=width, separately_padded=separately_padded)
            for column, w in label_widths.items():
                tensors[column] = _pad_right(tensors[column], w, LABEL_PAD)
            self.buckets[width] = {"indices": indices, "tensors": {k: v.to(device) for k, v in tensors.items()}}
        self._ignore = {}
        for column, tensor in next(iter(self.buckets.values()))["tensors"].items():
            if column in QA_POSITION_COLUMNS:
                self._ignore[column] = "width"          # HF QA losses ignore positions == sequence length
            elif column.endswith("labels") and not tensor.is_floating_point():
                self._ignore[column] = LABEL_PAD
        self._torch = torch

    def __len__(self) -> int:
        return sum(-(-len(b["indices"]) // self.batch_size) for b in self.buckets.values())

    def epoch(self, seed: int, limit: int | None = None) -> Iterator[Batch]:
        torch, rng = self._torch, random.Random(seed)
        plan: list[tuple[int, list[int], int]] = []
        for width, bucket in self.buckets.items():
            positions = list(range(len(bucket["indices"])))
            rng.shuffle(positions)
            for start in range(0, len(positions), self.batch_size):
                chunk = positions[start:start + self.batch_size]
                real = len(chunk)
                if real < self.batch_size:
                    # Fill up to the fixed shape with other rows of this bucket; their labels are ignored below.
                    chunk = chunk + [rng.choice(positions) for _ in range(self.batch_size - real)]
                plan.append((width, chunk, real))
        rng.shuffle(plan)
        for width, chunk, real in plan[:limit]:
            bucket = self.buckets[width]
            index = torch.tensor(chunk, dtype=torch.long).to(self.device, non_blocking=True)
            tensors = {k: v.index_select(0, index) for k, v in bucket["tensors"].items()}
            if real < self.batch_size:
                for column, ignore in self._ignore.items():
                    tensors[column][real:] = width if ignore == "width" else ignore
            tokens = sum(self.lengths[bucket["indices"][p]] for p in chunk[:real])
            yield Batch(tensors, real, tokens, (width,))


def _pad_right(tensor, width: int, value: int):
    import torch

    if tensor.shape[-1] >= width:
        return tensor
    pad = torch.full((*tensor.shape[:-1], width - tensor.shape[-1]), value, dtype=tensor.dtype)
    return torch.cat([tensor, pad], dim=-1)


def static_fits(lengths: Sequence[int], batch_size: int, max_elements: int = 400_000_000) -> bool:
    """Whether the padded training set is small enough to keep on the device (int64 ids + masks)."""
    max_width = padded_length(max(lengths))
    return sum(bucket_width(n, max_width) for n in lengths) * 3 <= max_elements
