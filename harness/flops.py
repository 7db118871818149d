"""Training FLOPs and model FLOPs utilisation (MFU).

FLOPs per trained token ≈ 6·N + 12·L·d·S (Kaplan et al., 2020): N non-embedding parameters (forward 2N, backward
4N), plus the attention scores and weighted sums over S context positions in each of L layers of width d. MFU is
achieved FLOP/s over the device's dense peak for the precision used. Peaks are vendor datasheet figures for dense
(no sparsity) tensor-core math; fp32 jobs are compared with the TF32 peak. CPUs have no entry: MFU is None there.
"""
from __future__ import annotations

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


def _config_value(config, *names, default=0):
    for name in names:
        value = getattr(config, name, None)
        if value:
            return value
    return default


def flops_per_token(model, mean_context: float) -> float:
    """6·N (non-embedding parameters) + 12·L·d·S for one trained token."""
    config = model.config
    embeddings = 0
    try:
        embeddings = model.get_input_embeddings().weight.numel()
    except (AttributeError, NotImplementedError):
        pass
    params = sum(p.numel() for p in model.parameters()) - embeddings
    layers = _config_value(config, "num_hidden_layers", "n_layer", "num_layers") + \
        _config_value(config, "num_decoder_layers", default=0)
    width = _config_value(config, "hidden_size", "n_embd", "d_model")
    return 6.0 * params + 12.0 * layers * width * mean_context


def mfu(flops_token: float, tokens_per_s: float | None, peak_tflops: float | None) -> float | None:
    if not tokens_per_s or not peak_tflops:
        return None
    return flops_token * tokens_per_s / (peak_tflops * 1e12)
