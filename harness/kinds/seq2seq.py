"""Sequence-to-sequence generation (translation, summarization): text in, text out, scored on generated text.

One small function per model architecture builds the model and its features:
- encoder-decoder (T5, BART, Marian...): AutoModelForSeq2SeqLM as is. T5-style models get the card's
  `options.source_prefix` (e.g. "translate English to Romanian: ") in front of every source.
- decoder-only (GPT-2, Llama...): a causal LM trained on `source + separator + target + eos` with the loss on the
  target (and eos) only: every source and separator position has label -100. At evaluation the model continues
  `source + separator` (left-padded so every prompt ends at the same position) and the continuation is the output.
- encoder-only (BERT...): warm-started bert2bert, EncoderDecoderModel(encoder=the model, decoder=the same checkpoint
  with cross-attention added), with decoder start = [CLS], eos = [SEP] and pad set on both model.config (used by the
  loss) and model.generation_config (the only place generate() reads them).
Generation is batched (batches sorted by source length, KV cache on) with the settings of the card's `generation`
section, overridden by the run's --max-new-tokens / --num-beams. Outputs are decoded by
harness.metrics.detokenize: exactly by tokenizers that keep whitespace, and for WordPiece (bert2bert) with spacing
learned from the training targets. Every record's `generation` section holds what generate() ran with.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from harness.errors import UserError
from harness.kinds.base import EvalContext, Evaluation, TaskKind, Unsupported
from harness.kinds.classification import check_prompt_fields
from harness.models.loading import load_pretrained
from harness.metrics.generation import BLEU_METRICS, ROUGE_METRICS, generation_spec
from harness.tasks.card import CardError, TaskCard

IGNORE = -100
# Models that expect a task prefix on the source (T5 was pre-trained on prefixed multi-task mixtures).
PREFIXED_MODEL_TYPES = frozenset({"t5", "mt5", "umt5", "longt5", "switch_transformers"})
DEFAULT_SEPARATOR = "\n\n"
GENERATION_DEFAULTS = {"max_new_tokens": 64, "num_beams": 1, "length_penalty": 1.0, "no_repeat_ngram_size": 0}
# Run options (job.options) that override the card's generation settings.
GENERATION_OPTIONS = ("max_new_tokens", "num_beams")
LATENCY_NEW_TOKENS = 16
_STRING_OPTIONS = ("source_prefix", "separator")
# Where a prompted answer ends: the blank line between demonstrations, after which a model that follows their
# pattern starts a prompt of its own.
DEMONSTRATION_END = "\n\n"


class Seq2SeqKind(TaskKind):
    name = "seq2seq"
    fields = {"source": True, "target": True, "id": False}
    metric_specs = {m: generation_spec(m) for m in (*BLEU_METRICS, *ROUGE_METRICS)}
    separately_padded = ("labels",)
    uses_generation = True

    def peft_task_type(self, spec) -> str | None:
        # bert2bert (EncoderDecoderModel) has no peft task type; it gets a plain PeftModel.
        return {"encoder-decoder": "SEQ_2_SEQ_LM", "decoder": "CAUSAL_LM"}.get(spec.architecture)

    def check_card(self, card: TaskCard) -> None:
        super().check_card(card)
        for key in _STRING_OPTIONS:
            if key in card.options and not isinstance(card.options[key], str):
                raise CardError(card.path, f"options.{key}", f"expected a string, got {card.options[key]!r}")
        for key, value in card.generation.items():
            if key == "length_penalty":
                valid, expected = isinstance(value, (int, float)), "a number"
            else:
                lowest = 0 if key == "no_repeat_ngram_size" else 1
                valid, expected = isinstance(value, int) and value >= lowest, f"an integer >= {lowest}"
            if isinstance(value, bool) or not valid:
                raise CardError(card.path, f"generation.{key}", f"expected {expected}, got {value!r}")
        check_prompt_fields(card, ("source",))

    def standardize(self, card: TaskCard, batch: dict, where: str) -> dict:
        for field in ("source", "target"):
            for number, value in enumerate(batch[field], start=1):
                if not isinstance(value, str):
                    raise UserError(f"{where}: example {number}: {field} must be text, got {type(value).__name__}",
                                    hint="check the card's column mapping")
        if "id" in batch:
            batch["id"] = [str(i) for i in batch["id"]]      # XSum ids are ints in some files, strings in others
        return batch

    # --- model -----------------------------------------------------------------------------------------------
    def build_model(self, card: TaskCard, spec, tokenizer):
        builder = {"encoder-decoder": _native_seq2seq, "decoder": _causal_lm, "encoder": _bert2bert}[spec.architecture]
        return builder(spec, tokenizer)

    def padded_separately(self, spec) -> tuple[str, ...]:
        # Decoder-only: labels are the inputs' positions (loss on the target part), so they share the inputs' width.
        return () if spec.architecture == "decoder" else self.separately_padded

    def train_columns(self) -> tuple[str, ...]:
        return ("input_ids", "attention_mask", "labels")

    def encoder_version(self, role: str) -> str:
        return "s2s-train-1" if role == "train" else "s2s-eval-1"

    def encoder(self, card: TaskCard, spec, tokenizer, hp, role: str) -> Callable[[dict], dict]:
        training = role == "train"
        prefix = card.options.get("source_prefix", "") if spec.model_type in PREFIXED_MODEL_TYPES else ""
        if spec.architecture == "decoder":
            return _causal_encoder(card, tokenizer, hp, training, prefix)
        eos = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        bert2bert = spec.architecture == "encoder"

        def encode(batch: dict) -> dict:
            features = tokenizer([prefix + s for s in batch["source"]], truncation=True, max_length=hp.max_length)
            out = {"input_ids": features["input_ids"], "attention_mask": features["attention_mask"]}
            if training:
                if bert2bert:   # decoder input = [CLS] y1..yn (shifted by the model), labels = y1..yn [SEP]
                    ids = tokenizer(batch["target"], add_special_tokens=False, truncation=True,
                                    max_length=max(1, hp.max_target_length - 1))["input_ids"]
                    out["labels"] = [t + [eos] for t in ids]
                else:
                    out["labels"] = tokenizer(text_target=batch["target"], truncation=True,
                                              max_length=hp.max_target_length)["input_ids"]
            return out
        return encode

    # --- generation ------------------------------------------------------------------------------------------
    def generation_settings(self, card: TaskCard, options: dict) -> dict:
        settings = {**GENERATION_DEFAULTS, **card.generation}
        settings.update({k: options[k] for k in GENERATION_OPTIONS if options.get(k) is not None})
        return settings

    def latency_settings(self, card: TaskCard, options: dict) -> dict:
        n = min(LATENCY_NEW_TOKENS, int(self.generation_settings(card, options)["max_new_tokens"]))
        return {**GENERATION_DEFAULTS, "max_new_tokens": n, "min_new_tokens": n, "num_beams": 1}

    def evaluate(self, ctx: EvalContext) -> Evaluation:
        from harness.data.batching import sorted_batches
        import torch

        settings = self.generation_settings(ctx.card, ctx.options)
        arguments = generate_arguments(settings)
        decoder = self._text_decoder(ctx)
        ids = ctx.features["input_ids"]
        predictions: list[Any] = [None] * len(ids)
        room = arguments["max_new_tokens"]
        ctx.model.eval()
        for indices in sorted_batches([len(x) for x in ids], ctx.batch_size):
            output, used = _generate(ctx.model, ctx.tokenizer, ctx.spec.architecture, [ids[i] for i in indices],
                                     settings, ctx.device, ctx.autocast, torch)
            room = min(room, used["max_new_tokens"])
            for index, text in zip(indices, decoder.batch_decode(output)):
                predictions[index] = text
        generation = _generation_record(ctx.model, arguments, decoder, room,
                                        generate_arguments(self.latency_settings(ctx.card, ctx.options)))
        references = list(ctx.rows["target"])
        return Evaluation(_scores(ctx.card, predictions, references), predictions, references,
                          record_sections={"generation": generation})

    def _text_decoder(self, ctx: EvalContext):
        """Token ids -> text for this tokenizer, made once per job (validation runs every epoch): a WordPiece
        tokenizer's decoder learns its spacing from the training targets."""
        from harness.metrics.detokenize import GeneratedTextDecoder

        key = (ctx.tokenizer.name_or_path, getattr(ctx.train_rows, "_fingerprint", None))
        if getattr(self, "_decoder_key", None) != key:
            self._decoder = GeneratedTextDecoder(ctx.tokenizer, _training_targets(ctx.train_rows))
            self._decoder_key = key
        return self._decoder

    def latency_inputs(self, ctx: EvalContext, index: int) -> Callable[[], Any]:
        """One request = a greedy generate call of exactly LATENCY_NEW_TOKENS new tokens (or fewer if the card
        asks for fewer), so models that stop early and models that ramble are timed on the same work."""
        import torch

        ids = [ctx.features["input_ids"][index % len(ctx.features)]]
        settings = self.latency_settings(ctx.card, ctx.options)

        def request():
            return _generate(ctx.model, ctx.tokenizer, ctx.spec.architecture, ids, settings, ctx.device, ctx.autocast,
                             torch)
        return request


    # --- without training (tuning none / icl:K): generated from a prompt (harness.kinds.prompted_generation) ------
    def prompted_model(self, card: TaskCard, spec, tokenizer):
        from harness.kinds.prompted_generation import generator_model

        return generator_model(spec, tokenizer)

    def evaluate_prompted(self, ctx: EvalContext, prompting) -> Evaluation:
        from harness.kinds.prompted_generation import generate_texts

        settings = self.generation_settings(ctx.card, ctx.options)
        prompts, template = self._prompts(ctx, prompting, settings)
        predictions = generate_texts(ctx, prompts.ids, settings, stop=DEMONSTRATION_END)
        references = list(ctx.rows["target"])
        generation = {"settings": generate_arguments(settings), "decoding": f"the tokenizer's, up to the first "
                      f"{DEMONSTRATION_END!r}", "latency": generate_arguments(self.latency_settings(ctx.card,
                                                                                                  ctx.options))}
        return Evaluation(_scores(ctx.card, predictions, references), predictions, references,
                          record_sections={"generation": generation,
                                           "prompting": {"template": template, **prompts.describe(prompting.shots)}})

    def prompted_request(self, ctx: EvalContext, prompting, index: int) -> Callable[[], Any]:
        from harness.kinds.prompted_generation import generate_request

        settings = self.latency_settings(ctx.card, ctx.options)
        return generate_request(ctx, self._prompts(ctx, prompting, settings, [index % len(ctx.rows)])[0].ids[0],
                                settings)

    def _prompts(self, ctx: EvalContext, prompting, settings: dict, indices: list[int] | None = None):
        """The prompts of every example (or of those at `indices`) as token ids, and the template filled."""
        from harness.kinds.prompted_generation import card_template, fitted_prompts

        template = card_template(ctx.card, default_prompt(ctx.card))
        rows = ctx.rows.select(indices) if indices is not None else ctx.rows
        return fitted_prompts(ctx, prompting, template, rows, lambda row: row["target"],
                              settings["max_new_tokens"]), template


