"""The trace's events: one pydantic model per kind, told apart by `kind`.

    trace.append(run, ProposalEvent(step=1, reasoning="...", action=action))
    for event in trace.events(run):
        match event:
            case ExecutedEvent(tool=tool, ok=False): ...

On disk an event is its kind and its fields as a JSON payload (the same rows
overt always wrote, so older traces still open); `EVENT.validate_python`
reads a row back into its model. Fields a kind gained later have defaults, so
an older payload still validates; an unknown field or kind does not (a
misspelt key is refused, never silently ignored). The envelope (`run_id`,
`seq`, `ts`) is filled in by `Trace.append`. `overt.agent.state` folds a run's
events into its state. After inspect_ai's `event/_event.py`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from overt.agent.principal import PrincipalAnswer
from overt.agent.types import Action, Decision, Instruction, Proposal, ToolOutput, Verdict

RunStatus = Literal[
    "finished",
    "stopped",
    "terminated_by_review",
    "step_budget_exhausted",
    "too_many_malformed_proposals",
    "model_error",
    "waiting_for_principal",
    "resumed",
]
ENVELOPE = {"kind", "run_id", "seq", "ts"}


class BaseEvent(BaseModel):
    """What every event has: where it sits in the trace (set when it is recorded)."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field("", description="The run it belongs to ('' until recorded).")
    seq: int = Field(0, description="Its place in the run, from 1 (0 until recorded).")
    ts: float = Field(0.0, description="When it was committed (Unix seconds).")
    step: int | None = Field(None, description="The agent step it belongs to, if any.")

    def payload_json(self) -> str:
        """The event's fields as stored in the trace's payload column."""
        data = self.model_dump(exclude=ENVELOPE, exclude_none=True)
        return json.dumps(data, default=str)

    @property
    def payload(self) -> dict[str, Any]:
        """The stored payload, as a dict (for display and for tests of the format)."""
        return dict(json.loads(self.payload_json()))

    def summary(self) -> str:
        """One line for `overt agent show`: the event's fields, step left out."""
        return ", ".join(f"{k}={v}" for k, v in self.payload.items() if k != "step")


class InstructionEvent(BaseEvent):
    kind: Literal["instruction"] = "instruction"
    version: int
    text: str

    @property
    def instruction(self) -> Instruction:
        return Instruction(version=self.version, text=self.text)

    def summary(self) -> str:
        return self.text


class ReasoningEvent(BaseEvent):
    """The agent model's raw turn, verbatim."""

    kind: Literal["reasoning"] = "reasoning"
    step: int
    text: str

    def summary(self) -> str:
        return self.text


class ProposalEvent(BaseEvent):
    kind: Literal["proposal"] = "proposal"
    step: int
    reasoning: str
    action: Action

    @property
    def proposal(self) -> Proposal:
        return Proposal(reasoning=self.reasoning, action=self.action)

    def summary(self) -> str:
        a = self.action
        return f"{a.tool}({json.dumps(a.args)})" if a.kind == "tool" else f"{a.kind}: {a.text}"


class VerdictEvent(BaseEvent, Verdict):
    kind: Literal["verdict"] = "verdict"
    step: int

    @property
    def verdict(self) -> Verdict:
        return Verdict.model_validate(self.model_dump(include=set(Verdict.model_fields)))

    def summary(self) -> str:
        body = (
            f"{self.reviewer}: {self.decision.value} ({self.score:.2f}) {'; '.join(self.reasons)}"
        )
        return body + (" [FAILED → fail closed]" if self.failed else "")


class WarningEvent(BaseEvent):
    kind: Literal["warning"] = "warning"
    step: int
    text: str

    def summary(self) -> str:
        return self.text


class EscalationEvent(BaseEvent):
    """The call at `step` went to the principal; the question is `why`."""

    kind: Literal["escalation"] = "escalation"
    step: int
    why: str
    consequence: str = Field("", description="The call's level ('' in traces from before).")
    tool_description: str = ""

    def summary(self) -> str:
        return f"{self.why} ({self.consequence or 'level not recorded'})"


