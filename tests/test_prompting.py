"""Zero- and few-shot entries (--tuning none, icl:K): prompts, label-word scoring, calibration, chat template."""
from __future__ import annotations

import json

import pytest

from conftest import REPO, run_cli

SAMPLE_ROWS = 24         # validation and test rows per job: enough to score, few enough to be quick


def _rows(n: int, start: int = 0):
    from datasets import Dataset

    return Dataset.from_dict({"text": [f"review number {i} was {'good' if i % 2 else 'bad'}" for i in
                                       range(start, start + n)],
                              "label": [i % 2 for i in range(start, start + n)], "idx": list(range(n))})


def _sst2():
    from harness.tasks.card import load_card

    return load_card(REPO / "tasks" / "sst2.yaml")


def _context(model_name: str, rows, train_rows=None, with_model: bool = True):
    """An evaluation context of the sst2 card for a tiny model, as a zero-/few-shot job builds it."""
    import contextlib

    from harness.kinds.base import EvalContext
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model
    from harness.tasks.registry import load_kind

    spec, card, kind = resolve_model(model_name), _sst2(), load_kind("classification")
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec), spec)
    model = kind.prompted_model(card, spec, tokenizer) if with_model else None
    return EvalContext(model=model, tokenizer=tokenizer, spec=spec, card=card, features=None, rows=rows,
                       device="cpu", batch_size=4, autocast=contextlib.nullcontext, split="test",
                       train_rows=train_rows if train_rows is not None else _rows(30, start=100))


# --- label-word scoring --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("words", [[" terrible movie", " positive"], [" the", " is"]],
                         ids=["several tokens", "one token each"])
