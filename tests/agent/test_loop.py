"""The agent loop: proposals, review, principal, fail-closed behaviour, trace."""

from __future__ import annotations

import asyncio

import pytest

from overt.agent.events import PrincipalEvent
from overt.agent.guard import default_chain
from overt.agent.loop import Agent, AgentConfig
from overt.agent.principal import DeferredPrincipal, PrincipalAnswer, ScriptedPrincipal
from overt.agent.proposal import parse_proposal
from overt.agent.review import PolicyReviewer, ReviewChain
from overt.agent.tools import Consequence
from overt.agent.trace import Trace
from overt.agent.types import Decision, Verdict
from overt.models.scripted import ScriptedModel

from .helpers import make_tools, turn


def kinds(trace, run_id):
    return [e.kind for e in trace.events(run_id)]


def agent_with(turns, tmp_path, *, principal=None, reviewers=(), policy=None, **cfg):
    trace = Trace(tmp_path / "t.db")
    return Agent(
        ScriptedModel(turns),
        make_tools(tmp_path / "ledger.txt"),
        review=ReviewChain(policy, reviewers, timeout_s=0.5),
        principal=principal,
        trace=trace,
        config=AgentConfig(**cfg),
    ), trace


def test_benign_run_is_fully_traced(tmp_path):
    agent, trace = agent_with(
        [turn("look first", tool="read_note", args={"name": "a"}), turn("done", final="buy milk")],
        tmp_path,
    )
    result = agent.run_sync("What does note a say?")
    assert result.status == "finished" and result.final == "buy milk"
    assert result.executed == ["read_note"]
    ks = kinds(trace, result.run_id)
    assert ks[:2] == ["instruction", "reasoning"]
    assert ks.index("decision") < ks.index("execution_started") < ks.index("executed")
    assert ks[-2:] == ["final", "status"]


def test_malformed_proposals_return_as_observations_with_a_budget(tmp_path):
    agent, trace = agent_with(
        [
            "no action here",
            turn("x", tool="nope"),
            turn("x", tool="read_note", args={"nom": 1}),
            turn("x", tool="read_note", args={"name": "a"}),
        ],
        tmp_path,
        max_malformed=2,
    )
    result = agent.run_sync("go")
    assert result.status == "too_many_malformed_proposals" and result.executed == []
    obs = [e.payload["text"] for e in trace.events(result.run_id, ("observation",))]
    assert "no 'ACTION" in obs[0] and "unknown tool 'nope'" in obs[1] and "name" in obs[2]


def test_irreversible_action_goes_to_the_principal(tmp_path):
    principal = ScriptedPrincipal(answers=[PrincipalAnswer(decision="approve")])
    agent, _trace = agent_with(
        [
            turn("pay bob as asked", tool="send_payment", args={"to": "bob", "amount": 5}),
            turn("done", final="paid"),
        ],
        tmp_path,
        principal=principal,
    )
    result = agent.run_sync("pay bob 5")
    assert result.executed == ["send_payment"]
    (esc,) = principal.seen
    assert esc.proposal.reasoning == "pay bob as asked" and esc.verdicts
    assert (tmp_path / "ledger.txt").read_text() == "bob,5\n"


@pytest.mark.parametrize("answer", [None, PrincipalAnswer(decision="deny")])
def test_no_principal_or_denial_blocks(tmp_path, answer):
    principal = ScriptedPrincipal(answers=[answer] if answer else [])
    agent, _ = agent_with(
        [
            turn("pay", tool="send_payment", args={"to": "eve", "amount": 9}),
            turn("ok", final="not paid"),
        ],
        tmp_path,
        principal=principal,
    )
    result = agent.run_sync("pay?")
    assert result.executed == [] and not (tmp_path / "ledger.txt").exists()


class Broken:
    min_consequence = Consequence.read_only

    def __init__(self, name, behaviour):
        self.name, self.behaviour = name, behaviour

    async def review(self, view):
        if self.behaviour == "raise":
            raise RuntimeError("reviewer crashed")
        if self.behaviour == "hang":
            await asyncio.sleep(10)
        return "VERDICT: approve (but not a Verdict object)"


@pytest.mark.parametrize("behaviour", ["raise", "hang", "garbage"])
def test_failing_reviewer_never_approves(tmp_path, behaviour):
    agent, trace = agent_with(
        [
            turn("write", tool="write_note", args={"name": "n", "text": "t"}),
            turn("ok", final="done"),
        ],
        tmp_path,
        reviewers=[Broken("b", behaviour)],
    )
    result = agent.run_sync("write a note")
    assert result.executed == []
    verdicts = [e.payload for e in trace.events(result.run_id, ("verdict",))]
    assert any(v["failed"] and v["decision"] == "escalate" for v in verdicts)
    decision = trace.events(result.run_id, ("decision",))[0].payload
    assert decision["decision"] == "block" and decision["by"] == "fail-closed"


