"""Extractive QA: windows with doc stride, span labels, n-best span decoding back to context text, the three heads."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import harness
from harness.kinds.base import EvalContext
from harness.kinds.extractive_qa import best_span
from harness.settings import Hyperparameters
from harness.tasks.registry import Registry, load_kind

FAST = dict(data="sample", epochs=1, batch_size=8, lr=3e-3, max_train_samples=48, max_eval_samples=24,
            latency_requests=2, executor="inline", write_report=False, progress=lambda _: None)
FAMILIES = ["tiny-bert", "tiny-gpt2", "tiny-t5"]


# Tiny models gain nothing from intra-op threads, and lose a lot when other processes share the cores.
pytestmark = pytest.mark.usefixtures("one_torch_thread")

@pytest.fixture(scope="module")
def setup():
    from harness.data.prepare import prepare
    from harness.data.sources import DataRequest, resolve_source
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model

    card = Registry().card("squad")
    kind = load_kind("extractive_qa")
    rows = prepare(card, kind, resolve_source(card, DataRequest.parse("sample", None))).load("test")
    models = {}
    for name in FAMILIES:
        spec = resolve_model(name)
        models[name] = (spec, kind.prepare_tokenizer(load_tokenizer(spec, **kind.tokenizer_options(spec)), spec))
    return card, kind, rows, models


def long_rows():
    """Contexts far longer than the window, the answer near the end, so it shows up in a later window only."""
    filler = " ".join(f"Sentence number {i} says nothing about the question." for i in range(12))
    context = filler + " The treasure is buried under the old oak tree."
    start = context.index("the old oak tree")
    return {"question": ["Where is the treasure buried?"], "context": [context],
            "answers": [{"text": ["the old oak tree"], "answer_start": [start]}], "id": ["x"], "example_index": [0]}


@pytest.mark.parametrize("model", FAMILIES)
def test_windows_overlap_and_label_the_answer_where_it_lies(setup, model):
    card, kind, _, models = setup
    spec, tokenizer = models[model]
    hp = Hyperparameters(max_length=64)
    batch = long_rows()
    train = kind.encoder(card, spec, tokenizer, hp, "train")(batch)
    evaluation = kind.encoder(card, spec, tokenizer, hp, "validation")(batch)
    windows = len(train["input_ids"])
    assert windows >= 3 and len(evaluation["input_ids"]) == windows
    assert all(len(ids) <= 64 for ids in train["input_ids"])
    context = batch["context"][0]
    answered = []
    for i in range(windows):
        start, end = train["start_positions"][i], train["end_positions"][i]
        starts, ends = evaluation["offset_start"][i], evaluation["offset_end"][i]
        if starts[start] >= 0:          # inside the context: this window holds the answer
            answered.append(i)
            assert context[starts[start]:ends[end]].strip() == "the old oak tree"
        else:                           # no answer here: both ends at [CLS], or position 0 without one
            cls = tokenizer.cls_token_id
            assert start == end == (train["input_ids"][i].index(cls) if cls is not None else 0)
    assert answered and answered[-1] == windows - 1
    # consecutive windows share context (doc stride), so no token of the context is lost between two windows
    covered = [set(range(s, e)) for s, e in ((min(x for x in w if x >= 0), max(x for x in we if x >= 0))
                                             for w, we in zip(evaluation["offset_start"], evaluation["offset_end"]))]
    for a, b in zip(covered, covered[1:]):
        assert a & b
    assert evaluation["example_index"] == [0] * windows


@pytest.mark.parametrize("model", FAMILIES)
def test_oracle_logits_decode_to_the_gold_answers(setup, model):
    """A stand-in model that puts high start/end logits on the gold span's tokens: decoding over all windows must
    return the gold text (exact match 100) for every family's tokenizer and window layout."""
    import torch
    from datasets import Dataset

    card, kind, rows, models = setup
    spec, tokenizer = models[model]
    hp = Hyperparameters(max_length=48)         # small windows: several per example
    features = Dataset.from_dict(kind.encoder(card, spec, tokenizer, hp, "test")(rows.to_dict()))
    assert len(features) > len(rows)
    targets, aligned = {}, set()
    for ids, starts, ends, example in zip(features["input_ids"], features["offset_start"], features["offset_end"],
                                          features["example_index"]):
        answers = rows[example]["answers"]
        a_start = answers["answer_start"][0]
        a_end = a_start + len(answers["text"][0])
        s = [p for p, o in enumerate(starts) if o == a_start]
        e = [p for p, o in enumerate(ends) if o == a_end]
        targets[tuple(ids)] = (s[0] if s and e else None, e[0] if s and e else None)
        if s and e:
            aligned.add(example)

    class Oracle(torch.nn.Module):
        def forward(self, input_ids, attention_mask=None, token_type_ids=None):
            start = torch.zeros(input_ids.shape)
            end = torch.zeros(input_ids.shape)
            for row in range(input_ids.shape[0]):
                s, e = targets[tuple(input_ids[row][attention_mask[row] == 1].tolist())]
                if s is not None:
                    start[row, s] = end[row, e] = 10.0
            return type("Out", (), {"start_logits": start, "end_logits": end})()

    ctx = EvalContext(model=Oracle(), tokenizer=tokenizer, spec=spec, card=card, features=features, rows=rows,
                      device=torch.device("cpu"), batch_size=16, autocast=contextlib.nullcontext)
    evaluation = kind.evaluate(ctx)
    # A sub-word vocabulary learned from the samples cannot put a token edge at every answer edge (tiny-t5's unigram
    # pieces cross about one answer edge in eight); the ones that line up must all decode exactly.
    assert len(aligned) >= 0.8 * len(rows)
    for example in aligned:
        assert evaluation.predictions[example] == rows[example]["answers"]["text"][0]
    assert evaluation.metrics["exact_match"] >= 100 * len(aligned) / len(rows) - 1e-9
    assert evaluation.references[0] == rows[0]["answers"]["text"]


