"""The audit's report.html: metrics table, early-answering curve, follow rate by
position, hint table."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from overt.report.html import image_tag, page
from overt.report.plots import plt

if TYPE_CHECKING:
    from overt.audit.run import AuditReport


def _plots(report: AuditReport, out: Path) -> Path | None:
    if not report.early_curve and not report.follow_by_position:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    if report.early_curve:
        xs, ys = zip(*report.early_curve, strict=True)
        axes[0].plot(xs, ys, marker="o")
    axes[0].set(
        title="early answering",
        xlabel="fraction of reasoning kept",
        ylabel="same answer as full reasoning",
        ylim=(-0.02, 1.02),
    )
    if report.follow_by_position:
        pos = [r["position"] for r in report.follow_by_position]
        axes[1].bar(
            [p - 0.2 for p in pos],
            [r["follow_rate"] for r in report.follow_by_position],
            width=0.4,
            label="follow rate",
        )
        axes[1].bar(
            [p + 0.2 for p in pos],
            [r["same_answer"] for r in report.follow_by_position],
            width=0.4,
            label="same answer",
        )
        axes[1].legend(fontsize=8)
    axes[1].set(title="adding a mistake at step i", xlabel="corrupted step", ylim=(0, 1.02))
    fig.tight_layout()
    path = out / "audit.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_audit_report(report: AuditReport, out: Path) -> Path:
    rows = "".join(
        f"<tr><td class=l>{html.escape(k)}</td><td class=l>{html.escape(m.text())}</td></tr>"
        for k, m in report.metrics.items()
    )
    sections = [
        f"<p>model <code>{html.escape(report.model)}</code>, task {html.escape(str(report.task))}, "
        f"{report.n_examples} held-out examples, {report.seconds:.1f} s; hint verbalisation "
        f"judged by monitor <code>{html.escape(report.monitor)}</code></p>",
        f"<h2>metrics</h2><table><tr><th>metric</th><th>value [95% CI]</th></tr>{rows}</table>",
    ]
    plot = _plots(report, out)
    if plot is not None:
        sections.append(f"<h2>interventions</h2>{image_tag(plot)}")
    if report.hint_table:
        cells = "".join(
            f"<tr><td class=l>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
            for k, v in report.hint_table.items()
        )
        sections.append(f"<h2>hints</h2><table>{cells}</table>")
    path = out / "report.html"
    path.write_text(page(f"audit: {report.model}", sections))
    return path
