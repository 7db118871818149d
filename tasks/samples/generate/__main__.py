"""The command line: write the samples (or only check them) and validate them against a fresh generation."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __doc__ as PACKAGE_DOC
from .check import CheckError, check_dir
from .common import SPLITS, task_rng
from .arc_easy import gen_arc_easy
from .cola import gen_cola
from .conll2003 import gen_conll
from .copa import gen_copa
from .mnli import gen_mnli
from .mrpc import gen_mrpc
from .piqa import gen_piqa
from .qnli import gen_qnli
from .qqp import gen_qqp
from .rte import gen_rte
from .squad import gen_squad
from .sst2 import gen_sst2
from .stsb import gen_stsb
from .swag import gen_swag
from .wmt16_en_ro import gen_wmt
from .wnli import gen_wnli
from .xsum import gen_xsum
from .clue import CLUE_GENERATORS
from .boolq import gen_boolq
from .cb import gen_cb
from .squad_v2 import gen_squad_v2

SAMPLES_DIR = Path(__file__).resolve().parents[1]
GENERATORS = {
    "sst2": gen_sst2,
    "mrpc": gen_mrpc,
    "stsb": gen_stsb,
    "conll2003": gen_conll,
    "squad": gen_squad,
    "wmt16_en_ro": gen_wmt,
    "xsum": gen_xsum,
    "copa": gen_copa,
    "piqa": gen_piqa,
    "arc_easy": gen_arc_easy,
    "swag": gen_swag,
    "cola": gen_cola,
    "qqp": gen_qqp,
    "mnli": gen_mnli,
    "qnli": gen_qnli,
    "rte": gen_rte,
    "wnli": gen_wnli,
    **CLUE_GENERATORS,
    "boolq": gen_boolq,
    "cb": gen_cb,
    "squad_v2": gen_squad_v2,
}


def render(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def generate_all() -> dict[str, dict[str, bytes]]:
    return {task: {split: render(rows) for split, rows in gen(task_rng(task)).items()}
            for task, gen in GENERATORS.items()}


def write_all(root: Path, files: dict[str, dict[str, bytes]]) -> None:
    for task, splits in files.items():
        d = root / task
        d.mkdir(parents=True, exist_ok=True)
        for split, data in splits.items():
            (d / f"{split}.jsonl").write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tasks.samples.generate", description=PACKAGE_DOC.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="validate the files on disk (schema, sizes, determinism) without writing")
    ap.add_argument("--out", type=Path, default=SAMPLES_DIR, help="output folder (default: tasks/samples)")
    args = ap.parse_args(argv)

    files = generate_all()
    if not args.check:
        write_all(args.out, files)
    try:
        total = check_dir(args.out, expected=files)
    except CheckError as e:
        print(f"check failed: {e}", file=sys.stderr)
        return 1
    for task in GENERATORS:
        sizes = ", ".join(f"{s}={len(files[task][s])}B" for s in SPLITS)
        print(f"{task:12s} {sizes}")
    print(f"{'wrote' if not args.check else 'checked'} {args.out} ({total} bytes in all): OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