def default_prompt(card: TaskCard) -> str:
    """For a card without a `prompt`: the instruction T5 was trained with (the card's `source_prefix`, "translate
    English to Romanian: ") as a line of its own, the source, and a new line where the output starts."""
    instruction = card.options.get("source_prefix", "").strip().rstrip(":").strip() or \
        {"translation": "Translate", "summarization": "Summarize"}.get(card.family, "Rewrite")
    return instruction[0].upper() + instruction[1:] + ":\n{source}\n"


def _scores(card: TaskCard, predictions: list[str], references: list[str]) -> dict[str, float]:
    """The card's BLEU/chrF and ROUGE metrics of generated texts."""
    from harness.metrics.generation import bleu_chrf, rouge

    wanted = set(card.metrics) | {card.primary_metric}
    metrics = {}
    if wanted & set(BLEU_METRICS):
        metrics.update(bleu_chrf(predictions, references, tuple(wanted & set(BLEU_METRICS))))
    if wanted & set(ROUGE_METRICS):
        metrics.update(rouge(predictions, references, tuple(wanted & set(ROUGE_METRICS))))
    return metrics


def generate_arguments(settings: dict) -> dict:
    """Everything the harness sets on the model's generation_config for one generate() call: the settings, greedy
    or beam search (never sampling), the KV cache, and beam search ending once every beam has ended."""
    arguments = {**settings, "do_sample": False, "use_cache": True}
    if arguments.get("num_beams", 1) > 1:
        arguments["early_stopping"] = True
    return arguments


