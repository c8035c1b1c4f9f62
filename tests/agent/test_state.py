"""A run's state is one fold over its events: live (the guard) and rebuilt (restore) agree.

pytest tests/agent/test_state.py -q
"""

from __future__ import annotations

from overt.agent.events import (
    DecisionEvent,
    EscalationEvent,
    ExecutedEvent,
    ExecutionStartedEvent,
    ObservationEvent,
    PrincipalEvent,
    ProposalEvent,
    StatusEvent,
    VerdictEvent,
)
from overt.agent.guard import Guard
from overt.agent.principal import PrincipalAnswer, ScriptedPrincipal
from overt.agent.state import fold
from overt.agent.trace import Trace
from overt.agent.types import Action, Decision

from .test_guard import read_inbox, send_money

PAY = Action(kind="tool", tool="send_money", args={"iban": "DE89", "amount": 1})


def test_live_state_equals_the_fold_of_the_trace() -> None:
    principal = ScriptedPrincipal(answers=[PrincipalAnswer(decision="approve")])
    guard = Guard([read_inbox, send_money], principal=principal, trace=Trace())
    run = guard.start(["Pay my landlord."])
    guard.observe(run, "read_inbox", "Landlord IBAN: DE89370400440532013000")
    call = {"tool": "send_money", "args": {"iban": "DE89370400440532013000", "amount": 900}}
    decided = guard.review_sync(run, call, "pay the landlord")
    assert decided.approved and decided.escalation is not None
    assert decided.escalation.verdicts == decided.verdicts
    live = guard.state(run)
    assert "de89370400440532013000" in live.endorsed
    assert fold(guard.trace.events(run)) == live
    assert guard.restore(run) == live


def test_an_open_step_keeps_what_happened_and_an_unanswered_escalation_is_in_flight() -> None:
    events = [
        ProposalEvent(step=1, reasoning="pay", action=PAY),
        VerdictEvent(step=1, reviewer="p", decision=Decision.escalate, score=0.1, flagged=["x"]),
        EscalationEvent(step=1, why="untrusted iban", consequence="external"),
        StatusEvent(status="waiting_for_principal"),
    ]
    state = fold(events)
    assert state.open is not None and state.open.step == 1 and not state.ended
    esc = state.escalation
    assert esc is not None and esc.why == "untrusted iban" and esc.proposal.action == PAY
    assert [v.flagged for v in esc.verdicts] == [["x"]] and state.escalations == 1
    state.apply(PrincipalEvent(step=1, decision="approve"))
    assert state.open.answer == PrincipalAnswer(decision="approve") and state.endorsed == ["x"]
    state.apply(DecisionEvent(step=1, decision=Decision.approve, by="principal"))
    assert state.escalation is None  # decided: no longer in flight


def test_an_interrupted_call_closes_its_step_but_never_counts_as_run() -> None:
    started = ExecutionStartedEvent(step=1, key="r:1", tool="send_money")
    state = fold([ProposalEvent(step=1, reasoning="", action=PAY), started])
    assert state.open is not None and state.open.started == started
    state.apply(started.finished(None, "outcome unknown", interrupted=True))
    assert state.open is None and state.executed == [] and state.outputs == []
    state.apply(ExecutedEvent(step=2, key="r:2", tool="read_inbox", ok=True, result="mail"))
    assert state.executed == ["read_inbox"] and state.outputs[0].text == "mail"


def test_observations_are_kept_as_the_agent_saw_them() -> None:
    state = fold(
        [
            ObservationEvent(untrusted=True, tool="read_inbox", call="1", text="mail"),
            ObservationEvent(step=1, text="malformed proposal: x", malformed=True),
        ]
    )
    assert state.observations == ["read_inbox -> mail", "malformed proposal: x"]
    assert state.malformed == 1 and [o.tool for o in state.outputs] == ["read_inbox"]
