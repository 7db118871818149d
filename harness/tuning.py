"""Tuning strategies: which parameters a job trains.

- `full`: every parameter (the default).
- `head`: the pretrained body frozen; only the newly initialised task head trains (a linear probe for
  classification, regression, NER and QA). Generative tasks have no new head (the LM head is pretrained), so
  head-only tuning is reported as unsupported there.
- `lora`: low-rank adapters (peft) on the attention projections, plus the new task head. Rank, alpha, dropout and
  target modules are configurable; by default the target modules are peft's per-architecture choice, with a
  fallback to every attention projection whose name ends in a common q/v suffix.

The new head is found without name lists: it is the set of parameters the checkpoint did not contain (transformers'
`missing_keys` at load time, recorded by harness.models.loading.load_pretrained).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from harness.kinds.base import Unsupported

STRATEGIES = ("full", "head", "lora")
_FALLBACK_TARGETS = ("query", "value", "q_proj", "v_proj", "q", "v", "c_attn", "q_lin", "v_lin", "Wqkv", "qkv_proj")


@dataclass(frozen=True)
class LoraSettings:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = field(default_factory=tuple)    # empty: peft's default for the architecture

    def to_dict(self) -> dict:
        return asdict(self)


def new_parameter_names(model) -> set[str]:
    return set(getattr(model, "harness_new_parameters", set()))


def apply_tuning(model, strategy: str, *, task_type: str | None, lora: LoraSettings | None = None,
                 generative: bool = False):
    """Return the model to train under `strategy` (the same object, or a peft wrapper for LoRA)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown tuning strategy {strategy!r}")
    if strategy == "full":
        return model
    new = set() if generative else new_parameter_names(model)
    if strategy == "head":
        if not new:
            raise Unsupported("head-only tuning needs a newly initialised task head; this model/task has none "
                              "(generative tasks train the pretrained LM head)")
        for name, param in model.named_parameters():
            param.requires_grad = name in new
        return model
    return _with_lora(model, task_type, lora or LoraSettings(), new)


def _head_modules(model, new: set[str]) -> list[str]:
    """Names of the smallest modules that hold only new parameters (saved and trained in full under LoRA)."""
    modules = set()
    for name in new:
        parts = name.split(".")[:-1]
        # the shortest prefix whose parameters are all new
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            owned = [n for n, _ in model.named_parameters() if n.startswith(prefix + ".")]
            if owned and all(n in new for n in owned):
                modules.add(prefix)
                break
    return sorted(modules)


def _with_lora(model, task_type: str | None, settings: LoraSettings, new: set[str]):
    try:
        from peft import LoraConfig, get_peft_model
        from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as DEFAULT_TARGETS
    except ImportError as exc:       # pragma: no cover - peft is a dependency
        raise Unsupported(f"LoRA needs the peft package ({exc})") from None
    targets = list(settings.target_modules) or DEFAULT_TARGETS.get(getattr(model.config, "model_type", ""))
    if not targets:
        leaf_names = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if hasattr(m, "weight")}
        targets = [t for t in _FALLBACK_TARGETS if t in leaf_names]
    if not targets:
        raise Unsupported(f"no attention projections found for LoRA in model type "
                          f"'{getattr(model.config, 'model_type', '?')}'; pass target modules explicitly")
    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=list(targets), modules_to_save=_head_modules(model, new) or None,
                        task_type=task_type)
    try:
        return get_peft_model(model, config)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise Unsupported(f"peft cannot add LoRA adapters to this model: {str(exc).splitlines()[0]}") from None


def trainable_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def optimizer_state_bytes(model) -> int:
    """AdamW keeps two fp32 moments per trainable parameter."""
    return 8 * trainable_parameters(model)
