"""Short names for common checkpoints. Anything not in this table is a hub id (org/name) or a local directory."""
from __future__ import annotations

from typing import NamedTuple


class Alias(NamedTuple):
    hub_id: str
    architecture: str  # documentation only: the architecture used at run time is always detected from the config
    params: str


ALIASES: dict[str, Alias] = {
    "bert": Alias("google-bert/bert-base-uncased", "encoder", "110M"),
    "bert-large": Alias("google-bert/bert-large-uncased", "encoder", "335M"),
    "distilbert": Alias("distilbert/distilbert-base-uncased", "encoder", "66M"),
    "roberta": Alias("FacebookAI/roberta-base", "encoder", "125M"),
    "roberta-large": Alias("FacebookAI/roberta-large", "encoder", "355M"),
    "deberta": Alias("microsoft/deberta-v3-base", "encoder", "184M"),
    "electra": Alias("google/electra-base-discriminator", "encoder", "110M"),
    "modernbert": Alias("answerdotai/ModernBERT-base", "encoder", "149M"),
    "minilm": Alias("sentence-transformers/all-MiniLM-L6-v2", "encoder", "23M"),
    "bert-base-chinese": Alias("google-bert/bert-base-chinese", "encoder", "102M"),
    "gpt2": Alias("openai-community/gpt2", "decoder", "124M"),
    "gpt2-medium": Alias("openai-community/gpt2-medium", "decoder", "355M"),
    "qwen": Alias("Qwen/Qwen2.5-0.5B", "decoder", "494M"),
    "smollm": Alias("HuggingFaceTB/SmolLM2-135M", "decoder", "135M"),
    "pythia": Alias("EleutherAI/pythia-160m", "decoder", "162M"),
    "t5": Alias("google-t5/t5-base", "encoder-decoder", "223M"),
    "t5-small": Alias("google-t5/t5-small", "encoder-decoder", "60M"),
    "flan-t5": Alias("google/flan-t5-base", "encoder-decoder", "248M"),
    "bart": Alias("facebook/bart-base", "encoder-decoder", "139M"),
    "marian-en-ro": Alias("Helsinki-NLP/opus-mt-en-ro", "encoder-decoder", "76M"),
}