class PrincipalEvent(BaseEvent):
    """The principal's answer to an escalation (`decision`), to a question the agent
    asked (`answer_to_question`), or the error that kept them from answering."""

    kind: Literal["principal"] = "principal"
    step: int
    decision: Literal["approve", "deny", "amend", "stop"] | None = None
    text: str = ""
    answer_to_question: str | None = None
    error: str | None = None

    def said(self) -> tuple[str, str]:
        """(what kind of reply: a decision, "answer" or "error"; its words)."""
        what = self.decision or ("answer" if self.answer_to_question is not None else "error")
        return what, self.text or self.answer_to_question or self.error or ""

    def summary(self) -> str:
        what, text = self.said()
        return f"{what}: {text}" if text else what

    @property
    def answer(self) -> PrincipalAnswer | None:
        """The answer to an escalation, if this is one."""
        if self.decision is None:
            return None
        return PrincipalAnswer(decision=self.decision, text=self.text)


class DecisionEvent(BaseEvent):
    kind: Literal["decision"] = "decision"
    step: int
    decision: Decision
    by: Literal["review", "principal", "fail-closed"]
    why: str = ""

    def summary(self) -> str:
        return f"{self.decision.value} by {self.by}" + (f": {self.why}" if self.why else "")


class ExecutionStartedEvent(BaseEvent):
    """Committed before a tool runs: `key` is the call's idempotency key."""

    kind: Literal["execution_started"] = "execution_started"
    step: int
    key: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    def summary(self) -> str:
        return f"{self.tool}({json.dumps(self.args, default=str)}) key={self.key}"

    def finished(self, ok: bool | None, result: str, interrupted: bool = False) -> ExecutedEvent:
        """The event recording this call's result."""
        return ExecutedEvent(
            step=self.step,
            key=self.key,
            tool=self.tool,
            args=self.args,
            ok=ok,
            result=result,
            interrupted=interrupted,
        )


class ExecutedEvent(BaseEvent):
    """A call's result; `interrupted`: it started but its result was never recorded."""

    kind: Literal["executed"] = "executed"
    step: int
    key: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    ok: bool | None = Field(None, description="None: the outcome is unknown.")
    result: str
    interrupted: bool = False

    @property
    def output(self) -> ToolOutput:
        return ToolOutput(tool=self.tool, call=str(self.step), args=self.args, text=self.result)

    def summary(self) -> str:
        failed = " (interrupted)" if self.interrupted else " (failed)" if not self.ok else ""
        return f"{self.tool}({json.dumps(self.args, default=str)}){failed} → {self.result}"


class ObservationEvent(BaseEvent):
    """Text that entered the agent's context: a tool output a framework passed to
    `Guard.observe` (`untrusted`), or the runtime's note on a step."""

    kind: Literal["observation"] = "observation"
    text: str
    malformed: bool = Field(False, description="It reports a malformed proposal.")
    model_error: bool = Field(False, description="It reports the agent model failing.")
    untrusted: bool = Field(False, description="A tool output observed by the guard.")
    tool: str | None = None
    call: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def output(self) -> ToolOutput | None:
        if not self.untrusted:
            return None
        return ToolOutput(
            tool=self.tool or "tool", call=self.call or "", args=self.args, text=self.text
        )

    @property
    def seen(self) -> str:
        """How the agent and reviewers are shown it."""
        return f"{self.tool} -> {self.text}" if self.untrusted else self.text

    def summary(self) -> str:
        return self.text


class FinalEvent(BaseEvent):
    kind: Literal["final"] = "final"
    step: int
    text: str | None = None

    def summary(self) -> str:
        return self.text or ""


class StopEvent(BaseEvent):
    kind: Literal["stop"] = "stop"
    step: int
    when: str
    action: str | None = None


class StatusEvent(BaseEvent):
    kind: Literal["status"] = "status"
    status: RunStatus

    def summary(self) -> str:
        return self.status


Event = Annotated[
    InstructionEvent
    | ReasoningEvent
    | ProposalEvent
    | VerdictEvent
    | WarningEvent
    | EscalationEvent
    | PrincipalEvent
    | DecisionEvent
    | ExecutionStartedEvent
    | ExecutedEvent
    | ObservationEvent
    | FinalEvent
    | StopEvent
    | StatusEvent,
    Field(discriminator="kind"),
]
EVENT: TypeAdapter[Event] = TypeAdapter(Event)
"""Validates a stored row (`{"kind": ..., **payload}`) into its event model."""
