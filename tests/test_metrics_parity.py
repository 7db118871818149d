"""Metric parity: harness.metrics.* against independent reference implementations on built fixtures.

Oracles: a conlleval-style chunker (NER), the official SQuAD v1.1 evaluation functions (written out here as they
are in evaluate-v1.1.py), sacreBLEU's own corpus_bleu / corpus_chrf plus an independent BLEU computed from n-gram
counts, and rouge-score called directly.
"""
from __future__ import annotations

import math
import random
import re
import string
from collections import Counter

import pytest

from harness.metrics.generation import bleu_chrf, rouge, sentence_lines
from harness.metrics.ner import entity_types, ner_metrics
from harness.metrics.qa import squad_metrics

# --------------------------------------------------------------------------------------------------- NER ------
TYPES = ["PER", "ORG", "LOC", "MISC"]


def conlleval_chunks(tags: list[str]) -> set[tuple[str, int, int]]:
    """Chunks as conlleval (and seqeval's default mode) see them: a chunk starts at B-, at I- after O, or at I-
    of another type; it ends before O, B- or a tag of another type."""
    chunks, start, kind = set(), None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, entity = tag.partition("-")
        begins = prefix == "B" or (prefix == "I" and (kind is None or entity != kind))
        ends = kind is not None and (tag == "O" or prefix == "B" or entity != kind)
        if ends:
            chunks.add((kind, start, i - 1))
            kind = None
        if begins:
            start, kind = i, entity
    return chunks


def oracle_ner(references, predictions):
    gold, pred = set(), set()
    for n, (r, p) in enumerate(zip(references, predictions)):
        gold |= {(n, *c) for c in conlleval_chunks(r)}
        pred |= {(n, *c) for c in conlleval_chunks(p)}

    def prf(g, p):
        tp = len(g & p)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    precision, recall, f1 = prf(gold, pred)
    out = {"f1": f1, "precision": precision, "recall": recall}
    for t in TYPES:
        out[f"f1_{t}"] = prf({c for c in gold if c[1] == t}, {c for c in pred if c[1] == t})[2]
    tokens = [(a, b) for r, p in zip(references, predictions) for a, b in zip(r, p)]
    out["accuracy"] = sum(a == b for a, b in tokens) / len(tokens)
    return out


def random_tags(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(["O", "O", "O"] + [f"{p}-{t}" for p in "BI" for t in TYPES]) for _ in range(n)]


NER_FIXTURES = [
    # adjacent entities of one type, separated by B-
    ([["B-PER", "I-PER", "B-PER", "O"]], [["B-PER", "I-PER", "B-PER", "O"]]),
    # a predicted entity that starts with I- (ill-formed IOB2) still counts as a chunk
    ([["B-LOC", "I-LOC", "O", "B-ORG"]], [["I-LOC", "I-LOC", "O", "I-ORG"]]),
    # wrong boundary, wrong type, type switch inside an I- run
    ([["B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"]], [["B-ORG", "I-ORG", "O", "O", "B-PER"]]),
    ([["B-PER", "I-PER", "I-LOC", "O"]], [["B-PER", "I-PER", "I-PER", "O"]]),
    # nothing predicted / nothing gold
    ([["O", "O", "B-PER"]], [["O", "O", "O"]]),
    ([["O", "O"], ["B-MISC", "I-MISC"]], [["B-LOC", "O"], ["B-MISC", "I-MISC"]]),
]


@pytest.mark.parametrize("references,predictions", NER_FIXTURES)
def test_ner_metrics_match_conlleval_oracle_on_edge_cases(references, predictions):
    got = ner_metrics(references, predictions, TYPES)
    want = oracle_ner(references, predictions)
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key


def test_ner_metrics_match_oracle_and_seqeval_on_random_sequences():
    from seqeval.metrics import f1_score, precision_score, recall_score

    rng = random.Random(7)
    references = [random_tags(rng, rng.randint(1, 12)) for _ in range(300)]
    predictions = [[t if rng.random() < 0.7 else rng.choice(["O", "B-PER", "I-PER", "I-ORG", "B-LOC"]) for t in r]
                   for r in references]
    got = ner_metrics(references, predictions, TYPES)
    want = oracle_ner(references, predictions)
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key
    assert got["f1"] == pytest.approx(f1_score(references, predictions))
    assert got["precision"] == pytest.approx(precision_score(references, predictions))
    assert got["recall"] == pytest.approx(recall_score(references, predictions))


