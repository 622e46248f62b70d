"""The report as one self-contained HTML page: styles inline, plots embedded as base64 PNG.

One file to mail or archive that any browser opens without the run folder.
Built by plain string assembly with every piece of text escaped.
"""

from __future__ import annotations

import base64
from html import escape

from naslab.analysis.content import Content, Table, rows

#: p-values below this are highlighted in the rank-test matrices.
SIGNIFICANT = 0.05

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1280px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1em; margin: 1.4em 0 0.4em; }
table { border-collapse: collapse; margin: 0.3em 0 1em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f0f0; } tbody tr:nth-child(even) { background: #fafafa; }
table.settings td { text-align: left; vertical-align: top; }
td.sig { background: #d9f2d9; font-weight: 600; }
.unfinished { background: #fff3cd; border: 1px solid #e0b84c; padding: 0.6em 1em; }
.header p { margin: 0.2em 0; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0 1em; }
"""


def render_html(content: Content) -> str:
    """The whole page: header, settings, progress, comparison tables, notes, per-dataset figures."""
    body = ["<h1>naslab report</h1>", '<div class="header">']
    for line in content.header:
        css = ' class="unfinished"' if line.startswith("UNFINISHED") else ""
        body.append(f"<p{css}>{escape(line)}</p>")
    body += ["</div>", "<h2>Settings</h2>", _settings(content.settings)]
    if content.progress:
        body += ["<h2>Progress</h2>", _table(content.progress)]
    body.append("<h2>Comparison</h2>")
    body += [_table(t) for t in content.tables]
    body.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in content.notes) + "</ul>")
    for dataset in dict.fromkeys([*content.figures, *content.matrices]):
        body.append(f"<h2>{escape(dataset)}</h2>")
        for name, png in content.figures.get(dataset, []):
            data = base64.b64encode(png).decode("ascii")
            body.append(f'<img alt="{escape(name)}" src="data:image/png;base64,{data}">')
        if dataset in content.matrices:
            body.append(_table(content.matrices[dataset], highlight=True))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>naslab report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _settings(settings: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in settings)
    return f'<table class="settings"><tbody>{cells}</tbody></table>'


def _table(table: Table, *, highlight: bool = False) -> str:
    """A titled table; with ``highlight``, cells holding a p-value below :data:`SIGNIFICANT`."""
    title, cells = table
    header, *body = rows(cells)
    head = "".join(f"<th>{escape(c)}</th>" for c in header)
    lines = []
    for label, *values in body:
        tds = "".join(
            f"<td{' class=sig' if highlight and _significant(v) else ''}>{escape(v)}</td>"
            for v in values
        )
        lines.append(f"<tr><th>{escape(label)}</th>{tds}</tr>")
    return (f"<h3>{escape(title)}</h3>\n<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(lines)}</tbody></table>")


def _significant(cell: str) -> bool:
    try:
        return float(cell) < SIGNIFICANT
    except ValueError:
        return False
