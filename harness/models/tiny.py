"""Built-in tiny test models, built locally and deterministically.

Each model is randomly initialised from a very small config and paired with a
tokenizer trained on the spot (with the ``tokenizers`` library) on a corpus the
caller provides. The result is an ordinary Hugging Face model directory
(``config.json``, ``model.safetensors``, ``generation_config.json`` where
relevant, ``tokenizer.json``, ``tokenizer_config.json``) that loads offline with
``AutoConfig`` / ``AutoTokenizer`` / ``AutoModelFor*.from_pretrained(dir)``.

Building is deterministic: the same corpus and the same code give byte-identical
files (torch is seeded inside a forked RNG, so the caller's RNG state is not
touched).

Notes for callers (transformers 5):

* The tokenizers load as the model-specific "fast" classes (``BertTokenizer``,
  ``GPT2Tokenizer``, ``T5Tokenizer``; in v5 these are the tokenizers-backed
  classes and ``is_fast`` is True), so ``return_offsets_mapping`` and
  ``word_ids()`` work.
* tiny-gpt2: the pad token is saved (pad = eos = ``<|endoftext|>``) and
  ``config.pad_token_id`` is set, so batching and
  ``GPT2ForSequenceClassification`` work without extra setup. Pre-split input
  (``is_split_into_words=True``) needs
  ``AutoTokenizer.from_pretrained(dir, add_prefix_space=True)``: without it v5
  does not raise (v4 did) but silently encodes every word without its leading
  "Ġ". Padding is on the right; set ``tokenizer.padding_side = "left"`` for
  batched generation. Byte-level BPE always keeps the 256 byte symbols, so the
  vocabulary is never smaller than 257.
* tiny-t5: ``<pad>`` = 0 (also ``decoder_start_token_id``), ``</s>`` = 1,
  ``<unk>`` = 2; ``</s>`` is appended to every sequence (pairs:
  ``A </s> B </s>``). No sentinel ``<extra_id_*>`` tokens.
* tiny-bert used as bert2bert via
  ``EncoderDecoderModel.from_encoder_decoder_pretrained(dir, dir)``: as with any
  bert2bert model the caller must set ``decoder_start_token_id`` (e.g. the
  ``[CLS]`` id) and ``pad_token_id`` (0) on ``model.config`` (for the loss) and,
  in v5, also on ``model.generation_config`` (``generate()`` reads only that).
"""

from __future__ import annotations

import json
import math
import pathlib
from collections import Counter
from collections.abc import Iterable

TINY_MODELS: dict[str, str] = {
    "tiny-bert": "Random-init 2-layer BERT (hidden 32) with a locally trained lowercase WordPiece tokenizer.",
    "tiny-gpt2": "Random-init 2-layer GPT-2 (n_embd 32) with a locally trained byte-level BPE tokenizer.",
    "tiny-t5": "Random-init 2+2-layer T5 (d_model 32) with a locally trained Unigram tokenizer.",
}

SEED = 0
MAX_POSITIONS = 512
HIDDEN = 32
LAYERS = 2
HEADS = 2
INTERMEDIATE = 64


def build_tiny_model(
    name: str,
    out_dir: pathlib.Path,
    corpus: Iterable[str],
    vocab_size: int = 2000,
) -> None:
    """Write a complete HF model directory for `name` into out_dir (create it).

    `corpus` is consumed once (any iterable of str; blank items are skipped).
    `vocab_size` is an upper bound: the real size is what the corpus supports
    and is what ``config.vocab_size`` / ``len(tokenizer)`` report.
    Raise ValueError for unknown name (or an empty corpus).
    """
    if name not in TINY_MODELS:
        raise ValueError(f"unknown tiny model {name!r}; expected one of {sorted(TINY_MODELS)}")
    texts = [t for t in corpus if isinstance(t, str) and t.strip()]
    if not texts:
        raise ValueError("corpus is empty: need at least one non-blank text to train a tokenizer")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    builder = {"tiny-bert": _build_bert, "tiny-gpt2": _build_gpt2, "tiny-t5": _build_t5}[name]
    tokenizer, config, model_cls = builder(texts, vocab_size)
    _save(out_dir, tokenizer, config, model_cls)


# ---------------------------------------------------------------------------
# shared helpers


def _save(out_dir: pathlib.Path, tokenizer, config, model_cls) -> None:
    import torch

    # Seed inside a forked RNG so the weights are reproducible and the caller's
    # global RNG state is left alone.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = model_cls(config)
    model.eval()
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _pretokenize(texts: list[str], normalizer, pre_tokenizer) -> Counter:
    """Count the words the tokenizer pipeline will see (deterministic, in Python)."""
    counts: Counter = Counter()
    for text in texts:
        if normalizer is not None:
            text = normalizer.normalize_str(text)
        counts.update(w for w, _ in pre_tokenizer.pre_tokenize_str(text))
    return counts


