"""report.html and curves.png of an RL preset run (`overt.lab.pressure`).

Curves are read back from every cell's metrics.jsonl (the `eval_*` lines), averaged
over seeds per arm; the tables are results.json's per-arm summary, the transfer
matrix (for each arm's final policies, every overseer's catch metrics on their
hacks; `*` marks the overseer the arm was trained against) and the rows.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from overt.report.html import image_tag, page

CURVES = [
    ("eval_task_reward", "task reward"),
    ("eval_hack_rate", "hack rate"),
    ("eval_detection", "CoT monitor TPR @ FPR"),
    ("eval_accuracy", "accuracy (no key)"),
]


def curves(out: Path, rows: list[dict[str, Any]]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """{arm: {metric: [(step, mean over seeds)]}} from the cells' metrics.jsonl."""
    per: dict[str, dict[str, dict[int, list[float]]]] = {}
    for row in rows:
        path = out / "cells" / f"{row['arm']}-s{row['seed']}" / "metrics.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            for key, _ in CURVES:
                if rec.get(key) is not None:
                    per.setdefault(row["arm"], {}).setdefault(key, {}).setdefault(
                        rec["step"], []
                    ).append(rec[key])
    return {
        arm: {k: sorted((s, sum(v) / len(v)) for s, v in steps.items()) for k, steps in m.items()}
        for arm, m in per.items()
    }


def plot_curves(data: dict[str, dict[str, list[tuple[int, float]]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CURVES), figsize=(4.2 * len(CURVES), 3.4))
    for ax, (key, title) in zip(axes, CURVES, strict=True):
        for arm, metrics in data.items():
            if key in metrics:
                steps, values = zip(*metrics[key], strict=True)
                ax.plot(steps, values, marker=".", label=arm)
        ax.set_title(title)
        ax.set_xlabel("RL step")
        ax.set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _fmt(cell: Any) -> str:
    if isinstance(cell, dict) and "value" in cell:
        if cell["value"] is None:
            return f"— ({cell.get('reason')})"
        if cell.get("ci_low") is None:
            return f"{cell['value']:.3f}"
        return f"{cell['value']:.3f} [{cell['ci_low']:.2f}, {cell['ci_high']:.2f}]"
    if isinstance(cell, float):
        return f"{cell:.3f}"
    return "—" if cell is None else str(cell)


def _table(records: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in columns) + "</tr>"
        for r in records
    )
    return f"<table><tr>{head}</tr>{body}</table>"


SUMMARY = [
    "arm",
    "seeds",
    "task_reward_start",
    "task_reward",
    "hack_rate_start",
    "hack_rate",
    "detection_start",
    "detection",
    "monitor_fpr",
    "tpr_at_fpr",
    "g_mean2",
    "reasoning_len",
    "swap_hack_rate_paraphrased",
    "swap_hack_rate_honest",
    "early_answering_aoc",
    "keyed_early_answering_aoc",
    "mistake_follow_rate",
]
ROWS = [
    "arm",
    "seed",
    "status",
    "task_reward",
    "accuracy",
    "hack_rate_start",
    "hack_rate",
    "detection_start",
    "detection",
    "reasoning_len",
    "swap_accuracy_own",
    "swap_accuracy_paraphrased",
]
TRANSFER = [
    ("tpr_at_fpr", "TPR at the preset's FPR"),
    ("auroc", "AUROC"),
    ("g_mean2", "g-mean²"),
    ("catch_rate", "catch rate (score ≥ 0.5)"),
    ("false_flag_rate", "false-flag rate on clean episodes (score ≥ 0.5)"),
]


def transfer_tables(results: dict[str, Any]) -> list[str]:
    """One arms × overseers table per catch metric (mean over seeds [95% t interval])."""
    matrix, against = results.get("transfer", {}), results.get("trained_against", {})
    names = list(next(iter(matrix.values()), {}))
    sections = []
    for key, title in TRANSFER:
        records = [
            {"arm": arm}
            | {n: _fmt(m[n][key]) + (" *" if n in against.get(arm, []) else "") for n in names}
            for arm, m in matrix.items()
        ]
        sections.append(f"<h3>{html.escape(title)}</h3>" + _table(records, ["arm", *names]))
    return sections


def write_pressure_report(exp: Any, out: Path, results: dict[str, Any]) -> Path:
    """curves.png and report.html in `out`."""
    plot_curves(curves(out, results["rows"]), out / "curves.png")
    summary = [{"arm": arm} | s for arm, s in results["arms"].items()]
    sections = [
        f"<h2>over training (mean of seeds)</h2>{image_tag(out / 'curves.png')}",
        "<h2>per arm: mean over seeds [95% t interval]</h2>" + _table(summary, SUMMARY),
        "<h2>transfer: each overseer on each arm's final policies (held-out half; "
        "* = trained against)</h2>" + "".join(transfer_tables(results)),
        f"<h2>checks</h2><pre>{html.escape(json.dumps(results['checks'], indent=2))}</pre>",
        "<h2>per cell</h2>" + _table(results["rows"], ROWS),
    ]
    path = out / "report.html"
    path.write_text(page(exp.name, sections))
    return path
