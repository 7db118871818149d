"""Training FLOPs per token count what each token passes through and what trains; tokens are the real encoder and
decoder tokens the model processes."""
from __future__ import annotations

import pytest
import torch

import harness
from harness.flops import estimate_flops

HIDDEN, LAYERS, VOCAB, LABELS = 64, 2, 1000, 3
QUICK = dict(data="sample", executor="inline", epochs=1, batch_size=4, max_train_samples=16, max_eval_samples=4,
             max_new_tokens=2, num_beams=1, latency_requests=0, write_report=False, progress=lambda _: None)


def bert_config(**extra):
    from transformers import BertConfig

    return BertConfig(hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=2, intermediate_size=128,
                      vocab_size=VOCAB, **extra)


def non_embedding_params(model) -> int:
    """N: every parameter but the embedding tables (word, position, token type)."""
    tables = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding))
    return sum(p.numel() for p in model.parameters()) - tables


@pytest.fixture
def classifier():
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    return BertForSequenceClassification(bert_config(num_labels=LABELS))


def test_full_tuning_is_six_n_plus_attention(classifier):
    n, context = non_embedding_params(classifier), 10.0
    estimate = estimate_flops(classifier, context)
    assert estimate.forward == pytest.approx(2 * n)
    assert estimate.activation_backward == pytest.approx(2 * n)
    assert estimate.weight_gradients == pytest.approx(2 * n)
    assert estimate.attention == pytest.approx(12 * LAYERS * HIDDEN * context)
    assert estimate.per_token == pytest.approx(6 * n + 12 * LAYERS * HIDDEN * context)


def test_head_only_spends_no_backward_below_the_head(classifier):
    for name, param in classifier.named_parameters():
        param.requires_grad = name.startswith("classifier.")
    head = HIDDEN * LABELS + LABELS
    n, context = non_embedding_params(classifier), 10.0
    estimate = estimate_flops(classifier, context)
    assert estimate.forward == pytest.approx(2 * n)
    assert estimate.activation_backward == 0                  # nothing below the head needs a gradient
    assert estimate.weight_gradients == pytest.approx(2 * head)
    assert estimate.attention == pytest.approx(4 * LAYERS * HIDDEN * context)     # forward only
    full = 6 * n + 12 * LAYERS * HIDDEN * context
    assert estimate.per_token < 0.4 * full


def test_lora_trains_a_small_part_but_backpropagates_through_the_body(classifier):
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(classifier, LoraConfig(r=4, target_modules=["query", "value"], task_type="SEQ_CLS"))
    estimate = estimate_flops(model, 10.0)
    n = non_embedding_params(classifier)
    assert estimate.weight_gradients < 0.1 * 2 * n
    assert estimate.activation_backward > 0.9 * 2 * n
    assert estimate.per_token < 0.75 * (6 * n + 12 * LAYERS * HIDDEN * 10.0)


def test_bert2bert_has_an_attention_term_over_encoder_decoder_and_cross_attention():
    from transformers import BertLMHeadModel, BertModel, EncoderDecoderModel

    torch.manual_seed(0)
    model = EncoderDecoderModel(encoder=BertModel(bert_config()),
                                decoder=BertLMHeadModel(bert_config(is_decoder=True, add_cross_attention=True)))
    source, target = 20.0, 6.0
    estimate = estimate_flops(model, source, target)
    forward = 4 * HIDDEN * LAYERS * (source * source + target * target + target * source)
    assert estimate.attention == pytest.approx(3 * forward / (source + target))
    # encoder tokens pass the encoder only, decoder tokens the decoder (with the LM head) only
    encoder_n, decoder_n = non_embedding_params(model.encoder), non_embedding_params(model.decoder)
    decoder_n += VOCAB * HIDDEN                      # the LM head is a matrix product tied to the embeddings
    assert estimate.forward == pytest.approx(2 * (encoder_n * source + decoder_n * target) / (source + target))


def test_t5_counts_encoder_and_decoder_layers():
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=3,
                      num_heads=4)
    estimate = estimate_flops(T5ForConditionalGeneration(config), 10.0, 10.0)
    inner = 4 * 8
    forward = 4 * inner * (2 * 10 * 10 + 3 * (10 * 10 + 10 * 10))
    assert estimate.attention == pytest.approx(3 * forward / 20)


def test_tokens_of_an_encoder_decoder_batch_include_decoder_tokens_and_exclude_padding():
    from harness.data.batching import collate_features
    from harness.models.loading import load_tokenizer
    from harness.models.resolve import resolve_model
    from harness.settings import Hyperparameters
    from harness.tasks.registry import Registry, load_kind
    from harness.train.batches import HostBatches
    from harness.train.tokens import count_tokens

    card = Registry().card("wmt16_en_ro")
    kind = load_kind(card.kind)
    rows = {"source": ["a short one", "a much longer source sentence that pads the others out a lot"],
            "target": ["o propoziție ceva mai lungă decât sursa ei scurtă", "scurt"]}
    for name in ("tiny-t5", "tiny-bert", "tiny-gpt2"):
        spec = resolve_model(name)
        tokenizer = kind.prepare_tokenizer(load_tokenizer(spec), spec)
        features = kind.encoder(card, spec, tokenizer, Hyperparameters(max_length=64), "train")(rows)
        examples = [{c: features[c][i] for c in kind.train_columns()} for i in range(2)]
        batch = collate_features(examples, tokenizer.pad_token_id, separately_padded=kind.padded_separately(spec))
        counted = count_tokens(batch, kind.padded_separately(spec))
        sources = sum(len(x) for x in features["input_ids"])
        targets = sum(len(x) for x in features["labels"])
        if spec.architecture == "decoder":       # one sequence: source, separator and target through the same stack
            assert (counted.encoder, counted.decoder) == (sources, 0)
        else:
            assert (counted.encoder, counted.decoder) == (sources, targets)
        assert counted.total < batch["input_ids"].numel() + batch["labels"].numel()      # padding is not counted
        # what the training loop's batches carry for throughput: the same count, decoder tokens included
        source = HostBatches({c: features[c] for c in kind.train_columns()}, tokenizer.pad_token_id, 2,
                             torch.device("cpu"), kind.padded_separately(spec))
        (step,) = source.epoch(seed=0)
        assert (step.tokens, step.decoder_tokens) == (counted.total, counted.decoder)


def test_a_job_records_what_its_flops_assumed(tmp_path):
    record = harness.run(models="tiny-t5", tasks="wmt16_en_ro", output=tmp_path, **QUICK)[0]
    assert record["status"] == "ok", record["error"]
    train = record["train"]
    assert train["flops_per_token"] > 0 and "decoder" in train["flops_basis"]
    assert train["mfu"] is None                                     # no datasheet peak for a CPU
