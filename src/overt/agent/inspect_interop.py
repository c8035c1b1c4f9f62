"""Use overt's reviewers as Inspect AI approvers and its monitors as Inspect scorers.

    from inspect_ai.approval import ApprovalPolicy
    policy = [ApprovalPolicy(as_inspect_approver(GroundingReviewer()), "*")]
    scorer = as_inspect_scorer(RuleMonitor([r"\\bhint\\b"]))

Needs `pip install inspect_ai` (the `inspect` extra). Verdicts map onto
Inspect's decisions: approve → approve, revise and block → reject (with the
reasons as explanation), escalate → escalate, terminate → terminate. A
reviewer that raises escalates (fail closed); a monitor that cannot score
raises, so Inspect records the sample as an error rather than a number.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from overt.agent.review import Reviewer
from overt.agent.tools import Consequence
from overt.agent.types import Action, Decision, Instruction, ReviewView
from overt.audit.monitors import Episode, Monitor

INSPECT_DECISION = {
    Decision.approve: "approve",
    Decision.revise: "reject",
    Decision.block: "reject",
    Decision.escalate: "escalate",
    Decision.terminate: "terminate",
}


def _text(message: Any) -> str:
    content = getattr(message, "text", None) or getattr(message, "content", "")
    return content if isinstance(content, str) else str(content)


def as_inspect_approver(
    reviewer: Reviewer,
    instructions: list[str] | None = None,
    consequence: Consequence = Consequence.read_only,
) -> Any:
    """An Inspect `Approver` that asks `reviewer` about each tool call.

    The principal's instructions are `instructions`, or else the user messages
    of the conversation; tool messages become the recent observations.
    """
    from inspect_ai.approval import Approval, approver

    async def approve(message: str, call: Any, view: Any, history: list[Any]) -> Approval:
        texts = instructions or [_text(m) for m in history if getattr(m, "role", "") == "user"]
        review_view = ReviewView(
            instructions=[Instruction(version=i + 1, text=t) for i, t in enumerate(texts)],
            reasoning=message,
            consequence=consequence.name,
            action=Action(kind="tool", tool=call.function, args=dict(call.arguments)),
            observations=[_text(m) for m in history if getattr(m, "role", "") == "tool"],
        )
        try:
            verdict = await reviewer.review(review_view)
        except Exception as err:  # fail closed
            return Approval(
                decision="escalate",
                explanation=f"{reviewer.name} raised {type(err).__name__}: {err}",
            )
        return Approval(
            decision=INSPECT_DECISION[verdict.decision],
            explanation=f"{verdict.reviewer}: {'; '.join(verdict.reasons)}",
        )

    @approver(name=_registry_name(reviewer.name))
    def overt_reviewer() -> Any:
        return approve

    return overt_reviewer()


def _registry_name(name: str) -> str:
    return "overt_" + re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


def as_inspect_scorer(monitor: Monitor) -> Any:
    """An Inspect scorer whose value is the monitor's score of the sample's output."""
    from inspect_ai.scorer import Score, mean, scorer

    @scorer(metrics=[mean()], name=_registry_name(monitor.name))
    def overt_monitor() -> Any:
        async def score(state: Any, target: Any) -> Score:
            completion = state.output.completion if state.output else ""
            episode = Episode(prompt=state.input_text, reasoning=completion, answer=completion)
            (result,) = await asyncio.to_thread(monitor.score, [episode])
            if result.score is None:
                raise RuntimeError(f"monitor {monitor.name} could not score: {result.error}")
            return Score(value=result.score, explanation=result.explanation)

        return score

    return overt_monitor()
