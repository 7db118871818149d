"""Loading tokenizers and models from a resolved ModelSpec, with the security defaults in one place.

- remote code runs only when the user passed --trust-remote-code;
- safetensors weights are preferred where a checkpoint has them (transformers' default when present);
- offline (HF_HUB_OFFLINE=1) nothing is downloaded.
"""
from __future__ import annotations

from harness.errors import Unsupported


def _common(spec) -> dict:
    kwargs = {"trust_remote_code": spec.trust_remote_code}
    if spec.revision and not spec.local:
        kwargs["revision"] = spec.revision
    return kwargs


def load_tokenizer(spec, **kwargs):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(spec.source, **_common(spec), **kwargs)


def load_pretrained(auto_class, spec, **config_overrides):
    """`auto_class.from_pretrained` for the spec; a head the installed transformers lacks becomes Unsupported.

    The names of the parameters the checkpoint did not hold (a new task head, new cross-attention) are kept on the
    model as `harness_new_parameters`: head-only and LoRA tuning (harness.tuning) train exactly those in full.
    """
    try:
        model, info = auto_class.from_pretrained(spec.source, **_common(spec), output_loading_info=True,
                                                 **config_overrides)
    except ValueError as exc:
        if "Unrecognized configuration class" in str(exc):
            raise Unsupported(f"{auto_class.__name__} has no head for model type '{spec.model_type}' "
                              f"in transformers {_transformers_version()}") from None
        raise
    _upcast_to_fp32(model)
    missing = set(info.get("missing_keys") or ())
    held = {id(p) for name, p in model.named_parameters(remove_duplicate=False) if name not in missing}
    _record_new_parameters(model, held)
    return model


def _upcast_to_fp32(model) -> None:
    """fp32 weights whatever the checkpoint's dtype: transformers 5 keeps a bf16 (or fp16) checkpoint in that dtype,
    which would then train in bf16 on CPU unnoticed. Training keeps fp32 master weights; mixed precision autocasts."""
    import torch

    if any(p.is_floating_point() and p.dtype != torch.float32 for p in model.parameters()):
        model.float()


def new_parameter_names(model) -> set[str]:
    """Names (as `named_parameters` gives them) of the parameters the checkpoint did not hold."""
    return set(getattr(model, "harness_new_parameters", set()))


def compose_pretrained(model, parts) -> None:
    """Record the new parameters of `model` built around loaded `parts` (bert2bert's encoder and decoder): those
    the parts' checkpoints did not hold, and any the composition itself created."""
    held = set()
    for part in parts:
        new = new_parameter_names(part)
        held |= {id(p) for name, p in part.named_parameters() if name not in new}
    _record_new_parameters(model, held)


def _record_new_parameters(model, held: set[int]) -> None:
    # By identity, not by name: a tied weight (an LM head sharing the input embeddings) has several names, and
    # is new only if the checkpoint held it under none of them.
    model.harness_new_parameters = {name for name, p in model.named_parameters() if id(p) not in held}


def _transformers_version() -> str:
    import transformers

    return transformers.__version__
