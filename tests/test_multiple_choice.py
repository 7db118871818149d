"""The multiple-choice kind: rows of (context, choice) pairs side by side for every architecture, a scoring head that
never picks a choice an example does not have, accuracy with its per-example statistics, and whole runs on the
three tiny models (ARC's 3-5 choices included)."""
from __future__ import annotations

import pytest

import harness
from harness.errors import UserError
from harness.settings import Hyperparameters
from harness.tasks.registry import Registry, load_kind

FAST = dict(data="sample", epochs=1, batch_size=8, max_train_samples=32, max_eval_samples=16, latency_requests=2,
            executor="inline", write_report=False, progress=lambda _: None)
ARC_ROWS = {"context": ["Which of these is a metal?", "Which of these is a bird?"],
            "choices": [["iron", "owl", "mango"], ["dog", "robin", "tin", "ant", "helium"]], "label": [0, 1]}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def models():
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    kind = load_kind("multiple_choice")
    out = {}
    for name in ("tiny-bert", "tiny-gpt2", "tiny-t5"):
        spec = resolve_model(name)
        out[name] = (spec, kind.prepare_tokenizer(load_tokenizer(spec), spec))
    return out


def _standard(card, batch):
    return load_kind("multiple_choice").standardize(card, dict(batch), "test data")


def test_choices_and_answers_in_every_form_the_data_gives():
    registry, kind = Registry(), load_kind("multiple_choice")
    arc = registry.card("arc_easy")
    rows = _standard(arc, {"context": ["q1", "q2"], "label": ["C", "2"],
                           "choices": [{"text": ["a", "b", "c"], "label": ["A", "B", "C"]},      # hub
                                       [{"text": "x", "label": "1"}, {"text": "y", "label": "2"}]]})  # file
    assert rows["choices"] == [["a", "b", "c"], ["x", "y"]] and rows["label"] == [2, 1]
    assert _standard(arc, {"context": ["q"], "choices": [["a", "b"]], "label": ["1"]})["label"] == [1]
    with pytest.raises(UserError, match="answer 'D' is not one of its 3 choices"):
        _standard(arc, {"context": ["q"], "choices": [{"text": ["a", "b", "c"], "label": list("ABC")}], "label": ["D"]})
    with pytest.raises(UserError, match="has 6 choices; the card allows 2 to 5"):
        _standard(arc, {"context": ["q"], "choices": [list("abcdef")], "label": [0]})
    with pytest.raises(UserError, match="choices must be a list of non-empty texts"):
        _standard(arc, {"context": ["q"], "choices": [["a", ""]], "label": [0]})
    copa = registry.card("copa")
    rows = _standard(copa, {"context": ["The man broke his toe.", "It rained."], "label": [0, 1],
                            "choices": [["He dropped a hammer.", "I saw it."], ["NASA waited.", "We got wet."]],
                            "relation": ["cause", "effect"]})
    assert rows["context"] == ["The man broke his toe because", "It rained so"]
    assert rows["choices"] == [["he dropped a hammer.", "I saw it."], ["NASA waited.", "we got wet."]]
    with pytest.raises(UserError, match="relation 'reason'"):
        _standard(copa, {"context": ["p"], "choices": [["a", "b"]], "label": [0], "relation": ["reason"]})
    assert kind.metric_spec("accuracy").name == "accuracy"


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-gpt2", "tiny-t5"])
def test_each_example_is_one_row_of_pairs_of_one_width(models, model):
    spec, tokenizer = models[model]
    card, kind = Registry().card("arc_easy"), load_kind("multiple_choice")
    features = kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=13), "train")(dict(ARC_ROWS))
    assert features["choice_count"] == [3, 5] and features["labels"] == [0, 1]
    for i, choices in enumerate(ARC_ROWS["choices"]):
        ids, mask, width = features["input_ids"][i], features["attention_mask"][i], features["choice_width"][i]
        assert len(ids) == len(mask) == 5 * width and width <= 13
        pairs = [ids[c * width:(c + 1) * width] for c in range(5)]
        for c, choice in enumerate(choices):
            real = [t for t, m in zip(pairs[c], mask[c * width:(c + 1) * width]) if m]
            assert choice in tokenizer.decode(real)
        assert all(pairs[c] == pairs[0] for c in range(len(choices), 5))      # empty places repeat the first pair
    assert max(sum(features["attention_mask"][1][c * width:(c + 1) * width]) for c in range(5)) == width


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-gpt2", "tiny-t5"])
def test_the_head_scores_every_pair_alone_and_never_picks_a_missing_choice(models, model):
    import torch

    from harness.data.batching import collate_features

    spec, tokenizer = models[model]
    card, kind = Registry().card("arc_easy"), load_kind("multiple_choice")
    encode = kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=16), "train")
    features = encode(dict(ARC_ROWS))
    rows = [{k: v[i] for k, v in features.items()} for i in range(2)]
    model_ = kind.build_model(card, spec, tokenizer).eval()
    with torch.no_grad():
        out = model_(**collate_features(rows, tokenizer.pad_token_id))
        alone = [model_(**collate_features([row], tokenizer.pad_token_id)).logits[0] for row in rows]
    assert out.logits.shape == (2, 5) and out.loss is not None and torch.isfinite(out.loss)
    assert (out.logits[0, 3:] == torch.finfo(torch.float32).min).all() and out.logits[1].isfinite().all()
    # Batched with a longer row (more padding per pair), each example keeps the scores it gets alone.
    for i, row in enumerate(rows):
        real = row["choice_count"]
        assert torch.allclose(out.logits[i, :real], alone[i][:real], atol=1e-4)
    assert model_.harness_new_parameters and all(n.startswith("scorer.") for n in model_.harness_new_parameters)


def test_head_and_lora_tuning_train_the_new_scoring_layer(models):
    from harness.tuning import apply_tuning

    spec, tokenizer = models["tiny-gpt2"]
    card, kind = Registry().card("copa"), load_kind("multiple_choice")
    head = apply_tuning(kind.build_model(card, spec, tokenizer), "head", task_type=kind.peft_task_type(spec))
    assert [n for n, p in head.named_parameters() if p.requires_grad] == ["scorer.score.weight"]
    lora = apply_tuning(kind.build_model(card, spec, tokenizer), "lora", task_type=kind.peft_task_type(spec))
    trained = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert any("lora_" in n for n in trained) and any(n.endswith("scorer.score.weight") for n in trained)


def test_accuracy_spec_reproduces_the_reported_accuracy():
    spec = load_kind("multiple_choice").metric_spec("accuracy")
    predictions, references = [0, 2, 4, 1, 3, 3], [0, 2, 1, 1, 3, 0]
    stats = spec.example_statistics(predictions, references, {"num_labels": 5})
    assert spec.corpus(stats) == pytest.approx(4 / 6)
    assert spec.resample(stats, [[2, 0, 0, 0, 1, 1]])[0] == pytest.approx(3 / 4)


@pytest.mark.slow
def test_runs_ok_on_the_three_architectures_with_three_to_five_choices(tmp_path):
    results = harness.run(models=["tiny-bert", "tiny-gpt2", "tiny-t5"], tasks=["arc_easy", "copa"],
                          output=str(tmp_path / "run"), **FAST)
    assert [(r["model"], r["task"], r["status"]) for r in results if r["status"] != "ok"] == []
    for record in results:
        assert 0 <= record["score"] <= 1 and record["metrics_split"] == "test"
        assert record["primary_metric"] == "accuracy"
        assert record["train"]["tokens_per_s"] > 0
