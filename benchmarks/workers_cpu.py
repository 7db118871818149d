"""Wall time of a CPU sweep with 1 worker process and with 2, in one run (a benchmark, not a test).

    python benchmarks/workers_cpu.py                      # 3 tiny models x all tasks x 3 seeds, bundled samples
    python benchmarks/workers_cpu.py --seeds 0 --tasks sst2,stsb

A warm-up sweep (not timed, first seed only) first builds the tiny models and fills the data and tokenization
caches, so both timed sweeps start from the same warm caches. The load average is printed with each timing: on a
shared machine other processes take cores from the second worker. Each timed sweep writes to a fresh output
directory (nothing is resumed).
With N workers each worker gets cores/N torch threads. Prints both wall times and the speed-up.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def sweep(out: Path, workers: int, args, seeds: str | None = None) -> tuple[float, list[dict]]:
    import harness

    start = time.perf_counter()
    results = harness.run(models=args.models, tasks=args.tasks, seeds=seeds or args.seeds, data=["sample"],
                          output=out,
                          epochs=1.0, lr=3e-3, batch_size=8, max_train_samples=args.max_train_samples,
                          max_eval_samples=args.max_eval_samples, latency_requests=args.latency_requests,
                          device="cpu", workers=workers, write_report=False, quiet=True,
                          progress=lambda line: None)
    return time.perf_counter() - start, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny-bert,tiny-gpt2,tiny-t5")
    parser.add_argument("--tasks", default="all")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--max-train-samples", type=int, default=None)
    parser.add_argument("--max-eval-samples", type=int, default=None)
    parser.add_argument("--latency-requests", type=int, default=10)
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up sweep")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        root = Path(tmp)
        if not args.no_warmup:
            seconds, results = sweep(root / "warmup", 2, args, seeds=args.seeds.split(",")[0])
            print(f"warm-up: {len(results)} jobs in {seconds:.1f} s (not counted)", flush=True)
        timings = {}
        for workers in (1, 2):
            seconds, results = sweep(root / f"workers{workers}", workers, args)
            statuses = {s: sum(r["status"] == s for r in results) for s in ("ok", "unsupported", "failed")}
            timings[workers] = seconds
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"{workers} worker(s): {len(results)} jobs in {seconds:.1f} s  {statuses}  (load average after: "
                  f"{load})", flush=True)
    print(f"speed-up with 2 workers: {timings[1] / timings[2]:.2f}x  (cores: {os.cpu_count()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
