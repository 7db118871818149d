"""Generated token ids back to text: exact for tokenizers that keep whitespace, detokenized for WordPiece ones.

The round trip of real references (encode, then decode as generated output is decoded) must score >= 99 BLEU
against the references as the tokenizer can represent them: its own normalization applied (MiniLM and tiny-bert
lowercase and strip accents), and characters its vocabulary lacks (they become [UNK] / <unk>, which decoding
drops) removed. That isolates decoding from vocabulary coverage.
"""
from __future__ import annotations

import pytest

from harness.metrics.detokenize import GeneratedTextDecoder, whitespace_lossy

WMT = "wmt16_en_ro"
ROUND_TRIP_REFERENCES = 500


def _tokenizer(name: str, minilm_dir=None):
    from transformers import AutoTokenizer

    from harness.models.builtin import ensure_tiny_model

    return AutoTokenizer.from_pretrained(str(minilm_dir if name == "minilm" else ensure_tiny_model(name)))


@pytest.fixture(scope="module")
def tiny_bert():
    return _tokenizer("tiny-bert")


@pytest.mark.parametrize("text", [
    "I don't think it's over.",
    "The U.S. economy grew 5.5 percent, to $1,200 by 10:30.",
    "Prices rose (slightly) in 2015-2016, well-known firms said: \"not yet\".",
    "Is it e.g. a well-known rule? Yes.",
])
def test_wordpiece_output_is_spaced_like_text_without_training_texts(tiny_bert, text):
    ids = tiny_bert(text, add_special_tokens=True)["input_ids"]
    assert tiny_bert.unk_token_id not in ids             # the sentence is in the tiny vocabulary
    assert tiny_bert.decode(ids, skip_special_tokens=True) != text.lower()     # a plain decode gets it wrong
    assert GeneratedTextDecoder(tiny_bert).decode(ids) == text.lower()


def test_spacing_learned_from_training_texts_wins_over_the_rules(tiny_bert):
    ids = tiny_bert("rates rose 2-3 points", add_special_tokens=False)["input_ids"]
    assert GeneratedTextDecoder(tiny_bert).decode(ids) == "rates rose 2-3 points"       # rule: joined numbers
    learned = GeneratedTextDecoder(tiny_bert, ["it fell 1 - 2 points", "from 4 - 5 days", "in 6 - 7 weeks"])
    assert learned.decode(ids) == "rates rose 2 - 3 points"
    assert "3 training targets" in learned.description


def test_tokenizers_that_keep_whitespace_use_their_own_decoder():
    for name in ("tiny-gpt2", "tiny-t5"):
        tokenizer = _tokenizer(name)
        text = "Prices rose ( slightly ) , don ' t - 5. 5"      # odd spacing survives exactly
        ids = tokenizer(text)["input_ids"]
        decoder = GeneratedTextDecoder(tokenizer, ["a - b"])
        assert not whitespace_lossy(tokenizer) and decoder.detokenizer is None
        assert decoder.decode(ids) == tokenizer.decode(ids, skip_special_tokens=True)
        assert "clean_up_tokenization_spaces=False" in decoder.description


def _representable(tokenizer, text: str) -> str:
    """The reference as the tokenizer can represent it: unknown characters removed (a WordPiece unknown between
    two words leaves the two words), then the tokenizer's own normalization, single spaces."""
    encoding = tokenizer(text, return_offsets_mapping=True, add_special_tokens=False)
    for (start, end), token in sorted(zip(encoding["offset_mapping"], encoding["input_ids"]), reverse=True):
        if token == tokenizer.unk_token_id:
            between_words = text[start - 1:start].isalnum() and text[end:end + 1].isalnum()
            text = text[:start] + (" " if whitespace_lossy(tokenizer) and between_words else "") + text[end:]
    normalizer = tokenizer.backend_tokenizer.normalizer
    return " ".join((normalizer.normalize_str(text) if normalizer else text).split())


@pytest.mark.realdata
@pytest.mark.parametrize("name", [pytest.param("minilm", marks=pytest.mark.realmodel), "tiny-bert", "tiny-gpt2",
                                  "tiny-t5"])
def test_round_trip_of_real_references_scores_at_least_99_bleu(shared_data, name, request):
    from harness.metrics.generation import bleu_chrf

    minilm_dir = request.getfixturevalue("minilm_dir") if name == "minilm" else None
    tokenizer = _tokenizer(name, minilm_dir)
    folder = shared_data / WMT
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    references = (folder / "newstest2016.ro").read_text(encoding="utf-8").splitlines()[:ROUND_TRIP_REFERENCES]
    training = (folder / "newsdev2016.ro").read_text(encoding="utf-8").splitlines()   # the card's local train
    ids = tokenizer(references)["input_ids"]
    expected = [_representable(tokenizer, r) for r in references]
    decoded = GeneratedTextDecoder(tokenizer, training).batch_decode(ids)
    assert bleu_chrf(decoded, expected, ("bleu",))["bleu"] >= 99
    if name == "minilm":      # what the test guards against: a plain decode is ~10 BLEU short
        plain = [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
        assert bleu_chrf(plain, expected, ("bleu",))["bleu"] < 95
