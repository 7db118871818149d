"""Scheduling decisions without processes or GPUs: devices, memory estimates, placement, commands, progress."""
from __future__ import annotations

import io
import json
from collections import deque
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.executors.distributed import is_sharded_config, launch_command, launch_env
from harness.executors.ray_executor import gpu_fraction
from harness.job import Job
from harness.schedule.devices import Device, visible_ids
from harness.schedule.memory import (GiB, PROCESS_OVERHEAD_BYTES, Estimate, MemoryModel, ModelShape, formula_bytes,
                                     model_shape, safetensors_params, shape_from_config)
from harness.schedule.placement import Scheduler, parse_jobs_per_gpu
from harness.schedule.progress import Progress

BERT_BASE = {"model_type": "bert", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "vocab_size": 30522, "intermediate_size": 3072, "max_position_embeddings": 512}


def make_job(model: str = "m", task: str = "sst2", seed: int = 0, *, source: str | None = None, kind="classification",
             batch_size: int = 32, max_length: int = 128, precision: str = "auto", device: str = "auto") -> Job:
    return Job(model=model, model_spec={"name": model, "source": source or f"org/{model}", "revision": None,
                                        "architecture": "encoder", "model_type": "bert", "local": False},
               task=task, task_family="classification", kind=kind, card_path="card.yaml", card_hash="h", seed=seed,
               hyperparameters={"batch_size": batch_size, "max_length": max_length, "max_target_length": 64},
               precision=precision, device=device,
               data={"path": "/d", "fingerprint": "f", "sizes": {}, "source": {"origin": "sample",
                                                                                 "description": "d"}})


def gpu(index: int, free_gib: float = 80, total_gib: float = 80) -> Device:
    return Device(kind="cuda", index=index, visible_id=str(index), name="GPU",
                  total_bytes=int(total_gib * GiB), free_bytes=int(free_gib * GiB))


CPU = Device(kind="cpu", index=None, visible_id=None, name="cpu")


class FakeMemory(MemoryModel):
    """Estimates by model name (GiB per process); sharding divides by the process count."""

    def __init__(self, sizes: dict[str, float | None]):
        super().__init__()
        self.sizes = sizes

    def estimate(self, job, *, processes=1, sharded=False):
        size = self.sizes.get(job.model)
        if size is None:
            return Estimate(None, None, None, "unknown")
        per = size / processes if sharded and processes > 1 else size
        return Estimate(int(per * GiB), None, None, "formula")


# ------------------------------------------------------------------------------------------------------ devices

def _pretend_gpus(monkeypatch, count: int):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_gpu_free_memory_is_read_by_a_child_process_not_the_driver(monkeypatch):
    """The driver must not open a CUDA context (0.5 GB per GPU for the whole sweep; exclusive-process GPUs would
    lock the workers out): a child process reports name, total and free memory."""
    import torch

    import harness.schedule.devices as devices

    _pretend_gpus(monkeypatch, 2)
    monkeypatch.setattr(devices, "_INVENTORY", "print('warming up'); print('[[\"NVIDIA H200\", 150, 100], "
                                               "[\"NVIDIA H200\", 150, 40]]')")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: pytest.fail("the driver queried CUDA itself"))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    found = devices.discover("cuda")
    assert [(d.label, d.visible_id, d.name, d.total_bytes, d.free_bytes) for d in found] == [
        ("cuda:0", "5", "NVIDIA H200", 150, 100), ("cuda:1", "7", "NVIDIA H200", 150, 40)]


def test_gpu_inventory_falls_back_to_the_driver_when_the_child_cannot_tell(monkeypatch):
    import torch

    import harness.schedule.devices as devices

    _pretend_gpus(monkeypatch, 1)
    monkeypatch.setattr(devices, "_INVENTORY", "raise SystemExit(3)")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: (10, 20))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "NVIDIA A100")
    assert devices.cuda_inventory() == [("NVIDIA A100", 20, 10)]


