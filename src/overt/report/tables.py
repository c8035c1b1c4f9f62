"""Results tables printed with rich."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

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


def _cell(row: dict[str, Any], col: str) -> str:
    """A value, marked ⚠ where the audit warned it may mean little (see the row's
    `<metric>_warning`: below-chance model, few examples)."""
    return _fmt(row.get(col)) + (" ⚠" if row.get(f"{col}_warning") else "")


def results_table(rows: Sequence[dict[str, Any]], extra: Sequence[str] = ()) -> Table:
    """One line per cell (audit metrics with a direction; results.json has all);
    failed cells show FAILED and their error."""
    columns = [*COLUMNS, *[c for c in directed(extra) if any(c in r for r in rows)]]
    table = Table(title="results", header_style="bold")
    for col in [*columns, "status"]:
        left = col in ("task", "variant", "regime", "status")
        table.add_column(header(col), justify="left" if left else "right", no_wrap=col == "task")
    for row in rows:
        status = "ok" if row["status"] == "ok" else f"[red]FAILED[/red] {row.get('error', '')[:50]}"
        table.add_row(*[_cell(row, c) for c in columns], status)
    return table


def _interval(entry: dict[str, Any], key: str) -> str:
    if entry.get(key) is None:
        return "—"
    low, high = entry.get(f"{key}_ci_low"), entry.get(f"{key}_ci_high")
    if low is None or high is None:
        return _fmt(entry[key])
    return f"{entry[key]:.3f} [{low:.3f}, {high:.3f}]"


def summary_table(summary: Sequence[dict[str, Any]], metrics: Sequence[str]) -> Table:
    """One column per setting, one row per metric: mean [95 % interval] across seeds,
    for accuracy and the metrics with a direction (the ones controls calibrate);
    results.json's `summary` has every metric."""
    shown = [m for m in directed(metrics) if any(e.get(m) is not None for e in summary)]
    table = Table(title="across seeds: mean [95% interval]", header_style="bold")
    table.add_column("metric")
    for e in summary:
        table.add_column(
            f"{e['label']}\n{e['task']} L{e['layers']}\n{e['seeds']} seeds", justify="right"
        )
    for m in ["accuracy", *shown]:
        table.add_row(
            header(m),
            *[_interval(e, m) + (" ⚠" if e.get(f"{m}_warning") else "") for e in summary],
        )
    return table


def print_summary(
    summary: Sequence[dict[str, Any]], metrics: Sequence[str], checks: Sequence[dict[str, Any]]
) -> None:
    """The across-seed table (when some setting has several seeds), then one line per
    control check."""
    console = make_console()
    if any(e["seeds"] > 1 for e in summary):
        console.print(summary_table(summary, metrics))
    for c in checks:
        verdict = {True: "separated", False: "NOT separated", None: "not measured"}[c["separated"]]
        console.print(f"{c['metric']}: {c['positive']} vs {c['negative']}: {verdict}")


def make_console() -> Console:
    """A console; when output goes to a file or pipe, wide enough for every column."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def print_results(rows: Sequence[dict[str, Any]], extra: Sequence[str] = ()) -> None:
    make_console().print(results_table(rows, extra))