def test_stop_during_review_is_honored_before_execution(tmp_path):
    principal = ScriptedPrincipal()
    release = asyncio.Event()

    class Slow:
        name, min_consequence = "slow", Consequence.read_only

        async def review(self, view):
            await release.wait()
            return Verdict(reviewer="slow", decision=Decision.approve, score=1.0)

    agent, trace = agent_with(
        [turn("write", tool="write_note", args={"name": "n", "text": "t"})],
        tmp_path,
        principal=principal,
        reviewers=[Slow()],
    )

    async def scenario():
        task = asyncio.create_task(agent.run("write"))
        while not any(e.kind == "proposal" for r in trace for e in trace.events(r)):
            await asyncio.sleep(0.01)
        principal.stop()  # arrives while the proposal is under review
        release.set()
        return await task

    result = asyncio.run(scenario())
    assert result.status == "stopped" and result.executed == []
    assert not (tmp_path / "ledger.txt").exists()
    stop = trace.events(result.run_id, ("stop",))[0].payload
    assert stop["when"] == "before execution"


def test_deferred_principal_waits_then_resumes_from_answer(tmp_path):
    turns = [
        turn("pay", tool="send_payment", args={"to": "bob", "amount": 1}),
        turn("done", final="paid"),
    ]
    agent, trace = agent_with(turns, tmp_path, principal=DeferredPrincipal())
    first = agent.run_sync("pay bob 1")
    assert first.status == "waiting_for_principal" and first.executed == []
    step = trace.events(first.run_id, ("escalation",))[0].payload["step"]
    trace.append(first.run_id, PrincipalEvent(step=step, decision="approve", text=""))
    agent.model = ScriptedModel(turns[1:])
    second = agent.resume_sync(first.run_id)
    assert second.status == "finished" and second.executed == ["send_payment"]
    assert (tmp_path / "ledger.txt").read_text() == "bob,1\n"


def test_policy_denies_before_any_model_reviewer(tmp_path):
    calls = []

    class Counting:
        name, min_consequence = "count", Consequence.read_only

        async def review(self, view):
            calls.append(view)
            return Verdict(reviewer="count", decision=Decision.approve, score=1)

    policy = PolicyReviewer(deny=["send_*"], deny_args=[r"password"], budgets={"read_*": 1})
    agent, _ = agent_with(
        [
            turn("pay", tool="send_payment", args={"to": "x", "amount": 1}),
            turn("r", tool="read_note", args={"name": "password"}),
            turn("r", tool="read_note", args={"name": "a"}),
            turn("r", tool="read_note", args={"name": "b"}),
            turn("ok", final="x"),
        ],
        tmp_path,
        policy=policy,
        reviewers=[Counting()],
    )
    result = agent.run_sync("go")
    assert result.executed == ["read_note"]  # budget of 1 read; the rest blocked by policy
    # model reviewers saw only what passed policy: the allowed read and the final answer
    assert [v.action.describe() for v in calls] == ["read_note(name='a')", "final: x"]


def test_amendment_and_step_budget(tmp_path):
    principal = ScriptedPrincipal(["first"])
    agent, trace = agent_with(
        [turn("r", tool="read_note", args={"name": "a"})] * 3,
        tmp_path,
        principal=principal,
        max_steps=2,
    )
    principal.amend("second")
    result = agent.run_sync()
    assert result.status == "step_budget_exhausted"
    versions = [e.payload["version"] for e in trace.events(result.run_id, ("instruction",))]
    assert versions == [1, 2]
    assert "v2: second" in agent.model.prompts[0]


def test_ended_runs_are_not_resumed(tmp_path):
    agent, _ = agent_with([turn("done", final="ok")], tmp_path)
    result = agent.run_sync("hi")
    with pytest.raises(ValueError, match="already ended"):
        agent.resume_sync(result.run_id)


def test_run_sync_inside_a_running_loop(tmp_path):
    agent, _ = agent_with([turn("done", final="ok")], tmp_path)

    async def inside():
        return agent.run_sync("hi")

    assert asyncio.run(inside()).final == "ok"


def test_parse_proposal_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="one of 'tool', 'ask', 'final'"):
        parse_proposal('ACTION: {"x": 1}')
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_proposal("ACTION: {oops}")
    with pytest.raises(ValueError, match="'args' must be an object"):
        parse_proposal('ACTION: {"tool": "t", "args": [1]}')


def test_an_agent_reviews_with_the_default_chain_unless_told_otherwise(tmp_path):
    agent = Agent(ScriptedModel([]), make_tools(tmp_path / "ledger.txt"))
    names = [r.name for r in agent.guard.review_chain.reviewers]
    assert names == [r.name for r in default_chain().reviewers] and names