def test_the_real_gpu_inventory_probe_reads_name_total_and_free_from_torch_in_the_child(monkeypatch):
    """The probe's own text runs in the child, after a prelude that gives the child's torch two fake GPUs: the
    driver gets each GPU's name, total and free memory in that order (mem_get_info answers free first)."""
    import torch

    import harness.schedule.devices as devices

    _pretend_gpus(monkeypatch, 2)
    fake_cuda = ("import torch\n"
                 "torch.cuda.device_count = lambda: 2\n"
                 "torch.cuda.get_device_name = lambda i: f'Fake GPU {i}'\n"
                 "torch.cuda.mem_get_info = lambda i: (1000 + i, 5000 + i)  # (free, total), as torch answers\n")
    monkeypatch.setattr(devices, "_INVENTORY", fake_cuda + devices._INVENTORY)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: pytest.fail("the driver queried CUDA itself"))
    assert devices.cuda_inventory() == [("Fake GPU 0", 5000, 1000), ("Fake GPU 1", 5001, 1001)]


def test_the_real_gpu_inventory_probe_agrees_with_torch_on_a_gpu():
    import torch

    from harness.schedule.devices import cuda_inventory

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    found = cuda_inventory()
    assert len(found) == torch.cuda.device_count() > 0
    for i, (name, total, free) in enumerate(found):
        assert name == torch.cuda.get_device_name(i)
        assert total == torch.cuda.get_device_properties(i).total_memory
        assert 0 < free <= total


def test_visible_ids_follow_the_drivers_cuda_visible_devices():
    assert visible_ids(2, {}) == ["0", "1"]
    assert visible_ids(2, {"CUDA_VISIBLE_DEVICES": "3,5"}) == ["3", "5"]
    assert visible_ids(1, {"CUDA_VISIBLE_DEVICES": "GPU-abc"}) == ["GPU-abc"]


def test_cpu_discovery_without_gpu():
    from harness.schedule.devices import discover

    devices = discover("cpu")
    assert [d.kind for d in devices] == ["cpu"]


# ------------------------------------------------------------------------------------------------------ memory

def _write_checkpoint(folder: Path, config: dict, shapes: dict[str, tuple]) -> int:
    import numpy as np
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    save_file({name: np.zeros(shape, dtype=np.float16) for name, shape in shapes.items()},
              str(folder / "model.safetensors"))
    return sum(int(np.prod(shape)) for shape in shapes.values())


def test_parameters_come_from_safetensors_headers(tmp_path):
    expected = _write_checkpoint(tmp_path / "m", BERT_BASE, {"a.weight": (64, 32), "a.bias": (32,), "b": (3, 5, 7)})
    assert safetensors_params([tmp_path / "m" / "model.safetensors"]) == expected
    shape = model_shape({"source": str(tmp_path / "m"), "local": True})
    assert shape == ModelShape(params=expected, layers=12, hidden=768, heads=12, vocab=30522, source="safetensors")


def test_sharded_checkpoint_index_is_followed(tmp_path):
    folder = tmp_path / "sharded"
    import numpy as np
    from safetensors.numpy import save_file

    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(BERT_BASE))
    save_file({"x": np.zeros((10, 10), dtype=np.float32)}, str(folder / "model-00001-of-00002.safetensors"))
    save_file({"y": np.zeros((5,), dtype=np.float32)}, str(folder / "model-00002-of-00002.safetensors"))
    (folder / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}}))
    assert model_shape({"source": str(folder), "local": True}).params == 105


