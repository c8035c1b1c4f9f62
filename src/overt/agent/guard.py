"""The Guard: the public entry to review, for overt's `Agent` and for any other agent.

    guard = Guard(tools, review=default_chain(), principal=principal, trace=Trace("runs/g.db"))
    run = guard.start(["Pay the March rent to my landlord"])
    guard.observe(run, "read_file", "IBAN: DE89...", args={"path": "landlord.txt"})
    decision = guard.review_sync(run, {"tool": "send_money", "args": {...}}, reasoning="...")
    if decision.approved: ...run the call...
    decisions = await guard.review_batch(run, [call_a, call_b], reasoning)   # parallel calls

Each proposed call (or final answer) goes through: the deterministic policy →
the reviewers (concurrently) → the principal gate (escalations, and approved
actions at or above `principal_threshold`) → the trace (proposal, verdicts,
escalation, answer and decision, each committed before the caller acts).
Fail closed: a reviewer or chain error escalates, an escalation nobody answers
blocks, an unknown tool or one with no declared consequence counts as
external (and the first use says so). Tool outputs passed to `observe` are
the untrusted data the provenance reviewer and goal monitor trace values to;
values the principal approves in an escalation are trusted for the rest of
the run.

The guard's view of a run is `overt.agent.state.RunState`, the fold of the
events it records (`record`); `restore` rebuilds it from the trace. An
escalation crosses calls as the typed `Escalation` (`GuardDecision.escalation`,
`Guard.escalation(run)`), which `settle` turns into a decision once answered.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from overt.agent.chain import default_chain, default_reviewers  # noqa: F401 - public here too
from overt.agent.events import (
    DecisionEvent,
    EscalationEvent,
    Event,
    InstructionEvent,
    ObservationEvent,
    PrincipalEvent,
    ProposalEvent,
    VerdictEvent,
    WarningEvent,
)
from overt.agent.principal import DeferredPrincipal, Escalation, Principal, PrincipalAnswer
from overt.agent.resume import run_sync
from overt.agent.review import ReviewChain
from overt.agent.state import RunState, fold
from overt.agent.tools import Consequence, Tool, Toolbox, ToolError
from overt.agent.trace import Trace
from overt.agent.types import (
    Action,
    Decision,
    Proposal,
    ReviewedCall,
    ReviewView,
    ToolOutput,
    Verdict,
)

Call = Action | dict[str, Any]
"""An `Action`, or a framework's call as `{"tool": NAME, "args": {...}}`."""


class GuardConfig(BaseModel):
    principal_threshold: Consequence | None = Field(
        None,
        description="Actions approved by review at or above this level still go to the "
        "principal (None: only escalations from review do).",
    )
    history: int = Field(8, ge=0, description="Recent observations shown to reviewers.")


class GuardDecision(BaseModel):
    """What the guard decided about one call, and why."""

    decision: Decision
    by: Literal["review", "principal", "fail-closed", "waiting"]
    why: str = ""
    consequence: str
    step: int
    verdicts: list[Verdict] = Field(default_factory=list)
    escalated: bool = Field(False, description="The principal was asked.")
    question: str = Field("", description="What the principal was asked (when escalated).")
    warnings: list[str] = Field(default_factory=list)
    escalation: Escalation | None = Field(
        None, description="The escalation, when the principal was asked (or is, when waiting)."
    )

    @property
    def approved(self) -> bool:
        return self.decision == Decision.approve

    @property
    def waiting(self) -> bool:
        """Escalated to a principal who answers later (`DeferredPrincipal`)."""
        return self.by == "waiting"


def as_action(call: Call) -> Action:
    if isinstance(call, Action):
        return call
    if "tool" in call:
        return Action(kind="tool", tool=str(call["tool"]), args=dict(call.get("args") or {}))
    if "final" in call:
        return Action(kind="final", text=str(call["final"]))
    raise ValueError("a call needs 'tool' (with 'args') or 'final'")


