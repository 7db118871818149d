"""SQuAD v2.0 metrics against the official evaluate-v2.0.py, whose logic is reproduced below as ground truth: its
normalisation, per-question scores, no-answer threshold, HasAns/NoAns breakdown and best-threshold search."""
from __future__ import annotations

import collections
import random
import re
import string

import numpy as np
import pytest

from harness.metrics.squad_v2 import apply_threshold, best_threshold, squad_v2_metrics
from harness.tasks.registry import load_kind


# --- the official script (evaluate-v2.0.py), functions as published, on a dataset of SQuAD JSON articles ------------
def official_normalize_answer(s):
    def remove_articles(text):
        regex = re.compile(r'\b(a|an|the)\b', re.UNICODE)
        return re.sub(regex, ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()
    return white_space_fix(remove_articles(remove_punc(lower(s))))


def official_get_tokens(s):
    if not s:
        return []
    return official_normalize_answer(s).split()


def official_compute_exact(a_gold, a_pred):
    return int(official_normalize_answer(a_gold) == official_normalize_answer(a_pred))


def official_compute_f1(a_gold, a_pred):
    gold_toks = official_get_tokens(a_gold)
    pred_toks = official_get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def official_get_raw_scores(dataset, preds):
    exact_scores, f1_scores = {}, {}
    for article in dataset:
        for p in article['paragraphs']:
            for qa in p['qas']:
                qid = qa['id']
                gold_answers = [a['text'] for a in qa['answers'] if official_normalize_answer(a['text'])]
                if not gold_answers:
                    gold_answers = ['']
                a_pred = preds[qid]
                exact_scores[qid] = max(official_compute_exact(a, a_pred) for a in gold_answers)
                f1_scores[qid] = max(official_compute_f1(a, a_pred) for a in gold_answers)
    return exact_scores, f1_scores


def official_apply_no_ans_threshold(scores, na_probs, qid_to_has_ans, na_prob_thresh):
    new_scores = {}
    for qid, s in scores.items():
        pred_na = na_probs[qid] > na_prob_thresh
        new_scores[qid] = float(not qid_to_has_ans[qid]) if pred_na else s
    return new_scores


def official_make_eval_dict(exact_scores, f1_scores, qid_list=None):
    if not qid_list:
        total = len(exact_scores)
        return collections.OrderedDict([('exact', 100.0 * sum(exact_scores.values()) / total),
                                        ('f1', 100.0 * sum(f1_scores.values()) / total), ('total', total)])
    total = len(qid_list)
    return collections.OrderedDict([('exact', 100.0 * sum(exact_scores[k] for k in qid_list) / total),
                                    ('f1', 100.0 * sum(f1_scores[k] for k in qid_list) / total), ('total', total)])


def official_find_best_thresh(preds, scores, na_probs, qid_to_has_ans):
    num_no_ans = sum(1 for k in qid_to_has_ans if not qid_to_has_ans[k])
    cur_score = num_no_ans
    best_score = cur_score
    best_thresh = 0.0
    qid_list = sorted(na_probs, key=lambda k: na_probs[k])
    for qid in qid_list:
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            diff = scores[qid]
        else:
            diff = -1 if preds[qid] else 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


def official_evaluate(dataset, preds, na_probs, na_prob_thresh=1.0):
    qid_to_has_ans = {qa['id']: bool(qa['answers'])
                      for article in dataset for p in article['paragraphs'] for qa in p['qas']}
    has_ans_qids = [k for k, v in qid_to_has_ans.items() if v]
    no_ans_qids = [k for k, v in qid_to_has_ans.items() if not v]
    exact_raw, f1_raw = official_get_raw_scores(dataset, preds)
    exact_thresh = official_apply_no_ans_threshold(exact_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    f1_thresh = official_apply_no_ans_threshold(f1_raw, na_probs, qid_to_has_ans, na_prob_thresh)
    out_eval = official_make_eval_dict(exact_thresh, f1_thresh)
    for prefix, qids in (('HasAns', has_ans_qids), ('NoAns', no_ans_qids)):
        if qids:
            for k, v in official_make_eval_dict(exact_thresh, f1_thresh, qid_list=qids).items():
                out_eval[f'{prefix}_{k}'] = v
    out_eval['best_exact'], out_eval['best_exact_thresh'] = official_find_best_thresh(preds, exact_raw, na_probs,
                                                                                      qid_to_has_ans)
    out_eval['best_f1'], out_eval['best_f1_thresh'] = official_find_best_thresh(preds, f1_raw, na_probs,
                                                                                qid_to_has_ans)
    return out_eval


# --- a fixture: answerable and unanswerable questions, right, partial, wrong and empty predictions ------------------
GOLDS = [["the Eiffel Tower", "Eiffel Tower"], [], ["1889"], ["Gustave Eiffel", "Eiffel"], [], ["a"],
         ["wrought iron", "iron"], [], ["Paris, France"], ["330 metres", "330 m"], [], ["Seine"]]
PREDICTIONS = ["Eiffel Tower", "Paris", "in 1889", "Gustave", "", "an", "wrought-iron lattice", "the", "Paris",
               "330 metres tall", "river Seine", "Loire"]


def fixture(seed: int, replace: dict | None = None):
    rng = random.Random(seed)
    golds, predictions = GOLDS * 4, [(replace or {}).get(p, p) for p in PREDICTIONS * 4]
    na_probs = [rng.random() for _ in golds]            # distinct: no ties
    dataset = [{"paragraphs": [{"qas": [{"id": str(i), "answers": [{"text": t} for t in gold]}
                                        for i, gold in enumerate(golds)]}]}]
    preds = {str(i): p for i, p in enumerate(predictions)}
    return dataset, preds, {str(i): p for i, p in enumerate(na_probs)}, golds, predictions, na_probs


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 1.0])
def test_metrics_at_a_threshold_equal_the_official_script(seed, threshold):
    dataset, preds, na, golds, predictions, na_probs = fixture(seed)
    official = official_evaluate(dataset, preds, na, na_prob_thresh=threshold)
    ours = squad_v2_metrics(apply_threshold(predictions, na_probs, threshold), golds)
    assert ours.pop("exact_match") == pytest.approx(official["exact"])
    assert ours.pop("f1") == pytest.approx(official["f1"])
    assert ours == pytest.approx({k: official[k] for k in ("HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1")})


