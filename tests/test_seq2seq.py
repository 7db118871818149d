"""Seq2seq (translation, summarization): features per family, loss masking, generation, options, the three heads."""
from __future__ import annotations

import contextlib
import json

import pytest

import harness
from harness.settings import Hyperparameters
from harness.tasks.registry import Registry, load_kind

FAST = dict(data="sample", epochs=1, batch_size=8, lr=3e-3, max_train_samples=32, max_eval_samples=16,
            latency_requests=2, max_new_tokens=8, executor="inline", write_report=False, progress=lambda _: None)
FAMILIES = ["tiny-bert", "tiny-gpt2", "tiny-t5"]
PAIRS = [("I have a dog.", "Am un câine."), ("The cat sleeps.", "Pisica doarme."), ("We eat apples.", "Mâncăm mere."),
         ("She reads books.", "Ea citește cărți."), ("It is cold.", "Este frig."), ("Good morning.", "Bună dimineața.")]
BATCH = {"source": [p[0] for p in PAIRS], "target": [p[1] for p in PAIRS]}


# Tiny models gain nothing from intra-op threads, and lose a lot when other processes share the cores.
pytestmark = pytest.mark.usefixtures("one_torch_thread")

@pytest.fixture(scope="module")
def setup():
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    card = Registry().card("wmt16_en_ro")
    kind = load_kind("seq2seq")
    models = {}
    for name in FAMILIES:
        spec = resolve_model(name)
        models[name] = (spec, kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec))
    return card, kind, models


HP = Hyperparameters(max_length=32, max_target_length=16)


def test_causal_lm_loss_covers_the_target_only(setup):
    card, kind, models = setup
    spec, tokenizer = models["tiny-gpt2"]
    train = kind.encoder(card, spec, tokenizer, HP, "train")(BATCH)
    test = kind.encoder(card, spec, tokenizer, HP, "test")(BATCH)
    separator = tokenizer(card.options["separator"], add_special_tokens=False)["input_ids"]
    assert separator
    for i, (source, target) in enumerate(PAIRS):
        source_ids = tokenizer(source)["input_ids"]
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        prompt = source_ids + separator
        assert train["input_ids"][i] == prompt + target_ids
        assert train["labels"][i] == [-100] * len(prompt) + target_ids       # no loss on source or separator
        assert train["attention_mask"][i] == [1] * len(train["input_ids"][i])
        assert test["input_ids"][i] == prompt and "labels" not in test          # generation continues the prompt
    assert "translate English" not in tokenizer.decode(train["input_ids"][0])  # the T5 prefix is for T5 only


def test_encoder_decoder_and_bert2bert_targets(setup):
    card, kind, models = setup
    spec, tokenizer = models["tiny-t5"]
    features = kind.encoder(card, spec, tokenizer, HP, "train")(BATCH)
    assert tokenizer.decode(features["input_ids"][0], skip_special_tokens=True).startswith(
        "translate English to Romanian:")
    assert features["labels"][0] == tokenizer(text_target=PAIRS[0][1])["input_ids"]
    assert features["labels"][0][-1] == tokenizer.eos_token_id
    spec, tokenizer = models["tiny-bert"]
    features = kind.encoder(card, spec, tokenizer, HP, "train")(BATCH)
    # decoder input = [CLS] y (the model shifts labels right), labels = y [SEP]
    assert features["labels"][0] == tokenizer(PAIRS[0][1], add_special_tokens=False)["input_ids"] + \
        [tokenizer.sep_token_id]
    assert tokenizer.cls_token_id not in features["labels"][0]
    assert set(features) == {"input_ids", "attention_mask", "labels"}


def test_bert2bert_special_tokens_are_on_config_and_generation_config(setup):
    card, kind, models = setup
    spec, tokenizer = models["tiny-bert"]
    model = kind.build_model(card, spec, tokenizer)
    assert type(model).__name__ == "EncoderDecoderModel"
    for config in (model.config, model.generation_config):
        assert config.decoder_start_token_id == tokenizer.cls_token_id
        assert config.pad_token_id == tokenizer.pad_token_id
        assert config.eos_token_id == tokenizer.sep_token_id


