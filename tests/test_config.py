"""The run configuration: one definition (RunConfig) behind the command line, `--config` files, leaderboards and
`harness.run`; `--print-config` writes what `--config` reads back; mistakes are one line with a hint."""
from __future__ import annotations

import json
from dataclasses import fields

import pytest
import yaml

from conftest import run_cli
from harness.config import FIELDS, RunConfig, read_file, resolve, to_yaml
from harness.errors import UserError
from harness.settings import Hyperparameters

SWEEP = """\
models: [tiny-t5]
tasks: [wmt16_en_ro]
data: [sample]
tuning: [full, lora]
lr_grid: [1.0e-3, 3.0e-3]
budget_steps: 2
max_eval_samples: 4
max_new_tokens: 4
num_beams: 1
lora_r: 4
executor: inline
latency_requests: 0
write_report: false
"""


def _write(tmp_path, text: str, name: str = "sweep.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_field_is_an_option_of_harness_run():
    help_text = run_cli("run", "--help").stdout
    for name, field in FIELDS.items():
        long = "--" + (field.metadata["cli_name"] or name).replace("_", "-")
        assert long in help_text, long
        assert field.metadata["help"], name
    hyperparameters = {f.name for f in fields(Hyperparameters)}
    assert set(RunConfig().by_role("hp")) <= hyperparameters       # an override names what it overrides


def test_print_config_reads_back_unchanged(tmp_path):
    sweep = _write(tmp_path, SWEEP)
    printed = run_cli("run", "--config", str(sweep), "--print-config")
    assert printed.returncode == 0, printed.stderr
    again = run_cli("run", "--config", str(_write(tmp_path, printed.stdout, "printed.yaml")), "--print-config")
    assert again.returncode == 0 and again.stdout == printed.stdout
    config = resolve(read_file(tmp_path / "printed.yaml"))
    assert config.tuning == ["full", "lora"] and config.lr_grid == [1e-3, 3e-3] and config.lora_r == 4
    assert config.executor == "inline" and config.num_beams == 1 and config.budget_steps == 2
    assert yaml.safe_load(to_yaml(config)) == config.to_dict()


def test_command_line_options_override_the_file(tmp_path):
    sweep = _write(tmp_path, SWEEP)
    printed = run_cli("run", "--config", str(sweep), "--lora-r", "16", "--seeds", "0,1", "--no-resume",
                      "--print-config")
    config = yaml.safe_load(printed.stdout)
    assert config["lora_r"] == 16 and config["seeds"] == [0, 1] and config["resume"] is False
    assert config["lr_grid"] == [1e-3, 3e-3]                # what the command line leaves alone stays the file's


@pytest.mark.parametrize("text, words", [
    ("lr_grd: [1.0e-3]\n", ["unknown option 'lr_grd'", "did you mean 'lr_grid'"]),
    ("models: [tiny-bert]\ntasks: [sst2]\nlora_r: 0\n", ["lora_r", "positive integer"]),
    ("models: [tiny-bert]\ntasks: [sst2]\ntuning: [full, adapters]\n", ["tuning", "'adapters'"]),
    ("models: [tiny-bert]\ntasks: [sst2]\nexecutor: lokal\n", ["executor", "did you mean 'local'"]),
    ("- models\n", ["expected a mapping"]),
])
def test_file_mistakes_are_one_line_with_a_hint(tmp_path, text, words):
    result = run_cli("run", "--config", str(_write(tmp_path, text)))
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert str(tmp_path / "sweep.yaml") in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_keywords_of_harness_run_are_checked_like_options():
    with pytest.raises(UserError, match="did you mean 'lr_grid'"):
        resolve({"models": "tiny-bert", "tasks": "sst2", "lr_gird": "1e-3"})
    with pytest.raises(UserError, match="--lr and --lr-grid both given"):
        resolve({"models": "tiny-bert", "tasks": "sst2", "lr": 1e-3, "lr_grid": [1e-3, 3e-3]})
    config = resolve({"models": "tiny-bert", "tasks": "sst2", "lr_grid": "1e-3,3e-3", "seeds": (0, 1)})
    assert config.models == ["tiny-bert"] and config.lr_grid == [1e-3, 3e-3] and config.seeds == [0, 1]


def test_a_leaderboard_pins_any_run_option(tmp_path):
    board = _write(tmp_path, "models: [tiny-bert]\ntasks: [sst2]\ndata: sample\nsettings: {tuning: [full, lora], "
                   "lr_grid: [1.0e-3, 3.0e-3], budget_steps: 3, lora_r: 4, executor: inline}\n", "board.yaml")
    config = resolve({"leaderboard": str(board), "lora_r": 8})
    assert config.tuning == ["full", "lora"] and config.lr_grid == [1e-3, 3e-3] and config.budget_steps == 3
    assert config.executor == "inline" and config.lora_r == 8 and config.data == ["sample"]
    assert resolve({k: v for k, v in config.to_dict().items()}) == config      # a resolved config resolves to itself


@pytest.mark.slow
def test_a_sweep_file_runs_through_the_command_line(tmp_path):
    out = tmp_path / "run"
    result = run_cli("run", "--config", str(_write(tmp_path, SWEEP)), "--output", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 4 and all(r["status"] == "ok" for r in records), [r["error"] for r in records]
    assert {(r["tuning"], r["grid"]["lr"]) for r in records} == {(t, lr) for t in ("full", "lora")
                                                                 for lr in (1e-3, 3e-3)}
    assert all(r["train"]["steps"] == 2 for r in records)
    assert all(r["generation"]["settings"]["num_beams"] == 1 and r["generation"]["settings"]["max_new_tokens"] == 4
               for r in records)
    assert {r["lora"]["r"] for r in records if r["tuning"] == "lora"} == {4}
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["config"] == resolve({"output": str(out)}, read_file(tmp_path / "sweep.yaml")).to_dict()


def test_weight_decay_reaches_the_jobs():
    from harness.api import plan_run

    printed = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--weight-decay", "0", "--print-config")
    config = resolve(yaml.safe_load(printed.stdout))
    assert config.weight_decay == 0.0
    (job,) = plan_run(config, data="sample").jobs
    assert job.hyperparameters["weight_decay"] == 0.0           # the card's (and the default) is 0.01
    bad = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--weight-decay", "-1")
    assert bad.returncode == 2 and "--weight-decay -1.0: expected 0 or more" in bad.stderr


def test_the_bare_run_is_the_smoke_leaderboard():
    """One definition of the smoke preset: a bare `harness run` sets exactly what leaderboards/smoke.yaml sets."""
    bare = yaml.safe_load(run_cli("run", "--print-config").stdout)
    board = yaml.safe_load(run_cli("run", "--leaderboard", "smoke", "--print-config").stdout)
    assert bare.pop("leaderboard") is None and board.pop("leaderboard") == "smoke"
    assert bare.pop("output") is None and "smoke_" in board.pop("output")
    assert bare == board
    assert bare["max_new_tokens"] == 24 and bare["num_beams"] == 1 and bare["lr"] == 3e-3
