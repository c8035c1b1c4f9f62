"""An agent run as one self-contained HTML timeline, step by step.

    overt agent show [RUN] --db runs/agent.db --html runs/run.html

Each step is a card: the agent's reasoning, the action it proposed, every
reviewer's verdict (decision, score, reasons; a failed reviewer is marked as
failing closed), the decision, the principal's escalation and answer, and what
ran and came back. The instruction opens the page and the final status closes
it. Event kinds the page does not know are shown as key=value lines, so a
newer trace still renders.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from overt.agent.trace import Event, Trace
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

DECISION_WORDS = ("approve", "revise", "escalate", "block", "terminate")


def _esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, default=str))


def _decision_class(decision: Any) -> str:
    return str(decision) if decision in DECISION_WORDS else ""


def _action(action: dict[str, Any]) -> str:
    if action.get("kind") == "tool":
        return f"{action.get('tool')}({json.dumps(action.get('args', {}))})"
    return f"{action.get('kind')}: {action.get('text') or ''}"


def _verdict(p: dict[str, Any]) -> str:
    failed = " failed" if p.get("failed") else ""
    note = " — reviewer failed, counted closed" if p.get("failed") else ""
    reasons = "; ".join(str(r) for r in p.get("reasons", []))
    return (
        f'<div class="chip {_decision_class(p.get("decision"))}{failed}">'
        f"<b>{_esc(p.get('reviewer', '?'))}</b>: {_esc(p.get('decision', '?'))} "
        f"({float(p.get('score', 0.0)):.2f}){_esc(note)}<br>{_esc(reasons)}</div>"
    )


def _body(e: Event) -> str:
    p = e.payload
    if e.kind == "proposal":
        return f'<span class="action">{_esc(_action(p.get("action", {})))}</span>'
    if e.kind == "decision":
        why = f" — {_esc(p['why'])}" if p.get("why") else ""
        cls = _decision_class(p.get("decision"))
        return (
            f'<span class="badge {cls}">{_esc(p.get("decision"))}</span> '
            f"by {_esc(p.get('by', '?'))}{why}"
        )
    if e.kind == "principal":
        text = f": {_esc(p['text'])}" if p.get("text") else ""
        return f"<b>{_esc(p.get('decision', '?'))}</b>{text}"
    if e.kind in ("executed", "execution_started"):
        call = f"{p.get('tool')}({json.dumps(p.get('args', {}))})"
        result = f" → {_esc(p['result'])}" if "result" in p else ""
        ok = "" if p.get("ok", True) else " <b>(failed)</b>"
        return f'<span class="action">{_esc(call)}</span>{ok}{result}'
    if "text" in p:
        return _esc(p["text"])
    return _esc(", ".join(f"{k}={v}" for k, v in p.items() if k != "step"))


def _row(e: Event, body: str | None = None) -> str:
    return (
        f'<div class="ev {e.kind}"><span class="seq">{e.seq}</span>'
        f'<span class="kind">{_esc(e.kind)}</span>'
        f'<span class="body">{_body(e) if body is None else body}</span></div>'
    )


def _step(number: Any, events: Sequence[Event]) -> str:
    """One step's card; consecutive verdicts share a row of chips."""
    parts, verdicts = [], []
    for e in events:
        if e.kind == "verdict":
            verdicts.append(e)
            continue
        if verdicts:
            chips = "".join(_verdict(v.payload) for v in verdicts)
            parts.append(_row(verdicts[0], f'<div class="verdicts">{chips}</div>'))
            verdicts = []
        parts.append(_row(e))
    if verdicts:
        chips = "".join(_verdict(v.payload) for v in verdicts)
        parts.append(_row(verdicts[0], f'<div class="verdicts">{chips}</div>'))
    return f'<section class="step"><h2>step {_esc(number)}</h2>{"".join(parts)}</section>'


def trace_page(trace: Trace, run_id: str) -> str:
    """The HTML page of one run."""
    meta = {r: m for r, _, m in trace.runs()}.get(run_id, {})
    events = trace.events(run_id)
    head, steps, tail = [], {}, []  # type: ignore[var-annotated]
    for e in events:
        if "step" in e.payload:
            steps.setdefault(e.payload["step"], []).append(e)
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
        if e.kind == "instruction":
            sections.append(f'<div class="instruction">{_esc(e.payload.get("text", ""))}</div>')
        else:
            sections.append(_row(e))
    sections += [_step(number, evs) for number, evs in steps.items()]
    for e in tail:
        if e.kind == "status":
            status = e.payload.get("status", "?")
            sections.append(f'<p class="status">status: <b>{_esc(status)}</b></p>')
        else:
            sections.append(_row(e))
    return page(f"agent run {run_id}", sections, style=STYLE)


def write_trace_html(trace: Trace, run_id: str, path: Path) -> Path:
    """Write `trace_page` to `path` atomically."""
    atomic_write_text(path, trace_page(trace, run_id))
    return path
