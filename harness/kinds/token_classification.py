"""Token classification (NER): one IOB2 tag per word, scored at the entity level with seqeval.

Heads: AutoModelForTokenClassification for every architecture (BERT-style encoders, GPT-2-style decoders, the T5 encoder
through T5ForTokenClassification). Words arrive pre-split, and byte-level BPE (GPT-2, RoBERTa, BART, ModernBERT,
Llama 3, ...) marks a word start with its leading space: each word is given that space, so it tokenizes as in running
text. Byte-level is read from the tokenizer itself (`is_byte_level`), never from the model type.
The first sub-token of each word carries the word's label; the other sub-tokens and special tokens get -100. At
evaluation the prediction at each word's first sub-token is the word's tag; words cut off by max_length are "O".
"""
from __future__ import annotations

from typing import Callable

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation, TaskKind, Unsupported, batched_forward
from harness.models.loading import load_pretrained
from harness.metrics.ner import NER_METRICS, ner_spec
from harness.tasks.card import CardError, TaskCard

IGNORE = -100


class TokenClassificationKind(TaskKind):
    name = "token_classification"
    peft_task = "TOKEN_CLS"
    fields = {"tokens": True, "ner_tags": True, "id": False}
    metric_specs = {m: ner_spec(m) for m in NER_METRICS}
    needs_labels = True

    # --- card and data ---------------------------------------------------------------------------------------
    def allowed_metrics(self, card: TaskCard) -> tuple[str, ...]:
        from harness.metrics.ner import entity_types

        return (*self.metric_specs, *sorted(f"f1_{t}" for t in entity_types(card.labels)))

    def metric_spec(self, metric: str):
        return ner_spec(metric)          # also f1_<TYPE>, one per entity type of the card

    def check_card(self, card: TaskCard) -> None:
        super().check_card(card)
        if not card.labels:
            raise CardError(card.path, "labels", "token classification needs the list of tags (O, B-X, I-X, ...)")
        for label in card.labels:
            if label != "O" and label[:2] not in ("B-", "I-"):
                raise CardError(card.path, "labels", f"{label!r} is not an IOB2 tag (O, B-TYPE or I-TYPE)")
        if "O" not in card.labels:
            raise CardError(card.path, "labels", "the tags must include 'O'")

    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        tags_out = []
        for number, (tokens, tags) in enumerate(zip(batch["tokens"], batch["ner_tags"]), start=1):
            if not isinstance(tokens, list) or not isinstance(tags, list):
                raise UserError(f"{where}: example {number}: tokens and ner_tags must be lists",
                                hint="one list of words and one list of tags per sentence")
            if len(tokens) != len(tags):
                raise UserError(f"{where}: example {number} has {len(tokens)} tokens but {len(tags)} tags")
            tags_out.append([_tag_id(tag, card.labels, where, number) for tag in tags])
        batch["tokens"] = [[str(t) for t in tokens] for tokens in batch["tokens"]]
        batch["ner_tags"] = tags_out
        if "id" in batch:
            batch["id"] = [str(i) for i in batch["id"]]
        return batch

    # --- model -----------------------------------------------------------------------------------------------
    def build_model(self, card: TaskCard, spec, tokenizer):
        from transformers import AutoModelForTokenClassification

        if not getattr(tokenizer, "is_fast", False):
            raise Unsupported("word alignment needs a fast (tokenizers-backed) tokenizer, and this model has none")
        return load_pretrained(AutoModelForTokenClassification, spec, num_labels=len(card.labels),
                               id2label=dict(enumerate(card.labels)),
                               label2id={label: i for i, label in enumerate(card.labels)},
                               pad_token_id=tokenizer.pad_token_id)

    def encoder(self, card: TaskCard, spec, tokenizer, hp, role: str) -> Callable[[dict], dict]:
        max_length = hp.max_length
        # Not add_prefix_space=True: the generic tokenizers-backed class (ModernBERT's) ignores it, and where a
        # Split precedes ByteLevel (Llama 3, Qwen) it spaces every piece of a word ("2,650", "U.S.").
        word_start = " " if is_byte_level(tokenizer) else ""

        def encode(batch: dict) -> dict:
            words = [[word_start + word for word in sentence] for sentence in batch["tokens"]]
            features = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
            labels, word_index = [], []
            for i, tags in enumerate(batch["ner_tags"]):
                feature_labels, feature_words, previous = [], [], None
                for word in features.word_ids(i):
                    first = word is not None and word != previous
                    feature_labels.append(tags[word] if first else IGNORE)
                    feature_words.append(word if first else -1)
                    previous = word
                labels.append(feature_labels)
                word_index.append(feature_words)
            features["labels"] = labels
            features["word_index"] = word_index      # evaluation maps predictions back to words through this
            return dict(features)
        return encode

    def encoder_version(self, role: str) -> str:
        return "ner-2"

    # --- evaluation ------------------------------------------------------------------------------------------
    def prompted_model(self, card, spec, tokenizer):
        """No evaluation without training (tuning none / icl:K): the reason."""
        raise Unsupported("tagging every token needs a token-classification head, which a pretrained model does not "
                          "have; a new head is random, not a baseline")

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        from harness.metrics.ner import entity_types, ner_metrics

        labels = ctx.card.labels
        word_index = ctx.features.select_columns(["word_index"]).to_dict()["word_index"]
        predicted_ids: list[list[int] | None] = [None] * len(ctx.features)
        for indices, output, lengths in batched_forward(ctx):
            best = output.logits.argmax(-1).cpu().tolist()
            for row, (index, length) in enumerate(zip(indices, lengths)):
                predicted_ids[index] = best[row][:length]
        predictions, references = [], []
        for gold, positions, best in zip(ctx.rows["ner_tags"], word_index, predicted_ids):
            words = ["O"] * len(gold)
            for position, word in enumerate(positions):
                if word >= 0:
                    words[word] = labels[best[position]]
            predictions.append(words)
            references.append([labels[t] for t in gold])
        metrics = ner_metrics(references, predictions, entity_types(labels))
        return Evaluation(metrics, predictions, references)


def is_byte_level(tokenizer) -> bool:
    """Whether a (fast) tokenizer is byte-level BPE: its backend's pre-tokenizer or decoder is ByteLevel, alone or in
    a Sequence. (Every tokenizers-backed class in transformers 5 has an `add_prefix_space` attribute, so that says
    nothing.)"""
    import json

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return False
    # Each component serialises on its own; the whole tokenizer's JSON would carry the vocabulary too.
    return any(component is not None and _names_byte_level(json.loads(component.__getstate__()))
               for component in (backend.pre_tokenizer, backend.decoder))


def _names_byte_level(node) -> bool:
    if isinstance(node, dict):
        return node.get("type") == "ByteLevel" or any(_names_byte_level(v) for v in node.values())
    if isinstance(node, list):
        return any(_names_byte_level(v) for v in node)
    return False


def _tag_id(value, labels: tuple[str, ...], where: str, number: int) -> int:
    """A tag as given (its name, e.g. B-PER, or its index into the card's labels, as the hub stores them) -> index."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        if 0 <= value < len(labels):
            return value
    else:
        text = str(value).strip()
        if text in labels:
            return labels.index(text)
        if text.isdigit() and int(text) < len(labels):
            return int(text)
    raise UserError(f"{where}: example {number}: tag {value!r} is not one of the card's labels {list(labels)}",
                    hint="fix the data or the card's labels")

