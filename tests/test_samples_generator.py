"""The bundled samples cannot drift from their generator: `python -m tasks.samples.generate --check` validates the
committed files and requires them to equal a fresh generation byte for byte."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SAMPLES = REPO / "tasks" / "samples"
TASKS = ("sst2", "mrpc", "stsb", "conll2003", "squad", "wmt16_en_ro", "xsum")


def _check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tasks.samples.generate", "--check", "--out", str(folder)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_the_committed_samples_are_what_the_generator_writes():
    result = _check(SAMPLES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("OK")


def test_an_edited_sample_fails_the_check(tmp_path):
    for task in TASKS:
        shutil.copytree(SAMPLES / task, tmp_path / task)
    path = tmp_path / "sst2" / "test.jsonl"
    path.write_text(path.read_text().replace("positive", "good", 1).replace('"label": 1', '"label": 0', 1))
    result = _check(tmp_path)
    assert result.returncode == 1
    assert "differs from a fresh generation" in result.stderr