# generation_config entries that say nothing about what is generated (extra outputs, bookkeeping).
_NOT_GENERATION = frozenset({"output_attentions", "output_hidden_states", "output_scores", "output_logits",
                             "return_dict_in_generate", "transformers_version"})


def _generation_record(model, arguments: dict, decoder, room: int, latency: dict) -> dict:
    """The record's `generation` section: the arguments, what the model's own generation_config added to them
    (values it sets away from transformers' defaults that no argument overrode, e.g. a checkpoint's min_length or
    forced_bos_token_id), how outputs were decoded, and what the latency requests ran with."""
    import json

    own = {k: v for k, v in model.generation_config.to_diff_dict().items()
           if k not in arguments and k not in _NOT_GENERATION and not k.startswith("_")}
    section = {"settings": arguments, "model_config": json.loads(json.dumps(own, default=str)),
               "decoding": decoder.description, "latency": latency}
    if room < arguments["max_new_tokens"]:       # decoder-only: the longest prompts left fewer positions
        section["max_new_tokens_within_positions"] = room
    return section


def _training_targets(rows):
    """The training split's targets, read only if a decoder asks for them (a generator)."""
    if rows is not None:
        from harness.metrics.detokenize import MAX_FIT_TEXTS

        yield from rows.select(range(min(len(rows), MAX_FIT_TEXTS)))["target"]


