"""GGUF checkpoints (llama.cpp's one-file format, usually quantised) as a model source.

transformers reads a GGUF file into a dequantised model (`from_pretrained(dir, gguf_file=name)`, with the `gguf`
package), but dequantising takes about a minute for a 135M-parameter model, and a GGUF-loaded model refuses
`save_pretrained`. So the driver converts each file once, at plan time, into an ordinary model directory under
`$HARNESS_CACHE/models/gguf-<sha256 of the file>/` (fp32 weights and the tokenizer), and every job loads that
directory like any local model. A file that cannot be read or converted is a usage error before anything trains.

The spec's `origin` keeps what the directory came from (the file, its content hash, its quantisation type): the
result records carry it, and the job id names the model by the file's content, not by its path.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from harness.errors import UserError
from harness.models.build_once import build_once
from harness.paths import cache_dir

logger = logging.getLogger(__name__)

SUFFIX = ".gguf"
_NOT_GGUF_HINT = "pass a .gguf file written by llama.cpp's conversion scripts (or the gguf package)"


def gguf_file_in(name: str, path: Path) -> Path | None:
    """The GGUF file `--models NAME` names: the file itself, or the only .gguf file of a folder without a
    config.json; None when the path is no GGUF source. A folder holding several is an error naming them."""
    if path.is_file() and path.suffix.lower() == SUFFIX:
        return path
    if not path.is_dir() or (path / "config.json").is_file():
        return None
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == SUFFIX and p.is_file())
    if len(found) > 1:
        raise UserError(f"{name}: {path} holds {len(found)} GGUF files ({', '.join(p.name for p in found)})",
                        hint=f"pass one of them, e.g. --models {found[0]}")
    return found[0] if found else None


def resolve_gguf(name: str, file: Path, trust_remote_code: bool):
    """The ModelSpec of a GGUF file: its converted directory as the source, the file recorded as the origin."""
    from harness.data.content_hash import file_digest
    from harness.models.resolve import _from_local

    file = file.resolve()
    quantization = quantization_type(name, file)
    digest = file_digest(file)
    directory = ensure_converted(name, file, digest)
    spec = _from_local(name, directory, trust_remote_code)
    return replace(spec, origin={"format": "gguf", "file": str(file), "sha256": digest,
                                 "quantization": quantization})


def quantization_type(name: str, file: Path) -> str:
    """The file's quantisation as llama.cpp names it (Q4_1, Q8_0, F16, ...): the header's `general.file_type`,
    else the commonest type among its matrices. Reading the header is also the check that the file is GGUF."""
    reader = _reader(name, file)
    field = reader.fields.get("general.file_type")
    if field is not None and field.data:
        from gguf import LlamaFileType

        try:
            kind = LlamaFileType(int(field.parts[field.data[0]][0])).name
            return kind.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:      # a file type newer than the installed gguf package: fall back to the tensors
            pass
    matrices = Counter(t.tensor_type.name for t in reader.tensors if len(t.shape) > 1)
    return matrices.most_common(1)[0][0] if matrices else "unknown"


def _reader(name: str, file: Path):
    try:
        from gguf import GGUFReader
    except ImportError:
        raise UserError(f"{name}: reading GGUF files needs the gguf package",
                        hint="pip install gguf") from None
    try:
        return GGUFReader(str(file))
    except Exception as exc:  # noqa: BLE001 - whatever the reader trips on, the file is not a GGUF file it can read
        raise UserError(f"{name}: {file} is not a readable GGUF file ({_first_line(exc)})",
                        hint=_NOT_GGUF_HINT) from None


def converted_dir(digest: str) -> Path:
    return cache_dir() / "models" / f"gguf-{digest}"


def ensure_converted(name: str, file: Path, digest: str) -> Path:
    """The model directory converted from `file` (content `digest`), converting it once (harness.models.build_once:
    concurrent drivers wait for the first one's conversion instead of repeating it)."""
    def convert(staging: Path) -> None:
        started = time.perf_counter()
        logger.info("%s: converting the GGUF file to a model directory once (about a minute per 100M "
                    "parameters); later runs reuse %s", name, converted_dir(digest))
        try:
            _convert(file, staging)
        except Exception as exc:  # noqa: BLE001 - a file transformers cannot convert is the user's to replace
            raise UserError(f"{name}: {file} could not be converted: {_first_line(exc)}",
                            hint=_NOT_GGUF_HINT + " for an architecture transformers supports") from None
        logger.info("%s: converted in %.1f s", name, time.perf_counter() - started)

    return build_once(converted_dir(digest), convert)


def _convert(file: Path, target: Path) -> None:
    """Dequantise `file` with transformers and save the weights (fp32) and the tokenizer as a model directory.

    The GGUF-loaded model carries a quantisation config that forbids `save_pretrained`, so its weights move into a
    plain model built from the same config without it."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    folder, filename = str(file.parent), file.name
    config = AutoConfig.from_pretrained(folder, gguf_file=filename)
    auto_class = AutoModelForSeq2SeqLM if getattr(config, "is_encoder_decoder", False) else AutoModelForCausalLM
    loaded = auto_class.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = auto_class.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    del loaded
    plain.save_pretrained(target)
    AutoTokenizer.from_pretrained(folder, gguf_file=filename).save_pretrained(target)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