def test_without_safetensors_the_model_is_sized_on_the_meta_device(tmp_path):
    config = {**BERT_BASE, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "intermediate_size": 128, "vocab_size": 1000, "architectures": ["BertModel"]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    shape = model_shape({"source": str(tmp_path), "local": True})
    from transformers import BertConfig, BertModel

    assert shape.source == "meta"
    assert shape.params == sum(p.numel() for p in BertModel(BertConfig(**config)).parameters())


def test_unsizable_model_gives_unknown_estimate(tmp_path):
    job = make_job(source=str(tmp_path / "missing"))
    assert MemoryModel().estimate(job).basis == "unknown"


def test_formula_for_bert_base():
    shape = shape_from_config(BERT_BASE, 110_000_000, "safetensors")
    static, act = formula_bytes(shape, batch=32, seq=128, target_seq=64, precision="bf16", seq2seq=False)
    assert static == 18 * 110_000_000                       # fp32 weights, grads, 2 AdamW moments + bf16 copies
    per_layer = 128 * 32 * 768 * (34 + 5 * 12 * 128 / 768)   # Korthikanti et al. at 16 bits
    assert act == int(12 * per_layer)
    static32, act32 = formula_bytes(shape, batch=32, seq=128, target_seq=64, precision="fp32", seq2seq=False)
    assert static32 == 16 * 110_000_000 and act32 == 2 * act
    ddp, _ = formula_bytes(shape, batch=32, seq=128, target_seq=64, precision="bf16", seq2seq=False, processes=4)
    fsdp, _ = formula_bytes(shape, batch=32, seq=128, target_seq=64, precision="bf16", seq2seq=False, processes=4,
                            sharded=True)
    assert ddp == static + 4 * 110_000_000 and fsdp == static // 4
    _, seq2seq = formula_bytes(shape, batch=8, seq=128, target_seq=64, precision="bf16", seq2seq=True)
    assert seq2seq > 12 * 8 * 64 * 30522                    # the logits term is included
    assert 3 * GiB < static + act < 5 * GiB                   # order of magnitude of a real bert-base bf16 job


def test_encoder_decoder_layers_count_cross_attention():
    t5 = {"d_model": 512, "num_layers": 6, "num_decoder_layers": 6, "num_heads": 8, "vocab_size": 32128,
          "is_encoder_decoder": True}
    assert shape_from_config(t5, 60_000_000, "x").layers == 6 + 9


def test_measured_peaks_correct_the_estimate(tmp_path):
    _write_checkpoint(tmp_path / "m", BERT_BASE, {"w": (1000, 1000)})
    source = str(tmp_path / "m")
    job = make_job(source=source)
    spec_job = job.model_spec | {"local": True}
    job = Job(**{**job.to_dict(), "model_spec": spec_job})
    fresh = MemoryModel().estimate(job)
    assert fresh.basis == "formula"
    measured = {"job": "x", "status": "ok", "device": "cuda:H200", "model_id": source, "model_revision": None,
                "task": "sst2", "kind": "classification", "precision": "bf16",
                "hyperparameters": {"batch_size": 32, "max_length": 128, "max_target_length": 64},
                "train": {"micro_batch": 32}, "memory": {"peak_gpu_bytes": 900_000_000,
                                                         "peak_gpu_reserved_bytes": 1_000_000_000}}
    model = MemoryModel([measured])
    exact = model.estimate(job)
    assert exact.basis == "measured"
    assert exact.bytes == int(1_000_000_000 * 1.1) + PROCESS_OVERHEAD_BYTES
    other = Job(**{**job.to_dict(), "task": "mrpc", "hyperparameters": {"batch_size": 64, "max_length": 128}})
    corrected = model.estimate(other)
    assert corrected.basis == "corrected"
    # failures and CPU results teach nothing
    ignored = MemoryModel([{**measured, "status": "failed"}, {**measured, "device": "cpu:x86"}])
    assert ignored.estimate(job).basis == "formula"


# --------------------------------------------------------------------------------------------------- placement

def _drain(scheduler: Scheduler, jobs: list[Job]) -> list:
    return scheduler.assign(deque((job, 1, False) for job in jobs))


def test_small_jobs_are_packed_and_spread_over_gpus():
    scheduler = Scheduler([gpu(0), gpu(1)], memory=FakeMemory({"small": 5}), cpu_count=16)
    placements = _drain(scheduler, [make_job("small", seed=s) for s in range(20)])
    assert len(placements) == 16                              # auto: 8 per GPU (16 cores / 2 GPUs)
    per_gpu = [sum(1 for p in placements if p.devices[0].index == i) for i in (0, 1)]
    assert per_gpu == [8, 8]
    assert all(not p.distributed for p in placements)


def test_jobs_per_gpu_caps_and_memory_limits_packing():
    capped = Scheduler([gpu(0)], memory=FakeMemory({"small": 1}), jobs_per_gpu=3, cpu_count=64)
    assert len(_drain(capped, [make_job("small", seed=s) for s in range(10)])) == 3
    tight = Scheduler([gpu(0, free_gib=40)], memory=FakeMemory({"mid": 15}), cpu_count=64)
    assert len(_drain(tight, [make_job("mid", seed=s) for s in range(10)])) == 2      # 2 x 15 <= 36 < 3 x 15


def test_auto_slots_never_exceed_cpu_cores():
    scheduler = Scheduler([gpu(0), gpu(1)], memory=FakeMemory({"small": 1}), cpu_count=4)
    assert scheduler.total_slots == 4


def test_release_frees_room_and_queue_order_is_kept():
    scheduler = Scheduler([gpu(0)], memory=FakeMemory({"small": 1}), jobs_per_gpu=1)
    pending = deque((make_job("small", seed=s), 1, False) for s in range(3))
    first = scheduler.assign(pending)
    assert [p.job.seed for p in first] == [0] and len(pending) == 2
    assert scheduler.assign(pending) == []
    scheduler.release(first[0])
    assert [p.job.seed for p in scheduler.assign(pending)] == [1]


def test_unknown_size_runs_alone_and_blocks_packing_on_its_gpu():
    scheduler = Scheduler([gpu(0)], memory=FakeMemory({"small": 1, "mystery": None}), cpu_count=16)
    placements = _drain(scheduler, [make_job("mystery"), make_job("small")])
    assert [p.job.model for p in placements] == ["mystery"]
    assert placements[0].exclusive


def test_a_job_alone_always_runs_even_if_its_estimate_is_too_big():
    scheduler = Scheduler([gpu(0, free_gib=10)], memory=FakeMemory({"big": 50}), cpu_count=16)
    placements = _drain(scheduler, [make_job("big")])
    assert len(placements) == 1 and not placements[0].distributed and placements[0].exclusive


def test_large_job_goes_data_parallel_on_idle_gpus_and_waits_for_them():
    memory = FakeMemory({"big": 100, "small": 5})
    scheduler = Scheduler([gpu(i) for i in range(4)], memory=memory, sharded=True, cpu_count=32)
    jobs = scheduler.order([make_job("small", seed=0), make_job("big"), make_job("small", seed=1)])
    assert jobs[0].model == "big"                             # data-parallel first
    placements = _drain(scheduler, jobs)
    big = placements[0]
    assert big.distributed and big.processes == 2             # 100 / 2 = 50 <= 72 (80 x 0.9)
    assert {d.index for d in big.devices} == {0, 1}
    assert all(p.devices[0].index in (2, 3) for p in placements[1:])


def test_unsharded_ddp_takes_all_gpus_and_warns():
    messages = []
    scheduler = Scheduler([gpu(0), gpu(1)], memory=FakeMemory({"big": 100}), log=messages.append)
    need = scheduler.need(make_job("big"))
    assert need.distributed and need.processes == 2
    assert any("FSDP" in m for m in messages)


def test_a_waiting_data_parallel_job_blocks_the_jobs_behind_it():
    scheduler = Scheduler([gpu(0), gpu(1)], memory=FakeMemory({"small": 5}), parallel="data", cpu_count=16)
    pending = deque((make_job("small", seed=s), 1, False) for s in range(3))
    placed = scheduler.assign(pending)
    assert len(placed) == 1 and placed[0].distributed and placed[0].processes == 2
    assert scheduler.assign(pending) == []
    scheduler.release(placed[0])
    assert len(scheduler.assign(pending)) == 1


def test_parallel_none_never_distributes():
    scheduler = Scheduler([gpu(0), gpu(1)], memory=FakeMemory({"big": 500}), parallel="none")
    assert not scheduler.need(make_job("big")).distributed


def test_cpu_slots_and_cpu_data_parallel():
    cpu = Scheduler([CPU], cpu_workers=2)
    assert len(_drain(cpu, [make_job(seed=s) for s in range(5)])) == 2
    ddp = Scheduler([CPU], cpu_workers=1, parallel="data", num_processes=2)
    placed = _drain(ddp, [make_job(seed=s) for s in range(2)])
    assert len(placed) == 1 and placed[0].distributed and placed[0].processes == 2 and placed[0].where == "2xcpu"


def test_oom_retry_entry_runs_alone():
    scheduler = Scheduler([gpu(0)], memory=FakeMemory({"small": 1}), cpu_count=16)
    others = _drain(scheduler, [make_job("small", seed=1)])
    retry = scheduler.assign(deque([(make_job("small", seed=2), 2, True)]))
    assert retry == []                                        # waits until the GPU is free
    scheduler.release(others[0])
    retry = scheduler.assign(deque([(make_job("small", seed=2), 2, True)]))
    assert retry[0].exclusive and retry[0].attempt == 2


@pytest.mark.parametrize("value, expected", [("auto", None), (None, None), ("4", 4), (2, 2)])
def test_jobs_per_gpu_parsing(value, expected):
    assert parse_jobs_per_gpu(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "x", "2.5"])
