"""The local executor with stand-in job functions: crashes, hangs, OOM retries, GPU pinning, skipping, clean-up.

The stand-in (`fake_job` below) runs in real spawned worker processes exactly where `harness.job.run_job` would, so
these tests exercise the real process handling in a second or two each, without torch.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.executors import SweepOptions
from harness.executors.local import LocalExecutor
from harness.job import Job, base_record
from harness.schedule.devices import Device
from harness.schedule.progress import JobStarted, JobStatus, Progress
from harness.store import ResultStore

FAKE = "test_executors:fake_job"
GiB = 1024 ** 3


def fake_job(job: Job, run: str = "", log=lambda _: None):
    """Behaves as job.options['fault'] says; records what the worker process saw."""
    fault = job.options.get("fault")
    log("epoch 1: loss 0.5 (fake)")
    record = base_record(job, run)
    record.update(seen_cuda=os.environ.get("CUDA_VISIBLE_DEVICES"), pid=os.getpid())
    if job.options.get("pid_file"):
        Path(job.options["pid_file"]).write_text(str(os.getpid()))
    if fault == "segv":
        ctypes.string_at(0)
    if fault == "exit":
        os._exit(3)
    if fault == "raise":
        raise RuntimeError("kaboom")
    if fault == "hang":
        time.sleep(120)
    if fault == "oom_once":
        marker = Path(job.options["marker"])
        if not marker.exists():
            marker.write_text("")
            time.sleep(0.2)
            record["error"] = "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
            record["error_type"] = "out_of_memory"        # as run_job classifies torch.cuda.OutOfMemoryError
            return record, None
    time.sleep(float(job.options.get("seconds", 0)))
    record.update(status="ok", score=1.0, primary_metric="accuracy")
    if job.options.get("peak_rss_gib"):         # as if the job's memory peak had been this high
        record["memory"] = {"peak_rss_bytes": int(job.options["peak_rss_gib"] * GiB)}
    return record, {"job": job.id, "predictions": [1]}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    """A small model directory the memory model can size (a few MB: many jobs fit one fake GPU)."""
    import numpy as np
    from safetensors.numpy import save_file

    folder = tmp_path_factory.mktemp("ckpt")
    (folder / "config.json").write_text(json.dumps({"hidden_size": 32, "num_hidden_layers": 2,
                                                    "num_attention_heads": 2, "vocab_size": 100}))
    save_file({"w": np.zeros((100, 32), dtype=np.float32)}, str(folder / "model.safetensors"))
    return str(folder)


def make_job(seed: int, source: str = "/nonexistent", **options) -> Job:
    return Job(model="fake", model_spec={"name": "fake", "source": source, "revision": None, "architecture": "encoder",
                                         "model_type": "bert", "local": True},
               task="sst2", task_family="classification", kind="classification", card_path="c.yaml", card_hash="h",
               seed=seed, hyperparameters={"batch_size": 8, "max_length": 32}, precision="auto", device="auto",
               data={"path": "/d", "fingerprint": "f", "sizes": {}, "source": {"origin": "sample", "description": "d"}},
               options=options)


class Recorder(Progress):
    """The display, keeping every event it was shown."""

    def __init__(self, total):
        super().__init__(total, quiet=True, tty=False, sink=lambda _: None)
        self.events = []

    def emit(self, event):
        self.events.append(event)
        super().emit(event)

    @property
    def updates(self):
        return [(e.job_id, e.text) for e in self.events if isinstance(e, JobStatus)]

    @property
    def starts(self):
        return [(e.job_id, e.where) for e in self.events if isinstance(e, JobStarted)]


def run_jobs(jobs, *, store=None, devices=None, **options):
    results = {}
    progress = Recorder(len(jobs))

    def on_result(job, record, predictions):
        assert job.id not in results, "a job reported twice"
        results[job.id] = record
        if store is not None:
            store.append(record)

    executor = LocalExecutor(run="t", options=SweepOptions(device="cpu", **options), store=store, job_fn=FAKE,
                             devices=devices or [Device("cpu", None, None, "cpu")])
    executor.run(jobs, on_result, progress)
    return [results[job.id] for job in jobs if job.id in results], progress


def test_results_progress_and_placement_are_reported():
    jobs = [make_job(seed) for seed in range(4)]
    records, progress = run_jobs(jobs, workers=2)
    assert [r["status"] for r in records] == ["ok"] * 4
    assert {text for _, text in progress.updates} == {"epoch 1: loss 0.5 (fake)"}
    assert len({r["pid"] for r in records}) <= 2                      # persistent workers, reused
    assert all(r["schedule"]["where"] == "cpu" for r in records)


def test_a_worker_retires_after_a_memory_heavy_job_and_a_fresh_one_goes_on():
    """A job that grew the worker's RSS by gigabytes leaves the allocator's state behind, which would inflate the
    next jobs' measured peaks: its worker retires and the next job runs in a fresh process."""
    jobs = [make_job(0), make_job(1, peak_rss_gib=8), make_job(2), make_job(3)]
    records, _ = run_jobs(jobs, workers=1)
    assert [r["status"] for r in records] == ["ok"] * 4
    pids = [r["pid"] for r in records]
    assert pids[0] == pids[1] != pids[2] == pids[3]


