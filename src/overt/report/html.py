"""Self-contained HTML reports (images inlined, no external assets)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from overt.report.tables import COLUMNS, _fmt

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f3f3f3; } td.l { text-align: left; } tr.failed { background: #fde8e8; }
"""


def image_tag(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}">'


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [*columns, "status"])
    body = []
    for r in rows:
        cls = "" if r.get("status", "ok") == "ok" else ' class="failed"'
        cells = "".join(
            f"<td{' class=l' if c in ('task', 'regime') else ''}>{html.escape(_fmt(r.get(c)))}</td>"
            for c in columns
        )
        status = r.get("status", "ok")
        if status != "ok":
            status = f"FAILED: {r.get('error', '')}"
        body.append(f"<tr{cls}>{cells}<td class=l>{html.escape(status)}</td></tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def page(title: str, sections: Sequence[str]) -> str:
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        + "".join(sections)
        + "</body></html>"
    )


def write_report(
    name: str, rows: Sequence[dict[str, Any]], out: Path, extra_columns: Sequence[str] = ()
) -> Path:
    """report.html in `out`: the accuracy plot and the results table."""
    columns = [*COLUMNS, *[c for c in extra_columns if any(c in r for r in rows)]]
    sections = [
        f"<h2>accuracy against depth</h2>{image_tag(out / 'accuracy.png')}",
        f"<h2>results</h2>{table_html(rows, columns)}",
    ]
    path = out / "report.html"
    path.write_text(page(name, sections))
    return path
