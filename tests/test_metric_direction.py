"""The direction of a metric comes from the kind's spec, never from a default: a card whose primary metric is
lower-is-better (mse) keeps its lowest-error epoch and ranks the lowest error first, without saying so itself."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

CARD = textwrap.dedent('''
    name: stsb_mse
    family: similarity
    kind: regression
    description: STS-B sample scored by mean squared error.
    data:
      sample: {samples}
    columns: {{text: sentence1, text_pair: sentence2, label: label}}
    metrics:
      primary: mse
    hyperparameters: {{epochs: 3, batch_size: 16, lr: 3.0e-3, max_length: 64}}
''')


@pytest.fixture
def cards(tmp_path):
    folder = tmp_path / "cards"
    folder.mkdir()
    samples = Path(__file__).resolve().parents[1] / "tasks" / "samples" / "stsb"
    (folder / "stsb_mse.yaml").write_text(CARD.format(samples=samples))
    return folder


def test_a_lower_is_better_primary_keeps_the_lowest_error_epoch_and_ranks_it_first(cards, tmp_path):
    import harness
    from harness.report.aggregate import build
    from harness.report.load import load_run

    out = tmp_path / "run"
    records = harness.run(models=["tiny-bert", "tiny-gpt2"], tasks=["stsb_mse"], tasks_dir=[str(cards)],
                          data="sample", seeds=[0], output=str(out), max_train_samples=96, max_eval_samples=96,
                          executor="inline", latency_requests=0, write_report=False)
    assert [r["status"] for r in records] == ["ok", "ok"], [r["error"] for r in records]
    for r in records:
        assert r["higher_is_better"] is False
        history = [epoch["metrics"]["mse"] for epoch in r["validation"]["history"]]
        assert r["validation"]["best_epoch"] == 1 + history.index(min(history))
    lb = build(load_run(out))
    ranked = sorted(records, key=lambda r: r["score"])
    assert lb.cell(ranked[0]["model"], "stsb_mse")["rank"] == 1
    assert lb.cell(ranked[1]["model"], "stsb_mse")["rank"] == 2


def test_a_card_cannot_contradict_its_metrics_direction(cards):
    from harness.tasks.card import CardError
    from harness.tasks.registry import Registry

    path = cards / "stsb_mse.yaml"
    path.write_text(path.read_text().replace("primary: mse", "primary: mse\n  higher_is_better: true"))
    with pytest.raises(CardError, match="lower-is-better"):
        Registry([str(cards)]).card("stsb_mse")
