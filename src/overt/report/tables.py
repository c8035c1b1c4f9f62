"""Results tables printed with rich, from typed results rows (`overt.lab.results`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from overt.audit.schema import Metric
from overt.lab.results import CellResult, Measured, Separation, SettingSummary

COLUMNS = [
    "task",
    "variant",
    "regime",
    "layers",
    "d_model",
    "seed",
    "accuracy",
    "chance",
    "train_seconds",
]


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


HEADERS = {"train_seconds": "train s", "d_model": "d"}


def header(col: str) -> str:
    """A column's header: audit metrics take their label from the intervention registry."""
    from overt.audit.run import metric_specs

    spec = metric_specs().get(col)
    return HEADERS.get(col) or (spec.label if spec else col)


def directed(metrics: Sequence[str]) -> list[str]:
    """The metrics with a direction (what controls calibrate), from the registry."""
    from overt.audit.run import metric_specs

    specs = metric_specs()
    return [m for m in metrics if m in specs and specs[m].direction != "neither"]


def lookup(row: Measured, col: str) -> tuple[Any, Metric | None]:
    """A column of a row or summary entry: a metric's value and the metric, else the field."""
    metric = row.metrics.get(col)
    return (metric.value, metric) if metric else (dict(row).get(col), None)


def _cell(row: Measured, col: str) -> str:
    """A value, marked ⚠ where the audit warned it may mean little (below-chance
    model, few examples)."""
    value, metric = lookup(row, col)
    return _fmt(value) + (" ⚠" if metric and metric.warning else "")


def results_table(rows: Sequence[CellResult], extra: Sequence[str] = ()) -> Table:
    """One line per cell (audit metrics with a direction; results.json has all);
    failed cells show FAILED and their error."""
    columns = [*COLUMNS, *[c for c in directed(extra) if any(c in r.metrics for r in rows)]]
    table = Table(title="results", header_style="bold")
    for col in [*columns, "status"]:
        left = col in ("task", "variant", "regime", "status")
        table.add_column(header(col), justify="left" if left else "right", no_wrap=col == "task")
    for row in rows:
        status = "ok" if row.status == "ok" else f"[red]FAILED[/red] {(row.error or '')[:50]}"
        table.add_row(*[_cell(row, c) for c in columns], status)
    return table


def interval(metric: Metric | None) -> str:
    """`value [low, high]`, the value alone without an interval, — without a value."""
    if metric is None or metric.value is None:
        return "—"
    if metric.ci_low is None or metric.ci_high is None:
        return _fmt(metric.value)
    return f"{metric.value:.3f} [{metric.ci_low:.3f}, {metric.ci_high:.3f}]"


def summary_table(summary: Sequence[SettingSummary], metrics: Sequence[str]) -> Table:
    """One column per setting, one row per metric: mean [95 % interval] across seeds,
    for accuracy and the metrics with a direction (the ones controls calibrate);
    results.json's `summary` has every metric."""
    shown = [m for m in directed(metrics) if any(e.value(m) is not None for e in summary)]
    table = Table(title="across seeds: mean [95% interval]", header_style="bold")
    table.add_column("metric")
    for e in summary:
        table.add_column(f"{e.label}\n{e.task} L{e.layers}\n{e.seeds} seeds", justify="right")
    for m in ["accuracy", *shown]:
        cells = [e.metrics.get(m) for e in summary]
        table.add_row(header(m), *[interval(x) + (" ⚠" if x and x.warning else "") for x in cells])
    return table


def print_summary(
    summary: Sequence[SettingSummary], metrics: Sequence[str], checks: Sequence[Separation]
) -> None:
    """The across-seed table (when some setting has several seeds), then one line per
    control check."""
    console = make_console()
    if any(e.seeds > 1 for e in summary):
        console.print(summary_table(summary, metrics))
    for c in checks:
        verdict = {True: "separated", False: "NOT separated", None: "not measured"}[c.separated]
        console.print(f"{c.metric}: {c.positive} vs {c.negative}: {verdict}")


def make_console() -> Console:
    """A console; when output goes to a file or pipe, wide enough for every column."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def print_results(rows: Sequence[CellResult], extra: Sequence[str] = ()) -> None:
    make_console().print(results_table(rows, extra))