def test_crash_exit_and_exception_fail_one_job_each_and_the_sweep_goes_on():
    jobs = [make_job(0, fault="segv"), make_job(1), make_job(2, fault="exit"), make_job(3, fault="raise"),
            make_job(4)]
    records, _ = run_jobs(jobs, workers=2)
    statuses = [r["status"] for r in records]
    assert statuses == ["failed", "ok", "failed", "failed", "ok"]
    assert "SIGSEGV" in records[0]["error"]
    assert "exited unexpectedly with code 3" in records[2]["error"]
    assert records[3]["error"] == "RuntimeError: kaboom"


def test_timeout_kills_the_job_and_a_fresh_worker_continues():
    jobs = [make_job(0, fault="hang"), make_job(1)]
    start = time.monotonic()
    # 3 s: long enough for the second job to start and finish in time on a busy machine
    records, _ = run_jobs(jobs, workers=1, job_timeout=3)
    assert records[0]["status"] == "failed"
    assert records[0]["error"] == "timed out after 3 s (--job-timeout)"
    assert records[1]["status"] == "ok"
    assert time.monotonic() - start < 30


def test_each_worker_sees_only_its_gpu_and_small_jobs_share_one(checkpoint):
    gpus = [Device("cuda", 0, "7", "GPU", 80 * GiB, 80 * GiB), Device("cuda", 1, "9", "GPU", 80 * GiB, 80 * GiB)]
    jobs = [make_job(seed, source=checkpoint, seconds=0.6) for seed in range(4)]
    records, progress = run_jobs(jobs, devices=gpus, jobs_per_gpu=2)
    assert all(r["status"] == "ok" for r in records)
    assert sorted(r["seen_cuda"] for r in records) == ["7", "7", "9", "9"]
    assert {where for _, where in progress.starts} == {"cuda:0", "cuda:1"}
    assert any(r["schedule"]["concurrent"] for r in records)           # packed: two at a time per GPU
    assert all(r["schedule"]["estimate_basis"] == "formula" for r in records)


def test_out_of_memory_while_sharing_is_retried_alone(tmp_path, checkpoint, caplog):
    gpus = [Device("cuda", 0, "0", "GPU", 80 * GiB, 80 * GiB)]
    jobs = [make_job(0, source=checkpoint, seconds=1.0), make_job(1, source=checkpoint, fault="oom_once",
                                                                   marker=str(tmp_path / "oom"))]
    with caplog.at_level("INFO", logger="harness"):
        records, progress = run_jobs(jobs, devices=gpus, jobs_per_gpu=2)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert records[1]["schedule"]["attempt"] == 2 and records[1]["schedule"]["exclusive"]
    assert any("trying again alone" in m for m in caplog.messages)
    assert progress.done == 2 and not progress.running


def test_jobs_finished_meanwhile_by_another_run_are_skipped(tmp_path, caplog):
    store = ResultStore(tmp_path)
    jobs = [make_job(0), make_job(1)]
    store.append({**base_record(jobs[1], "other"), "status": "ok"})     # another driver finished it
    with caplog.at_level("INFO", logger="harness"):
        records, progress = run_jobs(jobs, store=store, workers=1)
    assert [r["job"] for r in records] == [jobs[0].id]
    assert any("finished meanwhile" in m for m in caplog.messages)
    assert progress.total == 1


def test_workers_die_with_their_driver(tmp_path):
    """SIGKILL to the driver alone (not its group) must not leave a worker running a job."""
    pid_file = tmp_path / "worker.pid"
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_executors import make_job, run_jobs
        if __name__ == "__main__":
            run_jobs([make_job(0, fault="hang", pid_file={str(pid_file)!r})], workers=1)
    """))
    driver = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    worker = int(pid_file.read_text())
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{worker}/stat").is_file() and Path(f"/proc/{worker}/stat").read_text().split()[2] == "Z":
            break                                                        # a zombie: dead, awaiting its reaper
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its driver")
