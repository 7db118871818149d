"""Data-parallel jobs: one job over several GPUs (or CPU processes) through `accelerate launch`.

The driver writes the job to JOB.json and runs

    python -m accelerate.commands.launch [--config_file CFG | --multi_gpu --mixed_precision no --dynamo_backend no]
        --num_processes N --num_machines 1 --main_process_port 0
        --module harness.executors.distributed JOB.json OUT.json

with CUDA_VISIBLE_DEVICES naming the GPUs it reserved. Every rank runs the same `run_job`; the training loop
shards the batches by `accelerator.process_index` and the gradients are averaged by DDP (or sharded by FSDP /
DeepSpeed when the user's accelerate config asks for them). Rank 0 writes OUT.json (record and predictions); a rank
whose job failed writes OUT.json.rank<R> and exits 1, which makes the launcher stop the other ranks instead of
leaving them waiting in a collective. Without a GPU the same command runs DDP over CPU processes with gloo. A
finished job's record keeps every rank's optimizer steps (`distributed.steps_per_rank`): they must all be equal.

`--main_process_port 0` picks a free port, so several data-parallel jobs can run side by side on one machine.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Sequence

ENTRY_MODULE = "harness.executors.distributed"


def is_sharded_config(path: str | Path | None) -> bool:
    """Whether an accelerate config file shards parameters/optimizer state (FSDP or DeepSpeed)."""
    if not path:
        return False
    from harness.errors import UserError
    from harness.yamlfile import read

    try:
        data = read(path, "accelerate config") or {}
    except UserError:
        return False          # the launch itself reports an unreadable file
    if not isinstance(data, dict):
        return False
    return str(data.get("distributed_type", "")).upper() in ("FSDP", "DEEPSPEED")


def check_accelerate_config(path: str | Path) -> None:
    """A UserError unless `path` is a readable accelerate config (YAML or JSON mapping)."""
    from harness.errors import UserError

    file = Path(path).expanduser()
    if not file.is_file():
        raise UserError(f"--accelerate-config {path}: file not found",
                        hint="create one with `accelerate config --config_file FILE`")
    from harness import yamlfile

    data = yamlfile.read(file, "--accelerate-config")
    if not isinstance(data, dict):
        raise UserError(f"--accelerate-config {path}: expected a mapping of accelerate settings")


def launch_command(job_file: str | Path, out_file: str | Path, *, processes: int,
                   accelerate_config: str | Path | None = None, python: str | None = None) -> list[str]:
    """The `accelerate launch` command line for one data-parallel job."""
    if processes < 1:
        raise ValueError("processes must be positive")
    cmd = [python or sys.executable, "-m", "accelerate.commands.launch"]
    if accelerate_config:
        cmd += ["--config_file", str(accelerate_config)]
    else:
        cmd += ["--multi_gpu", "--mixed_precision", "no", "--dynamo_backend", "no"]
    cmd += ["--num_processes", str(processes), "--num_machines", "1", "--main_process_port", "0",
            "--module", ENTRY_MODULE, str(job_file), str(out_file)]
    return cmd


def launch_env(visible_ids: Sequence[str] | None, processes: int, base: dict | None = None,
               cpu_count: int | None = None) -> dict[str, str]:
    """The launcher's environment: only the reserved GPUs visible; CPU threads split between the ranks."""
    env = dict(os.environ if base is None else base)
    if visible_ids:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(visible_ids)
    threads = max(1, (cpu_count or os.cpu_count() or 1) // max(1, processes))
    env.setdefault("OMP_NUM_THREADS", str(threads))
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_job_file(path: Path, job, run: str) -> None:
    path.write_text(json.dumps({"job": job.to_dict(), "run": run}, default=str))


def read_outcome(out_file: Path) -> tuple[dict | None, dict | None]:
    """(record, predictions) written by rank 0, else by a failed rank, else (None, None)."""
    candidates = [out_file] + sorted(out_file.parent.glob(out_file.name + ".rank*"))
    for file in candidates:
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("record"), dict):
            return data["record"], data.get("predictions")
    return None, None


def _atomic_write(path: Path, data: dict) -> None:
    from harness.store import _json_default

    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, default=_json_default))
    tmp.replace(path)


def _steps_per_rank(record: dict) -> list | None:
    """Every rank's optimizer steps, gathered to check that the ranks trained in lockstep (all equal). None if a
    rank cannot answer: it failed, and the launcher is stopping the others."""
    import torch

    steps = (record.get("train") or {}).get("steps")
    gathered: list = [None] * torch.distributed.get_world_size()
    try:
        torch.distributed.all_gather_object(gathered, steps)
    except Exception:  # noqa: BLE001 - a failed peer; its own result says why
        return None
    return gathered


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2:
        print("usage: python -m harness.executors.distributed JOB.json OUT.json", file=sys.stderr)
        return 2
    from harness.executors.processes import die_with_parent
    from harness.executors.worker import no_cross_process_locks, quiet_libraries

    die_with_parent()          # the launcher (torchrun's agent) gone: this rank must not linger in a collective
    quiet_libraries()
    no_cross_process_locks()
    job_file, out_file = Path(argv[0]), Path(argv[1])
    payload = json.loads(job_file.read_text())
    from harness.job import run_job
    from harness.job import Job

    job = Job.from_dict(payload["job"])
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    import torch

    if job.device != "cpu" and torch.cuda.is_available():
        torch.cuda.set_device(local_rank)     # before anything touches CUDA: rank r lives on its own GPU
    record, predictions = run_job(job, run=payload.get("run", ""))
    failed = record.get("status") == "failed"
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        world = torch.distributed.get_world_size()
        record["distributed"] = {"processes": world, "backend": str(torch.distributed.get_backend())}
        if not failed:
            record["distributed"]["steps_per_rank"] = _steps_per_rank(record)
    if rank == 0:
        _atomic_write(out_file, {"record": record, "predictions": predictions})
    elif failed:
        _atomic_write(out_file.with_name(f"{out_file.name}.rank{rank}"), {"record": record, "predictions": None})
    if torch.distributed.is_available() and torch.distributed.is_initialized() and not failed:
        try:
            torch.distributed.destroy_process_group()
        except Exception:  # noqa: BLE001 - the job is done; a teardown hiccup must not fail it
            pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