def test_jobs_per_gpu_rejects_bad_values(value):
    with pytest.raises(UserError, match="jobs-per-gpu"):
        parse_jobs_per_gpu(value)


# --------------------------------------------------------------------------------------- data-parallel commands

def test_launch_command_plain_ddp():
    cmd = launch_command("/t/job.json", "/t/out.json", processes=4, python="/venv/bin/python")
    assert cmd[:3] == ["/venv/bin/python", "-m", "accelerate.commands.launch"]
    assert "--multi_gpu" in cmd and "--config_file" not in cmd
    assert cmd[cmd.index("--num_processes") + 1] == "4"
    assert cmd[cmd.index("--main_process_port") + 1] == "0"     # a free port: parallel launches never collide
    assert cmd[-4:] == ["--module", "harness.executors.distributed", "/t/job.json", "/t/out.json"]


def test_launch_command_with_user_accelerate_config(tmp_path):
    config = tmp_path / "fsdp.yaml"
    config.write_text("distributed_type: FSDP\nfsdp_config:\n  fsdp_sharding_strategy: FULL_SHARD\n")
    cmd = launch_command("j", "o", processes=8, accelerate_config=config)
    assert cmd[cmd.index("--config_file") + 1] == str(config)
    assert "--multi_gpu" not in cmd                              # the config decides FSDP / DeepSpeed / DDP
    assert cmd[cmd.index("--num_processes") + 1] == "8"
    assert is_sharded_config(config)
    plain = tmp_path / "ddp.yaml"
    plain.write_text("distributed_type: MULTI_GPU\n")
    assert not is_sharded_config(plain)


