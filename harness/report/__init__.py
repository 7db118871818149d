"""Reports: read a run directory's store (never re-run anything) and render leaderboards.

`write_report(run_dir, out, formats)` writes any of: report.md, report.html (self-contained), leaderboard.csv,
results.json, leaderboard.tex, and plots/*.png (the plots are drawn when md or html is asked for; html embeds them).
"""
from __future__ import annotations

from pathlib import Path

from harness.atomic import refuse_link, write_atomic
from harness.errors import UserError

FORMATS = ("md", "html", "csv", "json", "tex")
FILES = {"md": "report.md", "html": "report.html", "csv": "leaderboard.csv", "json": "results.json",
         "tex": "leaderboard.tex"}


def parse_formats(value: str | None) -> tuple[str, ...]:
    if value is None or not str(value).strip() or str(value).strip() == "all":
        return FORMATS
    names = [v.strip().lower().lstrip(".") for v in str(value).split(",") if v.strip()]
    aliases = {"markdown": "md", "htm": "html", "latex": "tex"}
    names = [aliases.get(n, n) for n in names]
    bad = [n for n in names if n not in FORMATS]
    if bad:
        from harness.errors import did_you_mean

        raise UserError(f"--format {bad[0]!r} is not a report format",
                        hint=did_you_mean(bad[0], FORMATS) or f"choose from {','.join(FORMATS)} (default: all)")
    return tuple(dict.fromkeys(names))


def write_report(run_dir: str | Path, out: str | Path | None = None, formats: tuple[str, ...] | str = FORMATS,
                 plots: bool = True):
    """Render the report files of a run; returns the written paths (report.md first when written)."""
    return build_and_write(run_dir, out, formats, plots)[1]


def build_and_write(run_dir, out=None, formats=FORMATS, plots: bool = True):
    """Like write_report, but also returns the Leaderboard (the CLI prints it)."""
    formats = parse_formats(formats if isinstance(formats, str) else ",".join(formats))
    out = Path(out) if out else Path(run_dir)
    painter = None
    if plots and ("md" in formats or "html" in formats):
        from harness.report.painter import Painter

        painter = Painter()     # forks its workers first, before numpy and pandas are loaded here (see painter.py)
    failed = True
    try:
        from harness.report.aggregate import build
        from harness.report.load import load_run

        board = build(load_run(run_dir))
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create the report folder {out}: {exc.strerror}", hint="choose another --out") \
                from None
        if painter is not None:
            refuse_link(out / "plots", "the plots folder")
            painter.start(board, out / "plots")
        written: list[Path] = []
        for name, render in _data_renderers().items():
            if name in formats:
                written.append(_write(out / FILES[name], render(board)))
        plot_files = {p.name: p for p in painter.finish()} if painter is not None else {}
        if "html" in formats:
            from harness.report.html import render_html

            written.insert(0, _write(out / FILES["html"], render_html(board, plot_files)))
        if "md" in formats:
            from harness.report.markdown import render_markdown

            written.insert(0, _write(out / FILES["md"], render_markdown(board, list(plot_files))))
        failed = False
    finally:
        if painter is not None:
            painter.close(failed=failed)
    return board, written + list(plot_files.values())


def _data_renderers() -> dict:
    """The formats written from the leaderboard alone (no plots), imported only when a report is written."""
    from harness.report.export import render_csv, render_json
    from harness.report.latex import render_latex

    return {"csv": render_csv, "json": render_json, "tex": render_latex}


def _write(path: Path, text: str) -> Path:
    return write_atomic(path, text)       # a link planted at the path is replaced, never written through
