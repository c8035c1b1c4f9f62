"""Fault injection: the process is killed between proposal and execution, and
between execution and its record. Resuming from the trace never executes an
unapproved action, loses no committed event, and never repeats a side effect."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from overt.agent.loop import Agent
from overt.agent.principal import PrincipalAnswer, ScriptedPrincipal
from overt.agent.review import ReviewChain
from overt.agent.trace import Trace
from overt.models.scripted import ScriptedModel

from .helpers import make_tools, turn

ROOT = Path(__file__).resolve().parents[2]

CRASHER = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from overt.agent.loop import Agent
    from overt.agent.principal import PrincipalAnswer, ScriptedPrincipal
    from overt.agent.review import ReviewChain
    from overt.agent.tools import Consequence, Tool
    from overt.agent.trace import Trace
    from overt.models.scripted import ScriptedModel
    from tests.agent.helpers import make_tools, turn

    where, db, ledger = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    read, pay, write = make_tools(ledger)
    if where == "after_execution":
        real_pay = pay
        def pay_then_die(to: str, amount: int) -> str:
            real_pay(to=to, amount=amount)
            os._exit(9)
        pay = Tool(pay_then_die, "irreversible", name="send_payment")

    class DieInReview:
        name, min_consequence = "die", Consequence.read_only
        async def review(self, view):
            os._exit(9)

    reviewers = [DieInReview()] if where == "before_execution" else []
    agent = Agent(ScriptedModel([turn("pay bob", tool="send_payment",
                                      args={{"to": "bob", "amount": 3}})]),
                  [read, pay, write], review=ReviewChain(None, reviewers),
                  principal=ScriptedPrincipal(answers=[PrincipalAnswer(decision="approve")]),
                  trace=Trace(db))
    agent.run_sync("pay bob 3")
""")


def crash(where: str, tmp_path: Path) -> tuple[Trace, str]:
    db, ledger = tmp_path / "trace.db", tmp_path / "ledger.txt"
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER.format(root=str(ROOT)), where, str(db), str(ledger)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 9, proc.stderr
    trace = Trace(db)
    (run_id,) = list(trace)
    return trace, run_id


def resume(trace: Trace, run_id: str, tmp_path: Path):
    agent = Agent(
        ScriptedModel([turn("done", final="paid")]),
        make_tools(tmp_path / "ledger.txt"),
        review=ReviewChain(),
        principal=ScriptedPrincipal(answers=[PrincipalAnswer(decision="approve")]),
        trace=trace,
    )
    return agent.resume_sync(run_id)


@pytest.mark.parametrize("where", ["before_execution", "after_execution"])
def test_killed_run_resumes_without_repeating(where, tmp_path):
    trace, run_id = crash(where, tmp_path)
    before = [e.kind for e in trace.events(run_id)]
    assert "proposal" in before and "executed" not in before
    if where == "before_execution":
        assert "decision" not in before and not (tmp_path / "ledger.txt").exists()
    else:
        assert before.index("decision") < before.index("execution_started")
        assert (tmp_path / "ledger.txt").read_text() == "bob,3\n"

    result = resume(trace, run_id, tmp_path)
    after = trace.events(run_id)
    assert [e.kind for e in after[: len(before)]] == before  # nothing committed was lost
    assert (tmp_path / "ledger.txt").read_text() == "bob,3\n"  # exactly once
    assert result.status == "finished"
    kinds = [e.kind for e in after]
    approvals = [
        i
        for i, e in enumerate(after)
        if e.kind == "decision" and e.payload["decision"] == "approve" and e.payload["step"] == 1
    ]
    assert approvals and approvals[0] < kinds.index("execution_started")
    executed = [e.payload for e in after if e.kind == "executed"]
    assert len(executed) == 1
    assert executed[0].get("interrupted", False) == (where == "after_execution")
