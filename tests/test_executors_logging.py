"""Messages and display: the sweep's display is driven by typed events, diagnostics go to `logging`, and running jobs
in the caller's process (the inline executor) leaves the caller's warning filters and environment as they were."""
from __future__ import annotations

import io
import logging
import os
import warnings

import pytest

import harness.job
from harness.schedule.progress import (JobFinished, JobRequeued, JobsSkipped, JobStarted, JobStatus, LiveLogHandler,
                                       Progress)

TINY = {"max_train_samples": 8, "max_eval_samples": 4, "epochs": 1, "batch_size": 4}


def test_the_renderer_shows_typed_events_as_plain_lines():
    out, now = io.StringIO(), [0.0]
    display = Progress(3, stream=out, tty=False, clock=lambda: now[0])
    display.emit(JobStarted("a", "m × t × seed 0", "cpu"))
    display.emit(JobStatus("a", "training"))
    assert display.running["a"].status == "training"
    now[0] = 10.0
    display.emit(JobFinished("a", "m × t × seed 0", {"status": "ok", "primary_metric": "accuracy", "score": 0.75}))
    display.emit(JobStarted("b", "m × t × seed 1", "cpu"))
    display.emit(JobRequeued("b"))
    display.emit(JobsSkipped(1))
    assert display.running == {} and display.total == 2
    assert out.getvalue().splitlines() == ["started m × t × seed 0 on cpu",
                                           "[1/3, ETA 20s] m × t × seed 0: accuracy=0.7500",
                                           "started m × t × seed 1 on cpu"]
    with pytest.raises(TypeError):
        display.emit("a plain string")


def test_log_lines_are_written_through_the_open_display_and_to_the_stream_otherwise():
    stream, shown = io.StringIO(), []
    logger = logging.getLogger("harness.test_display")
    handler = LiveLogHandler(stream)
    logger.addHandler(handler)
    try:
        display = Progress(1, sink=shown.append).open()
        logger.warning("disk almost full")
        display.close()
        logger.warning("after the sweep")
    finally:
        logger.removeHandler(handler)
    assert shown == ["warning: disk almost full"]
    assert stream.getvalue() == "warning: after the sweep\n"


def _warning_job(job, run="", log=lambda _: None):
    """A job that warns, as library code inside a real job does, and succeeds."""
    warnings.warn("a warning raised inside the job", UserWarning, stacklevel=2)
    record = harness.job.base_record(job, run)
    record.update(status="ok", score=1.0, primary_metric="accuracy")
    return record, None


def test_inline_jobs_leave_the_callers_warnings_and_environment_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(harness.job, "run_job", _warning_job)

    def sweep(output: str) -> list[dict]:
        return harness.run(models=["tiny-bert"], tasks=["sst2"], data="sample", output=tmp_path / output,
                           executor="inline", latency_requests=0, write_report=False, progress=lambda _: None, **TINY)

    with pytest.warns(UserWarning):
        sweep("warm")       # what imported libraries set in os.environ once (torch's inductor cache) is theirs
    filters, environment = list(warnings.filters), dict(os.environ)
    with pytest.warns(UserWarning, match="a warning raised inside the job"):
        records = sweep("r")
    assert [r["status"] for r in records] == ["ok"]
    assert warnings.filters == filters
    assert dict(os.environ) == environment


def test_a_failed_jobs_traceback_goes_to_the_log_not_the_display(tmp_path, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(harness.job, "_execute", broken)
    shown = []
    with caplog.at_level(logging.DEBUG, logger="harness"):
        records = harness.run(models=["tiny-bert"], tasks=["sst2"], data="sample", output=tmp_path / "r",
                              executor="inline", latency_requests=0, write_report=False, progress=shown.append,
                              **TINY)
    assert records[0]["status"] == "failed" and records[0]["error"] == "RuntimeError: broken on purpose"
    logged = "\n".join(caplog.messages)
    assert "Traceback (most recent call last)" in logged and "broken on purpose" in logged
    assert not any("Traceback" in line for line in shown)
    assert any("failed: RuntimeError: broken on purpose" in line for line in shown)
