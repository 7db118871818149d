"""NER (token_classification): label alignment per tokenizer family, decoding back to words, the three heads."""
from __future__ import annotations

import contextlib

import pytest

import harness
from harness.kinds.base import EvalContext, Unsupported
from harness.settings import Hyperparameters
from harness.tasks.registry import Registry, load_kind

FAST = dict(data="sample", epochs=1, batch_size=8, lr=3e-3, max_train_samples=48, max_eval_samples=24,
            latency_requests=2, executor="inline", write_report=False, progress=lambda _: None)
SENTENCES = [(["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
              ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]),
             (["Peter", "Blackburn", "2,650"], ["B-PER", "I-PER", "O"])]


# Tiny models gain nothing from intra-op threads, and lose a lot when other processes share the cores.
pytestmark = pytest.mark.usefixtures("one_torch_thread")

@pytest.fixture(scope="module")
def setup():
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    card = Registry().card("conll2003")
    kind = load_kind("token_classification")
    out = {}
    for name in ("tiny-bert", "tiny-gpt2", "tiny-t5"):
        spec = resolve_model(name)
        tokenizer = kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec)
        out[name] = (spec, tokenizer)
    return card, kind, out


def encode(card, kind, spec, tokenizer, max_length=128):
    batch = {"tokens": [s[0] for s in SENTENCES],
             "ner_tags": [[card.labels.index(t) for t in s[1]] for s in SENTENCES]}
    return kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=max_length), "train")(batch)


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-gpt2", "tiny-t5"])
def test_first_sub_token_of_each_word_carries_its_label(setup, model):
    card, kind, models = setup
    spec, tokenizer = models[model]
    from harness.kinds.token_classification import is_byte_level

    features = encode(card, kind, spec, tokenizer)
    for i, (words, tags) in enumerate(SENTENCES):
        spaced = [" " + w for w in words] if is_byte_level(tokenizer) else words      # as the encoder gives them
        word_ids = tokenizer(spaced, is_split_into_words=True, truncation=True, max_length=128).word_ids()
        labels, index = features["labels"][i], features["word_index"][i]
        assert len(labels) == len(features["input_ids"][i]) == len(index)
        firsts = [p for p, w in enumerate(word_ids) if w is not None and (p == 0 or word_ids[p - 1] != w)]
        assert [labels[p] for p in firsts] == [card.labels.index(t) for t in tags]
        assert [index[p] for p in firsts] == list(range(len(words)))
        assert all(labels[p] == -100 and index[p] == -1 for p in range(len(labels)) if p not in firsts)


@pytest.fixture(scope="module")
def byte_level_encoder(tmp_path_factory):
    """A model whose type was never on a list of byte-level model types (ModernBERT), with tiny-gpt2's byte-level BPE
    saved as a generic tokenizers-backed tokenizer, the way ModernBERT ships its own."""
    import json
    import shutil

    from transformers import ModernBertConfig, ModernBertModel

    from harness.models.builtin import ensure_tiny_model

    folder = tmp_path_factory.mktemp("models") / "tiny-modernbert"
    folder.mkdir()
    gpt2 = ensure_tiny_model("tiny-gpt2")
    shutil.copy(gpt2 / "tokenizer.json", folder / "tokenizer.json")
    config = json.loads((gpt2 / "tokenizer_config.json").read_text())
    config.pop("add_prefix_space")
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "tokenizer_class": "PreTrainedTokenizerFast"}))
    eos = json.loads((gpt2 / "config.json").read_text())["eos_token_id"]
    model_config = ModernBertConfig(vocab_size=2000, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                    intermediate_size=64, pad_token_id=eos, bos_token_id=eos, eos_token_id=eos,
                                    cls_token_id=eos, sep_token_id=eos)
    ModernBertModel(model_config).save_pretrained(folder)       # a model directory holds weights
    return folder


def _job_tokenizer(kind, spec):
    from harness.models.loading import load_tokenizer

    return kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec)


def test_byte_level_tokenizers_are_recognised_from_the_tokenizer(setup, byte_level_encoder):
    from harness.kinds.token_classification import is_byte_level
    from harness.models.resolve import resolve_model

    card, kind, models = setup
    spec = resolve_model(str(byte_level_encoder))
    assert spec.model_type == "modernbert" and spec.architecture == "encoder"
    assert is_byte_level(_job_tokenizer(kind, spec))
    assert is_byte_level(models["tiny-gpt2"][1])
    assert not is_byte_level(models["tiny-bert"][1]) and not is_byte_level(models["tiny-t5"][1])


