"""A run's state as one fold over its trace events.

    state = fold(trace.events(run))        # or: state.apply(event), one at a time
    state.instructions, state.outputs, state.endorsed, state.status, state.open, state.escalation

The guard keeps one `RunState` per run and applies every event it records, so
what reviewers see live is what the trace says; after a crash or a deferred
answer the same fold rebuilds it (`Guard.restore`). `open` is the last
proposal while its step is unfinished (nothing ran, answered or was
observed), with what the trace holds for it — the loop resumes from there,
never repeating a call that started. `escalation` is the escalation in
flight, as the typed record the principal is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from overt.agent.events import (
    DecisionEvent,
    EscalationEvent,
    Event,
    ExecutedEvent,
    ExecutionStartedEvent,
    FinalEvent,
    InstructionEvent,
    ObservationEvent,
    PrincipalEvent,
    ProposalEvent,
    RunStatus,
    StatusEvent,
    VerdictEvent,
    WarningEvent,
)
from overt.agent.principal import Escalation, PrincipalAnswer
from overt.agent.types import Instruction, ToolOutput, Verdict

ENDED: set[RunStatus] = {
    "finished",
    "stopped",
    "terminated_by_review",
    "step_budget_exhausted",
    "too_many_malformed_proposals",
}
"""Run statuses after which `resume` refuses to continue."""


@dataclass
class OpenStep:
    """The last proposal of a run whose step has not finished, and what followed it."""

    proposal: ProposalEvent
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    escalation: EscalationEvent | None = None
    answer: PrincipalAnswer | None = None
    """The principal's latest answer to the escalation."""
    decision: DecisionEvent | None = None
    started: ExecutionStartedEvent | None = None

    @property
    def step(self) -> int:
        return self.proposal.step

    def add(self, event: Event) -> None:
        """Record an event of this step."""
        match event:
            case VerdictEvent():
                self.verdicts.append(event.verdict)
            case WarningEvent():
                self.warnings.append(event.text)
            case EscalationEvent():
                self.escalation = event
            case PrincipalEvent(answer=PrincipalAnswer() as answer):
                self.answer = answer
            case DecisionEvent():
                self.decision = event
            case ExecutionStartedEvent():
                self.started = event


@dataclass
class RunState:
    """What the trace says about one run so far."""

    instructions: list[Instruction] = field(default_factory=list)
    outputs: list[ToolOutput] = field(default_factory=list)
    """Every tool output that entered the agent's context (untrusted), oldest first."""
    observations: list[str] = field(default_factory=list)
    """What the agent was shown after each step, as it was shown."""
    endorsed: list[str] = field(default_factory=list)
    """Values the principal approved (trusted for the rest of the run)."""
    step: int = 0
    proposals: int = 0
    malformed: int = 0
    escalations: int = 0
    executed: list[str] = field(default_factory=list)
    """Tools whose calls ran to a recorded result."""
    status: RunStatus | None = None
    open: OpenStep | None = None
    flagged: dict[int, list[str]] = field(default_factory=dict)
    """Values each step's verdicts flagged (an approval of that step endorses them)."""

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def escalation(self) -> Escalation | None:
        """The escalation in flight: the open step went to the principal, undecided."""
        step = self.open
        if step is None or step.escalation is None or step.decision is not None:
            return None
        return Escalation(
            step=step.step,
            proposal=step.proposal.proposal,
            consequence=step.escalation.consequence,
            verdicts=list(step.verdicts),
            warnings=list(step.warnings),
            why=step.escalation.why,
            tool_description=step.escalation.tool_description,
        )

    def apply(self, event: Event) -> None:
        """Fold one event into the state."""
        if event.step is not None:
            self.step = max(self.step, event.step)
        match event:
            case InstructionEvent():
                self.instructions.append(event.instruction)
            case ProposalEvent():
                self.proposals += 1
                self.open = OpenStep(event)
            case ExecutedEvent():
                self.open = None
                if not event.interrupted:
                    self.outputs.append(event.output)
                    self.executed.append(event.tool)
            case ObservationEvent():
                self.open = None
                self.malformed += event.malformed
                self.observations.append(event.seen)
                if event.output is not None:
                    self.outputs.append(event.output)
            case FinalEvent():
                self.open = None
            case StatusEvent():
                self.status = event.status
            case VerdictEvent():
                self.flagged.setdefault(event.step, []).extend(event.flagged)
            case EscalationEvent():
                self.escalations += 1
            case PrincipalEvent(decision="approve"):
                self.endorsed.extend(self.flagged.get(event.step, []))
        if self.open is not None and event.step == self.open.step:
            self.open.add(event)


def fold(events: Iterable[Event]) -> RunState:
    """A run's state from its events, oldest first."""
    state = RunState()
    for event in events:
        state.apply(event)
    return state
