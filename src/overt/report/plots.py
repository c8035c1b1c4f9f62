"""Plots people would rather look at than read: accuracy against depth, training curves.

    accuracy_plot(rows, Path("runs/grid/accuracy.png"))    # results.json rows (CellResult)
    training_plot(rows, Path("runs/grid"), Path("runs/grid/training.png"))  # metrics.jsonl

Every series stays visible: regimes are drawn side by side (dodged) with their
own marker and line style, so equal values never hide one another; the legend
sits outside the panels; with several seeds a point is their mean and its bar
spans the lowest to the highest seed. A variant whose tasks each have a single
depth becomes one panel with the tasks along the x axis instead of one-dot panels.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from overt.files import atomic_write
from overt.lab.results import CellResult
from overt.train.regimes import REGISTRY


def _style(regime: str) -> tuple[str | None, str, str]:
    """A registered regime's colour, marker and line style (overt.train.regimes)."""
    known = REGISTRY.get(regime)
    if known is None:
        return None, "o", "-"
    return known.style.colour, known.style.marker, known.style.line


def _order(regime: str) -> int:
    """Registration order, unknown regimes last: the order of series and legends."""
    return list(REGISTRY).index(regime) if regime in REGISTRY else len(REGISTRY)


def panel(row: CellResult) -> str:
    """Task label, with the grid's variant when it has one."""
    return f"{row.task} [{row.variant}]" if row.variant else row.task


@dataclass
class _Panel:
    title: str
    xlabel: str
    xs: list[str]
    rows: list[CellResult] = field(default_factory=list)
    x_of: dict[int, str] = field(default_factory=dict)  # id(row) → x label


def _panels(rows: Sequence[CellResult]) -> list[_Panel]:
    """One panel per task (x: layers), or one per variant whose tasks have one depth each."""
    by_variant: dict[str, list[CellResult]] = defaultdict(list)
    for r in rows:
        by_variant[r.variant].append(r)
    panels = []
    for variant, mine in by_variant.items():
        tasks = list(dict.fromkeys(r.task for r in mine))
        depths = {t: {r.layers for r in mine if r.task == t} for t in tasks}
        if len(tasks) > 1 and all(len(d) == 1 for d in depths.values()):
            layers = sorted({d for ds in depths.values() for d in ds})
            title = f"[{variant}] " if variant else ""
            title += "L=" + ",".join(str(x) for x in layers)
            p = _Panel(title, "task", tasks, list(mine))
            p.x_of = {id(r): r.task for r in mine}
            panels.append(p)
            continue
        for task in tasks:
            task_rows = [r for r in mine if r.task == task]
            xs = [str(x) for x in sorted({r.layers for r in task_rows})]
            p = _Panel(panel(task_rows[0]), "layers", xs, task_rows)
            p.x_of = {id(r): str(r.layers) for r in task_rows}
            panels.append(p)
    return panels


def _draw(ax: Axes, p: _Panel) -> None:
    ok = [r for r in p.rows if r.status == "ok"]
    series: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in ok:
        if r.accuracy is not None:
            series[(r.regime, r.d_model)][p.x_of[id(r)]].append(r.accuracy)
    widths = {d for _, d in series}
    keys = sorted(series, key=lambda k: (_order(k[0]), k[1]))
    spread = 0.36
    for i, key in enumerate(keys):
        regime, d_model = key
        offset = (
            (i - (len(keys) - 1) / 2) * (spread / max(1, len(keys) - 1)) if len(keys) > 1 else 0
        )
        xs = [j + offset for j, x in enumerate(p.xs) if x in series[key]]
        values = [series[key][x] for x in p.xs if x in series[key]]
        means = [sum(v) / len(v) for v in values]
        low = [max(0.0, m - min(v)) for m, v in zip(means, values, strict=True)]
        high = [max(0.0, max(v) - m) for m, v in zip(means, values, strict=True)]
        colour, marker, line = _style(regime)
        seeds = max(len(v) for v in values)
        label = regime if len(widths) == 1 else f"{regime} d={d_model}"
        ax.errorbar(
            xs,
            means,
            yerr=[low, high] if seeds > 1 else None,
            marker=marker,
            ls=line,
            color=colour,
            label=label,
            capsize=3,
            markersize=6,
            lw=1.4,
            alpha=0.9,
        )
    chance = {p.x_of[id(r)]: r.chance for r in p.rows if r.chance is not None}
    if chance:
        where = [j for j, x in enumerate(p.xs) if x in chance]
        ax.plot(
            where,
            [chance[p.xs[j]] for j in where],
            ls=":",
            lw=1,
            color="black",
            marker="_",
            markersize=14,
            label="chance",
        )
    failed = len(p.rows) - len(ok)
    ax.set_title(p.title + (f"  ({failed} failed)" if failed else ""), fontsize=10)
    ax.set_xlabel(p.xlabel)
    ax.set_xticks(range(len(p.xs)), p.xs, fontsize=8 if p.xlabel == "task" else 10)
    ax.set_xlim(-0.6, len(p.xs) - 0.4)
    ax.set_ylim(-0.04, 1.04)
    ax.grid(axis="y", alpha=0.3)


