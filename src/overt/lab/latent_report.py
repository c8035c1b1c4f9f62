"""The latent experiment's own outputs: what latent reasoning buys, and what oversight it costs.

`overt lab run latent --out DIR` writes, beside the usual results.json and report.html:

    latent_table.md   one line per task × setting, means with t-intervals across seeds:
                      accuracy, written tokens / thoughts / seconds per answer, probe
                      decodability (real and shuffled-label control), the text reading,
                      thought-swap follow rate, thought AOC; then Coconut's published
                      GPT-2 Table 1, labelled as such, for reference only
    readability.png   accuracy against what an overseer can read: the share of step
                      values the written text states, and what a linear probe reads
    stages.png        per-stage held-out accuracy of every curriculum cell, one line per seed

and appends these (table, plots) to report.html.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from overt.lab.results import CellResult, SettingSummary
from overt.report.html import image_tag
from overt.report.tables import lookup

PUBLISHED_SOURCE = (
    "Hao et al. 2024 (Coconut), Table 1, GPT-2 124M fine-tuned; accuracy % (approx.). "
    "Reference only: other models, other tasks, other scale."
)
PUBLISHED_COLUMNS = ["method", "GSM8k", "ProntoQA", "ProsQA"]
PUBLISHED_ROWS = [
    ("No-CoT", 16.5, 93.8, 76.7),
    ("CoT", 42.9, 98.8, 77.5),
    ("iCoT", 30.0, 99.8, 98.2),
    ("Pause token", 16.4, 77.7, 75.9),
    ("Coconut", 34.1, 99.8, 97.0),
    ("Coconut w/o curriculum", 14.4, 52.4, 76.1),
    ("pause as thought", 24.1, 100.0, 96.6),
]

COLUMNS = [
    ("accuracy", "accuracy"),
    ("tokens_per_answer", "tokens/ans"),
    ("thoughts_per_answer", "thoughts/ans"),
    ("seconds_per_answer", "ms/ans"),
    ("probe_accuracy", "probe"),
    ("probe_control_accuracy", "probe ctrl"),
    ("probe_text_accuracy", "text reads"),
    ("thought_swap_follow_rate", "swap follow"),
    ("thought_early_aoc", "thought AOC"),
    ("thought_zero_accuracy", "zeroed acc"),
]
PER_ANSWER = ("tokens_per_answer", "thoughts_per_answer", "seconds_per_answer")


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _cell(entry: SettingSummary, rows: Sequence[CellResult], key: str) -> str:
    if key in PER_ANSWER:  # context numbers: plain means across seeds
        value = _mean([v for r in rows if (v := lookup(r, key)[0]) is not None])
        if value is None:
            return "–"
        return f"{1000 * value:.2f}" if key == "seconds_per_answer" else f"{value:.1f}"
    metric = entry.metrics.get(key)
    if metric is None or metric.value is None:
        return "–"
    low, high = metric.ci_low, metric.ci_high
    interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""
    return f"{metric.value:.2f}{interval}"


def table_rows(summary: Sequence[SettingSummary], rows: Sequence[CellResult]) -> list[list[str]]:
    """[task, setting, seeds, *COLUMNS] per summary entry."""
    out = []
    for entry in summary:
        mine = [
            r
            for r in rows
            if r.status == "ok"
            and (r.task, r.label, r.layers) == (entry.task, entry.label, entry.layers)
        ]
        cells = [_cell(entry, mine, key) for key, _ in COLUMNS]
        out.append([entry.task, entry.label, str(entry.seeds), *cells])
    return out


def markdown(summary: Sequence[SettingSummary], rows: Sequence[CellResult]) -> str:
    header = ["task", "setting", "seeds", *[label for _, label in COLUMNS]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(summary, rows)]
    lines += ["", f"Published, for reference: {PUBLISHED_SOURCE}", ""]
    lines += ["| " + " | ".join(PUBLISHED_COLUMNS) + " |", "|" + "---|" * len(PUBLISHED_COLUMNS)]
    lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in PUBLISHED_ROWS]
    return "\n".join(lines) + "\n"


def readability_plot(summary: Sequence[SettingSummary], path: Path) -> None:
    """Accuracy against the text reading and against the probe reading, one point per setting."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
    for ax, key, xlabel in (
        (axes[0], "probe_text_accuracy", "share of step values the written text states"),
        (axes[1], "probe_accuracy", "share a linear probe reads (held out)"),
    ):
        for entry in summary:
            x, acc = entry.value(key), entry.metrics.get("accuracy")
            if x is None or acc is None or acc.value is None:
                continue
            low, high = acc.ci_low or acc.value, acc.ci_high or acc.value
            marker = "o" if "state" in entry.task else "s"
            ax.errorbar(
                x,
                acc.value,
                yerr=[[acc.value - low], [high - acc.value]],
                fmt=marker,
                capsize=3,
            )
            ax.annotate(
                f"{entry.label} {entry.task}",
                (x, acc.value),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xlabel(xlabel)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel("held-out accuracy (mean, t-interval over seeds)")
    fig.suptitle("what latent reasoning buys against what an overseer can read")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def stages_plot(rows: Sequence[CellResult], path: Path) -> bool:
    """Per-stage held-out accuracy, one panel per task × setting; False if no cell has stages."""
    staged = [r for r in rows if r.status == "ok" and r.stages]
    panels = list(dict.fromkeys((r.task, r.label) for r in staged))
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), squeeze=False)
    for ax, (task, setting) in zip(axes[0], panels, strict=True):
        for r in staged:
            if (r.task, r.label) != (task, setting):
                continue
            ax.plot(
                [s["stage"] for s in r.stages],
                [s["stage_accuracy"] for s in r.stages],
                marker="o",
                label=f"seed {r.seed}",
            )
        ax.set_title(f"{setting}\n{task}", fontsize=9)
        ax.set_xlabel("curriculum stage")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("held-out accuracy at stage end")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_latent_report(
    rows: Sequence[CellResult], summary: Sequence[SettingSummary], out: Path
) -> str:
    """Write latent_table.md and the plots, append them to report.html; returns the table."""
    table = markdown(summary, rows)
    (out / "latent_table.md").write_text(table)
    readability_plot(summary, out / "readability.png")
    sections = [
        "<h2>latent reasoning: accuracy and what an overseer can read</h2>",
        f"<pre>{html.escape(table)}</pre>",
        image_tag(out / "readability.png"),
    ]
    if stages_plot(rows, out / "stages.png"):
        sections += ["<h2>per-stage accuracy (curricula)</h2>", image_tag(out / "stages.png")]
    report = out / "report.html"
    page = report.read_text() if report.is_file() else "<html><body></body></html>"
    report.write_text(page.replace("</body>", "".join(sections) + "</body>"))
    return table
