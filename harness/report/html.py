"""report.html: one self-contained page (inline CSS, a few lines of inline JS, plots as data: URIs).

Every string that comes from a run (model names, task names, errors, paths, settings) goes through `esc`, and a
Content-Security-Policy forbids loading anything from outside the page, so a hostile model directory name can
neither run script nor fetch anything.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from harness.report import tables as T
from harness.report.aggregate import Leaderboard
from harness.report.figures import FIGURES

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "base-uri 'none'; form-action 'none'")

STYLE = """
:root{--fg:#1d2327;--muted:#5f6b73;--line:#dde3e8;--zebra:#f6f8fa;--accent:#1f6feb;--warn:#fff4ce;--bad:#b42318}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);
 margin:0 auto;max-width:1280px;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px;border-bottom:1px solid var(--line);
 padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
p,li{max-width:980px}.muted{color:var(--muted)}
nav{margin:10px 0 4px;font-size:13px}nav a{margin-right:14px;color:var(--accent);text-decoration:none}
.banner{background:var(--warn);border:1px solid #e9d27b;border-radius:6px;padding:10px 14px;margin:14px 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:8px 0 6px;font-variant-numeric:tabular-nums}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
td.wrap{white-space:normal;max-width:720px}
th{background:#eef2f5;font-weight:600;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:hover{background:#e2e8ee}
th[aria-sort=ascending]::after{content:" ▲";font-size:10px}
th[aria-sort=descending]::after{content:" ▼";font-size:10px}
tbody tr:nth-child(even){background:var(--zebra)}
td.num{text-align:right}
.best{font-weight:700}
.tie{color:var(--muted);font-weight:400}
.status{color:var(--bad)}
sup{font-size:10px;color:var(--muted)}
.pareto{color:#d9730d;font-weight:700}
ol.footnotes{font-size:13px;color:var(--muted)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:8px 20px}
figure{margin:12px 0}figure.wide{grid-column:1/-1}
figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:13px;color:var(--muted)}
dl.settings{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;font-size:13px}
dl.settings dt{color:var(--muted)}dl.settings dd{margin:0;word-break:break-word}
"""

SCRIPT = """
for (const table of document.querySelectorAll("table.sortable")) {
  const heads = table.tHead.rows[0].cells;
  for (let i = 0; i < heads.length; i++) {
    const th = heads[i];
    th.tabIndex = 0;
    th.title = "sort";
    const sort = () => {
      const asc = th.getAttribute("aria-sort") !== "ascending";
      for (const h of heads) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const body = table.tBodies[0];
      const key = r => { const c = r.cells[i]; return c.dataset.sort === undefined ? c.textContent : c.dataset.sort; };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === "" || y === "") return (x === "") - (y === "");
        const nx = Number(x), ny = Number(y);
        const c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      for (const r of rows) body.appendChild(r);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  }
}
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def inline(text: str) -> str:
    """Our own prose: escaped, then **bold** turned into <b>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", esc(text))


def td(cell: T.Cell) -> str:
    classes = []
    if cell.numeric:
        classes.append("num")
    if cell.text in ("n/a", "failed") and cell.sort is None:
        classes.append("status")
    if cell.best:
        classes.append("best")
    if cell.pareto:
        classes.append("pareto")
    attrs = ""
    if cell.sort is None:
        attrs += ' data-sort=""'
    elif isinstance(cell.sort, float):
        attrs += f' data-sort="{cell.sort!r}"'
    else:
        attrs += f' data-sort="{esc(cell.sort)}"'
    if classes:
        attrs += f' class="{" ".join(classes)}"'
    if cell.title:
        attrs += f' title="{esc(cell.title)}"'
    body = esc(cell.text)
    if cell.tie:
        body += ' <span class="tie" title="a paired test against the best, Holm-adjusted, finds no significant difference">≈</span>'
    if cell.sample:
        body += ' <span class="tie" title="bundled sample data">†</span>'
    if cell.footnote:
        body += f'<sup><a href="#fn{int(cell.footnote)}">{int(cell.footnote)}</a></sup>'
    return f"<td{attrs}>{body}</td>"


def table_html(table: T.Table, sortable: bool = True) -> str:
    ranked = ' aria-sort="ascending"'
    head = "".join(f'<th scope="col"{ranked if i == 0 and c == "#" else ""}>{esc(c)}</th>'
                   for i, c in enumerate(table.columns))
    rows = "\n".join("<tr>" + "".join(td(c) for c in row) + "</tr>" for row in table.rows)
    cls = ' class="sortable"' if sortable else ""
    return (f'<div class="scroll"><table{cls} id="t-{esc(table.key)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>\n{rows}\n</tbody></table></div>")


def render_html(lb: Leaderboard, plot_files: dict[str, Path] | None = None) -> str:
    plot_files = plot_files or {}
    title = f"Leaderboard: {lb.run.name}"
    overall = T.overall_table(lb)
    families = T.family_tables(lb)
    cost = T.cost_table(lb)
    selection = T.selection_table(lb)
    nav = [("overall", "Overall"), *((t.key, t.title) for t in families)]
    if selection is not None:
        nav.append(("selection", "Selection"))
    nav.append(("cost", "Cost"))
    if plot_files:
        nav.append(("plots", "Plots"))
    nav.append(("settings", "Settings"))
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
           f"<header><h1>{esc(title)}</h1><p class=\"muted\">{summary_html(lb)}</p>",
           "<nav>" + "".join(f'<a href="#{esc(k)}">{esc(v)}</a>' for k, v in nav) + "</nav></header>"]
    if lb.any_sample:
        tasks = ", ".join(lb.tasks.loc[lb.tasks["sample"], "task"])
        out.append(f'<div class="banner" role="note"><b>Bundled sample data (†).</b> Results on {esc(tasks)} were '
                   "computed on the small synthetic samples shipped with harness: they show that the pipeline "
                   "works, not how good a model is.</div>")
    out += [f'<section id="overall"><h2>{esc(overall.title)}</h2>',
            *(f"<p>{inline(s)}</p>" for s in overall.intro), table_html(overall)]
    if lb.footnotes:
        out.append('<ol class="footnotes">')
        for note in lb.footnotes:
            where = ", ".join(note.where[:6]) + (f" and {len(note.where) - 6} more" if len(note.where) > 6 else "")
            out.append(f'<li id="fn{note.number}" value="{note.number}"><b>{esc(note.status)}</b>: {esc(note.text)} '
                       f"({esc(where)})</li>")
        out.append("</ol>")
    out += ["<h3>Normalization (per task, to 0–1 before averaging)</h3><ul>",
            *(f"<li>{esc(line)}</li>" for line in T.normalization_lines(lb)), "</ul></section>"]
    for table in families:
        out += [f'<section id="{esc(table.key)}"><h2>{esc(table.title)}</h2>',
                *(f'<p class="muted">{esc(s)}</p>' for s in table.intro), table_html(table), "</section>"]
    if selection is not None:
        out += [f'<section id="selection"><h2>{esc(selection.title)}</h2>',
                *(f'<p class="muted">{esc(s)}</p>' for s in selection.intro), table_html(selection), "</section>"]
    out += [f'<section id="cost"><h2>{esc(cost.title)}</h2>', *(f"<p>{inline(s)}</p>" for s in cost.intro),
            table_html(cost), "</section>"]
    out += ['<section id="method"><h2>Method</h2>', *(f"<p>{esc(line)}</p>" for line in T.method_lines(lb)),
            "</section>"]
    if plot_files:
        out.append('<section id="plots"><h2>Plots</h2><div class="figures">')
        for figure in FIGURES:
            path = plot_files.get(figure.file)
            if path is None or not Path(path).is_file():
                continue
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            wide = ' class="wide"' if figure.wide else ""
            out.append(f'<figure{wide}><img src="data:image/png;base64,{data}" alt="{esc(figure.caption)}">'
                       f"<figcaption>{esc(figure.caption)}</figcaption></figure>")
        out.append("</div></section>")
    out.append('<section id="settings"><h2>Settings and versions</h2><dl class="settings">')
    out += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in T.settings_lines(lb)]
    out += [f"<dt>version {esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in T.version_lines(lb)]
    out += ["</dl></section>", f"<script>{SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(out)


def summary_html(lb: Leaderboard) -> str:
    head, best, ties = T.summary_parts(lb)
    text = esc(head)
    if best:
        text += f". Best overall: <b>{esc(best)}</b>"
        if ties:
            text += f" (not significantly ahead of {esc(', '.join(ties))})"
    return text + "."
