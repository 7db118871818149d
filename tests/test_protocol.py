"""The comparison protocol: tuning strategies, hyperparameter grids chosen on validation, test never consulted,
equal-cost budgets."""
from __future__ import annotations

import json

import pytest

import harness
from conftest import run_cli

QUICK = dict(data="sample", executor="inline", epochs=1, batch_size=8, max_train_samples=24, max_eval_samples=16,
             latency_requests=0, write_report=False, progress=lambda _: None)


@pytest.fixture(scope="module")
def protocol_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("protocol")
    # one seed: seeds multiply jobs like any dimension (tests/test_run.py sweeps them); tunings x grid is the point
    results = harness.run(models="tiny-gpt2", tasks="sst2,conll2003,wmt16_en_ro", seeds=[0],
                          tuning="full,head,lora", lr_grid="1e-4,1e-3", max_new_tokens=4, output=out, **QUICK)
    return out, results


def test_every_strategy_grid_point_and_seed_is_a_job(protocol_run):
    _, results = protocol_run
    assert len(results) == 3 * 3 * 2
    assert {r["tuning"] for r in results} == {"full", "head", "lora"}
    assert {r["grid"]["lr"] for r in results} == {1e-4, 1e-3}
    by = {(r["tuning"], r["task"]): r for r in results if r["seed"] == 0 and r["grid"]["lr"] == 1e-3}
    for task in ("sst2", "conll2003"):
        full, head, lora = (by[(t, task)] for t in ("full", "head", "lora"))
        assert all(r["status"] == "ok" for r in (full, head, lora)), [full["error"], head["error"], lora["error"]]
        assert head["trainable_params"] < lora["trainable_params"] < full["trainable_params"] == full["params"]
        assert lora["optimizer_state_bytes"] == 8 * lora["trainable_params"]
    assert by[("head", "wmt16_en_ro")]["status"] == "unsupported"
    assert "head" in by[("head", "wmt16_en_ro")]["error"]
    assert by[("lora", "wmt16_en_ro")]["status"] == "ok", by[("lora", "wmt16_en_ro")]["error"]
    ok = [r for r in results if r["status"] == "ok"]
    assert all(r["metrics_split"] == "test" and r["validation"]["split"] == "validation" for r in ok)


def test_report_shows_strategies_trainable_params_and_the_chosen_lr(protocol_run):
    out, results = protocol_run
    harness.write_report(out)
    text = (out / "report.md").read_text()
    assert "tiny-gpt2 (lora)" in text and "tiny-gpt2 (head)" in text and "trainable params" in text
    assert "Hyperparameter selection (validation)" in text and "lr=0.001" in text and "lr=0.0001" in text
    assert (out / "plots" / "sensitivity.png").is_file()
    from harness.report.load import load_run
    run = load_run(out)
    chosen = run.selection[run.selection["chosen"]]
    assert len(chosen) == 3 * 3           # one setting per model x tuning x task
    assert set(run.frame["grid_key"]) <= set(json.dumps(g, sort_keys=True) for g in chosen["grid"])


def test_selection_follows_validation_even_when_test_disagrees(tmp_path):
    from harness.report.load import load_run
    from harness.store import ResultStore

    store = ResultStore(tmp_path)
    store.ensure_writable()
    for i, (lr, seed, val, test) in enumerate([(1e-4, 0, 0.90, 0.50), (1e-4, 1, 0.88, 0.52),
                                               (1e-3, 0, 0.70, 0.99), (1e-3, 1, 0.72, 0.98)]):
        store.append({"schema": 1, "job": f"j{i}", "run": "x", "model": "m", "model_id": "m", "family": "encoder",
                      "task": "sst2", "task_family": "classification", "kind": "classification", "seed": seed,
                      "status": "ok", "error": None, "metrics": {"accuracy": test}, "primary_metric": "accuracy",
                      "higher_is_better": True, "score": test, "tuning": "full", "grid": {"lr": lr},
                      "hyperparameters": {"lr": lr},
                      "validation": {"split": "validation", "metrics": {"accuracy": val}}})
    run = load_run(tmp_path)
    assert set(run.frame["score"]) == {0.50, 0.52}          # the lr that won on validation, with its test scores
    chosen = run.selection[run.selection["chosen"]].iloc[0]
    assert chosen["grid"] == {"lr": 1e-4} and chosen["validation_mean"] == pytest.approx(0.89)


def test_no_choice_during_a_job_reads_the_test_split(monkeypatch, tmp_path):
    from harness.kinds.classification import ClassificationKind

    seen = []
    original = ClassificationKind.evaluate

    def spy(self, ctx):
        seen.append(ctx.split)
        return original(self, ctx)
    monkeypatch.setattr(ClassificationKind, "evaluate", spy)
    result = harness.run(models="tiny-bert", tasks="sst2", output=tmp_path, **{**QUICK, "epochs": 3})[0]
    assert result["status"] == "ok"
    # each epoch is judged on validation (best epoch kept); test is scored once, after training has ended
    assert seen == ["validation", "validation", "validation", "test"]


def test_budget_steps_and_seconds(tmp_path):
    steps = harness.run(models="tiny-bert", tasks="sst2", output=tmp_path / "a", budget_steps=5,
                        **{**QUICK, "epochs": 1, "max_train_samples": 16})[0]
    assert steps["status"] == "ok" and steps["train"]["steps"] == 5 and steps["train"]["epochs"] == pytest.approx(2.5)
    timed = harness.run(models="tiny-bert", tasks="sst2", output=tmp_path / "b", budget_seconds=0.001,
                        **{**QUICK, "epochs": 50})[0]
    assert timed["status"] == "ok" and timed["train"]["budget_exhausted"] and timed["train"]["steps"] < 10


@pytest.mark.parametrize("args, words", [
    (["--tuning", "full,probe"], "'probe' is not one of full, head, lora"),
    (["--lr", "1e-3", "--lr-grid", "1e-4,1e-3"], "--lr and --lr-grid both given"),
    (["--lr-grid", "1e-4,fast"], "'fast' is not a number"),
    (["--lora-dropout", "1.5", "--tuning", "lora"], "--lora-dropout"),
])
def test_protocol_option_errors(tmp_path, args, words):
    result = run_cli("run", "--models", "tiny-bert", "--tasks", "sst2", "--data", "sample", "--output",
                     str(tmp_path / "r"), *args)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r" / "results.jsonl").exists()


@pytest.mark.realmodel
def test_lora_on_minilm_trains_under_five_percent(minilm_dir, shared_data, tmp_path):
    results = harness.run(models=str(minilm_dir), tasks="sst2", data_dir=shared_data, tuning="lora",
                          max_train_samples=256, max_eval_samples=64, epochs=1, batch_size=32, lr=5e-4,
                          max_length=64, latency_requests=0, output=tmp_path, executor="inline",
                          write_report=False, progress=lambda _: None)
    r = results[0]
    assert r["status"] == "ok", r["error"]
    assert r["trainable_params"] / r["params"] <= 0.05


def test_api_names_survive_importing_the_report_package():
    import importlib

    import harness.report.aggregate  # noqa: F401 - importing the subpackage sets harness.report
    importlib.reload(harness)
    assert callable(harness.write_report) and callable(harness.run) and callable(harness.load_results)
