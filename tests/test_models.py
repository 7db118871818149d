"""Model resolution: aliases, local directories, family detection from the config, tiny built-in models."""
from __future__ import annotations


import pytest

from harness.errors import UserError
from harness.models.aliases import ALIASES
from harness.models.resolve import detect_architecture, resolve_model


@pytest.mark.parametrize("name, family, model_type", [
    ("tiny-bert", "encoder", "bert"), ("tiny-gpt2", "decoder", "gpt2"), ("tiny-t5", "encoder-decoder", "t5")])
def test_tiny_models_resolve_with_their_family(name, family, model_type):
    spec = resolve_model(name)
    assert spec.architecture == family and spec.model_type == model_type and spec.local


def test_tiny_models_are_built_once_and_deterministically(tmp_path):
    from harness.models.builtin import sample_corpus
    from harness.models.tiny import build_tiny_model

    first, second = tmp_path / "a", tmp_path / "b"
    corpus = sample_corpus()[:500]
    build_tiny_model("tiny-bert", first, corpus)
    build_tiny_model("tiny-bert", second, corpus)
    files = sorted(p.name for p in first.iterdir())
    assert "model.safetensors" in files and "tokenizer.json" in files
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    assert resolve_model("tiny-bert").source == resolve_model("tiny-bert").source


def test_aliases_cover_the_common_models():
    for alias in ("bert", "gpt2", "roberta", "distilbert", "t5", "bart", "deberta"):
        assert alias in ALIASES and "/" in ALIASES[alias].hub_id


def test_offline_uncached_hub_model_is_a_clear_error():
    with pytest.raises(UserError) as err:
        resolve_model("some-org/definitely-not-cached-model")
    message = str(err.value)
    assert "not in the local Hugging Face cache" in message and "local directory" in message


def test_unknown_alias_suggests_a_close_one():
    with pytest.raises(UserError) as err:
        resolve_model("robertta")
    assert "did you mean 'roberta'" in str(err.value)


def test_missing_local_directory():
    with pytest.raises(UserError) as err:
        resolve_model("./no/such/model")
    assert "model directory not found" in str(err.value)


def test_local_directory_family_comes_from_config_not_name(tmp_path):
    from transformers import GPT2Config

    directory = tmp_path / "bert-looking-name"
    GPT2Config(n_embd=16, n_layer=1, n_head=2).save_pretrained(directory)
    (directory / "model.safetensors").touch()       # a model directory must hold weights; their content is not read
    spec = resolve_model(str(directory))
    assert spec.architecture == "decoder" and spec.model_type == "gpt2"


def test_detect_family_rules():
    from transformers import BartConfig, BertConfig, LlamaConfig

    assert detect_architecture(BertConfig()) == "encoder"
    assert detect_architecture(LlamaConfig()) == "decoder"
    assert detect_architecture(BartConfig()) == "encoder-decoder"


def test_directory_without_config_is_rejected(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(UserError) as err:
        resolve_model(str(tmp_path))
    assert "no config.json" in str(err.value)


def test_broken_config_json(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UserError) as err:
        resolve_model(str(tmp_path))
    assert "cannot read" in str(err.value)
