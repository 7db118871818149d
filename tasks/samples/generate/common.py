"""What every generator shares: sizes, one seeded random.Random per task, the word lists (JSON files beside this
module), template helpers, drawing unique rows split by split, and made-up people and names."""
from __future__ import annotations

import hashlib
import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Callable

WORDS_DIR = Path(__file__).resolve().parent / "words"

SEED = 20240611
SIZES = {"train": 320, "validation": 64, "test": 96}
XSUM_SIZES = {"train": 160, "validation": 32, "test": 48}
SPLITS = ("train", "validation", "test")


def task_rng(task: str) -> random.Random:
    """One independent, reproducible generator per task."""
    digest = hashlib.sha256(f"{SEED}:{task}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


_ALT = re.compile(r"\[([^\[\]]*)\]")


def alt(rng: random.Random, text: str) -> str:
    """Resolve '[a|b|c]' choices in a template string."""
    return _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), text)


def draw_splits(
    rng: random.Random,
    sizes: dict[str, int],
    make: Callable[[random.Random, int, str], dict],
    key: Callable[[dict], object],
) -> dict[str, list[dict]]:
    """Draw rows split by split from one generator; no row key occurs twice overall.

    `make(rng, i, split)` builds row i of a split (i lets callers balance labels).
    Each split is shuffled afterwards so balanced labels are not in a fixed pattern.
    """
    seen: set = set()
    out: dict[str, list[dict]] = {}
    for split in SPLITS:
        rows = []
        for i in range(sizes[split]):
            for _attempt in range(5000):
                row = make(rng, i, split)
                k = key(row)
                if k not in seen:
                    seen.add(k)
                    rows.append(row)
                    break
            else:  # pragma: no cover - only hit if a generator is too small
                raise RuntimeError(f"could not draw a new unique row ({split} #{i})")
        rng.shuffle(rows)
        out[split] = rows
    return out


def number_idx(splits: dict[str, list[dict]], field: str = "idx", as_str: bool = False) -> None:
    for rows in splits.values():
        for i, row in enumerate(rows):
            row[field] = str(i) if as_str else i


@cache
def load_words(name: str) -> dict:
    """The word lists of words/NAME.json (each list or table under the name its generator uses)."""
    return json.loads((WORDS_DIR / f"{name}.json").read_text(encoding="utf-8"))


# Word lists and helpers more than one generator draws from.
SHARED = load_words("shared")
FIRST_NAMES = SHARED["FIRST_NAMES"]
LAST_NAMES = SHARED["LAST_NAMES"]
DAYS = SHARED["DAYS"]
SYLL = SHARED["SYLL"]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def made_up_name(rng: random.Random, n: int | None = None) -> str:
    n = n or rng.choice([2, 2, 3])
    return cap("".join(rng.choice(SYLL) for _ in range(n)))