def _bpe_vocab(
    words: Counter, vocab_size: int, specials: list[str], alphabet: Iterable[str] = ()
) -> list[str]:
    """Learn a BPE vocabulary over whitespace-free `words`; return tokens in id order.

    The Rust BPE trainer numbers its alphabet in sorted order and breaks merge
    ties by those ids, so without a continuing-subword prefix or end-of-word
    suffix (as used here) its output is the same run to run. WordPieceTrainer
    and UnigramTrainer are not: they number '##x' symbols / order fallback
    characters in hash order and sum floats in parallel, and their saved
    tokenizer.json differed between two identical builds.
    """
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer

    tok = Tokenizer(BPE())
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=sorted(alphabet), show_progress=False
    )
    ordered = sorted(words.items())
    # One line per distinct word, repeated by its count in chunks to bound line size.
    lines = (" ".join([w] * min(c - i, 1000)) for w, c in ordered for i in range(0, c, 1000))
    tok.train_from_iterator(lines, trainer=trainer)
    vocab = json.loads(tok.to_str())["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.__getitem__)
    assert tokens[: len(specials)] == specials, tokens[: len(specials)]
    return tokens


# ---------------------------------------------------------------------------
# tiny-bert


def _build_bert(texts: list[str], vocab_size: int):
    from tokenizers import normalizers, pre_tokenizers
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4
    # Same normalizer / pre-tokenizer that BertTokenizer rebuilds on load.
    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    words = _pretokenize(texts, normalizer, pre_tokenizers.BertPreTokenizer())
    # WordPiece vocab = BPE vocab where word-initial and continuation symbols
    # differ. Encode that difference in the characters themselves (two
    # private-use planes, assigned in sorted order) so the plain, deterministic
    # BPE trainer can be used, then map back to "x" / "##x" tokens.
    chars = sorted({c for w in words for c in w})
    if len(chars) > 0xFFFE:
        raise ValueError("corpus has too many distinct characters for tiny-bert")
    fmap = {c: chr(0xF0000 + i) for i, c in enumerate(chars)}
    rmap = {c: chr(0x100000 + i) for i, c in enumerate(chars)}
    unmap = {v: k for k, v in fmap.items()} | {v: k for k, v in rmap.items()}
    mapped: Counter = Counter()
    for w, c in words.items():
        mapped[fmap[w[0]] + "".join(rmap[ch] for ch in w[1:])] += c
    # Every character gets both its word-initial and its "##" form, so a word
    # is only [UNK] when it holds a character never seen in the corpus.
    alphabet = list(fmap.values()) + list(rmap.values())
    vocab: dict[str, int] = {}
    for tok in _bpe_vocab(mapped, vocab_size, specials, alphabet):
        if tok in specials:
            piece = tok
        else:
            piece = "".join(unmap[ch] for ch in tok)
            if ord(tok[0]) >= 0x100000:
                piece = "##" + piece
        vocab.setdefault(piece, len(vocab))
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=MAX_POSITIONS)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        intermediate_size=INTERMEDIATE,
        max_position_embeddings=MAX_POSITIONS,
        type_vocab_size=2,
        pad_token_id=tokenizer.pad_token_id,
    )
    # MLM weights: the encoder loads under any AutoModelFor* head (new heads are
    # initialised) and the LM head is reused by BertLMHeadModel for bert2bert.
    return tokenizer, config, BertForMaskedLM


# ---------------------------------------------------------------------------
# tiny-gpt2


def _build_gpt2(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    eos = "<|endoftext|>"
    tok = Tokenizer(BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[eos],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    model_json = json.loads(tok.to_str())["model"]
    vocab = dict(model_json["vocab"])
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model_json["merges"]]
    tokenizer = GPT2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=eos,
        bos_token=eos,
        eos_token=eos,
        pad_token=eos,
        add_prefix_space=False,
        model_max_length=MAX_POSITIONS,
    )
    # Offsets exclude the leading space of "Ġword" tokens (as RoBERTa does), so
    # character spans from offset_mapping line up with the words.
    tokenizer.backend_tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    eos_id = tokenizer.eos_token_id
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=HIDDEN,
        n_layer=LAYERS,
        n_head=HEADS,
        n_inner=INTERMEDIATE,
        n_positions=MAX_POSITIONS,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=eos_id,
    )
    return tokenizer, config, GPT2LMHeadModel


# ---------------------------------------------------------------------------
# tiny-t5


def _build_t5(texts: list[str], vocab_size: int):
    from tokenizers import pre_tokenizers
    from tokenizers.models import Unigram
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    specials = ["<pad>", "</s>", "<unk>"]  # ids 0, 1, 2 as in T5
    # Same pre-tokenizer that T5Tokenizer rebuilds on load (it keeps no
    # normalizer unless a SentencePiece charsmap exists, so none is used here).
    pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True),
        ]
    )
    words = _pretokenize(texts, None, pre_tokenizer)
    # Unigram pieces = a deterministic BPE vocabulary; scores = unigram
    # log-probabilities re-estimated with a few Viterbi passes over the corpus.
    # (The Rust UnigramTrainer is not run-to-run deterministic.)
    pieces = _bpe_vocab(words, vocab_size, specials)[len(specials):]
    scores = {p: 0.0 for p in pieces}
    ordered_words = sorted(words.items())
    for _ in range(3):
        model = Unigram([(s, 0.0) for s in specials] + [(p, scores[p]) for p in pieces], unk_id=2)
        counts: Counter = Counter()
        for w, c in ordered_words:
            for t in model.tokenize(w):
                counts[t.value] += c
        total = sum(counts.values()) + len(pieces)
        scores = {p: math.log((counts[p] + 1) / total) for p in pieces}
    pieces.sort(key=lambda p: (-scores[p], p))
    vocab = [(s, 0.0) for s in specials] + [(p, round(scores[p], 8)) for p in pieces]
    tokenizer = T5Tokenizer(
        vocab=vocab,
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_ids=0,
        model_max_length=MAX_POSITIONS,
    )
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=HIDDEN,
        d_kv=HIDDEN // HEADS,
        d_ff=INTERMEDIATE,
        num_layers=LAYERS,
        num_decoder_layers=LAYERS,
        num_heads=HEADS,
        feed_forward_proj="relu",
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    return tokenizer, config, T5ForConditionalGeneration
