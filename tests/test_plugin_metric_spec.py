"""A task kind installed through the `harness.tasks` entry point declares only its metric specs (here a
lower-is-better mean absolute error) and gets the right best epoch, intervals, normalization, paired tests and
direction in the report, like a built-in kind."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = textwrap.dedent('''
    import numpy as np

    from harness.kinds.base import Evaluation
    from harness.kinds.regression import RegressionKind
    from harness.metrics.spec import mean_spec


    def absolute_errors(predictions, references, **context):
        return np.abs(np.asarray(predictions, dtype=float) - np.asarray(references, dtype=float))


    class ErrorRegressionKind(RegressionKind):
        name = "error_regression"
        metric_specs = {"mae": mean_spec("mae", absolute_errors, scale="unbounded", higher_is_better=False)}

        def evaluate(self, ctx):
            predictions = [round(x, 5) for x in self.logits(ctx).squeeze(-1).tolist()]
            references = list(ctx.rows["label"])
            return Evaluation({"mae": float(absolute_errors(predictions, references).mean())}, predictions,
                              references)
''')

CARD = textwrap.dedent('''
    name: sts_error
    family: similarity
    kind: error_regression
    description: STS-B sample scored by mean absolute error.
    data:
      sample: {samples}
    columns: {{text: sentence1, text_pair: sentence2, label: label}}
    metrics:
      primary: mae
    hyperparameters: {{epochs: 2, batch_size: 16, lr: 1.0e-3, max_length: 64}}
''')


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """An installed distribution (dist-info with an entry point) on sys.path, and a card using its kind."""
    from harness.tasks import registry

    site = tmp_path / "site"
    site.mkdir()
    (site / "error_kinds.py").write_text(PLUGIN)
    info = site / "error_kinds-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: error-kinds\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[harness.tasks]\nerror_regression = error_kinds:ErrorRegressionKind\n")
    monkeypatch.syspath_prepend(str(site))
    registry._plugin_kinds.cache_clear()
    registry.load_kind.cache_clear()
    cards = tmp_path / "cards"
    cards.mkdir()
    samples = Path(__file__).resolve().parents[1] / "tasks" / "samples" / "stsb"
    (cards / "sts_error.yaml").write_text(CARD.format(samples=samples))
    yield cards
    sys.modules.pop("error_kinds", None)
    registry._plugin_kinds.cache_clear()
    registry.load_kind.cache_clear()


def test_a_plugin_kind_with_a_lower_is_better_metric_is_reported_correctly(plugin, tmp_path):
    import harness
    from harness.report.aggregate import build
    from harness.report.load import load_run

    out = tmp_path / "run"
    records = harness.run(models=["tiny-bert", "tiny-gpt2"], tasks=["sts_error"], tasks_dir=[str(plugin)],
                          data="sample", seeds=[0, 1], output=str(out), max_train_samples=96,
                          max_eval_samples=96, executor="inline", latency_requests=0, write_report=False)
    assert [r["status"] for r in records] == ["ok"] * 4, [r["error"] for r in records]
    for r in records:
        assert r["higher_is_better"] is False and r["metric_scale"] == "unbounded"
        history = [e["metrics"]["mae"] for e in r["validation"]["history"]]
        assert r["validation"]["best_epoch"] == 1 + history.index(min(history))     # lowest error kept

    lb = build(load_run(out))
    task = lb.tasks.iloc[0]
    assert not task["higher_is_better"] and task["normalization"] == "minmax"
    cells = {e: lb.cell(e, "sts_error") for e in ("tiny-bert", "tiny-gpt2")}
    best = min(cells, key=lambda e: cells[e]["mean"])
    other = next(e for e in cells if e != best)
    assert cells[best]["best"] and cells[best]["rank"] == 1 and cells[best]["norm"] == pytest.approx(1.0)
    assert cells[other]["norm"] == pytest.approx(0.0)
    for cell in cells.values():                           # intervals from the plugin's per-example statistics
        assert cell["ci_method"] == "seeds × examples"
        assert 0 <= cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    assert cells[other]["test"] == "paired bootstrap (examples and seeds)"
    assert 0 < cells[other]["p_holm"] <= 1 and cells[other]["delta_best"] > 0      # more error than the best
    assert cells[best]["p_best"] > cells[other]["p_best"]
    harness.write_report(out)
    markdown = (out / "report.md").read_text()
    assert "sts_error (mae) ↓" in markdown and "min-max across entries (lower is better" in markdown