def test_label_words_are_scored_as_summed_log_probabilities_after_the_prompt(words):
    """tiny-gpt2's score of each label word is log P(word's tokens | prompt), summed over the tokens, as computed
    here by hand from one forward pass of prompt + word (words of one token each are scored from one forward
    pass of the prompt)."""
    import torch

    from harness.kinds.label_words import label_word_prompts, predict_label_words
    from harness.prompting import Prompting, fill

    ctx = _context("tiny-gpt2", _rows(3))
    prompts = label_word_prompts(ctx, Prompting(chat_template="off"), "Review: {text}\nSentiment:", words)
    outcome = predict_label_words(ctx, prompts)
    for row, scores in zip(ctx.rows, outcome.scores):
        prompt_ids = ctx.tokenizer(fill("Review: {text}\nSentiment:", row))["input_ids"]
        for word, score in zip(words, scores):
            word_ids = ctx.tokenizer(word, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logits = ctx.model(input_ids=torch.tensor([prompt_ids + word_ids])).logits[0]
            log_probs = logits.log_softmax(-1)
            by_hand = sum(float(log_probs[len(prompt_ids) - 1 + i, token]) for i, token in enumerate(word_ids))
            assert score == pytest.approx(by_hand, abs=1e-4)
    lengths = [len(ctx.tokenizer(word, add_special_tokens=False)["input_ids"]) for word in words]
    assert lengths[0] >= 2 if words[0] == " terrible movie" else lengths == [1, 1]
    assert outcome.uncalibrated == [max(range(2), key=lambda j: s[j]) for s in outcome.scores]


@pytest.mark.parametrize("words", [[" terrible movie", " good"], [" the", " is"]],
                         ids=["several tokens", "one token each"])
def test_an_encoder_decoder_scores_label_words_as_its_decoder_target(words):
    """tiny-t5: the prompt is the encoder's input, the word the decoder's target (no end-of-sequence token)."""
    import torch

    from harness.kinds.label_words import label_word_prompts, predict_label_words
    from harness.prompting import Prompting, fill

    ctx = _context("tiny-t5", _rows(2))
    outcome = predict_label_words(ctx, label_word_prompts(ctx, Prompting(chat_template="off"), "{text} is", words))
    for row, scores in zip(ctx.rows, outcome.scores):
        prompt_ids = ctx.tokenizer(fill("{text} is", row))["input_ids"]
        for word, score in zip(words, scores):
            word_ids = ctx.tokenizer(word, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logits = ctx.model(input_ids=torch.tensor([prompt_ids]), labels=torch.tensor([word_ids])).logits[0]
            by_hand = sum(float(logits.log_softmax(-1)[i, token]) for i, token in enumerate(word_ids))
            assert score == pytest.approx(by_hand, abs=1e-4)


def test_calibration_changes_the_prediction_and_keeps_the_uncalibrated_figure(monkeypatch):
    """A model that prefers label 1 whatever the input (the content-free "N/A" too): calibrated, both examples
    are label 0, as they should be; the uncalibrated accuracy (0) stays in the record's eval.calibration."""
    import torch

    from harness.kinds import label_words
    from harness.prompting import Prompting
    from harness.tasks.registry import load_kind

    # per prompt and label: example 1, example 2, then the content-free prompt
    scores = torch.tensor([[-1.0, -0.5], [-2.0, -0.2], [-3.0, -0.1]], dtype=torch.float64)
    monkeypatch.setattr(label_words, "label_word_scores", lambda ctx, contexts, answers: scores[:len(contexts)])
    rows = _rows(2).map(lambda row: {"label": 0})      # both negative
    evaluation = load_kind("classification").evaluate_prompted(_context("tiny-gpt2", rows, with_model=False),
                                                               Prompting())
    assert evaluation.predictions == [0, 0] and evaluation.metrics["accuracy"] == 1.0
    calibration = evaluation.record_sections["eval"]["calibration"]
    assert calibration["method"] == "contextual" and calibration["content_free"] == "N/A"
    assert calibration["uncalibrated"]["accuracy"] == 0.0


# --- few-shot prompts ----------------------------------------------------------------------------------------------

def test_demonstrations_are_k_training_rows_fixed_per_seed_and_never_the_example_itself():
    from harness.prompting import Demonstrations, PromptBuilder, Prompting

    train = _rows(40)
    tokenizer = _context("tiny-gpt2", _rows(1), with_model=False).tokenizer
    words = [" bad", " good"]

    def builder(seed: int) -> PromptBuilder:
        return PromptBuilder.create(Prompting(shots=4, seed=seed, chat_template="off"), "{text} ->", tokenizer,
                                    train, answer_of=lambda row: words[row["label"]])

    first, again, other = builder(0), builder(0), builder(1)
    example = dict(train[7])                    # a training row evaluated: it must not be its own demonstration
    shots = first.shots_for(example)
    assert len(shots) == 4 and shots == again.shots_for(example)
    other_rows = [other.demonstrations.rows[i] for i in other.shots_for(example)]
    assert [first.demonstrations.rows[i] for i in shots] != other_rows
    for seed in range(20):
        chosen = builder(seed)
        rows = [chosen.demonstrations.rows[i] for i in chosen.shots_for(example)]
        assert len(rows) == 4 and all(row["text"] != example["text"] for row in rows)
    prompt = first.render(example, shots)
    demos = [first.demonstrations.rows[i] for i in shots]
    assert prompt == "".join(f"{d['text']} ->{words[d['label']]}\n\n" for d in demos) + f"{example['text']} ->"
    with pytest.raises(Exception, match="needs 50 training examples"):
        Demonstrations(train, 50, 0)


CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def test_the_chat_template_is_applied_when_the_tokenizer_has_one_and_on_or_auto_asks():
    from harness.errors import Unsupported
    from harness.prompting import PromptBuilder, Prompting

    tokenizer = _context("tiny-gpt2", _rows(1), with_model=False).tokenizer
    words = [" bad", " good"]
    train, row = _rows(10), dict(_rows(1, start=50)[0])

    def render(mode: str) -> str:
        builder = PromptBuilder.create(Prompting(shots=1, chat_template=mode), "{text} ->", tokenizer, train,
                                       answer_of=lambda r: words[r["label"]])
        return builder.render(row, builder.shots_for(row))

    plain = render("auto")                      # this tokenizer has no chat template: plain text
    assert "<|user|>" not in plain and plain.endswith(f"{row['text']} ->")
    with pytest.raises(Unsupported, match="no chat template"):
        render("on")
    tokenizer.chat_template = CHAT_TEMPLATE
    try:
        for mode in ("auto", "on"):
            chat = render(mode)
            assert chat.startswith("<|user|>") and chat.endswith(f"<|user|>{row['text']} -><|end|><|assistant|>")
            assert "<|assistant|>bad<|end|>" in chat or "<|assistant|>good<|end|>" in chat   # answer: no space
        assert render("off") == plain
    finally:
        tokenizer.chat_template = None


# --- cards ---------------------------------------------------------------------------------------------------------

def test_every_shipped_classification_card_has_a_prompt_and_a_word_per_label():
    from harness.tasks.registry import Registry

    cards = [card for card in Registry([]).cards.values() if card.kind == "classification"]
    assert len(cards) >= 14
    for card in cards:
        assert card.prompt and "{text}" in card.prompt, card.name
        assert sorted(card.verbalizer) == sorted(card.labels), card.name


def test_prompt_fields_are_checked_and_change_only_the_prompted_jobs_card_hash():
    from harness.tasks.card import CardError, parse_card
    from harness.tasks.registry import load_kind

    card, kind = _sst2(), load_kind("classification")
    without = parse_card({k: v for k, v in card.raw.items() if k not in ("prompt", "verbalizer")}, card.path)
    assert without.hash == card.hash and without.prompted_hash != card.prompted_hash
    for bad, field in (({"prompt": "{sentence} is"}, "prompt"), ({"prompt": "{text"}, "prompt"),
                       ({"verbalizer": {"negative": " no", "positve": " yes"}}, "verbalizer.positve"),
                       ({"verbalizer": {"negative": " no"}}, "verbalizer"),
                       ({"verbalizer": {"negative": " no", "positive": "  "}}, "verbalizer.positive")):
        with pytest.raises(CardError, match=f"field '{field}'"):
            kind.check_card(parse_card({**card.raw, **bad}, card.path))


# --- whole jobs ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prompted_run(tmp_path_factory, one_torch_thread):
    import harness

    output = tmp_path_factory.mktemp("prompted")
    records = harness.run(models=["tiny-gpt2", "tiny-t5", "tiny-bert"], tasks=["sst2"], data="sample",
                          tuning=["none", "icl:2"], output=str(output), executor="inline", latency_requests=2,
                          max_eval_samples=SAMPLE_ROWS, write_report=False)
    return output, {(r["model"], r["tuning"]): r for r in records}


def test_none_and_icl_run_on_decoders_and_encoder_decoders_and_encoders_are_unsupported(prompted_run):
    _, records = prompted_run
    assert len(records) == 6
    for model in ("tiny-gpt2", "tiny-t5"):
        for tuning, shots in (("none", 0), ("icl:2", 2)):
            record = records[(model, tuning)]
            assert record["status"] == "ok", record["error"]
            assert record["prompting"]["shots"] == shots and record["prompting"]["chat_template"] is False
            assert record["prompting"]["label_words"] == {"negative": " negative", "positive": " positive"}
            assert record["train"]["steps"] == 0 and record["trainable_params"] == 0
            assert record["eval"]["examples"] == SAMPLE_ROWS and record["eval"]["latency_requests"] == 2
            assert set(record["eval"]["calibration"]["uncalibrated"]) >= {"accuracy", "f1", "mcc"}
            assert record["validation"]["metrics"]["accuracy"] is not None
    for tuning in ("none", "icl:2"):
        record = records[("tiny-bert", tuning)]
        assert record["status"] == "unsupported" and "random head is not a baseline" in record["error"]


def test_the_chat_template_setting_is_in_the_ids_of_prompted_jobs_only():
    from harness.api import plan_run

    def ids(**options) -> dict:
        plan = plan_run(models=["tiny-gpt2"], tasks=["sst2"], data="sample", tuning=["full", "none"], **options)
        return {job.tuning: job for job in plan.jobs}

    auto, off = ids(), ids(chat_template="off")
    assert auto["full"].id == off["full"].id and "chat_template" not in auto["full"].options
    assert auto["none"].id != off["none"].id and off["none"].options["chat_template"] == "off"


def test_a_grid_gives_jobs_that_train_one_job_per_point_and_prompted_ones_one_in_all():
    from harness.api import plan_run

    plan = plan_run(models=["tiny-gpt2"], tasks=["sst2"], data="sample", tuning=["full", "icl:2"],
                    lr_grid=[1e-4, 3e-4], seeds=[0, 1])
    assert sorted(job.tuning for job in plan.jobs) == ["full"] * 4 + ["icl:2"] * 2


def test_a_report_of_entries_without_training_is_written(prompted_run):
    output, _ = prompted_run
    result = run_cli("report", str(output))
    assert result.returncode == 0, result.stderr or result.exception
    assert "tiny-gpt2 (icl:2)" in (output / "report.md").read_text()
    results = json.loads((output / "results.json").read_text())
    assert results


@pytest.mark.parametrize("value", ["icl:0", "icl:x", "icl:", "icl:-1"])
def test_a_bad_icl_value_is_a_usage_error(value):
    result = run_cli("run", "-m", "tiny-gpt2", "-t", "sst2", "--data", "sample", "--tuning", f"none,{value}")
    assert result.returncode == 2 and "--tuning" in result.stderr


@pytest.mark.slow
def test_smollm2_zero_shot_applies_its_chat_template_and_records_the_calibration(smollm2_dir, tmp_path,
                                                                                 one_torch_thread):
    """A real instruction-tuned decoder (SmolLM2-135M-Instruct): its tokenizer has a chat template, which `auto`
    applies; the job is ok and keeps the uncalibrated accuracy beside the calibrated one."""
    import harness

    [record] = harness.run(models=[str(smollm2_dir)], tasks=["sst2"], data="sample", tuning=["none"],
                           output=str(tmp_path / "run"), executor="inline", latency_requests=0,
                           max_eval_samples=SAMPLE_ROWS, write_report=False)
    assert record["status"] == "ok", record["error"]
    assert record["prompting"]["chat_template"] is True and record["trainable_params"] == 0
    assert 0 <= record["eval"]["calibration"]["uncalibrated"]["accuracy"] <= 1
