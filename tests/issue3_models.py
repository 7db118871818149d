"""Tiny random models of types the built-in trio does not cover, for `unsupported` pairings (test helper)."""
from __future__ import annotations

import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def _copy_tokenizer(source: Path, target: Path) -> None:
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copy(source / name, target / name)


def tiny_pegasus(target: Path) -> Path:
    """An encoder-decoder type with no token-classification or QA head in transformers (tiny-t5's tokenizer)."""
    import torch
    from transformers import PegasusConfig, PegasusForConditionalGeneration

    from harness.models.builtin import ensure_tiny_model

    if (target / "config.json").is_file():
        return target
    source = ensure_tiny_model("tiny-t5")
    vocab = len(__import__("json").loads((source / "tokenizer.json").read_text())["model"]["vocab"])
    config = PegasusConfig(vocab_size=vocab, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=256,
                           pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    target.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    PegasusForConditionalGeneration(config).save_pretrained(target)
    _copy_tokenizer(source, target)
    return target


def tiny_distilbert(target: Path) -> Path:
    """An encoder type with no causal-LM version in transformers, so no bert2bert (tiny-bert's tokenizer)."""
    import torch
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    from harness.models.builtin import ensure_tiny_model

    if (target / "config.json").is_file():
        return target
    source = ensure_tiny_model("tiny-bert")
    vocab = len(__import__("json").loads((source / "tokenizer.json").read_text())["model"]["vocab"])
    config = DistilBertConfig(vocab_size=vocab, dim=16, n_layers=1, n_heads=2, hidden_dim=32, max_position_embeddings=256,
                              pad_token_id=0)
    target.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    DistilBertForMaskedLM(config).save_pretrained(target)
    _copy_tokenizer(source, target)
    return target
