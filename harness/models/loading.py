"""Loading tokenizers and models from a resolved ModelSpec, with the security defaults in one place.

- remote code runs only when the user passed --trust-remote-code;
- safetensors weights are preferred where a checkpoint has them (transformers' default when present);
- offline (HF_HUB_OFFLINE=1) nothing is downloaded.
"""
from __future__ import annotations

from harness.kinds.base import Unsupported


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

    The names of the parameters the checkpoint did not hold (the new task head) are kept on the model as
    `harness_new_parameters`: head-only and LoRA tuning (harness.tuning) train exactly those in full.
    """
    try:
        model, info = auto_class.from_pretrained(spec.source, **_common(spec), output_loading_info=True,
                                                 **config_overrides)
        model.harness_new_parameters = set(info.get("missing_keys") or ())
        return model
    except ValueError as exc:
        if "Unrecognized configuration class" in str(exc):
            raise Unsupported(f"{auto_class.__name__} has no head for model type '{spec.model_type}' "
                              f"in transformers {_transformers_version()}") from None
        raise


def _transformers_version() -> str:
    import transformers

    return transformers.__version__
