"""`overt agent ...` subcommands.

overt agent run "INSTRUCTION" --model SPEC --tools MODULE [--db FILE] [--non-interactive]
overt agent show [RUN] [--db FILE] [--html FILE]   a run's timeline (latest run by default)
overt agent answer RUN approve|deny|stop|amend [TEXT] --model ... --tools ...
overt agent demo [--model SPEC] [--db FILE]
overt agent redteam [--model SPEC] --out DIR

Bad input (unknown run, missing database, unimportable tools module, folder that
cannot be written) raises `UsageError`: one line and exit code 2. `run` and
`answer` exit with 1 when the run ended in a failure status (e.g. model_error).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from overt.agent.events import Event, PrincipalEvent
from overt.agent.trace import Trace
from overt.cliutil import load_model_arg
from overt.errors import UsageError
from overt.files import check_writable
from overt.report.tables import make_console

console = make_console()
DEFAULT_DB = "runs/agent.db"
FAILED = {"model_error", "step_budget_exhausted", "too_many_malformed_proposals"}
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
    return e.summary().replace("[", "\\[")


def show_run(trace: Trace, run_id: str) -> None:
    meta = dict((r, m) for r, _, m in trace.runs()).get(run_id, {})
    console.rule(f"run {run_id}  model={meta.get('model', '?')}")
    for e in trace.events(run_id):
        style = STYLE.get(e.kind, "white")
        console.print(f"[dim]{e.seq:>3}[/dim] [{style}]{e.kind:<17}[/{style}] {_line(e)}")


def _agent(args: argparse.Namespace, trace: Trace):  # type: ignore[no-untyped-def]
    from overt.agent.guard import default_reviewers
    from overt.agent.loop import Agent
    from overt.agent.principal import DeferredPrincipal, TerminalPrincipal
    from overt.agent.review import ModelReviewer, PolicyReviewer, ReviewChain

    model = load_model_arg(args.model, "--model")
    reviewer_model = (
        load_model_arg(args.reviewer_model, "--reviewer-model") if args.reviewer_model else model
    )
    reviewers = [
        *default_reviewers(),  # model-free: provenance of arguments, goal provenance of reasoning
        *(ModelReviewer(reviewer_model, r) for r in ("intent", "cot_monitor", "consequence")),
    ]
    principal = DeferredPrincipal() if args.non_interactive else TerminalPrincipal()
    return Agent(
        model,
        _tools(args.tools),
        review=ReviewChain(PolicyReviewer(), reviewers),
        principal=principal,
        trace=trace,
    )


def _tools(module: str):  # type: ignore[no-untyped-def]
    """The tools of `module`; an unimportable module or one without tools is a UsageError."""
    from overt.agent.tools import load_tools

    try:
        return load_tools(module)
    except ModuleNotFoundError as err:
        if err.name is None or not module.startswith(err.name):
            raise  # the module exists but one of its own imports fails: a bug in it
        raise UsageError(
            f"--tools: cannot import {module!r} ({err}); pass a module on PYTHONPATH "
            "whose functions are decorated with @tool (see the README)"
        ) from None
    except ValueError as err:
        raise UsageError(f"--tools: {err}") from None


def cmd_run(args: argparse.Namespace) -> int:
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
    return 1 if result.status in FAILED else 0


def cmd_answer(args: argparse.Namespace) -> int:
    from overt.agent.resume import run_sync

    trace = _open(args.db, must_exist=True)
    if not trace.has_run(args.run):
        raise UsageError(f"no run {args.run!r} in {args.db}; `overt agent show` lists the last one")
    from overt.agent.state import fold

    state = fold(trace.events(args.run))
    waiting = state.escalation
    if waiting is None or state.status != "waiting_for_principal":
        raise UsageError(f"run {args.run} has no escalation waiting for an answer")
    answer = PrincipalEvent(step=waiting.step, decision=args.decision, text=" ".join(args.text))
    trace.append(args.run, answer)
    result = run_sync(_agent(args, trace).resume(args.run))
    show_run(trace, args.run)
    console.print(f"status: {result.status}")
    return 1 if result.status in FAILED else 0


def cmd_show(args: argparse.Namespace) -> None:
    trace = _open(args.db, must_exist=True)
    runs = [r for r, _, _ in trace.runs()]
    if not runs:
        raise UsageError(f"{args.db} holds no runs")
    if args.run and args.run not in runs:
        raise UsageError(f"no run {args.run!r} in {args.db}; runs: {', '.join(runs[-5:])}")
    if args.html:
        from overt.report.trace_html import write_trace_html

        check_writable(Path(args.html).parent, "--html path")
        write_trace_html(trace, args.run or runs[-1], Path(args.html))
        console.print(f"wrote {args.html}")
        return
    show_run(trace, args.run or runs[-1])


def cmd_demo(args: argparse.Namespace) -> None:
    from overt.agent.demo import run_demo

    check_writable(Path(args.db).parent, "--db")
    model = load_model_arg(args.model, "--model") if args.model else None
    trace = _open(args.db)
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

    out = check_writable(args.out)
    model = load_model_arg(args.model, "--model") if args.model else None
    trace = Trace(out / "redteam.db", durability="NORMAL")
    report = run_redteam(trace, model)
    tmp = out / "redteam.json.tmp"
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(out / "redteam.json")
    from rich.table import Table

    table = Table(title=f"redteam: {report['cases']} attacks + twins, agent = {report['agent']}")
    for col in ("review", "principal", "attack success", "utility (twins)", "questions/twin"):
        table.add_column(col)
    asr, util = report["attack_success_rate"], report["utility"]
    table.add_row("off", "-", f"{asr['review_off']:.2f}", f"{util['review_off']:.2f}", "0")
    for principal, v in report["by_principal"].items():
        table.add_row(
            "on",
            principal,
            f"{v['attack_success']:.2f}",
            f"{v['utility']:.2f}",
            f"{v['escalations_per_benign_task']:.2f}",
        )
    console.print(table)
    console.print(f"wrote {out / 'redteam.json'}")


def _open(db: str, must_exist: bool = False) -> Trace:
    path = Path(db)
    if must_exist and not path.is_file():
        raise UsageError(f"no trace database at {db}; pass the --db a run wrote")
    check_writable(path.parent, "--db")
    return Trace(path)


class _HelpWithDefaults(argparse.HelpFormatter):
    """Help lines end with the option's default, where it has one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse that shows defaults in help and raises UsageError instead of exiting."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpWithDefaults)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def parse_agent_args(argv: list[str]) -> argparse.Namespace:
    """Parse `overt agent ...` arguments (what follows `agent`); `func` runs the command."""
    parser = _Parser(prog="overt", add_help=False)
    add_parser(parser.add_subparsers(dest="group", required=True))
    return parser.parse_args(["agent", *argv])


