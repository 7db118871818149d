"""Every report format is written and parseable; user strings are escaped in each; samples are marked."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from harness.report import FILES, build_and_write, parse_formats
from harness.report.synthetic import record, write_run

SST2 = ("sst2", "classification", "classification", "accuracy", True)
WMT = ("wmt16_en_ro", "translation", "seq2seq", "bleu", True)
HOSTILE = "<img src=x onerror=alert(1)>"
TEXY = "my_model 100% {x} $y$ #1 & \\z ~ ^"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("formats")
    records = []
    for model, base, arch in ((HOSTILE, 0.8, "encoder"), (TEXY, 0.7, "decoder"), ("plain", 0.75, "encoder-decoder")):
        for seed in range(2):
            records.append(record(model, SST2, seed, score=base + seed / 100, arch=arch, sample=True))
        records.append(record(model, WMT, 0, score=20 + 10 * base, arch=arch))
    records.append(record("broken", SST2, 0, status="failed", error=f"ValueError: {HOSTILE} & </td>"))
    records.append(record("broken", WMT, 0, status="unsupported", error="needs <b>generation</b>"))
    return write_run(tmp_path / "run", records, info={"command": f"harness run --models '{HOSTILE}'"})


@pytest.fixture(scope="module")
def report(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    board, written = build_and_write(run_dir, out)
    return out, board, written


def test_every_format_is_written(report):
    out, _, written = report
    names = {p.name for p in written}
    assert set(FILES.values()) <= names
    assert {"score_vs_throughput.png", "score_vs_memory.png", "heatmap.png", "task_scores.png"} <= names
    for path in written:
        assert path.stat().st_size > 0
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_parses_with_pandas(report):
    import pandas as pd

    out, board, _ = report
    frame = pd.read_csv(out / "leaderboard.csv")
    assert len(frame) == len(board.cells)
    assert HOSTILE in set(frame["entry"]) and TEXY in set(frame["entry"])
    row = frame[(frame["entry"] == "plain") & (frame["task"] == "sst2")].iloc[0]
    assert row["mean"] == pytest.approx(0.755) and row["status"] == "ok" and row["ci_method"] == "seeds"
    assert set(frame.loc[frame["entry"] == "broken", "status"]) == {"failed", "unsupported"}


def test_json_parses_and_holds_the_aggregates(report):
    out, board, _ = report
    data = json.loads((out / "results.json").read_text())
    assert [o["entry"] for o in data["overall"]] == list(board.overall["entry"])
    assert {c["task"] for c in data["cells"]} == {"sst2", "wmt16_en_ro"}
    assert data["overall"][0]["rank"] == 1 and "normalization" in data["tasks"][0]
    assert any(n["status"] == "unsupported" for n in data["footnotes"])


def test_html_escapes_every_user_string(report):
    out, _, _ = report
    html = (out / "report.html").read_text()
    assert HOSTILE not in html and "<b>generation</b>" not in html and "</td>\"" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Content-Security-Policy" in html
    # no references to anything outside the page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert html.count("data:image/png;base64,") == 4
    # only our own tags: every <script> is the one sort script
    assert html.count("<script>") == 1 and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")


def test_markdown_escapes_and_marks_samples(report):
    out, _, _ = report
    md = (out / "report.md").read_text()
    assert HOSTILE not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "Bundled sample data" in md and "sst2 (accuracy) †" in md and "wmt16_en_ro (bleu) †" not in md
    assert "n/a¹" in md or "n/a²" in md
    assert "failed" in md and "## Classification" in md and "## Translation" in md and "## Cost" in md
    assert "## Settings and versions" in md and "(plots/heatmap.png)" in md
    assert "bleu ÷ 100" in md


def _balanced(tex: str) -> None:
    body = re.sub(r"\\[{}%$&#_]", "", tex)
    body = re.sub(r"(?m)(?<!\\)%.*$", "", body)
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    open_environments = []
    for command, name in re.findall(r"\\(begin|end)\{([\w*]+)\}", body):
        if command == "begin":
            open_environments.append(name)
            continue
        innermost = open_environments.pop() if open_environments else None
        assert innermost == name, f"\\end{{{name}}} closes \\begin{{{innermost}}}"
    assert not open_environments, f"never closed: {open_environments}"
    assert body.count("$") % 2 == 0


@pytest.mark.parametrize("tex", [
    "\\begin{table}\\begin{tabular}{l}x\\end{table}\\end{tabular}",      # crossed
    "\\begin{table}x\\end{tabular}\\begin{tabular}{l}\\end{table}",       # closed before it was opened
    "\\begin{table}\\begin{tabular}{l}x\\end{tabular}",                   # left open
])
def test_the_latex_check_rejects_misnested_environments(tex):
    with pytest.raises(AssertionError):
        _balanced(tex)


def test_latex_is_escaped_and_compiles(report, tmp_path):
    out, _, _ = report
    tex = (out / "leaderboard.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex
    assert r"my\_model 100\% \{x\} \$y\$ \#1 \& \textbackslash{}z" in tex
    _balanced(tex)
    if not shutil.which("pdflatex"):
        pytest.skip("pdflatex is not installed (checked balanced braces and environments only)")
    doc = tmp_path / "doc.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n"
                   "\\begin{document}\n\\input{" + str(out / "leaderboard.tex") + "}\n\\end{document}\n")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 0


def test_only_some_formats(run_dir, tmp_path):
    _, written = build_and_write(run_dir, tmp_path / "o", "csv,json")
    assert sorted(p.name for p in written) == ["leaderboard.csv", "results.json"]


def test_bad_format_is_a_user_error():
    from harness.errors import UserError

    assert parse_formats("md,html") == ("md", "html")
    assert parse_formats("markdown,latex") == ("md", "tex")
    with pytest.raises(UserError, match="not a report format") as info:
        parse_formats("md,pdf")
    assert info.value.hint


def test_plot_labels_take_dollar_signs_literally(tmp_path):
    records = [record("$x$ model", SST2, s, score=0.5 + s / 10) for s in range(2)]
    _, written = build_and_write(write_run(tmp_path / "r", records), tmp_path / "o", "md")
    assert any(p.name == "score_vs_throughput.png" for p in written)


def test_plots_drawn_in_worker_processes_match(run_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_PLOT_PROCESSES", "2")
    _, written = build_and_write(run_dir, tmp_path / "forked", "md")
    assert sorted(p.name for p in written if p.suffix == ".png") == [
        "heatmap.png", "score_vs_memory.png", "score_vs_throughput.png", "task_scores.png"]


def test_one_figure_list_drives_every_plot_and_stays_light(run_dir, tmp_path):
    import sys

    from harness.report.figures import FIGURES

    assert all(callable(figure.drawer()) for figure in FIGURES)
    _, written = build_and_write(run_dir, tmp_path / "o", "md")
    md = (tmp_path / "o" / "report.md").read_text()
    for path in (p for p in written if p.suffix == ".png"):
        figure = next(f for f in FIGURES if f.file == path.name)
        assert f"![{figure.caption}](plots/{figure.file})" in md
    # the painter forks its workers before the heavy libraries load: importing it (and the list) must not load them
    code = "import sys, harness.report.painter; print(sorted({'numpy', 'pandas', 'matplotlib'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "[]", loaded.stderr[-2000:]


def test_markdown_and_html_render_the_same_outline(report):
    from harness.report.outline import outline

    out, board, written = report
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    sections = outline(board, [p.name for p in written if p.suffix == ".png"]).sections
    assert [s.key for s in sections][:2] == ["overall", "family-classification"] and sections[-1].key == "settings"
    for section in sections:
        assert f"\n## {section.title}\n" in md
        assert f'<section id="{section.key}"><h2>{section.title}</h2>' in html
    assert md.count("\n## ") == html.count("<section id=") == len(sections)