class Guard:
    def __init__(
        self,
        tools: Toolbox | Sequence[Tool] = (),
        *,
        review: ReviewChain | None = None,
        principal: Principal | None = None,
        trace: Trace | None = None,
        config: GuardConfig | None = None,
    ) -> None:
        self.tools = tools if isinstance(tools, Toolbox) else Toolbox(tools)
        self.review_chain = review or default_chain()
        self.principal = principal or Principal()
        self.trace = trace or Trace()
        self.config = config or GuardConfig()
        self.runs: dict[str, RunState] = {}
        self._following: set[str] = set()
        self._warned: set[str] = set()

    # ---- runs and context -------------------------------------------------------------
    def start(
        self, instructions: Sequence[str] | None = None, meta: dict[str, Any] | None = None
    ) -> str:
        """A new run in the trace. Its instructions are `instructions`, or else the
        principal's (followed, so amendments count)."""
        if not (self.principal.instructions if instructions is None else instructions):
            raise ValueError("the guard needs at least one instruction from the principal")
        run_id = self.trace.new_run({"guard": True, **(meta or {})})
        if instructions is None:
            self.attach(run_id)
            self.sync_instructions(run_id)
            return run_id
        self.runs[run_id] = RunState()
        for i, text in enumerate(instructions):
            self.record(run_id, InstructionEvent(version=i + 1, text=text))
        return run_id

    def attach(self, run_id: str) -> RunState:
        """Track a run that follows the principal's instructions and whose events the
        caller records through `record` (overt's `Agent`)."""
        self._following.add(run_id)
        return self.runs.setdefault(run_id, RunState())

    def sync_instructions(self, run_id: str) -> None:
        """Record the principal's instructions (amendments too) the run does not yet have."""
        known = {i.version for i in self.state(run_id).instructions}
        for inst in list(self.principal.instructions):
            if inst.version not in known:
                self.record(run_id, InstructionEvent(version=inst.version, text=inst.text))

    def state(self, run_id: str) -> RunState:
        if run_id not in self.runs:
            raise ValueError(f"the guard is not tracking run {run_id!r}; call start() first")
        return self.runs[run_id]

    def record(self, run_id: str, event: Event) -> Event:
        """Commit an event to the trace and fold it into the run's state; a call whose
        output entered the agent's context counts against the policy's budgets."""
        state = self.state(run_id)
        recorded = self.trace.append(run_id, event)
        seen = len(state.outputs)
        state.apply(recorded)
        for out in state.outputs[seen:]:
            self.review_chain.policy.charge(out.tool)
        return recorded

    def observe(
        self,
        run_id: str,
        tool: str,
        output: Any,
        args: dict[str, Any] | None = None,
        call: str | None = None,
    ) -> ToolOutput:
        """A tool's output entered the agent's context: untrusted from now on."""
        state = self.state(run_id)
        out = ToolOutput(
            tool=tool, call=call or str(len(state.outputs) + 1), args=args or {}, text=str(output)
        )
        self.record(run_id, ObservationEvent(untrusted=True, **out.model_dump()))
        return out

    def restore(self, run_id: str) -> RunState:
        """Rebuild a run's state from its trace (after a crash or a deferred answer)."""
        state = self.runs[run_id] = fold(self.trace.events(run_id))
        return state

    def escalation(self, run_id: str) -> Escalation | None:
        """The run's escalation in flight, if any (its level filled in for traces that
        did not record it)."""
        esc = self.state(run_id).escalation
        if esc is not None and not esc.consequence:
            esc.consequence = self.level(esc.proposal.action)[0].name
        return esc

    # ---- review -----------------------------------------------------------------------
    def level(self, action: Action) -> tuple[Consequence, list[str]]:
        """The action's consequence, and a warning the first time a tool is unknown or
        declares none (both count as external: fail closed)."""
        if action.kind != "tool":
            return Consequence.read_only, []
        name = action.tool or ""
        try:
            tool = self.tools.get(name)
        except ToolError:
            return self._warn(name, f"tool {name!r} is unknown to the guard: treated as external")
        if not tool.declared:
            return self._warn(
                name,
                f"tool {name!r} declares no consequence: treated as external "
                "(declare read_only, reversible, irreversible or external)",
            )
        try:
            return tool.level(action.args), []
        except Exception as err:  # a consequence function that fails: fail closed
            return Consequence.external, [f"consequence of {name!r} failed ({err}): external"]

    def _warn(self, name: str, message: str) -> tuple[Consequence, list[str]]:
        if name in self._warned:
            return Consequence.external, []
        self._warned.add(name)
        warnings.warn(message, stacklevel=3)
        return Consequence.external, [message]

    def view(self, run_id: str, action: Action, reasoning: str, level: Consequence) -> ReviewView:
        state = self.state(run_id)
        history = self.config.history
        return ReviewView(
            instructions=list(state.instructions),
            reasoning=reasoning,
            action=action,
            consequence=level.name,
            observations=state.observations[-history:] if history else [],
            tool_outputs=list(state.outputs),
            endorsed=list(state.endorsed),
        )

    async def review(
        self, run_id: str, call: Call, reasoning: str = "", step: int | None = None
    ) -> GuardDecision:
        """Policy → reviewers → principal gate → trace, for one proposed call or answer.

        `step`: the caller already recorded the proposal at this step with `record`
        (overt's `Agent`); otherwise the guard numbers it and records it.
        """
        action, state = as_action(call), self.state(run_id)
        if run_id in self._following:
            self.sync_instructions(run_id)
        if step is None:
            step = state.step + 1
            self.record(run_id, ProposalEvent(step=step, reasoning=reasoning, action=action))
        elif state.open is None or state.open.step != step:
            raise ValueError(f"no proposal open at step {step}: record it with Guard.record first")
        level, notes = self.level(action)
        for note in notes:
            self.record(run_id, WarningEvent(step=step, text=note))
        decision, verdicts = await self._verdicts(run_id, action, reasoning, level)
        for v in verdicts:
            self.record(run_id, VerdictEvent(step=step, **v.model_dump()))
        why = "; ".join(r for v in verdicts if v.decision != Decision.approve for r in v.reasons)
        gate = self.config.principal_threshold
        if decision == Decision.approve and gate is not None and level >= gate:
            decision = Decision.escalate
            why = f"{level.name} action: the principal approves these (do what I mean, and check)"
        if decision != Decision.escalate:
            reviewed = ReviewedCall(
                step=step,
                proposal=Proposal(reasoning=reasoning, action=action),
                consequence=level.name,
                verdicts=verdicts,
                warnings=notes,
            )
            return self._decide(run_id, decision, "review", why, reviewed)
        return await self._escalate(run_id, step, action, level, why or "reviewers disagree")

    async def _verdicts(
        self, run_id: str, action: Action, reasoning: str, level: Consequence
    ) -> tuple[Decision, list[Verdict]]:
        """The chain's decision and verdicts; a chain that fails escalates (fail closed)."""
        try:
            view = self.view(run_id, action, reasoning, level)
            return await self.review_chain.review(view, level)
        except Exception as err:
            failed = Verdict(
                reviewer="review-chain",
                decision=Decision.escalate,
                score=0.0,
                failed=True,
                reasons=[f"{type(err).__name__}: {err}"],
            )
            return Decision.escalate, [failed]

    async def _escalate(
        self, run_id: str, step: int, action: Action, level: Consequence, why: str
    ) -> GuardDecision:
        """Record the escalation, ask the principal, settle the answer."""
        known = action.kind == "tool" and (action.tool or "") in self.tools.tools
        event = EscalationEvent(
            step=step,
            why=why,
            consequence=level.name,
            tool_description=self.tools.get(action.tool or "").description if known else "",
        )
        self.record(run_id, event)
        esc = self.escalation(run_id)
        if esc is None:  # the open step is the one just recorded, so this is a bug
            raise RuntimeError(f"run {run_id}: the escalation at step {step} did not fold")
        try:
            answer = await self.principal.decide(esc)
        except Exception as err:
            answer = None
            self.record(run_id, PrincipalEvent(step=step, error=str(err)))
        if answer is None and isinstance(self.principal, DeferredPrincipal):
            return self._outcome(Decision.escalate, "waiting", why, esc)
        return self.settle(run_id, answer, esc)

    def settle(
        self, run_id: str, answer: PrincipalAnswer | None, escalation: Escalation
    ) -> GuardDecision:
        """Turn the principal's answer to an escalation into a decision (None: fail closed).
        An approval endorses the values the escalation's verdicts flagged."""
        if answer is None:
            why = f"no principal could answer: {escalation.why}"
            return self._decide(run_id, Decision.block, "fail-closed", why, escalation)
        self.record(
            run_id, PrincipalEvent(step=escalation.step, decision=answer.decision, text=answer.text)
        )
        if answer.decision == "approve":
            return self._decide(run_id, Decision.approve, "principal", answer.text, escalation)
        if answer.decision == "stop":
            self.principal.stop()
            why = "principal stopped the run"
        elif answer.decision == "amend":
            self.principal.amend(answer.text)
            why = f"principal amended the instructions: {answer.text}"
        else:
            why = answer.text or "principal denied the action"
        return self._decide(run_id, Decision.block, "principal", why, escalation)

    def _decide(
        self,
        run_id: str,
        decision: Decision,
        by: Literal["review", "principal", "fail-closed"],
        why: str,
        call: ReviewedCall,
    ) -> GuardDecision:
        self.record(run_id, DecisionEvent(step=call.step, decision=decision, by=by, why=why))
        return self._outcome(decision, by, why, call)

    @staticmethod
    def _outcome(
        decision: Decision,
        by: Literal["review", "principal", "fail-closed", "waiting"],
        why: str,
        call: ReviewedCall,
    ) -> GuardDecision:
        esc = call if isinstance(call, Escalation) else None
        return GuardDecision(
            decision=decision,
            by=by,
            why=why,
            consequence=call.consequence,
            step=call.step,
            verdicts=call.verdicts,
            warnings=call.warnings,
            escalated=esc is not None,
            question=esc.why if esc else "",
            escalation=esc,
        )

    async def review_batch(
        self, run_id: str, calls: Sequence[Call], reasoning: str = ""
    ) -> list[GuardDecision]:
        """Parallel calls proposed together with one reasoning: each reviewed on its own,
        in order (so the principal is asked one question at a time)."""
        return [await self.review(run_id, call, reasoning) for call in calls]

    def review_sync(self, run_id: str, call: Call, reasoning: str = "") -> GuardDecision:
        return run_sync(self.review(run_id, call, reasoning))

    def review_batch_sync(
        self, run_id: str, calls: Sequence[Call], reasoning: str = ""
    ) -> list[GuardDecision]:
        return run_sync(self.review_batch(run_id, calls, reasoning))
