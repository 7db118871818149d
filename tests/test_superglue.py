"""BoolQ, CB and SQuAD v2.0: the cards run on every architecture, the original files read as SOURCE.md counts them,
and extractive QA with unanswerable questions abstains above a no-answer threshold chosen on validation."""
from __future__ import annotations

import contextlib
import json
from collections import Counter

import pytest

import harness
from harness.data.prepare import prepare
from harness.data.readers import read_file
from harness.data.sources import DataRequest, resolve_source
from harness.kinds.base import EvalContext
from harness.settings import Hyperparameters
from harness.tasks.registry import Registry, load_kind

FAST = dict(data="sample", epochs=1, batch_size=8, max_train_samples=48, max_eval_samples=24, latency_requests=2,
            executor="inline", write_report=False, progress=lambda _: None)
V2_BREAKDOWN = {"HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("task", ["boolq", "cb", "squad_v2"])
def test_cards_run_ok_on_the_three_tiny_models(tmp_path, task):
    results = harness.run(models=["tiny-bert", "tiny-gpt2", "tiny-t5"], tasks=[task], output=tmp_path, **FAST)
    assert [r["status"] for r in results] == ["ok"] * 3, [r.get("error") for r in results]
    for result in results:
        card = Registry().card(task)
        assert set(card.metrics) <= set(result["metrics"]) and result["score"] is not None
        if task == "squad_v2":
            assert "no_answer_threshold" in result["validation"]["metrics"]


def _prepared(name: str, data=None, data_dir=None):
    card = Registry().card(name)
    kind = load_kind(card.kind)
    return card, kind, prepare(card, kind, resolve_source(card, DataRequest.parse(data, data_dir)))


def test_the_v2_sample_has_unanswerable_questions_in_every_split():
    _, _, data = _prepared("squad_v2", "sample")
    for role in ("train", "validation", "test"):
        answers = data.load(role)["answers"]
        assert 0.25 < sum(not a["text"] for a in answers) / len(answers) < 0.45


def test_unanswerable_questions_need_the_no_answer_option():
    from harness.tasks.card import CardError

    card = Registry().card("squad")
    assert "HasAns_f1" not in load_kind("extractive_qa").allowed_metrics(card)
    assert "HasAns_f1" in load_kind("extractive_qa").allowed_metrics(Registry().card("squad_v2"))
    bad = type(card)(**{**card.__dict__, "options": {**card.options, "no_answer": "yes"}})
    with pytest.raises(CardError, match="no_answer"):
        load_kind("extractive_qa").check_card(bad)


def _oracle(features, rows, kind, tokenizer, margin: float):
    """A stand-in QA model: on a window holding the gold span, high logits there; elsewhere (and for unanswerable
    questions) the no-answer position scores `margin` above a weak span at the first context token."""
    import torch

    targets = {}
    for ids, starts, ends, example in zip(features["input_ids"], features["offset_start"], features["offset_end"],
                                          features["example_index"]):
        answers = rows[example]["answers"]
        context_first = next(p for p, o in enumerate(starts) if o >= 0)
        span = None
        if answers["text"]:
            a_start = answers["answer_start"][0]
            s = [p for p, o in enumerate(starts) if o == a_start]
            e = [p for p, o in enumerate(ends) if o == a_start + len(answers["text"][0])]
            span = (s[0], e[0]) if s and e else None
        null = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
        targets[tuple(ids)] = (span, null, context_first)

    class Oracle(torch.nn.Module):
        def forward(self, input_ids, attention_mask=None, token_type_ids=None):
            start, end = torch.zeros(input_ids.shape), torch.zeros(input_ids.shape)
            for row in range(input_ids.shape[0]):
                span, null, first = targets[tuple(input_ids[row][attention_mask[row] == 1].tolist())]
                if span is not None:
                    start[row, span[0]] = end[row, span[1]] = 10.0
                else:
                    start[row, null] = end[row, null] = 1.0 + margin / 2
                    start[row, first] = end[row, first] = 1.0
            return type("Out", (), {"start_logits": start, "end_logits": end})()
    return Oracle()


def test_no_answer_threshold_is_chosen_on_validation_and_applied_to_test():
    import torch
    from datasets import Dataset

    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    card, kind, data = _prepared("squad_v2", "sample")
    spec = resolve_model("tiny-bert")
    tokenizer = kind.prepare_tokenizer(load_tokenizer(spec), spec)
    hp = Hyperparameters(max_length=384)

    def context(role):
        rows = data.load(role)
        features = Dataset.from_dict(kind.encoder(card, spec, tokenizer, hp, role)(rows.to_dict()))
        return EvalContext(model=_oracle(features, rows, kind, tokenizer, margin=4.0), tokenizer=tokenizer,
                           spec=spec, card=card, features=features, rows=rows, device=torch.device("cpu"),
                           batch_size=16, autocast=contextlib.nullcontext, split=role)

    validation = kind.evaluate(context("validation"))
    assert validation.metrics["NoAns_exact"] == 100.0 and validation.metrics["HasAns_exact"] > 90.0
    threshold = validation.metrics["no_answer_threshold"]
    assert -20.0 <= threshold < 4.0          # answered questions score -20 (null 0 - span 20), unanswered +4
    test_ctx = context("test")
    test_ctx.validation = context("validation")
    test = kind.evaluate(test_ctx)
    assert test.context == {"no_answer": True, "no_answer_threshold": threshold}
    assert test.metrics["NoAns_exact"] == 100.0 and test.metrics["HasAns_exact"] > 90.0
    assert [p is None for p in test.predictions] == [not r for r in test.references]
    assert V2_BREAKDOWN <= set(test.metrics)


def test_v2_questions_read_from_the_original_json_keep_their_empty_answers(tmp_path):
    def article(kind):
        return {"title": kind, "paragraphs": [{"context": f"The {kind} sat on the mat.", "qas": [
            {"id": f"{kind}1", "question": "Where did it sit?", "answers": [{"text": "on the mat",
                                                                            "answer_start": 8 + len(kind)}]},
            {"id": f"{kind}2", "question": "Who fed it?", "answers": [], "is_impossible": True,
             "plausible_answers": [{"text": f"The {kind}", "answer_start": 0}]}]}]}
    folder = tmp_path / "squad_v2"
    folder.mkdir()
    for name, kinds in (("train-v2.0.json", ["cat", "dog", "cow", "pig"]), ("dev-v2.0.json", ["owl"])):
        (folder / name).write_text(json.dumps({"version": "v2.0", "data": [article(k) for k in kinds]}))
    _, _, data = _prepared("squad_v2", data_dir=tmp_path)
    assert data.source["origin"] == "local"
    assert [a["text"] for a in data.load("test")["answers"]] == [["on the mat"], []]


# --- the original files in ../shared/data (counts from their SOURCE.md) --------------------------------------------
def test_boolq_val_reads_with_its_counts_and_carves_train_validation_and_test(shared_data):
    rows = read_file(shared_data / "boolq" / "val.jsonl", "jsonl")
    assert len(rows) == 3270 and Counter(r["label"] for r in rows) == {True: 2033, False: 1237}
    _, _, data = _prepared("boolq", data_dir=shared_data)
    assert data.source["origin"] == "local" and data.source["carve_test"]
    assert sum(data.sizes.values()) + data.overlap["removed_from_train"] == 3270
    assert data.sizes["test"] == 327 and data.sizes["validation"] == 294
    labels = data.load("test")["label"]
    assert set(labels) == {0, 1} and all(isinstance(t, str) for t in data.load("test")["text_pair"])


def test_cb_train_and_val_read_with_their_counts(shared_data):
    for name, total, counts in (("train", 250, (119, 115, 16)), ("val", 56, (28, 23, 5))):
        rows = read_file(shared_data / "cb" / f"{name}.jsonl", "jsonl")
        assert len(rows) == total
        assert Counter(r["label"] for r in rows) == dict(zip(("contradiction", "entailment", "neutral"), counts))
    card, _, data = _prepared("cb", data_dir=shared_data)
    assert data.source["origin"] == "local" and not data.source["carve_test"]
    assert data.sizes["test"] == 56 and data.sizes["train"] + data.sizes["validation"] == 250
    test_labels = Counter(data.load("test")["label"])
    assert test_labels == {card.labels.index("contradiction"): 28, card.labels.index("entailment"): 23,
                           card.labels.index("neutral"): 5}