def test_best_span_respects_context_order_and_length():
    start = np.array([0.0, 9.0, 1.0, 2.0, 8.0])
    end = np.array([0.0, 1.0, 3.0, 9.0, 7.0])
    offsets_s = [-1, 0, 4, 8, 12]
    offsets_e = [-1, 3, 7, 11, 15]
    assert best_span([(start, end, offsets_s, offsets_e)], 20, 30) == (0, 11)        # tokens 1..3
    assert best_span([(start, end, offsets_s, offsets_e)], 20, 2) == (12, 15)        # at most 2 tokens: 4..4
    # the best start (token 1) is outside the context in this window: it cannot be chosen
    assert best_span([(start, end, [-1, -1, 4, 8, 12], offsets_e)], 20, 30) == (12, 15)
    assert best_span([(start, end, [-1] * 5, [-1] * 5)], 20, 30) is None
    # across windows the higher score wins
    other = (np.array([0.0, 20.0]), np.array([0.0, 20.0]), [-1, 30], [-1, 34])
    assert best_span([(start, end, offsets_s, offsets_e), other], 20, 30) == (30, 34)


def test_three_families_fine_tune_on_the_sample(tmp_path):
    records = harness.run(models="tiny-bert,tiny-gpt2,tiny-t5", tasks="squad", output=tmp_path, **FAST)
    assert {r["model"]: r["status"] for r in records} == {m: "ok" for m in FAMILIES}
    for record in records:
        assert set(record["metrics"]) == {"f1", "exact_match"} and record["task_family"] == "qa"
        assert 0 <= record["metrics"]["exact_match"] <= record["metrics"]["f1"] <= 100


def test_a_family_without_a_qa_head_is_unsupported(tmp_path, tiny_pegasus):
    records = harness.run(models=str(tiny_pegasus), tasks="squad",
                          output=tmp_path / "run", **FAST)
    assert records[0]["status"] == "unsupported"
    assert records[0]["error"] == \
        "AutoModelForQuestionAnswering has no head for model type 'pegasus' in transformers " + \
        __import__("transformers").__version__
