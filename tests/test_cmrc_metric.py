"""CMRC 2018 EM and F1 (harness.metrics.cmrc) against the official evaluation script (cmrc2018_evaluate.py, v5),
transcribed below to Python 3 as it is written (its nltk.word_tokenize is NLTK's word tokenizer without the Punkt
sentence split, which needs downloaded data), on a fixture of predictions, plus cases checked by hand."""
from __future__ import annotations

import re

import numpy as np
import pytest

from harness.metrics.cmrc import cmrc_metrics, cmrc_spec

# --- the official script, transcribed ----------------------------------------------------------------------------
SP_CHAR = ['-', ':', '_', '*', '^', '/', '\\', '~', '`', '+', '=',
           '，', '。', '：', '？', '！', '“', '”', '；', '’', '《', '》', '……', '·', '、',
           '「', '」', '（', '）', '－', '～', '『', '』']


def word_tokenize(text):
    from nltk.tokenize import NLTKWordTokenizer
    return NLTKWordTokenizer().tokenize(text)


def mixed_segmentation(in_str, rm_punc=False):
    in_str = str(in_str).lower().strip()
    segs_out = []
    temp_str = ""
    for char in in_str:
        if rm_punc and char in SP_CHAR:
            continue
        if re.search(r'[\u4e00-\u9fa5]', char) or char in SP_CHAR:
            if temp_str != "":
                segs_out.extend(word_tokenize(temp_str))
                temp_str = ""
            segs_out.append(char)
        else:
            temp_str += char
    if temp_str != "":
        segs_out.extend(word_tokenize(temp_str))
    return segs_out


def remove_punctuation(in_str):
    in_str = str(in_str).lower().strip()
    return ''.join(char for char in in_str if char not in SP_CHAR)


def find_lcs(s1, s2):
    m = [[0 for i in range(len(s2) + 1)] for j in range(len(s1) + 1)]
    mmax = 0
    p = 0
    for i in range(len(s1)):
        for j in range(len(s2)):
            if s1[i] == s2[j]:
                m[i + 1][j + 1] = m[i][j] + 1
                if m[i + 1][j + 1] > mmax:
                    mmax = m[i + 1][j + 1]
                    p = i + 1
    return s1[p - mmax:p], mmax


def calc_f1_score(answers, prediction):
    f1_scores = []
    for ans in answers:
        ans_segs = mixed_segmentation(ans, rm_punc=True)
        prediction_segs = mixed_segmentation(prediction, rm_punc=True)
        lcs, lcs_len = find_lcs(ans_segs, prediction_segs)
        if lcs_len == 0:
            f1_scores.append(0)
            continue
        precision = 1.0 * lcs_len / len(prediction_segs)
        recall = 1.0 * lcs_len / len(ans_segs)
        f1 = (2 * precision * recall) / (precision + recall)
        f1_scores.append(f1)
    return max(f1_scores)


def calc_em_score(answers, prediction):
    em = 0
    for ans in answers:
        ans_ = remove_punctuation(ans)
        prediction_ = remove_punctuation(prediction)
        if ans_ == prediction_:
            em = 1
            break
    return em


def official(predictions, references):
    f1 = em = 0
    for prediction, answers in zip(predictions, references):
        f1 += calc_f1_score(answers, prediction)
        em += calc_em_score(answers, prediction)
    return 100.0 * em / len(predictions), 100.0 * f1 / len(predictions)


# --- the fixture: hand-checked cases ------------------------------------------------------------------------------
# (prediction, gold answers, EM, F1) with F1 worked out from the script's rules
CASES = [
    ("赵雷", ["赵雷"], 100, 100),
    ("赵雷在", ["赵雷"], 0, 80),                          # LCS 2: P 2/3, R 1
    ("1990年", ["1990年", "1990"], 100, 100),             # the digits are one word
    ("1990", ["1990年"], 0, 200 / 3),                    # P 1, R 1/2
    ("《长河》", ["长河"], 100, 100),                     # 《 》 are in the punctuation list
    ("青龙江北岸", ["清水河", "青龙江"], 0, 75),            # the best gold: P 3/5, R 1
    ("东江北", ["东北"], 0, 40),                          # contiguous run only: 1 word, P 1/3, R 1/2
    ("iPhone 12", ["iphone12"], 0, 0),                   # lower-cased; 'iphone 12' is two words, the gold one
    ("三万人。", ["三万人"], 100, 100),
    ("", ["金沙县"], 0, 0),
    ("Apple公司的CEO", ["apple公司"], 0, 75),            # apple 公 司 的 ceo: P 3/5, R 1
    ("约50.5%", ["50.5%"], 0, 80),                       # 约 50.5 %: P 2/3, R 1
]


@pytest.mark.parametrize("prediction, answers, em, f1", CASES)
def test_hand_checked_cases_and_the_official_script_agree(prediction, answers, em, f1):
    ours = cmrc_metrics([prediction], [answers])
    assert ours["exact_match"] == pytest.approx(em) and ours["f1"] == pytest.approx(f1)
    assert official([prediction], [answers]) == pytest.approx((em, f1))


def test_corpus_figures_equal_the_official_script_and_the_spec():
    predictions = [case[0] for case in CASES]
    references = [case[1] for case in CASES]
    ours = cmrc_metrics(predictions, references)
    em, f1 = official(predictions, references)
    assert ours["exact_match"] == pytest.approx(em) and ours["f1"] == pytest.approx(f1)
    for name in ("exact_match", "f1"):
        spec = cmrc_spec(name)
        stats = spec.example_statistics(predictions, references)
        assert spec.corpus(stats) == pytest.approx(ours[name])
        counts = np.random.default_rng(0).multinomial(len(CASES), [1 / len(CASES)] * len(CASES), size=5)
        expected = [official([p for p, c in zip(predictions, row) for _ in range(c)],
                             [r for r, c in zip(references, row) for _ in range(c)])[name == "f1"] for row in counts]
        assert spec.resample(stats, counts) == pytest.approx(expected)
        assert spec.scale == "percent" and spec.higher_is_better