@pytest.mark.parametrize("model", ["tiny-gpt2", "tiny-modernbert", "tiny-bert"])
def test_words_tokenize_as_in_running_text(setup, byte_level_encoder, model):
    """Byte-level BPE marks a word start with a leading space ('Ġ'): every pre-split word must keep it, as it has in
    running text; WordPiece has no such marker."""
    from harness.models.resolve import resolve_model

    card, kind, models = setup
    spec = resolve_model(str(byte_level_encoder)) if model == "tiny-modernbert" else models[model][0]
    tokenizer = _job_tokenizer(kind, spec)
    features = encode(card, kind, spec, tokenizer)
    for i, (words, _) in enumerate(SENTENCES):
        running = (" " if model != "tiny-bert" else "") + " ".join(words)
        assert features["input_ids"][i] == tokenizer(running)["input_ids"], words
    if model != "tiny-bert":
        pieces = tokenizer.convert_ids_to_tokens(features["input_ids"][0])
        assert sum(p.startswith("Ġ") for p in pieces) == len(SENTENCES[0][0])


def test_truncated_words_are_tagged_o_and_the_rest_map_back(setup):
    """A stand-in model that predicts the gold tag at each labelled position: evaluation must give back the gold
    words' tags, except for the words cut off by max_length, which become O."""
    import torch
    from datasets import Dataset

    card, kind, models = setup
    spec, tokenizer = models["tiny-bert"]
    max_length = 8
    features = encode(card, kind, spec, tokenizer, max_length=max_length)
    n_labels = len(card.labels)

    class Oracle(torch.nn.Module):
        def forward(self, input_ids, attention_mask=None, token_type_ids=None):
            logits = torch.zeros(*input_ids.shape, n_labels)
            for row in range(input_ids.shape[0]):
                key = tuple(input_ids[row][attention_mask[row] == 1].tolist())
                labels = by_ids[key]
                for p, label in enumerate(labels):
                    logits[row, p, label if label >= 0 else 0] = 1.0
            return type("Out", (), {"logits": logits})()

    by_ids = {tuple(ids): labels for ids, labels in zip(features["input_ids"], features["labels"])}
    rows = Dataset.from_dict({"tokens": [s[0] for s in SENTENCES],
                              "ner_tags": [[card.labels.index(t) for t in s[1]] for s in SENTENCES]})
    ctx = EvalContext(model=Oracle(), tokenizer=tokenizer, spec=spec, card=card, features=Dataset.from_dict(features),
                      rows=rows, device=torch.device("cpu"), batch_size=4, autocast=contextlib.nullcontext)
    evaluation = kind.evaluate(ctx)
    assert evaluation.references == [s[1] for s in SENTENCES]
    first = evaluation.predictions[0]
    kept = sum(1 for w in features["word_index"][0] if w >= 0)
    assert 0 < kept < len(SENTENCES[0][0])          # max_length cut the first sentence
    assert first[:kept] == SENTENCES[0][1][:kept] and set(first[kept:]) == {"O"}
    assert evaluation.predictions[1] == SENTENCES[1][1]
    assert 0 < evaluation.metrics["f1"] < 1 and evaluation.metrics["recall"] < evaluation.metrics["precision"] == 1


def test_three_families_fine_tune_on_the_sample(tmp_path):
    records = harness.run(models="tiny-bert,tiny-gpt2,tiny-t5", tasks="conll2003", output=tmp_path, **FAST)
    assert {r["model"]: r["status"] for r in records} == {"tiny-bert": "ok", "tiny-gpt2": "ok", "tiny-t5": "ok"}
    for record in records:
        assert {"f1", "precision", "recall", "accuracy", "f1_PER", "f1_ORG", "f1_LOC", "f1_MISC"} <= set(
            record["metrics"])
        assert record["primary_metric"] == "f1" and record["task_family"] == "ner"
        assert 0 <= record["score"] <= 1 and record["eval"]["latency_ms_p50"] > 0


def test_a_family_without_a_token_classification_head_is_unsupported(tiny_pegasus):
    kind = load_kind("token_classification")
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    spec = resolve_model(str(tiny_pegasus))
    with pytest.raises(Unsupported, match="AutoModelForTokenClassification has no head for model type 'pegasus'"):
        kind.build_model(Registry().card("conll2003"), spec, load_tokenizer(spec))