def test_left_padded_batched_generation_equals_one_by_one(setup):
    import torch

    from harness.kinds.seq2seq import _generate

    card, kind, models = setup
    spec, tokenizer = models["tiny-gpt2"]
    torch.manual_seed(0)
    model = kind.build_model(card, spec, tokenizer).eval()
    prompts = kind.encoder(card, spec, tokenizer, HP, "test")(BATCH)["input_ids"]
    assert len({len(p) for p in prompts}) > 1
    settings = {"max_new_tokens": 6, "num_beams": 1}
    batched, _ = _generate(model, tokenizer, "decoder", prompts, settings, "cpu", contextlib.nullcontext, torch)
    for prompt, row in zip(prompts, batched):
        with torch.inference_mode():
            alone = model.generate(input_ids=torch.tensor([prompt]), max_new_tokens=6, do_sample=False,
                                   pad_token_id=tokenizer.pad_token_id)
        text = tokenizer.decode(row, skip_special_tokens=True).strip()
        assert text == tokenizer.decode(alone[0, len(prompt):], skip_special_tokens=True).strip()


@pytest.mark.parametrize("model", FAMILIES)
def test_each_family_learns_to_reproduce_a_few_pairs(setup, model):
    """Overfitting six pairs checks the whole path: features, loss masking, decoder start, eos, generation."""
    import torch

    from harness.data.batching import collate_features
    from harness.kinds.seq2seq import _generate
    from harness.metrics.detokenize import GeneratedTextDecoder

    card, kind, models = setup
    spec, tokenizer = models[model]
    torch.manual_seed(0)
    net = kind.build_model(card, spec, tokenizer)
    train = kind.encoder(card, spec, tokenizer, HP, "train")(BATCH)
    batch = collate_features([{k: train[k][i] for k in kind.train_columns()} for i in range(len(PAIRS))],
                             tokenizer.pad_token_id, separately_padded=kind.separately_padded)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2)
    net.train()
    for _ in range(200):
        net(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    net.eval()
    prompts = kind.encoder(card, spec, tokenizer, HP, "test")(BATCH)["input_ids"]
    generated, _ = _generate(net, tokenizer, spec.architecture, prompts, {"max_new_tokens": 16, "num_beams": 1}, "cpu",
                             contextlib.nullcontext, torch)
    outputs = GeneratedTextDecoder(tokenizer).batch_decode(generated)
    # compare with the target as the tokenizer can spell it (tiny-bert lowercases and strips accents)
    expected = [tokenizer.decode(tokenizer(t, add_special_tokens=False)["input_ids"], skip_special_tokens=True)
                for _, t in PAIRS]
    assert sum(o == e for o, e in zip(outputs, expected)) >= 4, outputs


@pytest.mark.parametrize("model", ["tiny-gpt2", "tiny-t5"])
def test_static_shape_training_path_pads_labels_per_family(setup, model):
    """The GPU path (length buckets, fixed shapes) must give a causal LM labels as wide as its inputs, and an
    encoder-decoder labels of their own width; run here on CPU with the static path forced on."""
    from datasets import Dataset

    from harness.train.loop import train_model

    card, kind, models = setup
    spec, tokenizer = models[model]
    long = {"source": [" ".join([s] * n) for (s, _), n in zip(PAIRS, (1, 2, 4, 6, 8, 1))],
            "target": [t for _, t in PAIRS]}
    features = Dataset.from_dict(kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=64), "train")(long))
    assert max(len(x) for x in features["input_ids"]) > 32 > min(len(x) for x in features["input_ids"])

    def train(separately_padded):
        return train_model(kind.build_model(card, spec, tokenizer), features, columns=kind.train_columns(),
                           pad_id=tokenizer.pad_token_id, separately_padded=separately_padded,
                           hp=Hyperparameters(batch_size=2, epochs=1), seed=0, device="cpu", precision="fp32",
                           validate=lambda _: {"bleu": 0.0}, primary="bleu", higher_is_better=True, static=True)
    outcome = train(kind.padded_separately(spec))
    assert outcome.static_shapes and outcome.steps >= 3
    if spec.architecture == "decoder":
        assert kind.padded_separately(spec) == ()
        with pytest.raises(ValueError, match="batch_size"):    # labels in a width of their own break the loss
            train(("labels",))
    else:
        assert kind.padded_separately(spec) == ("labels",)