@pytest.mark.parametrize("seed", range(6))
def test_best_threshold_equals_the_official_search(seed):
    # "the" on an unanswerable question is right once normalised; the official search counts it wrong (see below)
    dataset, preds, na, golds, predictions, na_probs = fixture(seed, replace={"the": "none"})
    official = official_evaluate(dataset, preds, na)
    for metric in ("exact", "f1"):
        score, threshold = best_threshold(predictions, golds, na_probs, metric)
        assert score == pytest.approx(official[f"best_{metric}"])
        if threshold != float("-inf"):      # the official script starts from 0.0 for "answer none" (probabilities)
            assert threshold == official[f"best_{metric}_thresh"]
        applied = squad_v2_metrics(apply_threshold(predictions, na_probs, threshold), golds)
        assert applied["exact_match" if metric == "exact" else "f1"] == pytest.approx(score)


def test_tied_no_answer_scores_give_a_threshold_whose_figure_is_the_reported_one():
    golds, predictions = [["x"], [], ["y"]], ["x", "z", "y"]
    score, threshold = best_threshold(predictions, golds, [0.5, 0.5, 0.9], "f1")
    applied = squad_v2_metrics(apply_threshold(predictions, [0.5, 0.5, 0.9], threshold), golds)
    assert applied["f1"] == pytest.approx(score) == pytest.approx(200 / 3)


def test_an_answer_that_normalises_to_nothing_is_right_on_an_unanswerable_question_in_the_search_too():
    golds, predictions, scores = [[], ["x"]], ["the", "x"], [0.1, 0.2]
    score, threshold = best_threshold(predictions, golds, scores, "exact")
    assert threshold == 0.2 and score == 100.0         # the official search: "the" counted wrong, 50 at 0.0
    assert squad_v2_metrics(apply_threshold(predictions, scores, threshold), golds)["exact_match"] == score


def test_answering_none_is_a_threshold_below_every_score():
    score, threshold = best_threshold(["wrong", "also wrong"], [["x"], []], [0.1, 0.2])
    assert threshold == float("-inf") and score == 50.0
    assert apply_threshold(["wrong", "also wrong"], [-1e9, 0.2], threshold) == [None, None]


def test_no_answer_is_wrong_on_a_question_whose_gold_answers_normalise_to_nothing():
    assert squad_v2_metrics([None, ""], [["the"], ["the"]])["exact_match"] == 50.0


def test_v2_specs_reproduce_the_official_figures_on_the_set_and_on_resamples():
    _, _, _, golds, predictions, na_probs = fixture(3)
    final = apply_threshold(predictions, na_probs, 0.5)
    expected = squad_v2_metrics(final, golds)
    kind = load_kind("extractive_qa")
    index = np.random.default_rng(0).integers(0, len(golds), len(golds))
    counts = np.bincount(index, minlength=len(golds))[None, :].astype(float)
    resampled = squad_v2_metrics([final[i] for i in index], [golds[i] for i in index])
    for metric, value in expected.items():
        spec = kind.metric_spec(metric)
        stats = spec.example_statistics(final, golds, {"no_answer": True})
        assert spec.corpus(stats) == pytest.approx(value, abs=1e-9) and spec.range == (0.0, 100.0)
        assert spec.resample(stats, counts)[0] == pytest.approx(resampled[metric], abs=1e-9)


def test_v1_figures_are_unchanged_without_the_no_answer_context():
    from harness.metrics.qa import squad_metrics

    spec = load_kind("extractive_qa").metric_spec("f1")
    predictions, golds = ["", "Paris"], [[], ["Paris"]]
    assert spec.corpus(spec.example_statistics(predictions, golds)) == squad_metrics(predictions, golds)["f1"] == 50.0
    assert spec.corpus(spec.example_statistics(predictions, golds, {"no_answer": True})) == 100.0
