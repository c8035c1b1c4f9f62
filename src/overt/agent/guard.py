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
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from overt.agent.goal_monitor import GoalProvenanceMonitor
from overt.agent.principal import DeferredPrincipal, Escalation, Principal, PrincipalAnswer
from overt.agent.provenance import ProvenanceReviewer
from overt.agent.resume import run_sync
from overt.agent.review import PolicyReviewer, ReviewChain, Reviewer
from overt.agent.tools import Consequence, Tool, Toolbox, ToolError
from overt.agent.trace import Event, Trace
from overt.agent.types import (
    Action,
    Decision,
    Instruction,
    Proposal,
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

    @property
    def approved(self) -> bool:
        return self.decision == Decision.approve

    @property
    def waiting(self) -> bool:
        """Escalated to a principal who answers later (`DeferredPrincipal`)."""
        return self.by == "waiting"


@dataclass
class RunState:
    """What the guard knows about one run: instructions, untrusted outputs, endorsements."""

    instructions: list[Instruction]
    outputs: list[ToolOutput] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    endorsed: list[str] = field(default_factory=list)
    step: int = 0


def default_reviewers() -> list[Reviewer]:
    """The model-free chain: provenance of arguments and answers, goal provenance of reasoning."""
    return [ProvenanceReviewer(), GoalProvenanceMonitor()]


def default_chain(policy: PolicyReviewer | None = None) -> ReviewChain:
    return ReviewChain(policy or PolicyReviewer(), default_reviewers())


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
        self._warned: set[str] = set()

    # ---- runs and context -------------------------------------------------------------
    def start(
        self, instructions: Sequence[str] | None = None, meta: dict[str, Any] | None = None
    ) -> str:
        """A new run in the trace. Its instructions are `instructions`, or else the
        principal's (shared, so amendments count)."""
        if instructions is not None:
            insts = [Instruction(version=i + 1, text=t) for i, t in enumerate(instructions)]
        else:
            insts = self.principal.instructions
        if not insts:
            raise ValueError("the guard needs at least one instruction from the principal")
        run_id = self.trace.new_run({"guard": True, **(meta or {})})
        self.runs[run_id] = RunState(instructions=insts)
        for inst in insts:
            self.trace.append(run_id, "instruction", inst.model_dump())
        return run_id

    def attach(self, run_id: str, instructions: list[Instruction]) -> RunState:
        """Track an existing trace run (overt's `Agent` records its own instructions)."""
        state = self.runs.get(run_id)
        if state is None:
            state = self.runs[run_id] = RunState(instructions=instructions)
        return state

    def state(self, run_id: str) -> RunState:
        if run_id not in self.runs:
            raise ValueError(f"the guard is not tracking run {run_id!r}; call start() first")
        return self.runs[run_id]

    def observe(
        self,
        run_id: str,
        tool: str,
        output: Any,
        args: dict[str, Any] | None = None,
        call: str | None = None,
        record: bool = True,
    ) -> ToolOutput:
        """A tool's output entered the agent's context: untrusted from now on."""
        state = self.state(run_id)
        out = ToolOutput(
            tool=tool, call=call or str(len(state.outputs) + 1), args=args or {}, text=str(output)
        )
        state.outputs.append(out)
        state.observations.append(f"{tool} -> {out.text}")
        self.review_chain.policy.charge(tool)
        if record:
            self.trace.append(run_id, "observation", {"untrusted": True, **out.model_dump()})
        return out

    def restore(self, run_id: str, instructions: list[Instruction], events: list[Event]) -> None:
        """Rebuild a run's state from its trace (after a crash or a deferred answer)."""
        state = self.runs[run_id] = RunState(instructions=instructions)
        verdicts: dict[int, list[str]] = {}
        for e in events:
            p = e.payload
            if e.kind == "executed" and not p.get("interrupted"):
                state.outputs.append(
                    ToolOutput(
                        tool=p["tool"],
                        call=str(p["step"]),
                        args=p.get("args", {}),
                        text=p["result"],
                    )
                )
            elif e.kind == "observation" and p.get("untrusted"):
                state.outputs.append(ToolOutput.model_validate({**p, "args": p.get("args", {})}))
            elif e.kind == "verdict":
                verdicts.setdefault(p["step"], []).extend(p.get("flagged", []))
            elif e.kind == "principal" and p.get("decision") == "approve":
                state.endorsed.extend(verdicts.get(p["step"], []))
            if e.kind == "observation":
                state.observations.append(str(p.get("text", "")))
            if "step" in p:
                state.step = max(state.step, int(p["step"]))

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

        `step`: the caller already recorded the proposal at this step (overt's `Agent`);
        otherwise the guard numbers it and records it.
        """
        action, state = as_action(call), self.state(run_id)
        if step is None:
            state.step += 1
            step = state.step
            proposal = Proposal(reasoning=reasoning, action=action)
            self.trace.append(
                run_id, "proposal", {"step": step, **proposal.model_dump(mode="json")}
            )
        level, notes = self.level(action)
        for note in notes:
            self.trace.append(run_id, "warning", {"step": step, "text": note})
        try:
            view = self.view(run_id, action, reasoning, level)
            decision, verdicts = await self.review_chain.review(view, level)
        except Exception as err:  # the chain itself failed: fail closed
            decision = Decision.escalate
            verdicts = [
                Verdict(
                    reviewer="review-chain",
                    decision=Decision.escalate,
                    score=0.0,
                    failed=True,
                    reasons=[f"{type(err).__name__}: {err}"],
                )
            ]
        for v in verdicts:
            self.trace.append(run_id, "verdict", {"step": step, **v.model_dump(mode="json")})
        why = "; ".join(r for v in verdicts if v.decision != Decision.approve for r in v.reasons)
        gate = self.config.principal_threshold
        if decision == Decision.approve and gate is not None and level >= gate:
            decision = Decision.escalate
            why = f"{level.name} action: the principal approves these (do what I mean, and check)"
        base = {"consequence": level.name, "step": step, "verdicts": verdicts, "warnings": notes}
        if decision != Decision.escalate:
            return self._decide(run_id, decision, "review", why, base)
        why = why or "reviewers disagree"
        base["question"] = why
        self.trace.append(run_id, "escalation", {"step": step, "why": why})
        known = action.kind == "tool" and (action.tool or "") in self.tools.tools
        esc = Escalation(
            step=step,
            proposal=Proposal(reasoning=reasoning, action=action),
            consequence=level.name,
            verdicts=verdicts,
            why=why,
            tool_description=self.tools.get(action.tool or "").description if known else "",
        )
        try:
            answer = await self.principal.decide(esc)
        except Exception as err:
            answer = None
            self.trace.append(run_id, "principal", {"step": step, "error": f"{err}"})
        if answer is None and isinstance(self.principal, DeferredPrincipal):
            return GuardDecision(decision=Decision.escalate, by="waiting", why=why, **base)
        return self.settle(run_id, answer, base)

    def settle(
        self, run_id: str, answer: PrincipalAnswer | None, base: dict[str, Any]
    ) -> GuardDecision:
        """Turn the principal's answer to an escalation into a decision (None: fail closed).
        `base`: consequence, step, verdicts and question of the escalated call."""
        step = base["step"]
        if answer is None:
            return self._decide(
                run_id,
                Decision.block,
                "fail-closed",
                f"no principal could answer: {base.get('question', '')}",
                base,
                escalated=True,
            )
        self.trace.append(run_id, "principal", {"step": step, **answer.model_dump()})
        if answer.decision == "approve":
            self.state(run_id).endorsed.extend(f for v in base["verdicts"] for f in v.flagged)
            return self._decide(
                run_id, Decision.approve, "principal", answer.text, base, escalated=True
            )
        if answer.decision == "stop":
            self.principal.stop()
            why = "principal stopped the run"
        elif answer.decision == "amend":
            self.principal.amend(answer.text)
            why = f"principal amended the instructions: {answer.text}"
        else:
            why = answer.text or "principal denied the action"
        return self._decide(run_id, Decision.block, "principal", why, base, escalated=True)

    def _decide(
        self,
        run_id: str,
        decision: Decision,
        by: Literal["review", "principal", "fail-closed"],
        why: str,
        base: dict[str, Any],
        escalated: bool = False,
    ) -> GuardDecision:
        self.trace.append(
            run_id,
            "decision",
            {"step": base["step"], "decision": decision.value, "by": by, "why": why},
        )
        return GuardDecision(decision=decision, by=by, why=why, escalated=escalated, **base)

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
