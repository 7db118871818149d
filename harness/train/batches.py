"""Where training batches come from, one epoch at a time.

- `HostBatches`: collated on the host from Python lists (dynamic padding to a multiple of 8, length-grouped),
  pinned and copied without blocking. Works everywhere.
- `StaticBatches`: the whole training set padded once into a few length buckets and kept on the device; a batch is
  a gather by index. Every batch of a bucket has the same shape (partial batches are filled up, the filler rows'
  labels set to the loss's ignore value), which is what CUDA graphs need: each bucket compiles once. Float labels
  (regression, multi-label) have no ignore value: there the few filler rows of a bucket's last batch count once more.

Both yield `Batch(tensors, examples, tokens, shape, weight)`: `examples` and `tokens` count the real rows and real
(non-pad) tokens the whole step trains on (all ranks together; tokens as `harness.train.tokens` counts them:
input plus decoder tokens), known on the host without a device sync; `weight` scales this rank's loss (1.0 in a
single process).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator, Sequence

from harness.data.batching import LABEL_PAD, collate_features, length_grouped_batches, padded_length
from harness.train.tokens import example_tokens, sum_tokens

# Bucket widths (tokens). Few buckets = few graphs to compile; powers of two keep padding waste under 50 %.
BUCKETS = (16, 32, 64, 128, 256, 512, 1024, 2048)
# Columns holding class indices whose filler rows must not count in the loss, and the value that ignores them.
QA_POSITION_COLUMNS = ("start_positions", "end_positions")


@dataclass
class Batch:
    tensors: dict
    examples: int           # real rows of the whole step, all ranks together
    tokens: int             # real (non-pad) tokens of the whole step
    shape: tuple
    weight: float = 1.0     # factor on this rank's loss: its share of the step's rows times the ranks (0: stand-in)
    decoder_tokens: int = 0  # of `tokens`, an encoder-decoder's decoder tokens


class HostBatches:
    """Host-collated batches. With several processes, a global step is `world` batches, one per rank; every rank
    plans the same epoch (same seed) and takes its own share, so all ranks run the same number of steps."""

    def __init__(self, data: dict[str, list], pad_id: int, batch_size: int, device, separately_padded=(),
                 rank: int = 0, world: int = 1):
        self.data, self.pad_id, self.batch_size, self.device = data, pad_id, batch_size, device
        self.separately_padded, self.rank, self.world = tuple(separately_padded), rank, world
        self.columns = list(data)
        self.lengths = [len(ids) for ids in data["input_ids"]]
        self.tokens = example_tokens(data, self.separately_padded)
        self.pin = getattr(device, "type", str(device)) == "cuda"

    def __len__(self) -> int:
        """Global micro-batches per epoch (all ranks together)."""
        return -(-len(self.lengths) // self.batch_size)

    def epoch(self, seed: int, limit: int | None = None) -> Iterator[Batch]:
        """This rank's part of each global step over the epoch's first `limit` batches. A last step with fewer
        batches than ranks deals its rows out round-robin (rank 0 first); a rank left without a row trains on a
        stand-in row at loss weight 0, so its collectives stay in lockstep with the others'."""
        batches = length_grouped_batches(self.lengths, self.batch_size, seed=seed)[:limit]
        for start in range(0, len(batches), self.world):
            group = batches[start:start + self.world]
            if len(group) < self.world:
                rows = [i for batch in group for i in batch]
                group = [rows[r::self.world] for r in range(self.world)]
            yield self._rank_batch(group)

    def _rank_batch(self, shares: list[list[int]]) -> Batch:
        rows = sum(len(share) for share in shares)
        mine = shares[self.rank]
        # DDP averages the ranks' gradients: weighting each rank's mean loss by its share of the step's rows makes
        # that average the mean over the step's rows, however unevenly they were split.
        weight = self.world * len(mine) / rows
        indices = mine or shares[0][:1]          # the stand-in row: its loss counts 0
        features = [{c: self.data[c][i] for c in self.columns} for i in indices]
        tensors = collate_features(features, self.pad_id, separately_padded=self.separately_padded)
        if self.pin:
            tensors = {k: v.pin_memory() for k, v in tensors.items()}
        tensors = {k: v.to(self.device, non_blocking=True) for k, v in tensors.items()}
        tokens, decoder = sum_tokens([self.tokens[i] for share in shares for i in share])
        return Batch(tensors, rows, tokens, tuple(tensors["input_ids"].shape), weight, decoder)


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
        self.tokens = example_tokens(data, separately_padded)
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
            tokens, decoder = sum_tokens([self.tokens[bucket["indices"][p]] for p in chunk[:real]])
            yield Batch(tensors, real, tokens, (width,), decoder_tokens=decoder)


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
