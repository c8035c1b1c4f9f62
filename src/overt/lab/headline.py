"""The quickstart's headline, read off the results rows.

For each task setting and depth, one line comparing the regimes, marked where
written reasoning succeeds (≥ 0.99) while one forward pass stays near chance
(≤ 0.2), and where the forward pass alone is enough (≥ 0.99); a regime whose
training stopped early (`stop_at_accuracy`) says at which step. Which regime is
which comes from its registration's `role` (`overt.train.regimes`): cot is
written reasoning, no_cot one forward pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from overt.lab.results import CellResult
from overt.report.plots import panel
from overt.train.regimes import REGISTRY, Role


def headline(rows: Sequence[CellResult]) -> list[str]:
    """Human-readable lines; failed cells show as FAILED."""
    cells: dict[tuple[str, int], dict[str, list[float | None]]] = defaultdict(
        lambda: defaultdict(list)
    )
    stopped: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    chance: dict[str, float | None] = {}
    for r in rows:
        cells[(panel(r), r.layers)][r.regime].append(r.accuracy if r.status == "ok" else None)
        chance[panel(r)] = r.chance
        if r.stopped_early:
            stopped[(panel(r), r.layers, r.regime)].append(str(r.steps))
    lines = []
    for (task, layers), by_regime in cells.items():
        parts, mean = [], {}
        for regime, accs in by_regime.items():
            if any(a is None for a in accs):
                parts.append(f"{regime} FAILED")
                continue
            mean[regime] = sum(a for a in accs if a is not None) / len(accs)
            early = stopped.get((task, layers, regime))
            note = f" (stopped early at step {', '.join(early)})" if early else ""
            parts.append(f"{regime} {mean[regime]:.3f}{note}")
        written, forward = _by_role(mean, "written"), _by_role(mean, "forward")
        mark = ""
        if written and forward and min(written) >= 0.99 and max(forward) <= 0.2:
            mark = "  ← reasoning in text needed"
        elif forward and min(forward) >= 0.99:
            mark = "  ← one forward pass is enough"
        lines.append(f"{task} L={layers}: {' | '.join(parts)} (chance {_fmt(chance[task])}){mark}")
    return lines


def _by_role(mean: dict[str, float], role: Role) -> list[float]:
    """Mean accuracies of the regimes that play `role`."""
    return [acc for name, acc in mean.items() if name in REGISTRY and REGISTRY[name].role == role]


def _fmt(chance: float | None) -> str:
    return "?" if chance is None else f"{chance:.2f}"
