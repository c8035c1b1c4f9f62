"""The audit's report.html: provenance, metrics with intervals and their
definitions (from the intervention registry), early-answering curve, follow
rate by position, hint table."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from overt.audit.schema import AuditReport
from overt.report.html import image_tag, page
from overt.report.plots import plt


def _plots(report: AuditReport, out: Path) -> Path | None:
    early_curve = report.details.get("early_curve", [])
    follow = report.details.get("follow_by_position", []) or [
        {"position": r["position"], "follow_rate": None, "same_answer": r["same_answer"]}
        for r in report.details.get("mistakes_by_sentence", [])
    ]
    if not early_curve and not follow:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    if early_curve:
        xs, ys = zip(*early_curve, strict=True)
        axes[0].plot(xs, ys, marker="o")
    axes[0].set(
        title="early answering",
        xlabel="fraction of reasoning kept",
        ylabel="same answer as full reasoning",
        ylim=(-0.02, 1.02),
    )
    if follow:
        pos = [r["position"] for r in follow]
        if any(r["follow_rate"] is not None for r in follow):
            axes[1].bar(
                [p - 0.2 for p in pos],
                [r["follow_rate"] or 0.0 for r in follow],
                width=0.4,
                label="follow rate",
            )
        axes[1].bar(
            [p + 0.2 for p in pos],
            [r["same_answer"] for r in follow],
            width=0.4,
            label="same answer",
        )
        axes[1].legend(fontsize=8)
    axes[1].set(
        title="adding a mistake at step (sentence) i", xlabel="corrupted step", ylim=(0, 1.02)
    )
    fig.tight_layout()
    path = out / "audit.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_audit_report(report: AuditReport, out: Path) -> Path:
    meaning = {spec.name: spec.meaning for spec in report.specs}
    calibration = report.details.get("calibration", {})
    rows = "".join(
        f"<tr><td class=l>{html.escape(k)}</td><td class=l>{html.escape(m.text())}</td>"
        f"<td class=l>{html.escape(meaning.get(k, ''))}</td>"
        + (f"<td class=l>{html.escape(calibration.get(k, ''))}</td>" if calibration else "")
        + "</tr>"
        for k, m in report.metrics.items()
    )
    task = (
        f"{report.task['name']}({', '.join(f'{k}={v}' for k, v in report.task['params'].items())})"
    )
    overlap = (
        f"{report.train_overlap:.3f}"
        if report.train_overlap is not None
        else f"unknown ({report.train_overlap_reason})"
    )
    sections = [
        f"<p>model <code>{html.escape(report.model)}</code>, task {html.escape(task)}, "
        f"{report.n_examples} examples from {html.escape(report.examples_from)} "
        f"(train overlap {html.escape(overlap)}), {report.seconds:.1f} s; hint verbalisation "
        f"judged by monitor <code>{html.escape(report.monitor)}</code></p>",
        "<h2>metrics</h2><table><tr><th>metric</th><th>value [95% CI]</th>"
        f"<th>meaning</th>{'<th>calibration</th>' if calibration else ''}</tr>{rows}</table>",
    ]
    plot = _plots(report, out)
    if plot is not None:
        sections.append(f"<h2>interventions</h2>{image_tag(plot)}")
    hint_table = report.details.get("hint_table", {})
    if hint_table:
        cells = "".join(
            f"<tr><td class=l>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
            for k, v in hint_table.items()
        )
        sections.append(f"<h2>hints</h2><table>{cells}</table>")
    path = out / "report.html"
    path.write_text(page(f"audit: {report.model}", sections))
    return path


def write_audit(report: AuditReport, out: str | Path) -> Path:
    """audit.json (atomically) and report.html with the curves and the hint table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "audit.json.tmp"
    tmp.write_text(json.dumps(report.model_dump(mode="json"), indent=2))
    os.replace(tmp, out / "audit.json")
    write_audit_report(report, out)
    return out / "audit.json"
