"""Self-contained HTML pages (images inlined, no external assets); an experiment's report.html.

    write_report(name, rows, Path("runs/grid"), metric_columns)

report.html holds, top to bottom: what ran (cells, failures, settings), the
accuracy plot, the results table (a metric with an interval reads
`value [low, high]`; ⚠ marks a value the audit warned about; each cell links
its audit report, config and metrics log), the across-seed summary and control
checks when results.json has them, training curves from every cell's
metrics.jsonl, and what each column means (audit metrics from the intervention
registry, with the direction that means more reliance on the reasoning).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from overt.files import atomic_write_text
from overt.lab.results import CellResult, Measured, Results
from overt.report.tables import COLUMNS, _fmt, header, lookup

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 90em; }
table { border-collapse: collapse; font-size: 14px; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; } td.l { text-align: left; } tr.failed { background: #fde8e8; }
td.warn { background: #fff6d5; } .ci { color: #666; font-size: 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dt { font-weight: 600; } dd { margin: 0; } .dir { color: #666; }
.facts { color: #444; } pre { background: #f7f7f7; padding: .6em; overflow-x: auto; }
img { max-width: 100%; }
"""

MEANINGS = {
    "task": "task family and knobs the cell was trained and scored on",
    "variant": "the grid's label for a training setting (empty: the experiment's defaults)",
    "regime": "how the model was trained to reason (see `overt lab config`: regime)",
    "layers": "transformer blocks",
    "d_model": "residual stream width",
    "seed": "seed of initialisation and training data",
    "accuracy": "exact-match accuracy on held-out prompts [95% Wilson interval]",
    "chance": "accuracy of guessing among the task's answers",
    "train_seconds": "wall-clock training time of the cell",
}
DIRECTION = {
    "higher": "higher = the answer relies more on the reasoning (monitors: detects better)",
    "lower": "lower = the answer relies more on the reasoning",
    "neither": "context, no direction",
}


def image_tag(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}">'


def _value(row: Measured, col: str) -> str:
    """`v [lo, hi]` where the column is a metric with an interval."""
    value, metric = lookup(row, col)
    text = html.escape(_fmt(value))
    if metric and value is not None and metric.ci_low is not None and metric.ci_high is not None:
        text += f' <span class="ci">[{_fmt(metric.ci_low)}, {_fmt(metric.ci_high)}]</span>'
    return text


def _links(row: CellResult, out: Path | None) -> str:
    if out is None or not row.cell_dir:
        return ""
    cell = row.cell_dir
    found = [
        (name, f"{cell}/{rel}")
        for name, rel in (
            ("audit", "audit/report.html"),
            ("config", "config.yaml"),
            ("log", "metrics.jsonl"),
        )
        if (out / cell / rel).is_file()
    ]
    return " ".join(f'<a href="{html.escape(href)}">{name}</a>' for name, href in found)


def table_html(rows: Sequence[CellResult], columns: Sequence[str], out: Path | None = None) -> str:
    """The results table; with `out`, a links column to each cell's audit, config and log."""
    extra = ["files"] if out is not None else []
    head = "".join(
        f'<th title="{html.escape(MEANINGS.get(c, ""))}">{html.escape(header(c))}</th>'
        for c in [*columns, *extra, "status"]
    )
    body = []
    for r in rows:
        cls = "" if r.status == "ok" else ' class="failed"'
        cells = []
        for c in columns:
            metric = r.metrics.get(c)
            warning = metric and (metric.warning or metric.reason)
            attrs = " class=l" if c in ("task", "variant", "regime") else ""
            if warning:
                attrs = f' class=warn title="{html.escape(warning)}"'
            mark = " ⚠" if metric and metric.warning else ""
            cells.append(f"<td{attrs}>{_value(r, c)}{mark}</td>")
        if out is not None:
            cells.append(f"<td class=l>{_links(r, out)}</td>")
        status = r.status if r.status == "ok" else f"FAILED: {r.error or ''}"
        body.append(f"<tr{cls}>{''.join(cells)}<td class=l>{html.escape(status)}</td></tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def page(title: str, sections: Sequence[str], style: str = "") -> str:
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}{style}</style></head><body><h1>{html.escape(title)}</h1>"
        + "".join(sections)
        + "</body></html>"
    )