def test_entity_types_come_from_the_card_labels():
    assert entity_types(["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]) == TYPES


# --------------------------------------------------------------------------------------------------- SQuAD ----
# The official SQuAD v1.1 evaluation (evaluate-v1.1.py), written out as the oracle.
def official_normalize_answer(s):
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def official_f1_score(prediction, ground_truth):
    prediction_tokens = official_normalize_answer(prediction).split()
    ground_truth_tokens = official_normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def official_exact_match_score(prediction, ground_truth):
    return (official_normalize_answer(prediction) == official_normalize_answer(ground_truth))


def official_metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)


def official_evaluate(dataset, predictions):
    f1 = exact_match = total = 0
    for article in dataset:
        for paragraph in article['paragraphs']:
            for qa in paragraph['qas']:
                total += 1
                if qa['id'] not in predictions:
                    continue
                ground_truths = list(map(lambda x: x['text'], qa['answers']))
                prediction = predictions[qa['id']]
                exact_match += official_metric_max_over_ground_truths(
                    official_exact_match_score, prediction, ground_truths)
                f1 += official_metric_max_over_ground_truths(
                    official_f1_score, prediction, ground_truths)
    exact_match = 100.0 * exact_match / total
    f1 = 100.0 * f1 / total
    return {'exact_match': exact_match, 'f1': f1}


SQUAD_CASES = [
    ("The Eiffel Tower", ["Eiffel Tower", "the eiffel tower."]),       # articles, case, punctuation
    ("in 1889", ["1889"]),                                               # partial overlap
    ("an apple a day", ["A day, an apple!"]),                            # bag of tokens, articles inside
    ("", ["something"]),                                                  # empty prediction
    ("Paris, France", ["paris", "France", "Paris , France"]),             # max over several golds
    ("the the the", ["the"]),                                             # normalises to nothing
    ("1,000 people", ["1000 people"]),                                    # punctuation inside numbers
    ("  spaced\tout  ", ["spaced out"]),
    ("Dr. Who's", ["dr whos"]),
]


def test_squad_metrics_equal_the_official_script():
    dataset = [{"paragraphs": [{"qas": [{"id": str(i), "answers": [{"text": t} for t in golds]}
                                        for i, (_, golds) in enumerate(SQUAD_CASES)]}]}]
    predictions = {str(i): prediction for i, (prediction, _) in enumerate(SQUAD_CASES)}
    want = official_evaluate(dataset, predictions)
    got = squad_metrics([p for p, _ in SQUAD_CASES], [g for _, g in SQUAD_CASES])
    assert got == pytest.approx(want)
    for prediction, golds in SQUAD_CASES:       # and question by question
        one = squad_metrics([prediction], [golds])
        assert one["exact_match"] == pytest.approx(
            100 * official_metric_max_over_ground_truths(official_exact_match_score, prediction, golds))
        assert one["f1"] == pytest.approx(
            100 * official_metric_max_over_ground_truths(official_f1_score, prediction, golds))


def test_squad_metrics_on_the_real_dev_file_with_gold_and_perturbed_predictions(shared_data):
    import json

    data = json.loads((shared_data / "squad" / "dev-v1.1.json").read_text())["data"][:5]
    rng = random.Random(3)
    predictions, golds = {}, []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                text = qa["answers"][rng.randrange(len(qa["answers"]))]["text"]
                words = text.split()
                predictions[qa["id"]] = " ".join(words[: max(1, len(words) - rng.randint(0, 2))]) + rng.choice(
                    ["", ".", " the"])
                golds.append([a["text"] for a in qa["answers"]])
    want = official_evaluate(data, predictions)
    got = squad_metrics(list(predictions.values()), golds)
    assert got == pytest.approx(want)
    assert 0 < want["exact_match"] < 100


# --------------------------------------------------------------------------------------------------- BLEU -----
HYPOTHESES = ["The cat sat on the mat.", "A quick brown fox jumps over the lazy dog!", "Hello world",
              "Nu vom deschide cărțile la școală.", "ein völlig anderer Satz"]
REFERENCES = ["The cat is sitting on the mat.", "The quick brown fox jumped over the lazy dog!", "Hello, world.",
              "Nu vom deschide cărțile la școală sâmbătă.", "a completely different sentence"]


def independent_corpus_bleu(hypotheses, references, max_n=4):
    """Corpus BLEU from clipped n-gram counts summed over the corpus, sacreBLEU's 13a tokenizer, exp smoothing."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    tokenize = Tokenizer13a()
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references):
        h, r = tokenize(hyp).split(), tokenize(ref).split()
        hyp_len, ref_len = hyp_len + len(h), ref_len + len(r)
        for n in range(1, max_n + 1):
            hc = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rc = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            matches[n - 1] += sum((hc & rc).values())
            totals[n - 1] += max(0, len(h) - n + 1)
    precisions, smooth = [], 1.0
    for m, t in zip(matches, totals):
        if t == 0:
            precisions.append(0.0)
        elif m == 0:
            smooth *= 2
            precisions.append(100.0 / (smooth * t))
        else:
            precisions.append(100.0 * m / t)
    if min(precisions) <= 0:
        return 0.0
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(sum(math.log(p) for p in precisions) / max_n)


def test_bleu_and_chrf_equal_sacrebleu_corpus_scores():
    import sacrebleu

    got = bleu_chrf(HYPOTHESES, REFERENCES)
    assert got["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES]).score)
    assert got["chrf"] == pytest.approx(sacrebleu.corpus_chrf(HYPOTHESES, [REFERENCES]).score)
    assert got["bleu"] == pytest.approx(independent_corpus_bleu(HYPOTHESES, REFERENCES), abs=1e-9)
    # corpus level: not the mean of sentence BLEU
    sentence_mean = sum(sacrebleu.sentence_bleu(h, [r]).score for h, r in zip(HYPOTHESES, REFERENCES)) / 5
    assert abs(got["bleu"] - sentence_mean) > 1e-3


def test_bleu_with_several_references_per_sentence():
    import sacrebleu

    multi = [[r, r.lower()] for r in REFERENCES]
    got = bleu_chrf(HYPOTHESES, multi)
    want = sacrebleu.corpus_bleu(HYPOTHESES, [[m[0] for m in multi], [m[1] for m in multi]]).score
    assert got["bleu"] == pytest.approx(want)


def test_bleu_of_identical_text_is_100_and_of_disjoint_text_is_0():
    assert bleu_chrf(REFERENCES, REFERENCES)["bleu"] == pytest.approx(100.0)
    assert bleu_chrf(["zzz yyy xxx www"], ["a b c d"])["bleu"] == 0.0


# --------------------------------------------------------------------------------------------------- ROUGE ----
# Examples 3-6 put the same sentences in the other order on one line: rougeLsum forgives that only when the lines are
# split at each sentence end (?, !, .) and at existing line breaks, so a broken splitter changes the score.
SUMMARIES = ["The cats were running quickly. Then they stopped!", "Police arrested two men in Redton.",
             "A storm shut 30 roads", "Is it over? Did the storm end?", "Roads reopened! Schools stay shut!",
             "Buses run late. Trains are cancelled.", "Storm over\nClear skies ahead", "",
             "The dog barked at night. The cat slept all day."]
TARGETS = ["Cats run quick.\nThey stopped.", "Two men have been arrested by police in Redton.",
           "Travel across the county was disrupted by a storm, with 30 roads shut.", "Did the storm end? Is it over?",
           "Schools stay shut!  Roads reopened!", "Trains are cancelled. Buses run late.",
           "Clear skies ahead\nStorm over", "Nothing happened.", "The cat slept all day.\nThe dog barked at night."]
# The same texts one sentence per line, written out by hand (the oracle must not share the splitter it checks): a
# sentence ends at ., ! or ? followed by whitespace, and existing line breaks stay.
SUMMARY_LINES = ["The cats were running quickly.\nThen they stopped!", "Police arrested two men in Redton.",
                 "A storm shut 30 roads", "Is it over?\nDid the storm end?", "Roads reopened!\nSchools stay shut!",
                 "Buses run late.\nTrains are cancelled.", "Storm over\nClear skies ahead", "",
                 "The dog barked at night.\nThe cat slept all day."]
TARGET_LINES = ["Cats run quick.\nThey stopped.", "Two men have been arrested by police in Redton.",
                "Travel across the county was disrupted by a storm, with 30 roads shut.",
                "Did the storm end?\nIs it over?", "Schools stay shut!\nRoads reopened!",
                "Trains are cancelled.\nBuses run late.", "Clear skies ahead\nStorm over", "Nothing happened.",
                "The cat slept all day.\nThe dog barked at night."]


def test_rouge_equals_rouge_score_with_stemming_and_lsum_lines():
    from rouge_score import rouge_scorer

    for text, lined in zip(SUMMARIES + TARGETS, SUMMARY_LINES + TARGET_LINES):
        assert lined.split() == text.split()            # the hand-written lines only move line breaks
        assert sentence_lines(text) == lined
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    want = {k: 0.0 for k in ("rouge1", "rouge2", "rougeL", "rougeLsum")}
    for prediction, target in zip(SUMMARY_LINES, TARGET_LINES):
        scores = scorer.score(target, prediction)
        for k in want:
            want[k] += scores[k].fmeasure / len(SUMMARIES)
    got = rouge(SUMMARIES, TARGETS)
    assert got == pytest.approx(want)
    # stemming matters ("running" matches "run") and Lsum differs from L on multi-sentence text
    no_stem = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=False)
    assert got["rouge1"] > sum(no_stem.score(t, p)["rouge1"].fmeasure
                               for p, t in zip(SUMMARIES, TARGETS)) / len(SUMMARIES)
    swapped = rouge(SUMMARIES[-1:], TARGETS[-1:])       # same sentences, other order: only Lsum forgives it
    assert swapped["rougeLsum"] == pytest.approx(1.0) and swapped["rougeL"] < 0.9


def test_sentence_lines_keeps_line_breaks_and_splits_after_sentence_ends():
    assert sentence_lines("One. Two!  Three?\nFour") == "One.\nTwo!\nThree?\nFour"
    assert sentence_lines("no end") == "no end"
