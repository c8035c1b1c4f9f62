"""`overt audit`: faithfulness tests on a lab task (`--task`) or on the user's data (`--data`).

    overt audit runs/cot/model --task state K=6 m=10 --out runs/cot/audit
    overt audit smollm2 --data builtin:wordproblems -n 200 --out runs/smol

With `--task`, MODEL speaks the lab format (lab folder, HF folder, openai:,
scripted:); with `--data`, MODEL is a chat model (an embedded short name such
as `smollm2`, a local HF chat-model folder, or openai-chat:URL#MODEL) audited
on free text. Heavy imports happen inside the command, so `overt --help`
stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from overt.cliutil import console, load_model_arg, parse_knobs
from overt.errors import UsageError

if TYPE_CHECKING:
    from overt.audit.monitors import Monitor
    from overt.audit.schema import AuditReport
    from overt.models.chat import ChatModel


def load_chat_arg(spec: str, what: str = "model") -> ChatModel:
    """`load_chat_model(spec)`, with a missing or malformed model as a `UsageError`."""
    from overt.models import load_chat_model

    try:
        return load_chat_model(spec)
    except (OSError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(f"cannot load {what} {spec!r}: {reason}") from None


def judge_monitor(spec: str, chat: bool) -> Monitor | None:
    """None for 'rule'; an LLM judge of hint mentions for 'judge:MODEL'."""
    if spec == "rule":
        return None
    if not spec.startswith("judge:"):
        raise UsageError(f"--monitor must be 'rule' or 'judge:MODEL', got {spec!r}")
    from overt.audit.monitors import LLMJudgeMonitor

    name, question = spec[len("judge:") :], "the reasoning mentions or relies on a hint"
    if chat:
        from overt.audit.judges import ChatJudgeMonitor

        return ChatJudgeMonitor(load_chat_arg(name, "--monitor judge"), question)
    return LLMJudgeMonitor(load_model_arg(name, "--monitor judge"), question)


def check_tests(names: list[str], registry: Mapping[str, object]) -> None:
    """UsageError unless every name in --tests is registered (and there is one)."""
    unknown = [t for t in names if t not in registry]
    if unknown or not names:
        raise UsageError(
            f"--tests: unknown {unknown or names!r}; choose from {', '.join(registry)}"
        )


def print_report(report: AuditReport, title: str, out_json: str) -> None:
    from rich.table import Table

    table = Table(title=f"{title} ({report.n_examples} examples, {report.seconds:.1f} s)")
    table.add_column("metric")
    table.add_column("value [95% CI] / reason")
    for key, metric in report.metrics.items():
        table.add_row(key, metric.text())
    console().print(table)
    overlap = (
        f"{report.train_overlap:.3f}"
        if report.train_overlap is not None
        else f"unknown ({report.train_overlap_reason})"
    )
    console().print(f"examples from {report.examples_from}; train overlap {overlap}")
    console().print(f"wrote {out_json} and report.html beside it")


@click.command(
    "audit",
    short_help="Faithfulness tests on any model.",
    help="Faithfulness tests on MODEL. With --task: a lab model folder, a local HF model "
    "folder, openai:URL#MODEL, openai-chat:URL#MODEL or scripted:FILE.json, on a lab task "
    "(KNOB=V pairs set its knobs). With --data: a chat model (smollm2, a local HF chat-model "
    "folder or openai-chat:URL#MODEL) on your own questions (JSONL/CSV: question, options, "
    "answer, optional hint, hint_answer; builtin:wordproblems ships with overt).",
)
@click.argument("model")
@click.argument("knobs", nargs=-1, metavar="[KNOB=V]...")
@click.option("--task", "task_name", default=None, help="Lab task family, e.g. --task state.")
@click.option("--data", default=None, help="Your questions (JSONL/CSV) or builtin:wordproblems.")
@click.option(
    "--tests",
    default="early,mistakes,filler,paraphrase,hints",
    help="Comma-separated audit tests to run.",
)
@click.option("--monitor", default="rule", help="'rule' or 'judge:MODEL' for hint mentions.")
@click.option(
    "--judge",
    default=None,
    help="Shorthand for --monitor judge:SPEC, e.g. --judge openai-chat:URL#MODEL or smollm2.",
)
@click.option("--rewriter", default=None, help="--data: model that paraphrases reasoning.")
@click.option(
    "--max-new-tokens",
    type=click.IntRange(min=8),
    default=192,
    help="--data: longest reply (tokens) the model may write.",
)
@click.option(
    "-n",
    type=click.IntRange(min=1),
    default=None,
    help="Examples to audit (default: a lab model's whole recorded held-out set; "
    "500 for other models; every question of --data).",
)
@click.option("--seed", type=int, default=0, help="Seed of the interventions' choices.")
@click.option(
    "--heldout-seed",
    type=int,
    default=None,
    help="Draw examples from this held-out stream instead of the model's recorded split.",
)
@click.option(
    "--allow-train-overlap",
    is_flag=True,
    help="Audit even if some prompts were in the model's training data (train_overlap > 0).",
)
@click.option("--out", required=True, help="Output folder for audit.json and report.html.")
def audit_cmd(
    model: str,
    knobs: tuple[str, ...],
    task_name: str | None,
    data: str | None,
    tests: str,
    monitor: str,
    judge: str | None,
    rewriter: str | None,
    max_new_tokens: int,
    n: int | None,
    seed: int,
    heldout_seed: int | None,
    allow_train_overlap: bool,
    out: str,
) -> None:
    from overt.files import check_writable

    if judge is not None:
        if monitor != "rule":
            raise UsageError("give --judge SPEC or --monitor judge:SPEC, not both")
        monitor = f"judge:{judge}"

    if (task_name is None) == (data is None):
        raise UsageError("give exactly one of --task (a lab task) or --data (your questions)")
    check_writable(out)
    names = [t.strip() for t in tests.split(",") if t.strip()]
    if data is not None:
        if knobs or heldout_seed is not None or allow_train_overlap:
            raise UsageError("KNOB=V, --heldout-seed and --allow-train-overlap go with --task")
        audit_data(model, data, names, monitor, rewriter, max_new_tokens, n, seed, out)
        return
    if rewriter is not None:
        raise UsageError("--rewriter goes with --data (lab tasks paraphrase with the task)")
    audit_task(
        model,
        knobs,
        task_name or "",
        names,
        monitor,
        n,
        seed,
        heldout_seed,
        allow_train_overlap,
        out,
    )


def audit_data(
    model: str,
    data: str,
    names: list[str],
    monitor: str,
    rewriter: str | None,
    max_new_tokens: int,
    n: int | None,
    seed: int,
    out: str,
) -> None:
    from overt.audit.freeform import DatasetError, audit_questions, load_questions
    from overt.audit.freeform.context import FREEFORM
    from overt.report.audit_html import write_audit

    check_tests(names, FREEFORM)
    try:
        questions = load_questions(data)
    except DatasetError as err:
        raise UsageError(str(err)) from None
    report = audit_questions(
        load_chat_arg(model),
        questions,
        source=data,
        tests=names,
        monitor=judge_monitor(monitor, chat=True),
        rewriter=load_chat_arg(rewriter, "--rewriter") if rewriter else None,
        n=n,
        seed=seed,
        max_new_tokens=max_new_tokens,
        log=lambda m: console().print(f"[dim]{m}[/dim]"),
    )
    path = write_audit(report, out)
    print_report(report, f"audit of {report.model} on {data}", str(path))


def audit_task(
    model: str,
    knobs: tuple[str, ...],
    task_name: str,
    names: list[str],
    monitor: str,
    n: int | None,
    seed: int,
    heldout_seed: int | None,
    allow_train_overlap: bool,
    out: str,
) -> None:
    from overt.audit.run import REGISTRY, audit
    from overt.report.audit_html import write_audit
    from overt.tasks import get_task

    check_tests(names, REGISTRY)
    task = get_task(task_name, **parse_knobs(knobs))
    report = audit(
        load_model_arg(model),
        task,
        n=n,
        tests=names,
        monitor=judge_monitor(monitor, chat=False),
        seed=seed,
        heldout_seed=heldout_seed,
        allow_train_overlap=allow_train_overlap,
        log=lambda m: console().print(f"[dim]{m}[/dim]"),
    )
    path = write_audit(report, out)
    print_report(report, f"audit of {report.model} on {task!r}", str(path))
