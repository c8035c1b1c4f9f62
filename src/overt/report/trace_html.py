"""An agent run as one self-contained HTML timeline, step by step.

    overt agent show [RUN] --db runs/agent.db --html runs/run.html

Each step is a card: the agent's reasoning, the action it proposed, every
reviewer's verdict (decision, score, reasons; a failed reviewer is marked as
failing closed), the decision, the principal's escalation and answer, and what
ran and came back. The instruction opens the page and the final status closes
it. It reads the trace's typed events (`overt.agent.events`); kinds without a
layout of their own show their one-line summary.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from overt.agent.events import (
    DecisionEvent,
    Event,
    ExecutedEvent,
    ExecutionStartedEvent,
    InstructionEvent,
    PrincipalEvent,
    ProposalEvent,
    StatusEvent,
    VerdictEvent,
)
from overt.agent.trace import Trace
from overt.files import atomic_write_text
from overt.report.html import page

STYLE = """
.meta { color: #555; margin: 0 0 1em; }
.instruction { font-size: 1.1em; background: #eef4ff; border-left: 4px solid #3b6fd8;
  padding: .6em 1em; margin: 1em 0; }
.step { border: 1px solid #ddd; border-radius: 6px; margin: 1em 0; padding: .4em 1em 1em;
  max-width: 60em; }
.step h2 { font-size: 1em; margin: .4em 0; color: #444; }
.ev { display: grid; grid-template-columns: 3em 9em 1fr; gap: .6em; padding: .25em 0;
  border-top: 1px dotted #eee; align-items: baseline; }
.seq { color: #999; text-align: right; font-size: 12px; }
.kind { font-weight: 600; font-size: 13px; }
.reasoning .body { font-style: italic; white-space: pre-wrap; }
.body code, .action { font-family: ui-monospace, monospace; font-size: 13px; }
.verdicts { display: flex; flex-wrap: wrap; gap: .4em; }
.chip { border-radius: 4px; padding: .2em .5em; font-size: 13px; max-width: 28em; }
.approve { background: #e3f6e5; } .revise { background: #fff4d6; }
.escalate { background: #ffe9c2; } .block, .terminate { background: #fde2e2; }
.failed { outline: 2px dashed #c0392b; }
.principal .body, .escalation .body { background: #fff8d9; padding: .2em .5em;
  border-radius: 4px; }
.badge { display: inline-block; border-radius: 4px; padding: 0 .5em; font-weight: 600; }
.final .body { font-weight: 600; color: #1d6b2a; }
.status { font-size: 1.1em; margin-top: 1em; }
"""


def _esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, default=str))


def _call(tool: str | None, args: dict[str, Any]) -> str:
    return f"{tool}({json.dumps(args, default=str)})"


def _verdict(v: VerdictEvent) -> str:
    failed = " failed" if v.failed else ""
    note = " — reviewer failed, counted closed" if v.failed else ""
    return (
        f'<div class="chip {v.decision.value}{failed}">'
        f"<b>{_esc(v.reviewer)}</b>: {_esc(v.decision.value)} "
        f"({v.score:.2f}){_esc(note)}<br>{_esc('; '.join(v.reasons))}</div>"
    )


def _body(e: Event) -> str:
    match e:
        case ProposalEvent(action=a):
            text = _call(a.tool, a.args) if a.kind == "tool" else f"{a.kind}: {a.text or ''}"
            return f'<span class="action">{_esc(text)}</span>'
        case DecisionEvent():
            why = f" — {_esc(e.why)}" if e.why else ""
            cls = e.decision.value
            return f'<span class="badge {cls}">{_esc(cls)}</span> by {_esc(e.by)}{why}'
        case PrincipalEvent():
            what, text = e.said()
            return f"<b>{_esc(what)}</b>" + (f": {_esc(text)}" if text else "")
        case ExecutionStartedEvent():
            return f'<span class="action">{_esc(_call(e.tool, e.args))}</span>'
        case ExecutedEvent():
            ok = (
                " <b>(interrupted)</b>" if e.interrupted else " <b>(failed)</b>" if not e.ok else ""
            )
            call = f'<span class="action">{_esc(_call(e.tool, e.args))}</span>'
            return f"{call}{ok} → {_esc(e.result)}"
    return _esc(e.summary())


def _row(e: Event, body: str | None = None) -> str:
    return (
        f'<div class="ev {e.kind}"><span class="seq">{e.seq}</span>'
        f'<span class="kind">{_esc(e.kind)}</span>'
        f'<span class="body">{_body(e) if body is None else body}</span></div>'
    )


def _chips(verdicts: Sequence[VerdictEvent]) -> str:
    chips = "".join(_verdict(v) for v in verdicts)
    return _row(verdicts[0], f'<div class="verdicts">{chips}</div>')


def _step(number: int, events: Sequence[Event]) -> str:
    """One step's card; consecutive verdicts share a row of chips."""
    parts: list[str] = []
    verdicts: list[VerdictEvent] = []
    for e in events:
        if isinstance(e, VerdictEvent):
            verdicts.append(e)
            continue
        if verdicts:
            parts.append(_chips(verdicts))
            verdicts = []
        parts.append(_row(e))
    if verdicts:
        parts.append(_chips(verdicts))
    return f'<section class="step"><h2>step {number}</h2>{"".join(parts)}</section>'


def trace_page(trace: Trace, run_id: str) -> str:
    """The HTML page of one run."""
    meta = {r: m for r, _, m in trace.runs()}.get(run_id, {})
    events = trace.events(run_id)
    head: list[Event] = []
    steps: dict[int, list[Event]] = {}
    tail: list[Event] = []
    for e in events:
        if e.step is not None:
            steps.setdefault(e.step, []).append(e)
        elif steps:
            tail.append(e)
        else:
            head.append(e)
    tools = ", ".join(meta.get("tools", [])) or "?"
    sections = [
        f'<p class="meta">model <b>{_esc(meta.get("model", "?"))}</b> · tools {_esc(tools)} · '
        f"{len(events)} events · {len(steps)} steps</p>"
    ]
    for e in head:
        if isinstance(e, InstructionEvent):
            sections.append(f'<div class="instruction">{_esc(e.text)}</div>')
        else:
            sections.append(_row(e))
    sections += [_step(number, evs) for number, evs in steps.items()]
    for e in tail:
        if isinstance(e, StatusEvent):
            sections.append(f'<p class="status">status: <b>{_esc(e.status)}</b></p>')
        else:
            sections.append(_row(e))
    return page(f"agent run {run_id}", sections, style=STYLE)


def write_trace_html(trace: Trace, run_id: str, path: Path) -> Path:
    """Write `trace_page` to `path` atomically."""
    atomic_write_text(path, trace_page(trace, run_id))
    return path
