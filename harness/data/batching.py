"""Batching: dynamic padding to a multiple of 8, length-grouped training batches, length-sorted eval batches."""
from __future__ import annotations

import random
from typing import Iterable, Iterator, Sequence

PAD_MULTIPLE = 8          # tensor cores want multiples of 8; also bounds the number of distinct shapes
LABEL_PAD = -100          # ignored by every HF loss


def padded_length(n: int, multiple: int = PAD_MULTIPLE) -> int:
    return max(multiple, (n + multiple - 1) // multiple * multiple)


def collate_features(rows: Sequence[dict], pad_id: int, keep: Iterable[str] | None = None,
                     drop: Iterable[str] = (), pad_to: int | None = None,
                     separately_padded: Iterable[str] = ()) -> dict:
    """Stack feature rows into tensors, padding sequence columns to the batch's longest (a multiple of 8).

    Input-aligned columns share one width; `separately_padded` columns (decoder labels) get their own.
    Label columns pad with -100 so padded positions carry no loss. Lists of floats (multi-label targets, one value
    per label) are stacked as they are.
    """
    import torch

    keep = set(keep) if keep is not None else set(rows[0])
    columns = [c for c in rows[0] if c in keep and c not in set(drop)]
    separate = set(separately_padded)

    def width_of(cols) -> int:
        longest = max((len(r[c]) for r in rows for c in cols if isinstance(r[c], list)), default=0)
        return padded_length(longest)
    shared = pad_to or width_of([c for c in columns if c not in separate])
    batch = {}
    for column in columns:
        values = [r[column] for r in rows]
        if isinstance(values[0], list) and values[0] and isinstance(values[0][0], float):
            batch[column] = torch.tensor(values, dtype=torch.float32)      # multi-hot targets: one length, no padding
        elif isinstance(values[0], list):
            fill = LABEL_PAD if column.endswith("labels") else pad_id if column.endswith("input_ids") else 0
            width = width_of([column]) if column in separate else shared
            data = [v + [fill] * (width - len(v)) for v in values]
            batch[column] = torch.tensor(data, dtype=torch.long)
        elif isinstance(values[0], float):
            batch[column] = torch.tensor(values, dtype=torch.float32)
        else:
            batch[column] = torch.tensor(values, dtype=torch.long)
    return batch


def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int,
                           mega_factor: int = 50) -> list[list[int]]:
    """Shuffle, cut into mega-batches of `mega_factor` batches, sort each by length, split, shuffle the batches.

    Batches hold examples of similar length (little padding) while the order stays random per epoch/seed. The
    longest batch goes first so an out-of-memory failure shows up on the first step, not late in the epoch.
    """
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mega = batch_size * mega_factor
    batches = []
    for start in range(0, len(order), mega):
        chunk = sorted(order[start:start + mega], key=lambda i: -lengths[i])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    if not batches:
        return []
    longest = max(range(len(batches)), key=lambda b: lengths[batches[b][0]])
    first = batches.pop(longest)
    rng.shuffle(batches)
    return [first, *batches]


def sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Eval batches in descending length order: the least padding, the longest batch first."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]
