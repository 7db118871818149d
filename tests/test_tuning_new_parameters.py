"""Parameters the checkpoint did not hold train in full under `head` and `lora`, for every architecture x kind.

What the checkpoint held is read here straight from its safetensors files and matched to the built model's
parameter names, independently of the loading info the harness relies on.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import harness
from harness.kinds.base import Unsupported
from harness.models.loading import load_tokenizer
from harness.models.resolve import resolve_model
from harness.tasks.registry import Registry, load_kind
from harness.tuning import apply_tuning, optimizer_state_bytes, trainable_parameters

ARCHITECTURES = ("tiny-bert", "tiny-gpt2", "tiny-t5")
TASK_OF_KIND = {"classification": "sst2", "regression": "stsb", "token_classification": "conll2003",
                "extractive_qa": "squad", "seq2seq": "wmt16_en_ro"}
STRATEGIES = ("full", "head", "lora")
PEFT_PREFIX = "base_model.model."


def checkpoint_keys(model_dir: Path) -> set[str]:
    from safetensors import safe_open

    index = model_dir / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.is_file() \
        else ["model.safetensors"]
    keys: set[str] = set()
    for name in files:
        with safe_open(str(model_dir / name), "pt") as handle:
            keys.update(handle.keys())
    return keys


def base_prefix(model_dir: Path) -> str:
    """The prefix the checkpoint's class puts before its base model's names (`bert` for BertForMaskedLM)."""
    import transformers

    architecture = json.loads((model_dir / "config.json").read_text())["architectures"][0]
    return getattr(transformers, architecture).base_model_prefix


def _held(name: str, keys: set[str], prefix: str) -> bool:
    """A model parameter name matches a checkpoint key up to the wrappers around the base model on either side
    (`bert.` in a masked-LM checkpoint; `encoder.` / `decoder.bert.` in a warm-started encoder-decoder)."""
    for key in keys:
        base = key.removeprefix(prefix + ".")
        if name in (key, base) or name.endswith("." + key) or name.endswith("." + base):
            return True
    return False


def missing_from_checkpoint(model, model_dir: Path) -> set[str]:
    """Names (as `named_parameters` gives them) of the parameters none of whose names (tied aliases included)
    the checkpoint holds."""
    keys, prefix = checkpoint_keys(model_dir), base_prefix(model_dir)
    held = {id(p) for name, p in model.named_parameters(remove_duplicate=False) if _held(name, keys, prefix)}
    return {name for name, p in model.named_parameters() if id(p) not in held}


def canonical_trainable(model) -> set[str]:
    """Trainable parameter names with peft's wrapping undone (a trained copy of a saved module counts)."""
    names = set()
    for name, param in model.named_parameters():
        if param.requires_grad:
            name = name.removeprefix(PEFT_PREFIX).replace(".base_layer.", ".")
            names.add(name.replace(".modules_to_save.default.", "."))
    return names


@pytest.fixture(scope="module")
def registry():
    return Registry()


def build(registry, model_name: str, kind_name: str):
    card = registry.card(TASK_OF_KIND[kind_name])
    kind = load_kind(card.kind)
    spec = resolve_model(model_name)
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec)
    try:
        model = kind.build_model(card, spec, tokenizer)
    except Unsupported as exc:      # every tiny architecture has a head for every kind: a refusal is a bug
        pytest.fail(f"{model_name} has no {kind_name} head: {exc}")
    return kind, spec, model


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind_name", list(TASK_OF_KIND))
@pytest.mark.parametrize("model_name", ARCHITECTURES)
def test_parameters_missing_from_the_checkpoint_train(registry, model_name, kind_name, strategy):
    kind, spec, model = build(registry, model_name, kind_name)
    missing = missing_from_checkpoint(model, Path(spec.source))
    try:
        tuned = apply_tuning(model, strategy, task_type=kind.peft_task_type(spec), generative=kind.uses_generation)
    except Unsupported as exc:
        # only head-only tuning of a model with nothing new may be refused
        assert strategy == "head" and not missing, (str(exc), sorted(missing))
        return
    trainable = canonical_trainable(tuned)
    assert missing <= trainable, sorted(missing - trainable)
    if strategy == "head":
        assert trainable == missing
    assert optimizer_state_bytes(tuned) == 8 * trainable_parameters(tuned)


def test_bert2bert_has_new_cross_attention_and_trains_it_under_head_and_lora(registry):
    """A warm-started encoder-decoder gains cross-attention the checkpoint never had; head and LoRA train it."""
    for strategy in ("head", "lora"):
        kind, spec, model = build(registry, "tiny-bert", "seq2seq")
        missing = missing_from_checkpoint(model, Path(spec.source))
        assert any(".crossattention." in name for name in missing)
        tuned = apply_tuning(model, strategy, task_type=kind.peft_task_type(spec), generative=True)
        trainable = canonical_trainable(tuned)
        assert missing <= trainable
        assert strategy == "lora" or trainable == missing


def test_native_seq2seq_and_decoders_have_no_head_to_tune_on_generation(registry):
    for model_name in ("tiny-t5", "tiny-gpt2"):
        kind, spec, model = build(registry, model_name, "seq2seq")
        assert missing_from_checkpoint(model, Path(spec.source)) == set()
        with pytest.raises(Unsupported, match="head"):
            apply_tuning(model, "head", task_type=kind.peft_task_type(spec), generative=True)


@pytest.mark.realmodel
@pytest.mark.realdata
def test_minilm_bert2bert_lora_trains_cross_attention_and_lm_head_transform(minilm_dir, shared_data, tmp_path):
    """all-MiniLM-L6-v2 is a bare encoder checkpoint: its bert2bert decoder gets new cross-attention and a new
    LM-head transform; both train in full next to the adapters, and the record counts them."""
    registry = Registry()
    card = registry.card("wmt16_en_ro")
    kind = load_kind(card.kind)
    spec = resolve_model(str(minilm_dir))
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec), spec)
    model = kind.build_model(card, spec, tokenizer)
    missing = missing_from_checkpoint(model, Path(spec.source))
    assert any(".crossattention." in n for n in missing) and any(".predictions.transform." in n for n in missing)
    new_count = sum(p.numel() for n, p in model.named_parameters() if n in missing)

    results = harness.run(models=str(minilm_dir), tasks="wmt16_en_ro", data_dir=shared_data, tuning="lora",
                          max_train_samples=8, max_eval_samples=2, epochs=1, batch_size=8, max_length=32,
                          max_new_tokens=2, num_beams=1, latency_requests=0, output=tmp_path,
                          executor="inline", write_report=False, progress=lambda _: None)
    record = results[0]
    assert record["status"] == "ok", record["error"]
    assert new_count < record["trainable_params"] < record["params"]
    assert record["optimizer_state_bytes"] == 8 * record["trainable_params"]