def test_generation_settings_card_then_run_options(setup):
    card, kind, _ = setup
    assert kind.generation_settings(card, {}) == {"max_new_tokens": 128, "num_beams": 4, "length_penalty": 1.0,
                                                  "no_repeat_ngram_size": 0}
    assert kind.generation_settings(card, {"max_new_tokens": 5, "num_beams": None})["max_new_tokens"] == 5
    assert kind.generation_settings(card, {"num_beams": 1})["num_beams"] == 1


def test_generation_options_enter_the_ids_of_generating_jobs_only():
    from harness.api import plan_run

    def ids(options):
        plan = plan_run(models="tiny-t5", tasks="sst2,xsum", data="sample", **options)
        return {job.task: job for job in plan.jobs}
    plain, beams = ids({"latency_requests": 5}), ids({"latency_requests": 5, "num_beams": 2, "max_new_tokens": None})
    assert plain["sst2"].id == beams["sst2"].id and "num_beams" not in beams["sst2"].options
    assert plain["xsum"].id != beams["xsum"].id and beams["xsum"].options["num_beams"] == 2
    assert "max_new_tokens" not in beams["xsum"].options


def test_cli_generation_options_limit_the_outputs(cli, tmp_path):
    out = tmp_path / "run"
    result = cli("run", "--models", "tiny-t5", "--tasks", "wmt16_en_ro", "--data", "sample", "--output", str(out),
                 "--max-train-samples", "16", "--max-eval-samples", "8", "--epochs", "1", "--latency-requests", "1",
                 "--max-new-tokens", "3", "--num-beams", "2", "--no-report")
    assert result.returncode == 0, result.stderr
    record = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    assert record["status"] == "ok" and {"bleu", "chrf"} <= set(record["metrics"])
    predictions = json.loads((out / "predictions" / f"{record['job']}.json").read_text())["predictions"]
    assert len(predictions) == 8
    assert all(len(p.split()) <= 3 for p in predictions)     # 3 new tokens start at most 3 words
    bad = cli("run", "--models", "tiny-t5", "--tasks", "xsum", "--data", "sample", "--num-beams", "0",
              "--output", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "--num-beams" in bad.stderr


def test_three_families_on_translation_and_summarization(tmp_path):
    records = harness.run(models="tiny-bert,tiny-gpt2,tiny-t5", tasks="translation,summarization", output=tmp_path,
                          **FAST)
    assert {(r["model"], r["task"]): r["status"] for r in records} == {
        (m, t): "ok" for m in FAMILIES for t in ("wmt16_en_ro", "xsum")}
    for record in records:
        want = {"bleu", "chrf"} if record["task"] == "wmt16_en_ro" else {"rouge1", "rouge2", "rougeL", "rougeLsum"}
        assert set(record["metrics"]) == want
        assert record["eval"]["latency_ms_p50"] > 0


def test_encoder_without_a_causal_lm_version_is_unsupported(tmp_path, tiny_distilbert):
    records = harness.run(models=str(tiny_distilbert), tasks="xsum",
                          output=tmp_path / "run", **FAST)
    assert records[0]["status"] == "unsupported"
    assert "bert2bert warm start needs a causal-LM (decoder) version of model type 'distilbert'" in records[0]["error"]
