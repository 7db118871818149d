"""How long `harness report` takes on a results file of 10,000 records (target: under 5 s). A benchmark, not a test.

    python benchmarks/report_speed.py [--records 10000] [--models 100] [--repeat 3] [--keep DIR]

Synthesizes records with the real schema (100 models × 7 task kinds × seeds, ~1 % failed, decoder × QA
unsupported), then times the real CLI end to end (process start, imports, aggregation, all formats and plots) and,
separately, the in-process stages.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Write the synthetic run (and its report) here and keep it.")
    args = parser.parse_args()

    from harness.report.synthetic import sweep, write_run

    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-speed-"))
    records = sweep(args.records, args.models)
    write_run(folder, records, info={"tasks": sorted({r["task"] for r in records})})
    size = (folder / "results.jsonl").stat().st_size
    print(f"{len(records)} records ({size / 2**20:.1f} MiB) in {folder}")

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "MPLBACKEND": "Agg"}
    def timed(extra_env: dict) -> tuple[list[float], list[float]]:
        times, cpu = [], []
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "harness", "report", str(folder), "--out", str(folder / "report")],
                           check=True, env={**env, **extra_env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return times, cpu

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cores} cores, load average {os.getloadavg()[0]:.1f}")
    results = {}
    for label, extra in (("default", {}), ("plots in one process", {"HARNESS_PLOT_PROCESSES": "1"})):
        times, cpu = timed(extra)
        results[label] = min(times)
        print(f"harness report (CLI, all formats + plots, {label}): wall best {min(times):.2f} s, median "
              f"{sorted(times)[len(times) // 2]:.2f} s; CPU (all processes) best {min(cpu):.2f} s; "
              f"{len(times)} runs")
    times = [results["default"]]

    from harness.report.aggregate import build
    from harness.report.load import load_run

    t0 = time.perf_counter()
    run = load_run(folder)
    t1 = time.perf_counter()
    board = build(run)
    t2 = time.perf_counter()
    from harness.report import build_and_write
    build_and_write(folder, folder / "report-inproc", plots=False)
    t3 = time.perf_counter()
    from harness.report.painter import write_plots
    write_plots(board, folder / "report-inproc" / "plots")
    t4 = time.perf_counter()
    print(f"in process: load {t1 - t0:.2f} s, aggregate {t2 - t1:.2f} s, all text formats (load+aggregate+write) "
          f"{t3 - t2:.2f} s, plots {t4 - t3:.2f} s")
    print("PASS" if min(times) < 5 else "SLOW", "(target: under 5 s wall)")


if __name__ == "__main__":
    main()
