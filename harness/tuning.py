"""Tuning strategies: which parameters a job trains.

- `full`: every parameter (the default).
- `head`: the pretrained body frozen; only the parameters the checkpoint did not hold train: the task head (a
  linear probe for classification, regression, NER and QA), and for a warm-started encoder-decoder (bert2bert)
  the new cross-attention and, from a bare encoder checkpoint, the new LM-head transform. Native encoder-decoders
  and decoders on generative tasks have nothing new (their LM head is pretrained): head-only tuning is reported
  as unsupported there.
- `lora`: low-rank adapters (peft) on the attention projections, plus every new parameter trained in full. Rank,
  alpha, dropout and target modules are configurable; by default the target modules are peft's
  per-architecture choice, with a fallback to every attention projection whose name ends in a common q/v suffix.
- `none`: nothing trains; the pretrained model is evaluated as it is, from a prompt (harness.prompting; each kind's
  `evaluate_prompted`, `unsupported` where a kind cannot do without a trained head).
- `icl:K`: as `none`, with K training examples (fixed per seed) placed in the prompt before each evaluated example.
- `saved` (`harness eval` only, not a choice of `harness run`): nothing trains; a fine-tuned checkpoint is evaluated
  with its own head (harness.evaluate_saved).

The new parameters are found without name lists: they are the ones the checkpoint did not contain (transformers'
`missing_keys` at load time, recorded by harness.models.loading).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from harness.errors import Unsupported
from harness.models.loading import new_parameter_names

TRAINED = ("full", "head", "lora")
NONE = "none"
ICL = "icl"
_MAX_SHOTS = 1000           # more demonstrations than any model's context holds


class _Strategies(tuple):
    """The strategy names, `icl:K` standing for every K in [1, 1000]: `"icl:4" in STRATEGIES`."""

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and (name in TRAINED or is_prompted(name))


def shots(strategy: str) -> int | None:
    """The demonstrations a strategy puts in the prompt (`none`: 0, `icl:K`: K); None for one that trains (or a
    malformed `icl:` value)."""
    if strategy == NONE:
        return 0
    prefix, _, count = strategy.partition(":")
    if prefix != ICL or not count.isdigit() or count != str(int(count)) or not 1 <= int(count) <= _MAX_SHOTS:
        return None
    return int(count)


def is_prompted(strategy: str) -> bool:
    """Whether a job with this tuning evaluates the pretrained model from prompts, without training."""
    return shots(strategy) is not None


STRATEGIES = _Strategies((*TRAINED, NONE, f"{ICL}:K"))
SAVED = "saved"     # the tuning of a job that evaluates a checkpoint as saved, without training
_FALLBACK_TARGETS = ("query", "value", "q_proj", "v_proj", "q", "v", "c_attn", "q_lin", "v_lin", "Wqkv", "qkv_proj")


@dataclass(frozen=True)
class LoraSettings:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = field(default_factory=tuple)    # empty: peft's default for the architecture

    def to_dict(self) -> dict:
        return asdict(self)


def apply_tuning(model, strategy: str, *, task_type: str | None, lora: LoraSettings | None = None,
                 generative: bool = False):
    """Return the model to train under `strategy` (the same object, or a peft wrapper for LoRA)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown tuning strategy {strategy!r}")
    if strategy == "full":
        return model
    new = new_parameter_names(model)
    if strategy == "head":
        if not new:
            reason = " (generative tasks train the pretrained LM head)" if generative else ""
            raise Unsupported("head-only tuning needs parameters the checkpoint did not hold (a new task head); "
                              f"this model/task has none{reason}")
        for name, param in model.named_parameters():
            param.requires_grad = name in new
        return model
    return _with_lora(model, task_type, lora or LoraSettings(), new)


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
                        target_modules=list(targets), task_type=task_type)
    new_parameters = [p for name, p in model.named_parameters() if name in new]
    try:
        wrapped = get_peft_model(model, config)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise Unsupported(f"peft cannot add LoRA adapters to this model: {str(exc).splitlines()[0]}") from None
    _train_in_full(wrapped, new_parameters)
    return wrapped


def _train_in_full(wrapped, parameters) -> None:
    """Unfreeze the new parameters, which peft froze with the body. In place rather than as peft's
    `modules_to_save` copies: a copy would untie a tied weight inside the module and hold everything twice. A
    module peft wraps itself (the classifier of a SEQ_CLS model) trains as its copy; its original stays frozen."""
    from peft.utils import ModulesToSaveWrapper

    replaced = {id(p) for module in wrapped.modules() if isinstance(module, ModulesToSaveWrapper)
                for p in module.original_module.parameters()}
    for param in parameters:
        if id(param) not in replaced:
            param.requires_grad = True


def trainable_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def optimizer_state_bytes(model) -> int:
    """AdamW keeps two fp32 moments per trainable parameter."""
    return 8 * trainable_parameters(model)
