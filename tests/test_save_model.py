"""`--save none|best|all`, `--merge-lora`, `--push-to-hub`: saved folders load with plain transformers in a fresh
process, carry a model card the hub's parser accepts, and `best` keeps exactly the job chosen on validation."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from conftest import run_cli

FAST = dict(data="sample", epochs=1, latency_requests=0, max_train_samples=40, max_eval_samples=24,
            executor="inline", write_report=False)


def folders(output: Path) -> list[Path]:
    return sorted(p for p in (output / "models").iterdir() if p.is_dir())


def load_and_predict(folders_and_classes: list[tuple[Path, str]], text: str = "a fine film") -> list[dict]:
    """Load each folder with plain transformers (its Auto class) in one fresh interpreter and classify one text."""
    code = f"""
import json, sys, torch, transformers
for folder, auto in zip(sys.argv[1::2], sys.argv[2::2]):
    model = getattr(transformers, auto).from_pretrained(folder).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        logits = model(**tokenizer({text!r}, return_tensors="pt")).logits
    print(json.dumps({{"label": model.config.id2label[int(logits.argmax(-1))], "logits": logits[0].tolist(),
                      "peft": hasattr(model, "peft_config")}}))
"""
    args = [str(part) for pair in folders_and_classes for part in pair]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.strip().splitlines()[-len(folders_and_classes):]]


def info_of(folder: Path) -> dict:
    return json.loads((folder / "harness.json").read_text())


@pytest.fixture(scope="module")
def best_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("save-best")
    records = harness.run(models=["tiny-bert", "tiny-gpt2"], tasks=["sst2"], seeds=[0, 1], output=str(output),
                          save="best", **FAST)
    return output, records


@pytest.fixture(scope="module")
def lora_all(tmp_path_factory):
    output = tmp_path_factory.mktemp("save-all-lora")
    records = harness.run(models=["tiny-bert"], tasks=["sst2"], seeds=[0, 1], tuning=["lora"], output=str(output),
                          save="all", **FAST)
    return output, records


@pytest.fixture(scope="module")
def lora_merged(tmp_path_factory):
    output = tmp_path_factory.mktemp("save-merged-lora")
    harness.run(models=["tiny-gpt2"], tasks=["sst2"], tuning=["lora"], output=str(output), save="best",
                merge_lora=True, **FAST)
    return output


def test_best_keeps_exactly_the_job_chosen_on_validation(best_run):
    output, records = best_run
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)
    assert all(r["saved_model"] == f"models/{r['job']}" for r in records)      # every job saved while it ran
    kept = folders(output)
    assert len(kept) == 1
    index = json.loads((output / "models" / "saved.json").read_text())
    assert index["save"] == "best" and [m["path"] for m in index["models"]] == [f"models/{kept[0].name}"]
    # the report's rule: best mean validation score per model, then that model's best seed (first on ties)
    validation = {(r["model"], r["seed"]): r["validation"]["metrics"]["accuracy"] for r in records}
    means = {m: sum(v for (model, _), v in validation.items() if model == m) / 2 for m in ("tiny-bert", "tiny-gpt2")}
    model = max(means, key=means.get)
    seed = max((0, 1), key=lambda s: validation[(model, s)])
    winner = next(r for r in records if r["model"] == model and r["seed"] == seed)
    assert kept[0].name == winner["job"]
    assert "| sst2 |" in (output / "models" / "README.md").read_text()


def test_a_saved_model_describes_itself(best_run):
    output, records = best_run
    folder = folders(output)[0]
    info = info_of(folder)
    record = next(r for r in records if r["job"] == folder.name)
    assert info["job"] == record["job"] and info["task"] == "sst2" and info["kind"] == "classification"
    assert info["seed"] == record["seed"] and info["weights"] == "full" and info["labels"] == ["negative", "positive"]
    assert info["hyperparameters"]["max_length"] == record["hyperparameters"]["max_length"]
    assert info["metrics"] == record["metrics"] and info["auto_class"] == "AutoModelForSequenceClassification"


def test_the_model_card_parses_with_huggingface_hub(best_run):
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    output, records = best_run
    folder = folders(output)[0]
    record = next(r for r in records if r["job"] == folder.name)
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "transformers" and card.data.pipeline_tag == "text-classification"
    name, results = model_index_to_eval_results(card.data.to_dict()["model-index"])
    by_metric = {r.metric_type: r.metric_value for r in results}
    assert by_metric["accuracy"] == record["metrics"]["accuracy"]
    assert all(r.dataset_split == "test" for r in results)
    text = card.text
    assert "## Cost" in text and "samples/s" in text and f"seed {record['seed']}" in text


def test_resuming_names_finished_jobs_without_a_model(best_run, caplog):
    output, records = best_run
    with caplog.at_level(logging.WARNING, logger="harness"):
        again = harness.run(models=["tiny-bert", "tiny-gpt2"], tasks=["sst2"], seeds=[0, 1], output=str(output),
                            save="all", **FAST)
    assert len(again) == 4 and len(folders(output)) == 1          # nothing trained, nothing written twice
    lines = (output / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4
    assert "3 finished job(s) of this run have no saved model" in caplog.text


def test_save_all_keeps_one_folder_per_job(lora_all):
    output, records = lora_all
    assert sorted(p.name for p in folders(output)) == sorted(r["job"] for r in records) and len(records) == 2
    index = json.loads((output / "models" / "saved.json").read_text())
    assert index["save"] == "all" and len(index["models"]) == 2


def test_lora_keeps_its_adapter_and_merges_only_when_asked(lora_all, lora_merged):
    adapter = folders(lora_all[0])[0]
    assert info_of(adapter)["weights"] == "adapter" and (adapter / "adapter_config.json").is_file()
    [merged] = folders(lora_merged)
    assert info_of(merged)["weights"] == "merged" and (merged / "adapter" / "adapter_config.json").is_file()
    assert not (merged / "adapter_config.json").exists()          # the merged weights load without peft


def test_saved_models_load_with_plain_transformers_in_a_fresh_process(best_run, lora_all, lora_merged):
    chosen = [folders(best_run[0])[0], folders(lora_all[0])[0], folders(lora_merged)[0]]
    full, adapter, merged = load_and_predict([(f, info_of(f)["auto_class"]) for f in chosen])
    assert all(p["label"] in ("negative", "positive") and len(p["logits"]) == 2 for p in (full, adapter, merged))
    assert adapter["peft"] and not full["peft"] and not merged["peft"]


@pytest.mark.parametrize("args, message", [
    (["--save", "best", "--push-to-hub", "my-org"], "HF_HUB_OFFLINE is set"),
    (["--merge-lora"], "--merge-lora applies to saved models"),
])
def test_hub_upload_offline_and_flags_without_save_fail_before_training(tmp_path, args, message):
    output = tmp_path / "out"
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "--output", str(output), *args)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2           # one line (and its hint)
    assert not output.exists()


def synthetic(job, model, seed, validation, score, lr):
    return {"job": job, "model": model, "tuning": "full", "task": "sst2", "seed": seed, "status": "ok",
            "primary_metric": "accuracy", "higher_is_better": True, "grid": {"lr": lr}, "score": score,
            "validation": {"metrics": {"accuracy": validation}}, "saved_model": f"models/{job}"}


def test_best_is_chosen_on_validation_through_the_grid_choice_never_on_test():
    from harness.kept_models import winners

    records = [
        # model a: lr 1e-4 has the best mean validation (0.8); its seed 1 the best validation of that point
        synthetic("a1", "a", 0, 0.70, 0.99, 1e-4), synthetic("a2", "a", 1, 0.90, 0.10, 1e-4),
        synthetic("a3", "a", 0, 0.75, 0.99, 1e-3), synthetic("a4", "a", 1, 0.75, 0.99, 1e-3),
        # model b: the best single validation score and the best test scores, but a lower mean
        synthetic("b1", "b", 0, 0.95, 1.00, 1e-4), synthetic("b2", "b", 1, 0.50, 1.00, 1e-4),
    ]
    assert [r["job"] for r in winners(records)] == ["a2"]


def test_uploads_go_to_the_hub_and_into_the_index(best_run, monkeypatch):
    import types

    import huggingface_hub

    from harness import kept_models
    from harness.store import ResultStore

    calls = []
    monkeypatch.setattr(huggingface_hub, "create_repo", lambda repo_id, exist_ok: calls.append(("create", repo_id)))
    monkeypatch.setattr(huggingface_hub, "upload_folder",
                        lambda repo_id, folder_path, commit_message: calls.append(("upload", repo_id, folder_path)))
    output, _ = best_run
    [folder] = folders(output)
    config = types.SimpleNamespace(save="best", push_to_hub="my-org")
    kept_models.finish(config, output, ResultStore(output))
    model = json.loads((output / "models" / "saved.json").read_text())["models"][0]
    assert model["hub_repo"] == f"my-org/{model['model']}-sst2-{folder.name}"
    assert calls == [("create", model["hub_repo"]), ("upload", model["hub_repo"], str(folder))]
