"""overt's whole Guard (policy → reviewers → principal gate → trace) as an Inspect AI approver.

    from inspect_ai.approval import ApprovalPolicy
    from overt.adapters.inspect_approver import guard_approver
    approval = [ApprovalPolicy(guard_approver(tools=[...], principal=DeferredPrincipal()), "*")]

Every sample gets its own guard run: the user messages are the principal's
instructions, each tool message is observed as untrusted output, and each tool
call is reviewed with the assistant message's text as its reasoning. Guard
decisions map onto Inspect's: approved → approve; blocked by review,
principal or fail-closed → reject (with the reasons); terminate → terminate;
waiting for a `DeferredPrincipal` → escalate, so the next approver in
Inspect's policy (for example its human approver) decides. Needs
`pip install overt[inspect]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from overt.agent.guard import Guard, GuardConfig, default_chain
from overt.agent.principal import Principal
from overt.agent.review import ReviewChain
from overt.agent.tools import Tool
from overt.agent.trace import Trace
from overt.agent.types import Decision


def _text(message: Any) -> str:
    content = getattr(message, "text", None) or getattr(message, "content", "")
    return content if isinstance(content, str) else str(content)


class InspectGuard:
    """Keeps one guard run per Inspect sample and feeds it the conversation."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.runs: dict[str, tuple[str, int]] = {}

    def _run(self, history: Sequence[Any]) -> str:
        first = history[0] if history else None
        key = str(getattr(first, "id", None) or id(first))
        if key not in self.runs:
            instructions = [_text(m) for m in history if getattr(m, "role", "") == "user"]
            run = self.guard.start(instructions or ["(no instruction)"], {"adapter": "inspect"})
            self.runs[key] = (run, 0)
        run, seen = self.runs[key]
        tool_messages = [m for m in history if getattr(m, "role", "") == "tool"]
        for m in tool_messages[seen:]:
            self.guard.observe(
                run,
                getattr(m, "function", None) or "tool",
                _text(m) or str(getattr(m, "error", "") or ""),
                call=getattr(m, "tool_call_id", None),
            )
        self.runs[key] = (run, len(tool_messages))
        return run

    async def approve(self, message: str, call: Any, history: Sequence[Any]) -> tuple[str, str]:
        """(Inspect decision, explanation) for one tool call."""
        run = self._run(history)
        action = {"tool": call.function, "args": dict(call.arguments)}
        decided = await self.guard.review(run, action, message)
        if decided.approved:
            return "approve", decided.why or "approved by overt review"
        if decided.waiting:
            return "escalate", decided.why
        if decided.decision == Decision.terminate:
            return "terminate", decided.why
        return "reject", f"overt ({decided.by}): {decided.why}"


def guard_approver(
    tools: Sequence[Tool] = (),
    *,
    review: ReviewChain | None = None,
    principal: Principal | None = None,
    trace: Trace | None = None,
    config: GuardConfig | None = None,
    name: str = "overt_guard",
    make_guard: Callable[[], Guard] | None = None,
) -> Any:
    """An Inspect `Approver` running overt's guard on every tool call it is given."""
    from inspect_ai.approval import Approval, approver

    guard = (
        make_guard
        or (
            lambda: Guard(
                tools,
                review=review or default_chain(),
                principal=principal,
                trace=trace,
                config=config,
            )
        )
    )()
    adapter = InspectGuard(guard)

    async def approve(message: str, call: Any, view: Any, history: list[Any]) -> Approval:
        decision, why = await adapter.approve(message, call, history)
        return Approval(decision=decision, explanation=why)

    @approver(name=re.sub(r"[^A-Za-z0-9_]+", "_", name))
    def overt_guard() -> Any:
        return approve

    return overt_guard()