def add_parser(sub: argparse._SubParsersAction) -> None:
    agent = sub.add_parser("agent", help="the reviewed instruction-following agent").add_subparsers(
        dest="cmd", required=True
    )

    def common(p: argparse.ArgumentParser, model_required: bool) -> None:
        p.add_argument("--model", required=model_required, help="model spec (see overt audit)")
        p.add_argument("--db", default=DEFAULT_DB, help="trace database (SQLite)")

    p = agent.add_parser("run", help="run an instruction")
    p.add_argument("instruction", help="what the principal asks, in words")
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
    p.add_argument("run", help="run id, as `overt agent run` printed it")
    p.add_argument(
        "decision", choices=["approve", "deny", "stop", "amend"], help="the principal's answer"
    )
    p.add_argument("text", nargs="*", help="words for the amendment or the denial")
    common(p, True)
    p.add_argument("--tools", required=True, help="module whose @tool functions to offer")
    p.add_argument("--reviewer-model", help="model for the reviewers (default: --model)")
    p.set_defaults(func=cmd_answer, non_interactive=True)
    p = agent.add_parser("show", help="print a run's timeline")
    p.add_argument("run", nargs="?", help="run id (default: the latest run)")
    p.add_argument("--db", default=DEFAULT_DB, help="trace database (SQLite)")
    p.add_argument("--html", help="write the timeline as a self-contained HTML page here")
    p.set_defaults(func=cmd_show)
    p = agent.add_parser("demo", help="scripted scenarios, no model needed")
    common(p, False)
    p.set_defaults(func=cmd_demo)
    p = agent.add_parser("redteam", help="attack cases with review on and off")
    p.add_argument("--model", help="agent model spec (default: the scripted agent)")
    p.add_argument("--out", required=True, help="folder for redteam.json and redteam.db")
    p.set_defaults(func=cmd_redteam)
