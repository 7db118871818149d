"""Training FLOPs and model FLOPs utilisation (MFU).

FLOPs per real token (encoder and decoder tokens alike) count the work actually done in one training step:

- forward: 2·N per token, N the non-embedding parameters the token passes through (an encoder-decoder's source
  tokens pass the encoder, its target tokens the decoder and LM head; an embedding lookup is no product, but a
  tied LM head is);
- activation gradients: another 2·N, only for the layers above the lowest trainable parameter (below it no
  gradient is needed: a trained head alone needs none);
- weight gradients: 2·N_trainable;
- attention: 4·d FLOPs per (query, key) pair in each layer forward (scores and weighted sum, Kaplan et al., 2020),
  twice that again backward where activation gradients flow: self-attention over the source in the encoder, over
  the target in a decoder, plus cross-attention from target to source. Full tuning thus gives the familiar
  6·N + 12·L·d·S.

Layers (L) and attention width (d) come from the config, from its encoder and decoder sub-configs for a
warm-started encoder-decoder. "Above" follows the order modules are registered in, which is the order Hugging
Face models run them. Cross-attention's key/value projections run on encoder states but are counted per decoder
token, and a sequence head per token (both small). MFU is achieved FLOP/s over the device's dense peak for the
precision used. Peaks are vendor datasheet figures for dense (no sparsity) tensor-core math; fp32 jobs are
compared with the TF32 peak. CPUs have no entry: MFU is None there.
"""
from __future__ import annotations

from dataclasses import dataclass

# name fragment (as in torch.cuda.get_device_name) -> (bf16/fp16 dense TFLOP/s, tf32 dense TFLOP/s)
PEAK_TFLOPS: dict[str, tuple[float, float]] = {
    "H200": (989.0, 494.5),
    "H100 PCIe": (756.0, 378.0),
    "H100": (989.0, 494.5),
    "GH200": (989.0, 494.5),
    "B200": (2250.0, 1100.0),
    "A100": (312.0, 156.0),
    "A800": (312.0, 156.0),
    "L40S": (362.0, 183.0),
    "L40": (181.0, 90.5),
    "L4": (121.0, 60.0),
    "A10G": (70.0, 35.0),
    "A10": (125.0, 62.5),
    "RTX 4090": (165.2, 82.6),
    "RTX 3090": (71.0, 35.6),
    "V100": (125.0, 15.7),
    "T4": (65.0, 8.1),
}


def device_peak_tflops(device_name: str | None, precision: str) -> float | None:
    if not device_name or not device_name.startswith("cuda"):
        return None
    for fragment, (half, tf32) in PEAK_TFLOPS.items():     # longer, more specific names are listed first
        if fragment in device_name:
            return tf32 if precision == "fp32" else half
    return None


@dataclass(frozen=True)
class Stack:
    """An encoder, a decoder, or the whole of a one-stack model, for one training example."""
    tokens: float               # real tokens through it
    params: int                 # N: its non-embedding parameters (matrix products and norms)
    backward_params: int        # of N, those above its lowest trainable parameter (activation gradients)
    trainable_params: int       # of N, the trainable ones (weight gradients)
    attention: float            # forward attention FLOPs: 4·d per (query, key) pair per layer


@dataclass(frozen=True)
class FlopsEstimate:
    """Training FLOPs per real token, by part."""
    forward: float
    activation_backward: float
    weight_gradients: float
    attention: float            # forward and backward
    stacks: tuple[Stack, ...]

    @property
    def per_token(self) -> float:
        return self.forward + self.activation_backward + self.weight_gradients + self.attention

    @property
    def basis(self) -> str:
        """What the figure assumed, in one line for the record."""
        parts = " + ".join(f"{s.tokens:.1f}" for s in self.stacks)
        names = "encoder + decoder" if len(self.stacks) == 2 else "input"
        n, below, trained = (sum(getattr(s, f) for s in self.stacks)
                             for f in ("params", "backward_params", "trainable_params"))
        return (f"per real token ({names} tokens/example {parts}): 2N forward (N={n:,}), 2N activation "
                f"gradients over {below:,}, 2N weight gradients over {trained:,} trainable, "
                f"attention {self.attention:.4g}")


def estimate_flops(model, encoder_tokens: float, decoder_tokens: float = 0.0) -> FlopsEstimate:
    """Training FLOPs per real token for `model` as it stands (what requires grad trains), with the mean real
    tokens per example through its encoder (or its only stack: a decoder's prompt and target) and decoder."""
    stacks = _stacks(model, encoder_tokens, decoder_tokens)
    tokens = sum(s.tokens for s in stacks) or 1.0
    attention = 0.0
    for stack in stacks:
        backward_share = stack.backward_params / stack.params if stack.params else 0.0
        attention += stack.attention * (1 + 2 * backward_share)
    return FlopsEstimate(forward=sum(2 * s.params * s.tokens for s in stacks) / tokens,
                         activation_backward=sum(2 * s.backward_params * s.tokens for s in stacks) / tokens,
                         weight_gradients=sum(2 * s.trainable_params * s.tokens for s in stacks) / tokens,
                         attention=attention / tokens, stacks=tuple(stacks))


