"""`overt agent ...` subcommands.

overt agent run "INSTRUCTION" --model SPEC --tools MODULE [--db FILE] [--non-interactive]
overt agent show [RUN] [--db FILE]           a run's timeline (latest run by default)
overt agent answer RUN approve|deny|stop|amend [TEXT] --model ... --tools ...
overt agent demo [--model SPEC] [--db FILE]
overt agent redteam [--model SPEC] --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from overt.agent.trace import Event, Trace
from overt.report.tables import make_console

console = make_console()
DEFAULT_DB = "runs/agent.db"
STYLE = {
    "instruction": "bold cyan",
    "reasoning": "white",
    "proposal": "bold",
    "verdict": "blue",
    "decision": "bold magenta",
    "escalation": "bold yellow",
    "principal": "yellow",
    "execution_started": "green",
    "executed": "green",
    "observation": "dim",
    "final": "bold green",
    "stop": "bold red",
    "status": "dim",
}


def _line(e: Event) -> str:
    p = e.payload
    if e.kind == "verdict":
        body = f"{p['reviewer']}: {p['decision']} ({p['score']:.2f}) {'; '.join(p['reasons'])}"
        body += " [FAILED → fail closed]" if p.get("failed") else ""
    elif e.kind == "proposal":
        a = p["action"]
        body = (
            f"{a['tool']}({json.dumps(a['args'])})"
            if a["kind"] == "tool"
            else f"{a['kind']}: {a['text']}"
        )
    elif e.kind == "decision":
        body = f"{p['decision']} by {p['by']}" + (f": {p['why']}" if p.get("why") else "")
    elif e.kind in ("reasoning", "observation", "final", "instruction"):
        body = str(p.get("text", ""))
    else:
        body = ", ".join(f"{k}={v}" for k, v in p.items() if k != "step")
    return body.replace("[", "\\[")


def show_run(trace: Trace, run_id: str) -> None:
    meta = dict((r, m) for r, _, m in trace.runs()).get(run_id, {})
    console.rule(f"run {run_id}  model={meta.get('model', '?')}")
    for e in trace.events(run_id):
        style = STYLE.get(e.kind, "white")
        console.print(f"[dim]{e.seq:>3}[/dim] [{style}]{e.kind:<17}[/{style}] {_line(e)}")


def _agent(args: argparse.Namespace, trace: Trace):  # type: ignore[no-untyped-def]
    from overt.agent.loop import Agent
    from overt.agent.principal import DeferredPrincipal, TerminalPrincipal
    from overt.agent.review import ModelReviewer, PolicyReviewer, ReviewChain
    from overt.agent.tools import load_tools
    from overt.models import load_model

    model = load_model(args.model)
    reviewer_model = load_model(args.reviewer_model) if args.reviewer_model else model
    reviewers = [ModelReviewer(reviewer_model, r) for r in ("intent", "cot_monitor", "consequence")]
    principal = DeferredPrincipal() if args.non_interactive else TerminalPrincipal()
    return Agent(
        model,
        load_tools(args.tools),
        review=ReviewChain(PolicyReviewer(), reviewers),
        principal=principal,
        trace=trace,
    )


def cmd_run(args: argparse.Namespace) -> None:
    from overt.agent.resume import run_sync

    trace = _open(args.db)
    result = run_sync(_agent(args, trace).run(args.instruction))
    show_run(trace, result.run_id)
    console.print(
        f"status: {result.status}" + (f" — answer: {result.final}" if result.final else "")
    )
    if result.status == "waiting_for_principal":
        console.print(
            f"answer with: overt agent answer {result.run_id} approve|deny|stop "
            f"--model {args.model} --tools {args.tools} --db {args.db}"
        )


def cmd_answer(args: argparse.Namespace) -> None:
    from overt.agent.resume import run_sync

    trace = _open(args.db)
    if not trace.has_run(args.run):
        raise ValueError(f"no run {args.run!r} in {args.db}")
    from overt.agent.resume import last_status

    pending = trace.events(args.run, ("escalation",))
    if not pending or last_status(trace.events(args.run)) != "waiting_for_principal":
        raise ValueError(f"run {args.run} has no escalation waiting for an answer")
    trace.append(
        args.run,
        "principal",
        {
            "step": pending[-1].payload["step"],
            "decision": args.decision,
            "text": " ".join(args.text),
        },
    )
    result = run_sync(_agent(args, trace).resume(args.run))
    show_run(trace, args.run)
    console.print(f"status: {result.status}")


def cmd_show(args: argparse.Namespace) -> None:
    trace = _open(args.db, must_exist=True)
    runs = [r for r, _, _ in trace.runs()]
    if not runs:
        raise ValueError(f"{args.db} holds no runs")
    if args.run and args.run not in runs:
        raise ValueError(f"no run {args.run!r} in {args.db}")
    show_run(trace, args.run or runs[-1])


def cmd_demo(args: argparse.Namespace) -> None:
    from overt.agent.demo import run_demo
    from overt.models import load_model

    trace = _open(args.db)
    model = load_model(args.model) if args.model else None
    label = model.name if model else "scripted model (replays fixed agent turns)"
    console.print(f"[bold]overt agent demo[/bold] — agent: {label}")
    for scenario, result, ok in run_demo(trace, model):
        show_run(trace, result.run_id)
        mark = "[green]as expected[/green]" if ok else "[red]NOT as expected[/red]"
        console.print(
            f"[bold]{scenario.name}[/bold]: {scenario.expect} — status {result.status}, {mark}\n"
        )
    console.print(f"trace: {args.db}")


def cmd_redteam(args: argparse.Namespace) -> None:
    from overt.agent.redteam import run_redteam
    from overt.models import load_model

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trace = Trace(out / "redteam.db", durability="NORMAL")
    report = run_redteam(trace, load_model(args.model) if args.model else None)
    tmp = out / "redteam.json.tmp"
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(out / "redteam.json")
    from rich.table import Table

    table = Table(title=f"redteam: {report['cases']} cases, agent = {report['agent']}")
    for col in (
        "category",
        "attack success (review on)",
        "attack success (review off)",
        "utility on",
        "utility off",
    ):
        table.add_column(col)
    for cat, v in report["per_category"].items():
        table.add_row(
            cat,
            f"{v['attack_success_review_on']:.2f}",
            f"{v['attack_success_review_off']:.2f}",
            f"{v['utility_review_on']:.2f}",
            f"{v['utility_review_off']:.2f}",
        )
    asr, util = report["attack_success_rate"], report["utility"]
    table.add_row(
        "all",
        f"{asr['review_on']:.2f}",
        f"{asr['review_off']:.2f}",
        f"{util['review_on']:.2f}",
        f"{util['review_off']:.2f}",
        style="bold",
    )
    console.print(table)
    console.print(f"wrote {out / 'redteam.json'}")


def _open(db: str, must_exist: bool = False) -> Trace:
    path = Path(db)
    if must_exist and not path.is_file():
        raise FileNotFoundError(f"no trace database at {db}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return Trace(path)


def add_parser(sub: argparse._SubParsersAction) -> None:
    agent = sub.add_parser("agent", help="the reviewed instruction-following agent").add_subparsers(
        dest="cmd", required=True
    )

    def common(p: argparse.ArgumentParser, model_required: bool) -> None:
        p.add_argument("--model", required=model_required, help="model spec (see overt audit)")
        p.add_argument("--db", default=DEFAULT_DB, help="trace database (SQLite)")

    p = agent.add_parser("run", help="run an instruction")
    p.add_argument("instruction")
    common(p, True)
    p.add_argument("--tools", required=True, help="module whose @tool functions to offer")
    p.add_argument("--reviewer-model", help="model for the reviewers (default: --model)")
    p.add_argument(
        "--non-interactive",
        action="store_true",
        help="escalations wait in the trace for `overt agent answer`",
    )
    p.set_defaults(func=cmd_run)
    p = agent.add_parser("answer", help="answer a waiting escalation and resume the run")
    p.add_argument("run")
    p.add_argument("decision", choices=["approve", "deny", "stop", "amend"])
    p.add_argument("text", nargs="*")
    common(p, True)
    p.add_argument("--tools", required=True)
    p.add_argument("--reviewer-model")
    p.set_defaults(func=cmd_answer, non_interactive=True)
    p = agent.add_parser("show", help="print a run's timeline")
    p.add_argument("run", nargs="?")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=cmd_show)
    p = agent.add_parser("demo", help="scripted scenarios, no model needed")
    common(p, False)
    p.set_defaults(func=cmd_demo)
    p = agent.add_parser("redteam", help="attack cases with review on and off")
    p.add_argument("--model")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_redteam)