# --- one function per architecture -------------------------------------------------------------------------
def _native_seq2seq(spec, tokenizer):
    from transformers import AutoModelForSeq2SeqLM

    model = load_pretrained(AutoModelForSeq2SeqLM, spec)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if getattr(model.config, "decoder_start_token_id", None) is None and \
            getattr(model.generation_config, "decoder_start_token_id", None) is None:
        raise Unsupported(f"model type '{spec.model_type}' names no decoder_start_token_id to begin generation with")
    model.generation_config.pad_token_id = model.config.pad_token_id
    return model


def _causal_lm(spec, tokenizer):
    from transformers import AutoModelForCausalLM

    if tokenizer.eos_token_id is None:
        raise Unsupported("a decoder-only model needs an eos token to end its generated target")
    model = load_pretrained(AutoModelForCausalLM, spec, pad_token_id=tokenizer.pad_token_id)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def _bert2bert(spec, tokenizer):
    from transformers import AutoModel, AutoModelForCausalLM, EncoderDecoderModel

    from harness.models.loading import compose_pretrained

    start = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    eos = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    if start is None or eos is None or tokenizer.pad_token_id is None:
        raise Unsupported("bert2bert needs [CLS]/[SEP] (or bos/eos) and pad tokens, and this tokenizer lacks one")
    # Each side is loaded on its own (what from_encoder_decoder_pretrained does inside) so that the loading info
    # names what the checkpoint lacked: the decoder's cross-attention, and its LM head where the checkpoint is a
    # bare encoder. Head-only and LoRA tuning must train those in full.
    try:
        decoder = load_pretrained(AutoModelForCausalLM, spec, is_decoder=True, add_cross_attention=True)
    except Unsupported:
        import transformers
        raise Unsupported(f"bert2bert warm start needs a causal-LM (decoder) version of model type "
                          f"'{spec.model_type}', which transformers {transformers.__version__} does not "
                          "have") from None
    encoder = load_pretrained(AutoModel, spec, is_decoder=False, add_cross_attention=False)
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    compose_pretrained(model, (encoder, decoder))
    for config in (model.config, model.generation_config):
        config.decoder_start_token_id = start
        config.pad_token_id = tokenizer.pad_token_id
        config.eos_token_id = eos
    model.config.vocab_size = model.config.decoder.vocab_size
    return model


