"""Reports: read a run directory's store (never re-run anything) and render leaderboards."""
from __future__ import annotations

from pathlib import Path


def write_report(run_dir: Path, out: Path | None = None, formats: tuple[str, ...] = ("md", "csv")) -> list[Path]:
    from harness.report.aggregate import aggregate, load_frame
    from harness.report.markdown import render_markdown
    from harness.store import ResultStore

    store = ResultStore(run_dir)
    frame = load_frame(store)
    table = aggregate(frame)
    out = out or run_dir
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "md" in formats:
        path = out / "report.md"
        path.write_text(render_markdown(table, frame, store.read_run_info()), encoding="utf-8")
        written.append(path)
    if "csv" in formats:
        path = out / "leaderboard.csv"
        table.to_csv(path, index=False)
        written.append(path)
    return written
