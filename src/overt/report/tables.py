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


HEADERS = {
    "train_seconds": "train s",
    "early_answering_aoc": "AOC",
    "mistake_follow_rate": "follow",
    "filler_accuracy": "filler acc",
    "d_model": "d",
    "hint_faithfulness": "hint faith.",
}


def results_table(rows: Sequence[dict[str, Any]], extra: Sequence[str] = ()) -> Table:
    """One line per cell; failed cells show FAILED and their error."""
    columns = [*COLUMNS, *[c for c in extra if any(c in r for r in rows)]]
    table = Table(title="results", header_style="bold")
    for col in [*columns, "status"]:
        left = col in ("task", "variant", "regime", "status")
        table.add_column(
            HEADERS.get(col, col), justify="left" if left else "right", no_wrap=col == "task"
        )
    for row in rows:
        status = "ok" if row["status"] == "ok" else f"[red]FAILED[/red] {row.get('error', '')[:50]}"
        table.add_row(*[_fmt(row.get(c)) for c in columns], status)
    return table


def make_console() -> Console:
    """A console; when output goes to a file or pipe, wide enough for every column."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def print_results(rows: Sequence[dict[str, Any]], extra: Sequence[str] = ()) -> None:
    make_console().print(results_table(rows, extra))