def _causal_encoder(card: TaskCard, tokenizer, hp, training: bool, prefix: str) -> Callable[[dict], dict]:
    separator = tokenizer(card.options.get("separator", DEFAULT_SEPARATOR), add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    target_room = max(1, hp.max_target_length - 1)
    limit = _position_limit(tokenizer)
    # Source + separator + target (+ eos) must fit the model's positions; the source gives way.
    source_room = max(1, min(hp.max_length, limit - len(separator) - target_room - 1))

    def encode(batch: dict) -> dict:
        sources = tokenizer([prefix + s for s in batch["source"]], truncation=True, max_length=source_room)["input_ids"]
        out: dict[str, list] = {"input_ids": [], "attention_mask": []}
        if training:
            targets = tokenizer(batch["target"], add_special_tokens=False, truncation=True,
                                max_length=target_room)["input_ids"]
            out["labels"] = []
            for source, target in zip(sources, targets):
                prompt = source + separator
                out["input_ids"].append(prompt + target + [eos])
                out["labels"].append([IGNORE] * len(prompt) + target + [eos])
                out["attention_mask"].append([1] * (len(prompt) + len(target) + 1))
        else:
            for source in sources:
                out["input_ids"].append(source + separator)
                out["attention_mask"].append([1] * (len(source) + len(separator)))
        return out
    return encode


def _position_limit(tokenizer) -> int:
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if isinstance(limit, int) and 0 < limit < 1_000_000 else 1_000_000


def _generate(model, tokenizer, architecture: str, ids: list[list[int]], settings: dict, device, autocast, torch):
    """Batched generation for one batch of token id lists: (the generated ids without the prompt, the arguments
    generate() got: `generate_arguments(settings)`, a decoder-only model's max_new_tokens cut to the positions the
    prompt leaves)."""
    from harness.data.batching import padded_length
    pad = tokenizer.pad_token_id
    width = padded_length(max(len(x) for x in ids))
    if architecture == "decoder":   # left padding: every prompt ends where generation starts
        input_ids = [[pad] * (width - len(x)) + x for x in ids]
        mask = [[0] * (width - len(x)) + [1] * len(x) for x in ids]
    else:
        input_ids = [x + [pad] * (width - len(x)) for x in ids]
        mask = [[1] * len(x) + [0] * (width - len(x)) for x in ids]
    config = copy.deepcopy(model.generation_config)
    settings = generate_arguments(settings)
    if architecture == "decoder":
        room = _position_limit_of(model) - width
        if room < 1:
            raise UserError(f"a prompt of {width} tokens leaves no room to generate in the model's positions",
                            hint="lower --max-length")
        settings["max_new_tokens"] = min(int(settings["max_new_tokens"]), room)
        if "min_new_tokens" in settings:
            settings["min_new_tokens"] = min(int(settings["min_new_tokens"]), settings["max_new_tokens"])
    config.update(**settings)
    if config.no_repeat_ngram_size == 0:
        config.no_repeat_ngram_size = None
    with torch.inference_mode(), autocast():
        output = model.generate(input_ids=torch.tensor(input_ids, device=device),
                                attention_mask=torch.tensor(mask, device=device), generation_config=config)
    return (output[:, width:] if architecture == "decoder" else output), settings


def _position_limit_of(model) -> int:
    config = model.config
    for name in ("max_position_embeddings", "n_positions", "n_ctx"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 1_000_000
