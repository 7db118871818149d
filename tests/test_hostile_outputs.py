"""Outputs under hostile conditions: nothing is written outside the run directory (links are replaced or refused, a
leaderboard's name cannot point elsewhere), and one odd string in a run never breaks or injects into a report."""
from __future__ import annotations

import csv
import os

import pytest

from harness.report.synthetic import TASKS, record, write_run

from conftest import run_cli

SST2 = TASKS[0]
LONG_NAME = "org/" + "a-very-long-model-directory-name-" * 9           # ~300 characters
FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
DEVICE = "cuda:**bold** ~~struck~~ \x1b[31mred\x1b[0m <b>tag</b>"


def _run(tmp_path, models, device=None, name="run"):
    records = []
    for rank, model in enumerate(models):
        for seed in range(2):
            made = record(model, SST2, seed, score=0.9 - rank / 20 + seed / 100)
            if device is not None:
                made["device"] = device
            records.append(made)
    return write_run(tmp_path / name, records, info={"command": "harness run"})


def _one_line_error(result):
    assert result.returncode == 2 and result.exception is None, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "hint" in lines[0], result.stderr
    return lines[0]


# --- reports never break on one odd string ---------------------------------------------------------------------
def test_a_300_character_model_name_gets_every_plot_and_its_full_name_in_the_tables(tmp_path):
    run = _run(tmp_path, [LONG_NAME, "short"])
    result = run_cli("report", str(run))
    assert result.returncode == 0, result.stderr
    for plot in ("heatmap.png", "task_scores.png", "score_vs_throughput.png", "score_vs_memory.png"):
        assert (run / "plots" / plot).stat().st_size > 0
    assert LONG_NAME in (run / "report.md").read_text() and LONG_NAME in (run / "leaderboard.csv").read_text()


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_numbers_stay_numbers(tmp_path):
    run = _run(tmp_path, FORMULAS)
    assert run_cli("report", str(run), "--format", "csv").returncode == 0
    with open(run / "leaderboard.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    # a CR in a cell is written as a line break, which the CSV writer quotes (a bare CR would end the row)
    assert sorted(row["entry"] for row in rows) == sorted("'" + name.replace("\r", "\n") for name in FORMULAS)
    assert all(row["model"] == row["entry"] for row in rows)
    deltas = [float(row["delta_best"]) for row in rows if row["delta_best"]]     # negative numbers, not text
    assert len(deltas) == len(FORMULAS) - 1 and all(d < 0 for d in deltas)


def test_the_device_string_is_escaped_in_every_format(tmp_path):
    run = _run(tmp_path, ["plain", "other"], device=DEVICE)
    assert run_cli("report", str(run), "--no-plots").returncode == 0
    md = (run / "report.md").read_text()
    assert "cuda:\\*\\*bold\\*\\*" in md and "cuda:**bold**" not in md and "~~struck~~" not in md
    html = (run / "report.html").read_text()
    assert "cuda:<b>bold</b>" not in html and "cuda:**bold**" in html and "&lt;b&gt;tag&lt;/b&gt;" in html
    for name in ("report.md", "report.html", "leaderboard.tex"):
        assert "\x1b" not in (run / name).read_text(), name
    assert "[31mred" in md                  # what is left of the string stays readable


def test_the_terminal_gets_no_control_characters(tmp_path):
    run = _run(tmp_path, ["clear\x1b[2Jscreen", "bell\x07name", "rtl\u202emodel"])
    result = run_cli("report", str(run), "--no-plots")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    assert "clear\\[2Jscreen" in result.stdout and "bellname" in result.stdout


# --- nothing written outside the run directory -------------------------------------------------------------------
@pytest.mark.parametrize("tty", [False, True])
def test_the_progress_display_gets_no_control_characters(tty):
    import io

    from harness.schedule.progress import Progress

    stream = io.StringIO()
    display = Progress(1, stream=stream, tty=tty).open()
    display.started("j", "evil\x1b]0;pwned\x07 × sst2", "cpu")
    display.update("j", "epoch 1/1\x1b[2J")
    display.finished("j", "evil\x1b]0;pwned\x07 × sst2", {"status": "ok"})
    display.close()
    shown = stream.getvalue()
    assert "evil]0;pwned × sst2" in shown and "\x07" not in shown and "\x1b]" not in shown and "\x1b[2J" not in shown


def test_links_to_report_files_are_replaced_not_followed(tmp_path):
    run = _run(tmp_path, ["plain", "other"])
    outside = {name: tmp_path / f"outside-{name}" for name in ("leaderboard.tex", "report.md", "leaderboard.csv")}
    for name, target in outside.items():
        target.write_text("precious\n")
        os.symlink(target, run / name)
    assert run_cli("report", str(run), "--no-plots").returncode == 0
    for name, target in outside.items():
        assert target.read_text() == "precious\n"
        assert not (run / name).is_symlink() and (run / name).stat().st_size > 0


def test_a_linked_plots_folder_is_refused(tmp_path):
    run = _run(tmp_path, ["plain", "other"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, run / "plots")
    line = _one_line_error(run_cli("report", str(run)))
    assert "plots" in line and not any(elsewhere.iterdir())


@pytest.mark.parametrize("name", ["results.jsonl", ".results.lock"])
def test_a_run_directory_whose_store_files_are_links_is_refused(tmp_path, name):
    run = tmp_path / "run"
    run.mkdir()
    target = tmp_path / "outside.txt"
    target.write_text("precious\n")
    os.symlink(target, run / name)
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "-o", str(run), "--no-report")
    line = _one_line_error(result)
    assert name in line and target.read_text() == "precious\n"
    assert sorted(p.name for p in run.iterdir()) == [name]


@pytest.mark.parametrize("name", ["/tmp/elsewhere", "../up", "a/b", ".hidden", "tab\tname"])
def test_a_leaderboard_name_that_is_not_a_plain_file_name_is_refused(tmp_path, name):
    board = tmp_path / "board.yaml"
    board.write_text(f"name: {name!r}\nmodels: [tiny-bert]\ntasks: [sst2]\ndata: sample\n".replace("'", '"'))
    line = _one_line_error(run_cli("run", "--leaderboard", str(board)))
    assert "field 'name'" in line and not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("name", ["results.jsonl", ".results.lock"])
def test_a_link_put_in_place_of_a_store_file_during_a_run_is_never_written_through(tmp_path, name):
    from harness.store import PENDING, ResultStore

    run = tmp_path / "run"
    run.mkdir()
    target = tmp_path / "outside.txt"
    target.write_text("precious\n")
    os.symlink(target, run / name)
    store = ResultStore(run)
    store.append(record("plain", SST2, 0, score=0.5))       # refused through the link: kept pending instead
    store.write_run_info({"command": "harness run"})
    assert target.read_text() == "precious\n" and (run / PENDING).stat().st_size > 0



@pytest.mark.parametrize("folder", ["predictions", "plots"])
def test_a_run_directory_whose_output_folders_are_links_is_refused(tmp_path, folder):
    run = tmp_path / "run"
    run.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, run / folder)
    result = run_cli("run", "-m", "tiny-bert", "-t", "sst2", "--data", "sample", "-o", str(run))
    line = _one_line_error(result)
    assert folder in line and "--output" in line and not any(elsewhere.iterdir())
    assert sorted(p.name for p in run.iterdir()) == [folder]
