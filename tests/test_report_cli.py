"""End to end through the CLI: a tiny leaderboard run by the real command, then report, select and compare on its
results (in this process, through click's runner: the run is what needs a real process)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import run_cli

BOARD = """\
name: e2e
description: Two tiny models on a slice of the SST-2 sample, one seed.
models: [tiny-bert, tiny-gpt2]
tasks: [sst2]
seeds: [0]
data: sample
settings: {epochs: 1, lr: 3.0e-3, batch_size: 8, max_train_samples: 48, max_eval_samples: 48}
"""


@pytest.mark.slow
def test_leaderboard_run_report_select_compare(cli, tmp_path):
    board = tmp_path / "e2e.yaml"
    board.write_text(BOARD)
    run = tmp_path / "run"
    result = cli("run", "--leaderboard", str(board), "--output", str(run), "--latency-requests", "3",
                 "--no-report", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads((run / "run.json").read_text())
    assert info["leaderboard"]["name"] == "e2e"

    out = tmp_path / "report"
    result = run_cli("report", str(run), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tiny-bert" in result.stdout and "tiny-gpt2" in result.stdout and "sst2 (accuracy) †" in result.stdout
    for name in ("report.md", "report.html", "leaderboard.csv", "results.json", "leaderboard.tex",
                 "plots/score_vs_throughput.png", "plots/score_vs_memory.png", "plots/heatmap.png",
                 "plots/task_scores.png"):
        assert (out / name).is_file(), name
    md = (out / "report.md").read_text()
    assert md.startswith("# Leaderboard: e2e") and "Bundled sample data" in md
    frame = pd.read_csv(out / "leaderboard.csv")
    assert set(frame["entry"]) == {"tiny-bert", "tiny-gpt2"}
    # one seed: the interval comes from resampling the stored predictions of the real run
    assert set(frame["ci_method"]) == {"examples"}
    assert (frame["ci_low"] <= frame["mean"]).all() and (frame["mean"] <= frame["ci_high"]).all()

    chosen = run_cli("select", str(run), "--max-memory", "64GiB")
    assert chosen.returncode == 0, chosen.stderr
    assert "best score within 64GiB" in chosen.stdout
    same = run_cli("compare", str(run), str(run))
    assert same.returncode == 0 and "0 significant improvement(s), 0 significant regression(s)" in same.stdout