def test_launch_env_restricts_gpus_and_splits_threads():
    env = launch_env(["2", "3"], 2, base={"PATH": "/bin"}, cpu_count=16)
    assert env["CUDA_VISIBLE_DEVICES"] == "2,3"
    assert env["OMP_NUM_THREADS"] == "8"
    assert "CUDA_VISIBLE_DEVICES" not in launch_env(None, 2, base={}, cpu_count=2)


def test_ray_gpu_fractions():
    assert gpu_fraction(None, 80 * GiB, 4) == 0.25
    assert gpu_fraction(None, 80 * GiB, None) == 1.0
    assert gpu_fraction(6 * GiB, 80 * GiB, None) == 0.125
    assert gpu_fraction(30 * GiB, 80 * GiB, None) == 0.375
    assert gpu_fraction(200 * GiB, 80 * GiB, None) == 1.0


# ---------------------------------------------------------------------------------------------------- progress

class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_plain_progress_has_no_escape_codes():
    out, clock = io.StringIO(), Clock()
    progress = Progress(2, stream=out, tty=False, clock=clock)
    progress.started("a", "m × t × seed 0", "cuda:0")
    progress.update("a", "epoch 1: loss 0.5")
    clock.now = 10
    progress.finished("a", "m × t × seed 0", {"status": "ok", "primary_metric": "accuracy", "score": 0.9})
    progress.started("b", "m × t × seed 1", "cuda:0")
    clock.now = 100
    progress.tick()                                              # a heartbeat line after a minute
    progress.finished("b", "m × t × seed 1", {"status": "failed", "error": "boom"})
    progress.close()
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "started m × t × seed 0 on cuda:0"
    assert lines[1] == "[1/2, ETA 10s] m × t × seed 0: accuracy=0.9000"
    assert "running: m × t × seed 1 on cuda:0" in lines[3]
    assert lines[-1].startswith("[2/2, 1 failed") and lines[-1].endswith("failed: boom")


def test_quiet_progress_prints_one_line_per_finished_job():
    out = io.StringIO()
    progress = Progress(1, stream=out, quiet=True, tty=True)
    progress.started("a", "job a", "cpu")
    progress.update("a", "epoch 1")
    progress.tick()
    progress.finished("a", "job a", {"status": "ok", "primary_metric": "f1", "score": 0.5})
    assert out.getvalue().splitlines() == ["[1/1, ETA 0s] job a: f1=0.5000"]


def test_terminal_progress_redraws_a_live_block():
    out, clock = io.StringIO(), Clock()
    progress = Progress(4, stream=out, tty=True, clock=clock)
    progress.started("a", "bert × sst2 × seed 0", "cuda:0")
    clock.now = 5
    progress.update("a", "epoch 2: loss 0.31")
    text = out.getvalue()
    assert "epoch 2: loss 0.31" in text and "0/4 done" in text and "cuda:0" in text
    progress.finished("a", "bert × sst2 × seed 0", {"status": "ok", "primary_metric": "accuracy", "score": 1.0})
    progress.close()
    assert "\x1b[" in out.getvalue()                             # the block is erased and redrawn in place
    assert out.getvalue().endswith("\x1b[J")