def meanings_html(columns: Sequence[str]) -> str:
    """A definition list: each shown column's header, meaning and direction."""
    from overt.audit.run import metric_specs

    specs = metric_specs()
    items = []
    for c in columns:
        if c in specs:
            spec = specs[c]
            text = f'{html.escape(spec.meaning)} <span class="dir">({DIRECTION[spec.direction]})'
            text += " [95% interval]</span>"
        else:
            text = html.escape(MEANINGS.get(c, ""))
        items.append(f"<dt>{html.escape(header(c))}</dt><dd>{text}</dd>")
    return f"<dl>{''.join(items)}</dl>"


def _flat(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [kv for k, v in data.items() for kv in _flat(v, f"{prefix}{k}.")]
    return [(prefix.rstrip("."), data)]


def settings_html(out: Path) -> str:
    """The shared training settings and the grids, from experiment.yaml."""
    path = out / "experiment.yaml"
    if not path.is_file():
        return ""
    config = yaml.safe_load(path.read_text()) or {}
    shared = "".join(
        f"<tr><td class=l>train.{html.escape(k)}</td>"
        f"<td class=l>{html.escape(json.dumps(v))}</td></tr>"
        for k, v in _flat(config.get("train", {}))
    )
    rest = {k: v for k, v in config.items() if k != "train"}
    return (
        "<h2>settings</h2><p class=facts>every cell trains with these settings, "
        "then its grid's changes (below) and its own task, regime, size and seed.</p>"
        f"<table><tr><th>setting</th><th>value</th></tr>{shared}</table>"
        f"<details><summary>grids, workers and audit</summary><pre>"
        f"{html.escape(yaml.safe_dump(rest, sort_keys=False))}</pre></details>"
    )


def summary_html(out: Path, metrics: Sequence[str]) -> str:
    """The across-seed table and control checks, where results.json has them."""
    path = out / "results.json"
    if not path.is_file():
        return ""
    results = Results.model_validate_json(path.read_text())
    summary, checks = results.summary, results.separations
    if not summary:
        return ""
    shown = ["accuracy", *[m for m in metrics if any(e.value(m) is not None for e in summary)]]
    cols = ["task", "label", "layers", "seeds", *shown]
    head = "".join(f"<th>{html.escape(header(c))}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=l' if c in ('task', 'label') else ''}>{_value(e, c)}</td>" for c in cols
        )
        + "</tr>"
        for e in summary
    )
    verdict = {True: "separated", False: "NOT separated", None: "not measured"}
    lines = "".join(
        f"<li>{html.escape(c.metric)}: {html.escape(c.positive)} vs "
        f"{html.escape(c.negative)} — <b>{verdict[c.separated]}</b></li>"
        for c in checks
    )
    return (
        "<h2>across seeds</h2><p class=facts>mean [95% interval] over seeds</p>"
        f"<table><tr>{head}</tr>{body}</table>" + (f"<ul>{lines}</ul>" if lines else "")
    )


def write_report(
    name: str, rows: Sequence[CellResult], out: Path, extra_columns: Sequence[str] = ()
) -> Path:
    """report.html in `out`; also draws training.png from the cells' metrics.jsonl."""
    from overt.report.plots import training_plot

    columns = [*COLUMNS, *[c for c in extra_columns if any(c in r.metrics for r in rows)]]
    ok = sum(r.status == "ok" for r in rows)
    facts = (
        f"<p class=facts>{len(rows)} cells: {ok} ok, {len(rows) - ok} failed. "
        "Hover a column header for its meaning; definitions are at the end.</p>"
    )
    sections = [facts]
    if (out / "accuracy.png").is_file():
        sections.append(f"<h2>accuracy</h2>{image_tag(out / 'accuracy.png')}")
    sections.append(f"<h2>results</h2>{table_html(rows, columns, out)}")
    sections.append(summary_html(out, extra_columns))
    if training_plot(rows, out, out / "training.png"):
        sections.append(f"<h2>training curves</h2>{image_tag(out / 'training.png')}")
    sections.append(settings_html(out))
    sections.append(f"<h2>columns</h2>{meanings_html(columns)}")
    path = out / "report.html"
    atomic_write_text(path, page(name, sections))
    return path
