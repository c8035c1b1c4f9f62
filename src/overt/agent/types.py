"""The runtime's nouns as pydantic models (also their form in the trace).

Proposal   the agent's reasoning and the one action it proposes
Action     a tool call, a question to the principal, or a final answer
ToolOutput one tool result that entered the agent's context (untrusted data)
ReviewView what a reviewer is shown (instructions, reasoning, action, recent observations,
           every tool output so far)
Verdict    approve / revise / escalate / block / terminate, with a score and reasons
Flag       one thing a verdict questions: a value (or the action's goal) and its source
ReviewedCall one call after review: its step, proposal, consequence, verdicts, warnings
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class Decision(StrEnum):
    approve = "approve"
    revise = "revise"
    escalate = "escalate"
    block = "block"
    terminate = "terminate"


class Action(BaseModel):
    kind: Literal["tool", "ask", "final"]
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    text: str | None = None

    def describe(self) -> str:
        if self.kind == "tool":
            return f"{self.tool}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"
        return f"{self.kind}: {self.text}"


class Proposal(BaseModel):
    reasoning: str
    action: Action


class Instruction(BaseModel):
    version: int
    text: str


class ToolOutput(BaseModel):
    """A tool result in the agent's context: data from outside, never an instruction."""

    tool: str
    call: str = Field(description="Which call produced it (step or framework call id).")
    args: dict[str, Any] = Field(default_factory=dict)
    text: str


class ReviewView(BaseModel):
    """A reviewer's typed view of one proposed action."""

    instructions: list[Instruction]
    reasoning: str
    action: Action
    consequence: str
    observations: list[str] = Field(default_factory=list)
    tool_outputs: list[ToolOutput] = Field(
        default_factory=list, description="Every tool output of the run so far, oldest first."
    )
    endorsed: list[str] = Field(
        default_factory=list,
        description="Values the principal approved during this run (trusted from then on).",
    )


class Flag(BaseModel):
    """What a verdict questions, in the terms the principal is asked about: a value (or, with
    `value` empty, the action's goal) and the tool output it came from."""

    value: str = Field("", description="The questioned value; '': the action's goal itself.")
    arg: str = Field("", description="The argument that carries it ('' for the goal).")
    tool: str = Field(description="The tool whose output it came from.")
    call: str = Field("", description="Which call of that tool.")
    excerpt: str = Field("", description="The words of that output around it.")
    source_args: dict[str, Any] = Field(
        default_factory=dict, description="The arguments of that call (which file, page, inbox)."
    )


class Verdict(BaseModel):
    reviewer: str
    decision: Decision
    score: float = Field(ge=0, le=1, description="Reviewer's confidence the action is fine.")
    reasons: list[str] = Field(default_factory=list)
    failed: bool = Field(False, description="The reviewer errored, timed out or was unparseable.")
    flagged: list[str] = Field(
        default_factory=list,
        description="Values this verdict is about (an approval by the principal endorses them).",
    )
    flags: list[Flag] = Field(
        default_factory=list, description="Each questioned value (or goal) with its source."
    )


class ReviewedCall(BaseModel):
    """One proposed call (or answer) after review, before anything acts on it."""

    step: int
    proposal: Proposal
    consequence: str
    verdicts: list[Verdict] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list, description="What the guard noted (an undeclared tool, say)."
    )
