"""The typed trace: every event kind round-trips, traces written before the typed events
open and resume, a row that does not validate is refused in one line naming where.

pytest tests/agent/test_events.py -q
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from overt.agent.events import (
    EVENT,
    DecisionEvent,
    EscalationEvent,
    ExecutedEvent,
    ExecutionStartedEvent,
    FinalEvent,
    InstructionEvent,
    ObservationEvent,
    PrincipalEvent,
    ProposalEvent,
    ReasoningEvent,
    StatusEvent,
    StopEvent,
    VerdictEvent,
    WarningEvent,
)
from overt.agent.loop import Agent
from overt.agent.principal import DeferredPrincipal
from overt.agent.review import ReviewChain
from overt.agent.trace import SCHEMA, Trace, TraceFormatError
from overt.agent.types import Action, Decision
from overt.cli import main
from overt.models.scripted import ScriptedModel

from .helpers import make_tools, turn

PAY = Action(kind="tool", tool="send_payment", args={"to": "bob", "amount": 1})
EVERY_KIND = [
    InstructionEvent(version=1, text="pay bob 1"),
    ReasoningEvent(step=1, text="REASONING: pay"),
    ProposalEvent(step=1, reasoning="pay", action=PAY),
    WarningEvent(step=1, text="tool 'x' declares no consequence"),
    VerdictEvent(step=1, reviewer="policy", decision=Decision.approve, score=1.0, flagged=["b"]),
    EscalationEvent(step=1, why="irreversible", consequence="irreversible"),
    PrincipalEvent(step=1, decision="approve", text="yes"),
    DecisionEvent(step=1, decision=Decision.approve, by="principal"),
    ExecutionStartedEvent(step=1, key="r:1", tool="send_payment", args={"to": "bob"}),
    ExecutedEvent(step=1, key="r:1", tool="send_payment", ok=True, result="sent"),
    ObservationEvent(untrusted=True, tool="read_note", call="c1", text="note a"),
    FinalEvent(step=2, text="paid"),
    StopEvent(step=3, when="before execution", action="send_payment(...)"),
    StatusEvent(status="finished"),
]

# Rows exactly as overt wrote them before the typed events (a deferred run, from its trace).
OLD_ROWS = [
    ("instruction", {"version": 1, "text": "pay bob 1"}),
    ("reasoning", {"step": 1, "text": "garbage"}),
    ("observation", {"step": 1, "malformed": True, "text": "malformed proposal: no 'ACTION'"}),
    ("proposal", {"step": 2, "reasoning": "read", "action": {"kind": "tool", "tool": "read_note",
                                                             "args": {"name": "a"}, "text": None}}),
    ("verdict", {"step": 2, "reviewer": "policy", "decision": "approve", "score": 1.0,
                 "reasons": ["passes policy"], "failed": False, "flagged": []}),
    ("decision", {"step": 2, "decision": "approve", "by": "review", "why": ""}),
    ("execution_started", {"step": 2, "key": "old:2", "tool": "read_note", "args": {"name": "a"}}),
    ("executed", {"step": 2, "key": "old:2", "tool": "read_note", "ok": True,
                  "result": "note a: buy milk"}),
    ("observation", {"step": 2, "text": "read_note -> note a: buy milk"}),
    ("proposal", {"step": 3, "reasoning": "ask", "action": {"kind": "ask", "tool": None,
                                                            "args": {}, "text": "which bob?"}}),
    ("principal", {"step": 3, "answer_to_question": "(no answer)"}),
    ("observation", {"step": 3, "text": "principal: (no answer)"}),
    ("proposal", {"step": 4, "reasoning": "pay", "action": {"kind": "tool", "tool": "send_payment",
                                                            "args": {"to": "bob", "amount": 1},
                                                            "text": None}}),
    ("verdict", {"step": 4, "reviewer": "policy", "decision": "approve", "score": 1.0,
                 "reasons": ["passes policy"], "failed": False, "flagged": []}),
    ("escalation", {"step": 4, "why": "irreversible action: the principal approves these"}),
    ("status", {"status": "waiting_for_principal"}),
    ("principal", {"step": 4, "decision": "approve", "text": ""}),
]  # fmt: skip


def old_trace(path: Path, rows: list[tuple[str, dict]], run: str = "old-run") -> Path:
    """A trace database written row by row, the way the untyped trace stored events."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO runs VALUES (?, ?, ?)", (run, 0.0, json.dumps({"model": "m"})))
    for seq, (kind, payload) in enumerate(rows, 1):
        db.execute(
            "INSERT INTO events (run_id, seq, ts, kind, payload) VALUES (?, ?, ?, ?, ?)",
            (run, seq, 0.0, kind, json.dumps(payload)),
        )
    db.commit()
    db.close()
    return path


def test_every_kind_round_trips_through_the_trace(tmp_path: Path) -> None:
    trace = Trace(tmp_path / "t.db")
    run = trace.new_run()
    for event in EVERY_KIND:
        trace.append(run, event)
    back = Trace(tmp_path / "t.db").events(run)
    assert [type(e) for e in back] == [type(e) for e in EVERY_KIND]
    assert [e.seq for e in back] == list(range(1, len(EVERY_KIND) + 1))
    for wrote, read in zip(EVERY_KIND, back, strict=True):
        assert read.model_copy(update={"run_id": "", "seq": 0, "ts": 0.0}) == wrote
        assert EVENT.validate_python({**read.payload, "kind": read.kind}) == wrote


def test_a_trace_written_before_typed_events_resumes(tmp_path: Path) -> None:
    trace = Trace(old_trace(tmp_path / "old.db", OLD_ROWS))
    events = trace.events("old-run")
    assert isinstance(events[7], ExecutedEvent) and events[7].args == {}  # no args back then
    assert isinstance(events[14], EscalationEvent) and events[14].consequence == ""
    ledger = tmp_path / "ledger.txt"
    agent = Agent(
        ScriptedModel([turn("done", final="paid")]),
        make_tools(ledger),
        review=ReviewChain(),
        principal=DeferredPrincipal(),
        trace=trace,
    )
    result = agent.resume_sync("old-run")
    assert result.status == "finished" and result.executed == ["read_note", "send_payment"]
    assert ledger.read_text() == "bob,1\n"


def test_a_row_that_does_not_validate_is_refused_naming_run_seq_and_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*OLD_ROWS[:4], ("verdict", {"step": 2, "reviewer": "policy", "decison": "approve"})]
    db = old_trace(tmp_path / "bad.db", rows)
    with pytest.raises(TraceFormatError, match=r"run old-run, event 5 \('verdict'\)"):
        Trace(db).events("old-run")
    assert main(["agent", "show", "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "event 5 ('verdict')" in err[0]


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    db = old_trace(tmp_path / "new.db", [("telemetry", {"step": 1})])
    with pytest.raises(TraceFormatError, match=r"event 1 \('telemetry'\)"):
        Trace(db).events("old-run")


def test_a_trace_creates_its_folder(tmp_path: Path) -> None:
    trace = Trace(tmp_path / "runs" / "deep" / "x.db")
    trace.append(trace.new_run(), StatusEvent(status="resumed"))
    assert (tmp_path / "runs" / "deep" / "x.db").is_file()
