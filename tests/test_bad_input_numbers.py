"""Bad numbers, model limits and model files, the cache and the output path: each one clear line on stderr, exit
code 2, no traceback, and nothing created or written in the run directory.

Part of the bad-input suite, which spans tests/test_bad_input*.py (the helpers come from test_bad_input). Every
number, whether typed as a flag, read from a --config file, a leaderboard's settings or a task card, must be finite
and within its range (seeds in [0, 2**32)); the checks live once, in harness.config.values.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from test_bad_input import BASE, _card, run_case

LONG_NAME = "x" * 300       # over NAME_MAX (255 bytes) on every common file system

# case id -> (arguments after `harness run`, key words the one stderr line must contain)
CASES: dict[str, tuple[list[str], list[str]]] = {
    # numbers on the command line
    "epochs-nan": ([*BASE, "--epochs", "nan"], ["--epochs", "finite"]),
    "epochs-inf": ([*BASE, "--epochs", "inf"], ["--epochs", "finite"]),
    "epochs-1e30": ([*BASE, "--epochs", "1e30"], ["--epochs", "too large"]),
    "lr-nan": ([*BASE, "--lr", "nan"], ["--lr", "finite"]),
    "lr-inf": ([*BASE, "--lr", "inf"], ["--lr", "finite"]),
    "lr-grid-inf": ([*BASE, "--lr-grid", "inf"], ["--lr-grid", "finite"]),
    "lr-grid-nan-among-values": ([*BASE, "--lr-grid", "1e-4,nan"], ["--lr-grid", "'nan'", "finite"]),
    "epochs-grid-inf": ([*BASE, "--epochs-grid", "1,inf"], ["--epochs-grid", "finite"]),
    "batch-size-grid-too-large": ([*BASE, "--batch-size-grid", "8,99999999999"], ["--batch-size-grid", "too large"]),
    "max-length-1e20": ([*BASE, "--max-length", "1e20"], ["--max-length", "not a valid integer"]),
    "max-length-too-large": ([*BASE, "--max-length", "99999999999"], ["--max-length", "too large"]),
    "seeds-negative": ([*BASE, "--seeds", "-1"], ["--seeds", "[0, 2**32)"]),
    "seeds-2-to-the-32": ([*BASE, "--seeds", "0,4294967296"], ["--seeds", "4294967296", "[0, 2**32)"]),
    "job-timeout-nan": ([*BASE, "--job-timeout", "nan"], ["--job-timeout", "finite"]),
    "job-timeout-inf": ([*BASE, "--job-timeout", "inf"], ["--job-timeout", "finite"]),
    "budget-seconds-nan": ([*BASE, "--budget-seconds", "nan"], ["--budget-seconds", "finite"]),
    "budget-seconds-inf": ([*BASE, "--budget-seconds", "inf"], ["--budget-seconds", "finite"]),
    "weight-decay-nan": ([*BASE, "--weight-decay", "nan"], ["--weight-decay", "finite"]),
    "lora-dropout-inf": ([*BASE, "--tuning", "lora", "--lora-dropout", "inf"], ["--lora-dropout", "finite"]),
    # the same numbers from a --config file and a leaderboard
    "config-epochs-nan": (["--config", "{tmp}/config_epochs.yaml"], ["config_epochs.yaml", "epochs", "finite"]),
    "config-lr-inf": (["--config", "{tmp}/config_lr.yaml"], ["config_lr.yaml", "lr", "finite"]),
    "config-max-length-1e20": (["--config", "{tmp}/config_max_length.yaml"], ["max_length", "too large"]),
    "config-seeds-negative": (["--config", "{tmp}/config_seeds.yaml"], ["seeds", "[0, 2**32)"]),
    "config-lr-grid-inf": (["--config", "{tmp}/config_lr_grid.yaml"], ["lr_grid", "finite"]),
    "leaderboard-settings-lr-nan": (["--leaderboard", "{tmp}/board_lr.yaml"], ["board_lr.yaml", "settings.lr",
                                                                               "finite"]),
    "leaderboard-seeds-too-large": (["--leaderboard", "{tmp}/board_seeds.yaml"], ["board_seeds.yaml", "seeds",
                                                                                  "[0, 2**32)"]),
    # the same numbers in a task card
    "card-lr-nan": ([*BASE, "--tasks-dir", "{tmp}/cards_lr"], ["hyperparameters", "lr", "finite"]),
    "card-epochs-1e30": ([*BASE, "--tasks-dir", "{tmp}/cards_epochs"], ["hyperparameters", "epochs", "too large"]),
    "card-warmup-ratio-inf": ([*BASE, "--tasks-dir", "{tmp}/cards_warmup"], ["warmup_ratio", "finite"]),
    "card-max-grad-norm-negative": ([*BASE, "--tasks-dir", "{tmp}/cards_norm"], ["max_grad_norm", "positive"]),
    # the model: its position limit, its files
    "max-length-above-positions": ([*BASE, "--max-length", "100000"], ["--max-length 100000", "512 positions",
                                                                       "tiny-bert"]),
    "model-dir-without-weights": (["-m", "{tmp}/no_weights", "-t", "sst2", "--data", "sample"],
                                  ["no_weights", "no model weights"]),
    "model-config-not-json": (["-m", "{tmp}/config_not_json", "-t", "sst2", "--data", "sample"],
                              ["config_not_json/config.json", "cannot read"]),
    "model-config-not-an-object": (["-m", "{tmp}/config_list", "-t", "sst2", "--data", "sample"],
                                   ["config_list/config.json", "expected a JSON object"]),
    "model-config-not-utf8": (["-m", "{tmp}/config_bytes", "-t", "sst2", "--data", "sample"],
                              ["config_bytes/config.json", "cannot read"]),
    "model-config-field-of-wrong-type": (["-m", "{tmp}/config_field", "-t", "sst2", "--data", "sample"],
                                         ["config_field/config.json", "hidden_size"]),
    "model-config-unknown-type": (["-m", "{tmp}/config_type", "-t", "sst2", "--data", "sample"],
                                  ["config_type/config.json", "no-such-type"]),
    # the environment: cache, output path, an existing run directory
    "harness-cache-is-a-file": ([*BASE], ["HARNESS_CACHE", "a_file", "not a directory"]),
    "harness-cache-read-only": ([*BASE], ["HARNESS_CACHE", "/sys/harness-cache", "not writable"]),
    "output-name-too-long": ([*BASE, "--output", f"{{tmp}}/runs/{LONG_NAME}"], ["300 bytes", "limit of 255"]),
    "output-folder-name-too-long": ([*BASE, "--output", f"{{tmp}}/{LONG_NAME}/run"], ["300 bytes", "limit"]),
    "run-json-a-list": ([*BASE, "--output", "{tmp}/run_list"], ["run_list/run.json", "expected a JSON object"]),
    "run-json-not-json": ([*BASE, "--output", "{tmp}/run_garbled"], ["run_garbled/run.json", "not a run's"]),
    "run-json-a-directory": ([*BASE, "--output", "{tmp}/run_folder"], ["run_folder/run.json", "not a file"]),
}

ENVIRONMENT = {"harness-cache-is-a-file": {"HARNESS_CACHE": "{tmp}/a_file"},
               "harness-cache-read-only": {"HARNESS_CACHE": "/sys/harness-cache"}}    # no one may create there

_RUN = "models: [tiny-bert]\ntasks: [sst2]\ndata: [sample]\nwrite_report: false\n"
_BOARD = "name: board\nmodels: [tiny-bert]\ntasks: [sst2]\ndata: sample\n"


def _make_inputs(tmp: Path) -> None:
    from harness.models.builtin import ensure_tiny_model

    def write(rel: str, text: str | bytes) -> None:
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    write("config_epochs.yaml", _RUN + "epochs: .nan\n")
    write("config_lr.yaml", _RUN + "lr: .inf\n")
    write("config_max_length.yaml", _RUN + "max_length: 1e20\n")
    write("config_seeds.yaml", _RUN + "seeds: [0, -1]\n")
    write("config_lr_grid.yaml", _RUN + "lr_grid: [1.0e-4, .inf]\n")
    write("board_lr.yaml", _BOARD + "settings: {lr: .nan}\n")
    write("board_seeds.yaml", _BOARD.replace("data:", "seeds: [4294967296]\ndata:"))
    for folder, hyperparameters in (("cards_lr", "{lr: .nan}"), ("cards_epochs", "{epochs: 1e30}"),
                                    ("cards_warmup", "{warmup_ratio: .inf}"), ("cards_norm", "{max_grad_norm: -1}")):
        write(f"{folder}/bad.yaml", _card("bad") + f"hyperparameters: {hyperparameters}\n")
    shutil.copytree(ensure_tiny_model("tiny-bert"), tmp / "no_weights")
    (tmp / "no_weights" / "model.safetensors").unlink()
    for folder, config in (("config_not_json", b"{not json"), ("config_list", b"[1, 2]"),
                           ("config_bytes", b'\xff\xfe{"model_type": "bert"}'),
                           ("config_field", b'{"model_type": "bert", "hidden_size": "big"}'),
                           ("config_type", b'{"model_type": "no-such-type"}')):
        write(f"{folder}/config.json", config)
        write(f"{folder}/model.safetensors", b"")
    write("a_file", "not a directory")
    write("run_list/run.json", "[]")
    write("run_garbled/run.json", '{"output": ')
    (tmp / "run_folder" / "run.json").mkdir(parents=True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bad_numbers")
    _make_inputs(tmp)
    return tmp


def test_there_are_enough_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_line_and_exit_2(case, inputs, monkeypatch):
    for name, value in ENVIRONMENT.get(case, {}).items():
        monkeypatch.setenv(name, value.replace("{tmp}", str(inputs)))
    run_case(CASES, case, inputs, monkeypatch)


def test_the_python_api_refuses_non_finite_values_before_making_the_output(tmp_path):
    import harness
    from harness.errors import UserError

    for keywords in ({"lr_grid": [1e-4, math.inf]}, {"epochs": math.nan}, {"seeds": [2**32]}):
        with pytest.raises(UserError, match="finite|2\\*\\*32"):
            harness.run(models=["tiny-bert"], tasks=["sst2"], data="sample", output=str(tmp_path / "run"),
                        **keywords)
    assert not (tmp_path / "run").exists()


def test_a_max_length_within_the_positions_is_accepted():
    """The limit is the model's own: tiny-bert has 512 positions, so 512 passes (and 513 does not); T5's relative
    positions have no limit."""
    from harness.errors import UserError
    from harness.models.limits import check_max_length
    from harness.models.resolve import resolve_model

    bert, t5 = resolve_model("tiny-bert"), resolve_model("tiny-t5")
    check_max_length([bert, t5], 512)
    check_max_length([t5], 100_000)
    with pytest.raises(UserError, match="512 positions"):
        check_max_length([t5, bert], 513)


def test_a_model_directory_with_sharded_weights_is_accepted(inputs, tmp_path):
    """Only a directory without any weight file is refused: an index of shards counts as weights."""
    from harness.models.resolve import resolve_model

    model = tmp_path / "sharded"
    shutil.copytree(inputs / "no_weights", model)
    (model / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {}}))
    assert resolve_model(str(model)).architecture == "encoder"