def _save(fig: Figure, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png"))
    plt.close(fig)


def _seed_groups(rows: Sequence[CellResult]) -> list[list[CellResult]]:
    """Rows that differ only by seed."""
    groups: dict[tuple[Any, ...], list[CellResult]] = defaultdict(list)
    for r in rows:
        groups[(r.task, r.variant, r.regime, r.layers, r.d_model)].append(r)
    return list(groups.values())


def _legend(fig: Figure, axes: Sequence[Axes], note: str = "") -> None:
    """One legend for the figure, right of the panels, each label once."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    if note:
        seen[note] = Line2D([], [], ls="")
    fig.legend(
        seen.values(),
        seen.keys(),
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=9,
        frameon=False,
    )


def accuracy_plot(rows: Sequence[CellResult], path: Path, title: str = "") -> None:
    """Held-out accuracy per panel, a dodged series per regime; failed cells counted in titles."""
    panels = _panels(rows)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels) + 0.6, 3.4), squeeze=False, sharey=True
    )
    for ax, p in zip(axes[0], panels, strict=True):
        _draw(ax, p)
    axes[0][0].set_ylabel("held-out exact-match accuracy")
    seeds = max((len(g) for g in _seed_groups([r for r in rows if r.status == "ok"])), default=0)
    note = (
        f"points: mean of up to {seeds} seeds;\nbars: lowest to highest seed" if seeds > 1 else ""
    )
    _legend(fig, list(axes[0]), note)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)


def _metrics(cell: Path) -> list[dict[str, Any]]:
    path = cell / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def training_plot(rows: Sequence[CellResult], out: Path, path: Path) -> bool:
    """Loss (and held-out accuracy, where logged) against step for every cell, a panel per task.

    Reads `cells/<id>/metrics.jsonl` under `out`; returns False (and writes
    nothing) when no cell logged any metrics.
    """
    logs = [(r, _metrics(out / r.cell_dir)) for r in rows if r.cell_dir]
    logs = [(r, m) for r, m in logs if m]
    if not logs:
        return False
    titles = list(dict.fromkeys(panel(r) for r, _ in logs))
    with_eval = any("eval_accuracy" in line for _, m in logs for line in m)
    nrows = 2 if with_eval else 1
    fig, axes = plt.subplots(
        nrows, len(titles), figsize=(3.6 * len(titles) + 0.6, 3.0 * nrows), squeeze=False
    )
    for j, title in enumerate(titles):
        for r, m in (x for x in logs if panel(x[0]) == title):
            colour, _, line = _style(r.regime)
            label = f"{r.regime} L={r.layers}"
            steps = [x["step"] for x in m]
            axes[0][j].plot(
                steps,
                [x["loss"] for x in m],
                ls=line,
                color=colour,
                lw=1.2,
                alpha=0.5 + 0.5 / r.layers,
                label=label,
            )
            if with_eval:
                evals = [(x["step"], x["eval_accuracy"]) for x in m if "eval_accuracy" in x]
                if evals:
                    axes[1][j].plot(
                        *zip(*evals, strict=True),
                        ls=line,
                        color=colour,
                        marker=".",
                        lw=1.2,
                        label=label,
                    )
        axes[0][j].set_title(title, fontsize=10)
        axes[0][j].set_yscale("log")
        axes[0][j].yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes[0][j].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axes[0][j].yaxis.set_minor_formatter(NullFormatter())
        axes[0][j].set_xlabel("step")
        if with_eval:
            axes[1][j].set_ylim(-0.04, 1.04)
            axes[1][j].set_xlabel("step")
    axes[0][0].set_ylabel("training loss")
    if with_eval:
        axes[1][0].set_ylabel("held-out accuracy")
    _legend(fig, [ax for row in axes for ax in row])
    fig.tight_layout()
    _save(fig, path)
    return True
