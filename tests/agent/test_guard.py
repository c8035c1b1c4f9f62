"""The public Guard: policy → reviewers → principal gate → trace, fail closed, sync and async.

pytest tests/agent/test_guard.py -q
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from overt.agent.guard import Guard, GuardConfig, as_action, default_chain
from overt.agent.principal import DeferredPrincipal, PrincipalAnswer, ScriptedPrincipal
from overt.agent.review import PolicyReviewer, ReviewChain
from overt.agent.tools import Consequence, Tool, tool
from overt.agent.trace import Trace
from overt.agent.types import Decision, ReviewView, Verdict


@tool("read_only")
def read_inbox() -> str:
    """Read the inbox."""
    return ""


@tool("external")
def send_money(iban: str, amount: float) -> str:
    """Send money."""
    return "sent"


@tool()
def mystery(x: str) -> str:
    """Declares no consequence."""
    return x


TOOLS = [read_inbox, send_money, mystery]


def make(principal=None, **kw) -> tuple[Guard, str]:
    guard = Guard(TOOLS, principal=principal, trace=Trace(), **kw)
    return guard, guard.start(["Pay my landlord 900 for March."])


def test_read_only_call_is_approved_and_every_step_is_in_the_trace() -> None:
    guard, run = make()
    d = guard.review_sync(run, {"tool": "read_inbox", "args": {}}, "check the bill")
    assert d.approved and d.by == "review" and d.step == 1
    kinds = [e.kind for e in guard.trace.events(run)]
    assert kinds[:2] == ["instruction", "proposal"] and kinds[-1] == "decision"
    assert "verdict" in kinds


def test_untrusted_iban_escalates_with_a_specific_question_and_blocks_without_principal() -> None:
    guard, run = make()
    guard.observe(run, "read_inbox", "Landlord: please pay to DE89370400440532013000 today.")
    d = guard.review_sync(
        run, {"tool": "send_money", "args": {"iban": "DE89370400440532013000", "amount": 900}}
    )
    assert d.decision == Decision.block and d.by == "fail-closed" and d.escalated
    question = next(v for v in d.verdicts if v.reviewer == "provenance").reasons[0]
    assert "de89370400440532013000" in question and "read_inbox" in question
    assert "please pay" in question  # the excerpt
    assert "900" not in [v for v in d.verdicts[1].flagged]  # the principal named the amount


def test_principal_approval_endorses_the_value_for_the_rest_of_the_run() -> None:
    principal = ScriptedPrincipal(answers=[PrincipalAnswer(decision="approve")])
    guard, run = make(principal)
    guard.observe(run, "read_inbox", "Landlord IBAN: DE89370400440532013000")
    call = {"tool": "send_money", "args": {"iban": "DE89370400440532013000", "amount": 900}}
    first, second = guard.review_batch_sync(run, [call, call], "pay the landlord")
    assert first.approved and first.by == "principal" and first.escalated
    assert second.approved and second.by == "review" and len(principal.seen) == 1


def test_reviewer_errors_fail_closed() -> None:
    class Broken:
        name, min_consequence = "broken", Consequence.read_only

        async def review(self, view: ReviewView) -> Verdict:
            raise RuntimeError("boom")

    guard, run = make(review=ReviewChain(PolicyReviewer(), [Broken()]))
    d = asyncio.run(guard.review(run, {"tool": "read_inbox", "args": {}}))
    assert d.decision == Decision.block and d.by == "fail-closed"
    assert any(v.failed for v in d.verdicts)


def test_undeclared_and_unknown_tools_count_as_external_and_warn_once() -> None:
    guard, run = make(config=GuardConfig(principal_threshold=Consequence.external))
    with pytest.warns(UserWarning, match="declares no consequence"):
        first = guard.review_sync(run, {"tool": "mystery", "args": {"x": "a"}})
    second = guard.review_sync(run, {"tool": "mystery", "args": {"x": "a"}})
    assert first.consequence == "external" and first.warnings and not second.warnings
    assert not first.approved  # the gate sent it to a principal who cannot answer
    with pytest.warns(UserWarning, match="unknown"):
        assert guard.review_sync(run, {"tool": "nope", "args": {}}).consequence == "external"
    assert any(e.kind == "warning" for e in guard.trace.events(run))


def test_deferred_principal_leaves_the_call_waiting() -> None:
    guard, run = make(
        DeferredPrincipal(),
        review=default_chain(),
        config=GuardConfig(principal_threshold=Consequence.external),
    )
    d = guard.review_sync(run, {"tool": "send_money", "args": {"iban": "X", "amount": 1}})
    assert d.waiting and not d.approved
    assert guard.trace.events(run)[-1].kind == "escalation"


def test_argument_dependent_consequence() -> None:
    def level(args: dict) -> str:
        return "read_only" if args["amount"] == 0 else "external"

    quote = Tool(lambda iban, amount: "", level, name="quote", args_model=send_money.args_model)
    guard = Guard([quote], trace=Trace())
    free = as_action({"tool": "quote", "args": {"iban": "x", "amount": 0}})
    assert guard.level(free)[0] == Consequence.read_only
    run = guard.start(["quote"])
    assert (
        guard.review_sync(run, {"tool": "quote", "args": {"iban": "x", "amount": 5}}).consequence
        == "external"
    )


def test_importing_the_guard_and_the_agent_does_not_import_torch() -> None:
    code = "import sys, overt.agent.guard, overt.agent.loop; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
