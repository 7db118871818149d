"""The committed example report (reports/example) says what it computed and keeps every figure in range."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.metrics.spec import SCALES
from harness.report.normalize import spec_for

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example"


@pytest.fixture(scope="module")
def results():
    return json.loads((EXAMPLE / "results.json").read_text())


def test_no_interval_leaves_its_metrics_range(results):
    scales = {t["task"]: t["metric_scale"] for t in results["tasks"]}
    checked = 0
    for cell in results["cells"]:
        if cell["status"] != "ok" or cell["ci_low"] is None:
            continue
        assert scales[cell["task"]] == spec_for(cell["kind"], cell["primary_metric"]).scale
        bounds = SCALES[scales[cell["task"]]]
        if bounds is not None:
            assert bounds[0] <= cell["ci_low"] <= cell["mean"] <= cell["ci_high"] <= bounds[1], cell
            checked += 1
    assert checked >= 20
    for row in results["overall"]:
        if row["score_low"] is not None:
            assert 0 <= row["score_low"] <= row["score"] <= row["score_high"] <= 1


def test_differences_are_marked_from_paired_tests_with_holm(results):
    method = " ".join(results["method"]["paragraphs"])
    assert "paired bootstrap" in method and "McNemar" in method and "Holm" in method
    compared = [c for c in results["cells"] if c["status"] == "ok" and not c["best"] and c["p_holm"] is not None]
    assert compared and all(c["test"].startswith(("paired bootstrap", "McNemar")) for c in compared)
    assert all(c["tied_with_best"] == (c["p_holm"] >= 0.05) for c in compared)
    report = (EXAMPLE / "report.md").read_text()
    assert "## Method" in report and "Holm" in report
