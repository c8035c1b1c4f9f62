"""overt's Guard in a LangGraph agent: a tool node that reviews every call, with interrupts.

    from overt.adapters.langgraph_node import GuardedToolNode
    node = GuardedToolNode([search, send_email], guard)   # LangChain tools + an overt Guard
    graph.add_node("tools", node)                          # in place of langgraph's ToolNode

The node reads the last AI message's tool calls, reviews them as one batch
(its text as the reasoning; the human messages as the principal's
instructions; earlier tool messages as untrusted outputs), runs the approved
calls and answers the others with a ToolMessage saying why (status "error").
With `interrupt_on_escalation=True` and a checkpointer, an escalation the
guard's principal cannot answer pauses the graph with LangGraph's
`interrupt()`: resume it with `Command(resume="approve")` (or "deny"), and
the answer is the principal's. Needs `pip install overt[langgraph]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from overt.agent.guard import Guard, GuardDecision
from overt.agent.principal import PrincipalAnswer

try:
    from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
    from langchain_core.tools import BaseTool
    from langgraph.types import interrupt
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError("overt.adapters.langgraph_node needs `pip install overt[langgraph]`") from err


def _text(message: BaseMessage) -> str:
    content = message.content
    return content if isinstance(content, str) else str(content)


class GuardedToolNode:
    """A LangGraph node: review each tool call with the guard, run only what it approves."""

    def __init__(
        self, tools: Sequence[BaseTool], guard: Guard, interrupt_on_escalation: bool = False
    ) -> None:
        self.tools = {t.name: t for t in tools}
        self.guard, self.interrupt_on_escalation = guard, interrupt_on_escalation
        self.runs: dict[str, tuple[str, int]] = {}

    def _run(self, messages: Sequence[BaseMessage]) -> str:
        key = str(messages[0].id or id(messages[0])) if messages else "empty"
        if key not in self.runs:
            instructions = [_text(m) for m in messages if isinstance(m, HumanMessage)]
            run = self.guard.start(instructions or ["(no instruction)"], {"adapter": "langgraph"})
            self.runs[key] = (run, 0)
        run, seen = self.runs[key]
        outputs = [m for m in messages if isinstance(m, ToolMessage)]
        for m in outputs[seen:]:
            self.guard.observe(run, m.name or "tool", _text(m), call=m.tool_call_id)
        self.runs[key] = (run, len(outputs))
        return run

    def _ask(self, run: str, decided: GuardDecision, call: dict[str, Any]) -> GuardDecision:
        """An unanswered escalation: pause the graph and let a human answer."""
        if decided.escalation is None:
            return decided
        answer = interrupt(
            {"tool": call["name"], "args": call["args"], "why": decided.why, "run": run}
        )
        reply = answer if isinstance(answer, str) else str(answer.get("decision", "deny"))
        word = reply.split()[0].lower() if reply.strip() else "deny"
        principal = PrincipalAnswer(decision=word if word in ("approve", "deny") else "deny")
        return self.guard.settle(run, principal, decided.escalation)

    def __call__(self, state: dict[str, Any] | Sequence[BaseMessage]) -> dict[str, Any]:
        messages = list(state["messages"] if isinstance(state, dict) else state)
        last = messages[-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            return {"messages": []}
        run = self._run(messages)
        calls = list(last.tool_calls)
        decisions = self.guard.review_batch_sync(
            run, [{"tool": c["name"], "args": dict(c["args"])} for c in calls], _text(last)
        )
        if self.interrupt_on_escalation:  # every question before anything runs (resume re-enters)
            decisions = [
                self._ask(run, d, dict(c)) if d.escalated and d.by == "fail-closed" else d
                for c, d in zip(calls, decisions, strict=True)
            ]
        replies: list[ToolMessage] = []
        for call, decided in zip(calls, decisions, strict=True):
            if not decided.approved:
                replies.append(
                    ToolMessage(
                        content=f"blocked by overt review ({decided.by}): {decided.why}",
                        name=call["name"],
                        tool_call_id=call["id"],
                        status="error",
                    )
                )
                continue
            result = self.tools[call["name"]].invoke(call["args"])
            self.guard.observe(run, call["name"], result, args=dict(call["args"]), call=call["id"])
            replies.append(
                ToolMessage(content=str(result), name=call["name"], tool_call_id=call["id"])
            )
        key = next(k for k, v in self.runs.items() if v[0] == run)
        self.runs[key] = (run, sum(isinstance(m, ToolMessage) for m in messages) + len(replies))
        return {"messages": replies}