def test_measurements_during_a_sweep_update_the_estimates_of_waiting_jobs(tmp_path):
    _write_checkpoint(tmp_path / "m", BERT_BASE, {"w": (1000, 1000)})
    source = str(tmp_path / "m")
    spec = {"source": source, "local": True, "architecture": "encoder"}
    jobs = [Job(**{**make_job(seed=s).to_dict(), "model_spec": spec}) for s in range(2)]
    scheduler = Scheduler([gpu(0)], memory=MemoryModel(), jobs_per_gpu=1)
    scheduler.order(jobs)
    assert scheduler.need(jobs[1]).estimate.basis == "formula"
    scheduler.memory.observe({"status": "ok", "device": "cuda:H200", "model_id": source, "task": "sst2",
                              "precision": "bf16", "hyperparameters": jobs[0].hyperparameters,
                              "memory": {"peak_gpu_reserved_bytes": 2 * GiB}})
    assert scheduler.need(jobs[1]).estimate.basis == "measured"


# ------------------------------------------------------------------------------------------- shared measurements

def test_most_other_jobs_at_once_during_a_window():
    from harness.schedule.sharing import most_at_once

    others = [(0, 10), (2, 4), (3, 12), (20, 30)]
    assert most_at_once(others, 5, 8) == 2            # (0,10) and (3,12)
    assert most_at_once(others, 2.5, 3.5) == 3
    assert most_at_once(others, 12, 20) == 0          # (3,12) ended and (20,30) began at the window's edges
    assert most_at_once(others, 11, 21) == 1          # never two at once: (3,12) ended before (20,30) began
    assert most_at_once([], 0, 1) == 0


def test_device_sharing_counts_only_neighbours_on_the_same_device_during_each_measurement():
    from harness.schedule.sharing import DeviceSharing

    sharing = DeviceSharing()
    sharing.began("a", ("cuda:0",), 0.0)
    sharing.began("b", ("cuda:0",), 5.0)             # starts while a trains, still runs during a's latency
    sharing.began("c", ("cuda:1",), 0.0)             # another GPU: never counts for a
    sharing.began("d", ("cuda:0",), 1.0)
    sharing.ended("d", 2.0)                           # gone before a's training window
    sharing.ended("a", 20.0)
    windows = {"train": [(3.0, 4.0), (6.0, 9.0)], "latency": [(15.0, 16.0)]}
    assert sharing.shared("a", windows, ["train", "latency"]) == {"train": 1, "latency": 1}
    assert sharing.shared("a", {"train": [(3.0, 4.0)]}, ["train"]) == {"train": 0}
    # a measurement without a reported window counts the job's whole run (d and b both overlapped it)
    assert sharing.shared("a", {}, ["train"]) == {"train": 1}
    # a data-parallel job on both GPUs meets every job on either
    sharing.began("ddp", ("cuda:0", "cuda:1"), 30.0)
    sharing.ended("ddp", 40.0)
    assert sharing.shared("ddp", {}, ["train"]) == {"train": 2}        # b and c still running


def test_device_sharing_forgets_only_runs_no_job_can_still_overlap():
    from harness.schedule.sharing import DeviceSharing

    sharing = DeviceSharing()
    sharing.began("a", ("cpu",), 0.0)
    sharing.began("b", ("cpu",), 1.0)
    sharing.ended("a", 2.0)
    sharing.prune(known_until=3.0)
    assert len(sharing) == 2                          # b is still running and overlapped a: a stays
    sharing.ended("b", 4.0)
    sharing.began("c", ("cpu",), 5.0)
    sharing.prune(known_until=4.5)
    assert len(sharing) == 1                          # nobody still running overlapped a or b
    assert sharing.shared("c", {}, ["train"]) == {"train": 0}       # a and b had ended before c began


def test_solo_jobs_record_zero_for_each_figure_they_have():
    from harness.schedule.sharing import solo

    assert solo({"train": {"samples_per_s": 10.0}, "eval": {"latency_ms_p50": 1.0}}) == {"train": 0, "latency": 0}
    assert solo({"train": {"samples_per_s": 10.0}, "eval": {"latency_ms_p50": None}}) == {"train": 0}
    assert solo({"train": {}, "eval": {}}) == {}
