"""The result record: one typed definition (harness.record), the documented table that matches it, error types taken
from exception types, and schema-1 results (written before the `architecture` rename) that still load, report and
resume."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from harness.errors import classified_as, error_type_of
from harness.record import Record, SCHEMA, field_names, sections
from harness.report.load import FIELDS, load_run
from harness.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
SCHEMA1_RUN = Path(__file__).parent / "data" / "schema1_run"      # written by the code of schema 1, unchanged


def documented_rows() -> dict[str, str]:
    """Field name -> its row's meaning, from the result record table in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    chapter = text.split("## Result record", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in chapter.splitlines():
        if not line.startswith("| `"):            # prose, the header and the |---| line
            continue
        names, meaning = line.strip("|").split("|", 1)
        for name in re.findall(r"`([^`]+)`", names):
            rows[name] = meaning
    return rows


def test_every_record_field_is_documented_and_no_row_is_stale():
    rows = documented_rows()
    assert set(rows) == set(field_names()), (set(field_names()) - set(rows), set(rows) - set(field_names()))
    for name, cls in sections().items():
        missing = [f for f in field_names(cls) if f"`{f}`" not in rows[name]]
        assert not missing, f"docs/architecture.md: section {name} does not mention {missing}"


def test_the_report_columns_come_from_the_record():
    columns = dict(FIELDS)
    assert columns["architecture"] == ("architecture",) and columns["error_type"] == ("error_type",)
    assert columns["train_samples_per_s"] == ("train", "samples_per_s")
    assert "family" not in columns


def test_a_record_converts_both_ways_and_rejects_unknown_fields():
    record = Record(job="j", architecture="encoder")
    record.train.steps = 3
    stored = record.to_dict()
    assert stored["schema"] == SCHEMA == 2 and stored["train"]["steps"] == 3
    assert "schedule" not in stored and "traceback" not in stored       # added only when they exist
    assert Record.from_dict(json.loads(json.dumps(stored))) == record
    with pytest.raises(TypeError, match="stepz"):
        Record.from_dict({**stored, "train": {"stepz": 3}})


def test_error_types_come_from_the_exception_type_not_its_text():
    import torch

    from harness.errors import Unsupported
    from harness.train.loop import TrainingDiverged

    assert error_type_of(torch.cuda.OutOfMemoryError("tried to allocate")) == "out_of_memory"
    assert error_type_of(RuntimeError("CUDA out of memory")) == "internal"      # the words alone mean nothing
    assert error_type_of(TrainingDiverged("loss is nan")) == "diverged"
    assert error_type_of(Unsupported("no head")) == "unsupported"
    with pytest.raises(OSError) as caught, classified_as("data"):
        raise OSError("no such file")
    assert error_type_of(caught.value) == "data" and str(caught.value) == "no such file"


@pytest.mark.slow
def test_a_job_whose_data_cannot_be_read_fails_as_a_data_error(tmp_path):
    from harness.job import Job, run_job
    from harness.models.resolve import resolve_model

    spec = resolve_model("tiny-bert")
    job = Job(model="tiny-bert", model_spec=spec.to_dict(), task="sst2", task_family="classification",
              kind="classification", card_path=str(ROOT / "tasks" / "sst2.yaml"), card_hash="h", seed=0,
              hyperparameters={"batch_size": 8, "max_length": 32}, precision="auto", device="cpu",
              data={"path": str(tmp_path / "gone"), "fingerprint": "f", "sizes": {},
                    "source": {"origin": "sample", "description": "d"}})
    record, predictions = run_job(job, run="r")
    assert record["status"] == "failed" and record["error_type"] == "data" and predictions is None
    assert record["architecture"] == "encoder" and "family" not in record and record["schema"] == 2


def schema1_run(tmp_path: Path) -> Path:
    run = tmp_path / "old"
    shutil.copytree(SCHEMA1_RUN, run)
    return run


def test_schema1_results_load_as_schema2(tmp_path):
    records = ResultStore(schema1_run(tmp_path)).load()
    assert len(records) == 5 and all(r["schema"] == 2 and "family" not in r for r in records)
    assert {r["model"]: r["architecture"] for r in records} == {
        "tiny-bert": "encoder", "tiny-t5": "encoder-decoder", "tiny-gpt2": "decoder"}
    assert {r["status"]: r["error_type"] for r in records} == {"ok": None, "failed": "timeout"}
    assert all(set(field_names()) - {f.name for f in dataclasses.fields(Record)
                                     if f.metadata.get("omit_if_none")} <= set(r) for r in records)


def test_schema1_results_report(tmp_path, cli):
    run = schema1_run(tmp_path)
    data = load_run(run)
    assert set(data.frame["architecture"]) == {"encoder", "encoder-decoder", "decoder"}
    result = cli("report", str(run))
    assert result.returncode == 0, result.stderr
    assert "tiny-bert" in result.stdout and (run / "report.md").is_file()


def test_a_schema1_ok_record_still_counts_as_finished(tmp_path, monkeypatch):
    """Job ids do not depend on the schema: a run resumed after the upgrade does not redo what schema 1 finished."""
    import harness.job

    def fake_job(job, run="", log=None):
        return {**harness.job.base_record(job, run), "status": "ok"}, None

    kwargs = dict(models="tiny-bert", tasks="sst2", data="sample", executor="inline", output=tmp_path / "out",
                  write_report=False, progress=lambda _: None)
    monkeypatch.setattr(harness.job, "run_job", fake_job)
    job_id = harness.run(**kwargs)[0]["job"]
    old = json.loads((SCHEMA1_RUN / "results.jsonl").read_text().splitlines()[0])
    assert old["schema"] == 1 and old["status"] == "ok"
    (tmp_path / "out" / "results.jsonl").write_text(json.dumps({**old, "job": job_id}) + "\n")

    def must_not_run(job, run="", log=None):
        raise AssertionError(f"{job.label} ran again")

    monkeypatch.setattr(harness.job, "run_job", must_not_run)
    harness.run(**kwargs)
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 1
