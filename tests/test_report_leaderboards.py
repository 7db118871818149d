"""Leaderboard definitions: the shipped ones load; mistakes are one-line errors naming the file and the field."""
from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.leaderboards import available, load

from conftest import run_cli


def _write(tmp_path, text: str):
    path = tmp_path / "board.yaml"
    path.write_text(text)
    return path


def test_shipped_leaderboards_load():
    boards = available()
    assert {"smoke", "base"} <= set(boards)
    smoke = load("smoke")
    assert smoke.models == ["tiny-bert", "tiny-gpt2", "tiny-t5"] and smoke.data == "sample"
    kwargs = smoke.run_kwargs()
    assert kwargs["data"] == ["sample"] and kwargs["epochs"] == 1.0 and kwargs["seeds"] == "0"
    assert kwargs["leaderboard"] == str(smoke.path) and smoke.info()["name"] == "smoke"
    from harness.tasks.registry import Registry
    with_samples = [card for card in Registry().cards.values() if card.sample is not None]
    chosen = [card for card in with_samples if card.name in smoke.tasks]
    assert len(chosen) == len(smoke.tasks)                     # every smoke task has a bundled sample
    for aspect in ("family", "kind"):                           # one task stands for each family and each kind
        assert {getattr(c, aspect) for c in chosen} == {getattr(c, aspect) for c in with_samples}, aspect
    base = load("base")
    assert base.models == ["bert", "roberta", "gpt2", "t5", "bart", "deberta"]
    assert base.seeds == [0, 1, 2] and base.tasks == ["all"] and base.data == "hub"
    assert base.run_kwargs()["data"] == [] and base.run_kwargs()["data_dir"] is None


def test_data_dir_is_relative_to_the_file(tmp_path):
    board = load(str(_write(tmp_path, "models: [tiny-bert]\ntasks: [sst2]\ndata_dir: data\n")))
    assert board.data == "data_dir" and board.data_dir == (tmp_path / "data").resolve()
    assert board.name == "board"


@pytest.mark.parametrize("text, field", [
    ("models: [tiny-bert]\ntasks: [sst3]\n", "tasks"),
    ("models: 3\ntasks: [sst2]\n", "models"),
    ("models: [tiny-bert, 7]\ntasks: [sst2]\n", "models"),
    ("tasks: [sst2]\n", "models"),
    ("models: [tiny-bert]\ntasks: [sst2]\nseeds: [0, x]\n", "seeds"),
    ("models: [tiny-bert]\ntasks: [sst2]\nseeds: [1, 1]\n", "seeds"),
    ("models: [tiny-bert]\ntasks: [sst2]\nsettings: {epoch: 1}\n", "settings.epoch"),
    ("models: [tiny-bert]\ntasks: [sst2]\nsettings: {batch_size: 2.5}\n", "settings.batch_size"),
    ("models: [tiny-bert]\ntasks: [sst2]\nsettings: {lr: fast}\n", "settings.lr"),
    ("models: [tiny-bert]\ntasks: [sst2]\nsettings: {precision: fp8}\n", "settings.precision"),
    ("models: [tiny-bert]\ntasks: [sst2]\ndata: local\n", "data"),
    ("models: [tiny-bert]\ntasks: [sst2]\nseed: [0]\n", "seed"),
    ("models: [tiny-bert]\ntasks: [sst2]\nname: 5\n", "name"),
])
def test_mistakes_name_file_and_field(tmp_path, text, field):
    path = _write(tmp_path, text)
    with pytest.raises(UserError) as info:
        load(str(path))
    message = str(info.value)
    assert str(path) in message and f"field '{field}'" in message and "\n" not in message


def test_typos_get_suggestions(tmp_path):
    with pytest.raises(UserError) as info:
        load(str(_write(tmp_path, "models: [tiny-bert]\ntasks: [sst3]\n")))
    assert "sst2" in info.value.hint
    with pytest.raises(UserError) as info:
        load("smok")
    assert "smoke" in info.value.hint


def test_cli_errors(tmp_path):
    unknown = run_cli("run", "--leaderboard", "nope")
    assert unknown.returncode == 2 and "unknown leaderboard 'nope'" in unknown.stderr
    mixed = run_cli("run", "--leaderboard", "smoke", "--models", "tiny-bert")
    assert mixed.returncode == 2 and "--models cannot be combined with --leaderboard" in mixed.stderr
    path = _write(tmp_path, "models: [tiny-bert]\ntasks: [sst3]\n")
    bad = run_cli("run", "--leaderboard", str(path))
    assert bad.returncode == 2 and "field 'tasks'" in bad.stderr and "Traceback" not in bad.stderr
    listed = run_cli("list", "leaderboards")
    assert "base" in listed.stdout and "smoke" in listed.stdout
