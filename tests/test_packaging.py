"""The built wheel (not an editable install) carries every subpackage, the task cards, samples and leaderboards."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_lists_its_bundled_cards(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(REPO),
                            "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("harness-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {str(p.parent.relative_to(REPO)) for p in (REPO / "harness").rglob("*.py")}
    for package in packages:
        assert f"{package}/__init__.py" in names, f"{package} is missing from the wheel"
    for card in (REPO / "tasks").glob("*.yaml"):
        assert f"harness/cards/{card.name}" in names
    assert any(n.startswith("harness/cards/samples/sst2/") for n in names)
    assert "harness/boards/smoke.yaml" in names
    for template in (REPO / "harness" / "report" / "templates").iterdir():
        assert f"harness/report/templates/{template.name}" in names, f"{template.name} is missing from the wheel"

    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = ("import harness, sys; from harness.cli import main; print(harness.__file__); "
            "sys.argv=['harness','list','tasks']; main()")
    listed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.splitlines()[0].startswith(str(target))         # the installed copy, not the checkout
    for task in ("sst2", "mrpc", "stsb", "conll2003", "squad", "wmt16_en_ro", "xsum"):
        assert task in listed.stdout
