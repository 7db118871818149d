"""CMRC 2018 exact match and F1, computed as the official evaluation script (cmrc2018_evaluate.py, v5) does.

Chinese answers have no spaces, so SQuAD's English normalisation (articles, whitespace tokens) does not apply:

- mixed segmentation: the lower-cased, stripped text is cut into words; every CJK character (U+4E00-U+9FA5) and
  every mark of the script's punctuation list is a word of its own, and each run of other characters between them
  (Latin words, numbers) is split by NLTK's word tokenizer, as the script's `nltk.word_tokenize` does (without its
  sentence splitting, which needs downloaded Punkt data and only matters for a sentence end inside such a run);
- F1: the punctuation marks are dropped from both segmentations, then precision and recall come from the longest
  common *contiguous* run of words (the script's `find_lcs`); a question takes the maximum over its gold answers;
- EM: 1 when the lower-cased, stripped prediction equals a gold answer once the punctuation marks are removed.

Both are percentages (0-100), the mean over questions, like the official script's figures.
"""
from __future__ import annotations

import re
from functools import cache

# The official script's punctuation list (`sp_char`), in its order; '……' is a two-character entry that no single
# character ever equals, so like the script this never removes an ellipsis.
PUNCTUATION = ("-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=", "，", "。", "：", "？", "！", "“", "”", "；",
               "’", "《", "》", "……", "·", "、", "「", "」", "（", "）", "－", "～", "『", "』")
_CJK = re.compile("[\u4e00-\u9fa5]")


@cache
def _word_tokenizer():
    from nltk.tokenize import NLTKWordTokenizer      # nltk comes with rouge-score; this part needs no data files

    return NLTKWordTokenizer()


def mixed_segmentation(text: str, remove_punctuation: bool = False) -> list[str]:
    """The script's `mixed_segmentation`: CJK characters and punctuation marks one by one, other runs tokenized."""
    text = str(text).lower().strip()
    words: list[str] = []
    run = ""
    for char in text:
        if remove_punctuation and char in PUNCTUATION:
            continue
        if _CJK.search(char) or char in PUNCTUATION:
            if run:
                words.extend(_word_tokenizer().tokenize(run))
                run = ""
            words.append(char)
        else:
            run += char
    if run:
        words.extend(_word_tokenizer().tokenize(run))
    return words


def without_punctuation(text: str) -> str:
    """The script's `remove_punctuation`: lower-cased, stripped, the punctuation marks left out."""
    return "".join(char for char in str(text).lower().strip() if char not in PUNCTUATION)


def longest_common_run(a: list[str], b: list[str]) -> int:
    """Length of the longest common contiguous run of words (the script's `find_lcs`, which returns it as mmax)."""
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                current[j + 1] = previous[j] + 1
                best = max(best, current[j + 1])
        previous = current
    return best


def f1_score(prediction: str, answers: list[str]) -> float:
    """The script's `calc_f1_score`: the best F1 (0-1) over the gold answers."""
    scores = [0.0]
    prediction_words = mixed_segmentation(prediction, remove_punctuation=True)
    for answer in answers:
        answer_words = mixed_segmentation(answer, remove_punctuation=True)
        common = longest_common_run(answer_words, prediction_words)
        if common:
            precision, recall = common / len(prediction_words), common / len(answer_words)
            scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def exact_match_score(prediction: str, answers: list[str]) -> float:
    """The script's `calc_em_score`: 1 when the prediction equals a gold answer without punctuation, else 0."""
    target = without_punctuation(prediction)
    return float(any(without_punctuation(answer) == target for answer in answers))


def cmrc_metrics(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """Mean EM and F1 (percent) of one predicted string per question against its gold answers."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions")
    if not predictions:
        return {"exact_match": 0.0, "f1": 0.0}
    return {name: sum(values) / len(values) for name, values in
            (("exact_match", per_question(exact_match_score, predictions, references)),
             ("f1", per_question(f1_score, predictions, references)))}


def per_question(score, predictions: list, references: list) -> list[float]:
    """One question's score in percent: a question without gold answers scores 0, as it does in the script."""
    return [100.0 * score(str(prediction), list(answers)) for prediction, answers in zip(predictions, references)]


# --- specs: CMRC figures are means of per-question scores -----------------------------------------------------------
CMRC_METRICS = ("exact_match", "f1")


def cmrc_spec(metric: str):
    from harness.metrics.spec import mean_spec

    if metric not in CMRC_METRICS:
        raise KeyError(metric)
    score = exact_match_score if metric == "exact_match" else f1_score
    return mean_spec(metric, lambda predictions, references, **_: per_question(score, predictions, references),
                     scale="percent", description="CMRC 2018 official " + ("EM" if metric == "exact_match" else "F1"))
