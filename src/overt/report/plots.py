"""Plots people would rather look at than read: accuracy against depth."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

REGIME_COLORS = {"no_cot": "#d62728", "cot": "#2ca02c", "filler": "#7f7f7f"}


def panel(row: dict[str, Any]) -> str:
    """Task label, with the grid's variant when it has one."""
    return f"{row['task']} [{row['variant']}]" if row.get("variant") else row["task"]


def accuracy_plot(rows: Sequence[dict[str, Any]], path: Path, title: str = "") -> None:
    """One panel per task; accuracy (mean over seeds) against layers, a line per regime.

    Failed cells are left out of the lines and counted in the panel title.
    """
    tasks = list(dict.fromkeys(panel(r) for r in rows))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        mine = [r for r in rows if panel(r) == task]
        ok = [r for r in mine if r["status"] == "ok"]
        points: dict[tuple[str, int], dict[int, list[float]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for r in ok:
            points[(r["regime"], r["d_model"])][r["layers"]].append(r["accuracy"])
        widths = {d for _, d in points}
        for (regime, d_model), by_depth in points.items():
            depths = sorted(by_depth)
            accs = [sum(by_depth[k]) / len(by_depth[k]) for k in depths]
            label = regime if len(widths) == 1 else f"{regime} d={d_model}"
            ax.plot(depths, accs, marker="o", label=label, color=REGIME_COLORS.get(regime))
        ax.axhline(mine[0]["chance"], ls="--", lw=1, color="black", label="chance")
        failed = len(mine) - len(ok)
        ax.set_title(task + (f"  ({failed} failed)" if failed else ""), fontsize=10)
        ax.set_xlabel("layers")
        ax.set_ylabel("held-out exact-match accuracy")
        ax.set_ylim(-0.02, 1.02)
        depths_all = sorted({r["layers"] for r in mine})
        ax.set_xticks(depths_all)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
