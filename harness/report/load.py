"""Reading a run directory into one flat pandas frame (one row per job, latest record of each job; one job per
model x tuning x grid point x task x seed)."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from harness.errors import UserError
from harness.record import report_columns

# (column, path into the record): the record's fields marked as report columns (harness.record); the frame holds
# only what the reports use, so 10,000 records load fast.
FIELDS = [(name, path) for name, path, _ in report_columns()]
# Measurements whose figures suffer when other jobs run on the same device: `schedule.shared` says how many did at
# most (absent in records written before it existed). Columns <name>_shared and <name>_was_shared.
SHARED = ("train", "latency")
NUMERIC = ["validation_score"] + [name for name, _, numeric in report_columns() if numeric]

logger = logging.getLogger(__name__)


@dataclass
class RunData:
    run_dir: Path
    frame: pd.DataFrame
    records: list[dict]
    info: dict = field(default_factory=dict)
    selection: pd.DataFrame | None = None     # the hyperparameter grid and its validation scores (selection.py)
    replaced: int = 0                         # earlier records of a seed that ran again under another job id

    @property
    def name(self) -> str:
        return self.info.get("leaderboard", {}).get("name") if self.info.get("leaderboard") else self.run_dir.name

    def predictions(self, job: str) -> dict | None:
        from harness.store import ResultStore

        if f"{job}.json" not in self._stored_predictions:       # one directory listing instead of a miss per job
            return None
        return ResultStore(self.run_dir).read_predictions(job)

    @functools.cached_property
    def _stored_predictions(self) -> set[str]:
        folder = self.run_dir / "predictions"
        return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def frame_from_records(records: list[dict]) -> pd.DataFrame:
    # Column by column, one nested dict at a time: several times faster than a generic walk per value.
    nested = {}
    columns = {}
    for name, path in FIELDS:
        if len(path) == 1:
            columns[name] = [r.get(path[0]) for r in records]
        else:
            if path[0] not in nested:
                nested[path[0]] = [d if isinstance(d := r.get(path[0]), dict) else {} for r in records]
            columns[name] = [d.get(path[1]) for d in nested[path[0]]]
    # Validation score of the primary metric (hyperparameter selection) and the grid point a job trained at.
    columns["validation_score"] = [((r.get("validation") or {}).get("metrics") or {}).get(r.get("primary_metric"))
                                   for r in records]
    from harness.report.grid_choice import grid_key
    columns["grid_key"] = [grid_key(r.get("grid")) for r in records]
    shared = [_shared(r) for r in records]
    for name in SHARED:
        columns[f"{name}_shared"] = [s.get(name) for s in shared]
    frame = pd.DataFrame(columns, dtype=object)
    for column in NUMERIC + [f"{name}_shared" for name in SHARED]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for name in SHARED:         # 1 = measured shared, 0 = alone, NaN = not known; summed per cell by aggregate
        frame[f"{name}_was_shared"] = (frame[f"{name}_shared"] > 0).astype(float).where(
            frame[f"{name}_shared"].notna())
    frame["tuning"] = frame["tuning"].where(frame["tuning"].notna(), "full").astype(str)
    frame["higher_is_better"] = frame["higher_is_better"].map(lambda v: v is not False)
    frame["sample"] = frame["sample"].map(lambda v: v is True)
    for column in ("model", "task", "task_family", "kind", "architecture", "status", "primary_metric"):
        frame[column] = frame[column].map(lambda v: "" if v is None else str(v))
    frame["entry"] = entry_labels(frame)
    return frame


def _shared(record: dict) -> dict:
    schedule = record.get("schedule")
    shared = schedule.get("shared") if isinstance(schedule, dict) else None
    return shared if isinstance(shared, dict) else {}


def entry_labels(frame: pd.DataFrame) -> pd.Series:
    """What a leaderboard row is: the model, plus its tuning (full / head / lora) when a run mixes several."""
    if frame["tuning"].nunique() > 1:
        return frame["model"] + " (" + frame["tuning"] + ")"
    return frame["model"].copy()


def load_run(run_dir: str | Path) -> RunData:
    from harness.store import ResultStore

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"run directory not found: {run_dir}", hint="pass the --output folder of a run")
    store = ResultStore(run_dir)
    records, replaced = one_record_per_seed(store.latest())
    if not records:
        if not store.path.is_file():
            raise UserError(f"{run_dir} holds no results.jsonl", hint="pass the --output folder of a run")
        raise UserError(f"{store.path} holds no complete result", hint="run (or resume) the sweep first")
    from harness.report.grid_choice import select_on_validation

    frame, selection = select_on_validation(frame_from_records(records))
    return RunData(run_dir=run_dir, frame=frame, records=records, info=store.read_run_info(), selection=selection,
                   replaced=replaced)


def one_record_per_seed(records: list[dict]) -> tuple[list[dict], int]:
    """The latest of the records (in store order) of each model x tuning x grid point x task x seed, and how many
    earlier ones it replaced.

    A job's id covers more than these (card, data, settings, harness version), so after such a change the same seed
    can run again under a new id; counted twice it would pass for two seeds."""
    from harness.report.grid_choice import grid_key

    latest: dict[tuple, dict] = {}
    for record in records:
        key = (record.get("model"), record.get("tuning") or "full", grid_key(record.get("grid")), record.get("task"),
               record.get("seed"))
        latest.pop(key, None)           # re-inserted: the order stays that of each key's latest record
        latest[key] = record
    replaced = len(records) - len(latest)
    if replaced:
        logger.warning("%d earlier record%s of a model x tuning x grid point x task x seed that ran again under "
                       "another job id %s replaced by the latest (each seed counts once)", replaced,
                       "" if replaced == 1 else "s", "was" if replaced == 1 else "were")
    return list(latest.values()), replaced