def flops_per_token(model, mean_context: float) -> float:
    """Training FLOPs per token of a one-stack model over `mean_context` real tokens per example."""
    return estimate_flops(model, mean_context).per_token


def mfu(flops_token: float, tokens_per_s: float | None, peak_tflops: float | None) -> float | None:
    if not tokens_per_s or not peak_tflops:
        return None
    return flops_token * tokens_per_s / (peak_tflops * 1e12)


# --- the model's parts ---------------------------------------------------------------------------------------
def _stacks(model, encoder_tokens: float, decoder_tokens: float) -> list[Stack]:
    config, modules = model.config, _modules(model)
    if not getattr(config, "is_encoder_decoder", False):
        layers, width = _layers_and_width(config)
        return [_stack(modules, encoder_tokens, 4.0 * width * layers * encoder_tokens ** 2)]
    (encoder_layers, encoder_width), (decoder_layers, decoder_width) = _encoder_decoder_shape(config)
    in_encoder = {id(m) for m in model.get_encoder().modules()}
    encoder_attention = 4.0 * encoder_width * encoder_layers * encoder_tokens ** 2
    decoder_attention = 4.0 * decoder_width * decoder_layers * decoder_tokens * (decoder_tokens + encoder_tokens)
    return [_stack([m for m in modules if id(m[0]) in in_encoder], encoder_tokens, encoder_attention),
            _stack([m for m in modules if id(m[0]) not in in_encoder], decoder_tokens, decoder_attention)]


def _modules(model) -> list[tuple[object, bool]]:
    """The modules a training step runs, in registration order (the order Hugging Face models run them), each with
    whether activation gradients flow through it: whether a trainable parameter lies below it. peft's frozen
    originals of the modules it replaced by trained copies are left out."""
    skipped: set[int] = set()
    for module in model.modules():
        original = getattr(module, "original_module", None)
        if original is not None and hasattr(module, "modules_to_save"):
            skipped |= {id(m) for m in original.modules()}
    walked, trainable_below = [], False
    for module in model.modules():
        if id(module) not in skipped:
            walked.append((module, trainable_below))
            trainable_below = trainable_below or any(p.requires_grad for p in module.parameters(recurse=False))
    return walked


def _stack(modules: list[tuple[object, bool]], tokens: float, attention: float) -> Stack:
    import torch

    params = backward = trainable = 0
    seen: set[int] = set()          # a parameter shared by two modules (BERT's LM-head bias) counts once
    for module, needs_gradient in modules:
        if isinstance(module, torch.nn.Embedding):         # a lookup, no product (a tied LM head is a Linear)
            continue
        own = [p for p in module.parameters(recurse=False) if id(p) not in seen]
        seen |= {id(p) for p in own}
        count = sum(p.numel() for p in own)
        params += count
        backward += count if needs_gradient else 0
        trainable += sum(p.numel() for p in own if p.requires_grad)
    return Stack(tokens=tokens, params=params, backward_params=backward, trainable_params=trainable,
                 attention=attention)


def _config_value(config, *names, default=0):
    for name in names:
        value = getattr(config, name, None)
        if value:
            return value
    return default


def _width(config) -> int:
    """Attention width: heads × head size where the config says (T5's inner dimension), else the hidden size."""
    head_size = _config_value(config, "d_kv")
    heads = _config_value(config, "num_heads", "num_attention_heads", "n_head")
    if head_size and heads:
        return head_size * heads
    return _config_value(config, "hidden_size", "n_embd", "d_model")


def _layers_and_width(config) -> tuple[int, int]:
    return _config_value(config, "num_hidden_layers", "n_layer", "num_layers"), _width(config)


def _encoder_decoder_shape(config) -> tuple[tuple[int, int], tuple[int, int]]:
    """(layers, width) of the encoder and of the decoder."""
    encoder, decoder = getattr(config, "encoder", None), getattr(config, "decoder", None)
    if hasattr(encoder, "to_dict") and hasattr(decoder, "to_dict"):      # EncoderDecoderConfig: two sub-configs
        return _layers_and_width(encoder), _layers_and_width(decoder)
    encoder_layers = _config_value(config, "encoder_layers", "num_layers", "num_hidden_layers")
    decoder_layers = _config_value(config, "decoder_layers", "num_decoder_layers", default=encoder_layers)
    return (encoder_layers, _width(config)), (decoder_layers, _width(config))
