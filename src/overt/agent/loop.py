"""The instruction-following agent loop.

    agent = Agent(model, tools, review=ReviewChain(...), principal=principal, trace=Trace(db))
    result = agent.run_sync("Summarise notes.txt")          # or: await agent.run(...)

Each step: honor stop/pause and record amendments; the model writes its
reasoning (kept verbatim) and one action (`ACTION: {"tool": ..., "args": ...}`,
`{"ask": ...}` or `{"final": ...}`); the proposal goes to the `Guard`
(`overt.agent.guard`: policy, reviewers, principal gate, trace — the same
guard any other agent can use); a stop is checked again immediately before
execution; the approval, the start of execution and its result are each
committed to the trace before the loop moves on. Malformed proposals return to the agent as
observations and count against a budget.

`resume(run_id)` continues a run from its trace: an approved action that had
not started runs; one that started but never recorded its result is *not*
repeated (its outcome is reported to the agent as unknown).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from pydantic import BaseModel, Field, ValidationError

from overt.agent.events import (
    Event,
    ExecutionStartedEvent,
    FinalEvent,
    ObservationEvent,
    PrincipalEvent,
    ProposalEvent,
    ReasoningEvent,
    RunStatus,
    StatusEvent,
    StopEvent,
)
from overt.agent.guard import Guard, GuardConfig, GuardDecision, default_chain
from overt.agent.principal import Escalation, Principal
from overt.agent.proposal import SYSTEM, MalformedProposal, parse_proposal
from overt.agent.resume import run_sync
from overt.agent.review import ReviewChain
from overt.agent.state import OpenStep
from overt.agent.tools import Consequence, Tool, Toolbox, ToolError
from overt.agent.trace import Trace
from overt.agent.types import Action, Decision, Proposal
from overt.models.base import Model


class AgentConfig(BaseModel):
    max_steps: int = Field(20, ge=1, description="Proposals allowed in one run.")
    max_malformed: int = Field(3, ge=0, description="Malformed proposals tolerated per run.")
    principal_threshold: Consequence | None = Field(
        Consequence.irreversible,
        description="Approved actions at or above this level still go to the principal "
        "(None: only escalations from review do).",
    )
    history: int = Field(8, ge=0, description="Recent observations shown to agent and reviewers.")
    max_new_tokens: int = Field(256, ge=1, description="Token budget per agent turn.")


class RunResult(BaseModel):
    run_id: str
    status: RunStatus
    final: str | None = None
    steps: int
    executed: list[str] = Field(default_factory=list)


class Agent:
    def __init__(
        self,
        model: Model,
        tools: Toolbox | Sequence[Tool],
        *,
        review: ReviewChain | None = None,
        principal: Principal | None = None,
        trace: Trace | None = None,
        config: AgentConfig | None = None,
    ) -> None:
        self.model = model
        self.tools = tools if isinstance(tools, Toolbox) else Toolbox(tools)
        self.principal = principal or Principal()
        self.trace = trace or Trace()
        self.config = config or AgentConfig()
        self.guard = Guard(
            self.tools,
            review=review or default_chain(),
            principal=self.principal,
            trace=self.trace,
            config=GuardConfig(
                principal_threshold=self.config.principal_threshold, history=self.config.history
            ),
        )

    # ---- public API ------------------------------------------------------------------
    async def run(self, instruction: str | None = None) -> RunResult:
        if instruction:
            self.principal.amend(instruction)
        if not self.principal.instructions:
            raise ValueError("the agent needs at least one instruction from its principal")
        run_id = self.trace.new_run({"model": self.model.name, "tools": self.tools.names()})
        self.guard.attach(run_id)
        return await self._loop(run_id)

    def run_sync(self, instruction: str | None = None) -> RunResult:
        return run_sync(self.run(instruction))

    async def resume(self, run_id: str) -> RunResult:
        """Continue a run from its trace (after a crash, or once an escalation is answered)."""
        if not self.trace.has_run(run_id):
            raise ValueError(f"no run {run_id!r} in {self.trace.path}")
        state = self.guard.restore(run_id)
        if state.ended:
            raise ValueError(f"run {run_id} has already ended ({state.status}); start a new run")
        self.principal.instructions[:] = state.instructions
        self.guard.attach(run_id)
        open_step = state.open
        self._record(run_id, StatusEvent(status="resumed"))
        if open_step is not None:
            outcome = await self._finish_pending(run_id, open_step)
            if outcome is not None:
                return outcome
        return await self._loop(run_id)

    def resume_sync(self, run_id: str) -> RunResult:
        return run_sync(self.resume(run_id))

    # ---- the loop ---------------------------------------------------------------------
    def _record(self, run_id: str, event: Event) -> Event:
        return self.guard.record(run_id, event)

    def _observations(self, run_id: str) -> list[str]:
        obs = self.guard.state(run_id).observations
        return obs[-self.config.history :] if self.config.history else []

    def _prompt(self, run_id: str) -> str:
        inst = "\n".join(f"v{i.version}: {i.text}" for i in self.principal.instructions)
        tools = json.dumps(self.tools.schemas())
        obs = "\n".join(f"- {o}" for o in self._observations(run_id)) or "(none yet)"
        return f"{SYSTEM}\nInstructions:\n{inst}\n\nTools: {tools}\n\nObservations:\n{obs}\n"

    def _result(self, run_id: str, status: RunStatus, final: str | None = None) -> RunResult:
        self._record(run_id, StatusEvent(status=status))
        state = self.guard.state(run_id)
        return RunResult(
            run_id=run_id,
            status=status,
            final=final,
            steps=state.proposals,
            executed=list(state.executed),
        )

    def _note(self, run_id: str, step: int, text: str, **flags: bool) -> None:
        """Tell the agent something about its step (an observation)."""
        self._record(run_id, ObservationEvent(step=step, text=text, **flags))

    async def _loop(self, run_id: str) -> RunResult:
        state = self.guard.state(run_id)
        step = state.step
        while True:
            await self.principal.wait_if_paused()
            if self.principal.stopped:
                self._record(run_id, StopEvent(step=step, when="before the next proposal"))
                return self._result(run_id, "stopped")
            self.guard.sync_instructions(run_id)
            if step >= self.config.max_steps:
                return self._result(run_id, "step_budget_exhausted")
            step += 1
            try:
                outs = await asyncio.to_thread(
                    self.model.generate,
                    [self._prompt(run_id)],
                    max_new_tokens=self.config.max_new_tokens,
                )
                raw = outs[0].text
            except Exception as err:  # the agent's model failed: end the run, say why
                self._note(run_id, step, f"{type(err).__name__}: {err}", model_error=True)
                return self._result(run_id, "model_error")
            self._record(run_id, ReasoningEvent(step=step, text=raw))
            try:
                proposal = parse_proposal(raw)
                if proposal.action.kind == "tool":
                    tool = self.tools.get(proposal.action.tool or "")
                    proposal.action.args = tool.validate(proposal.action.args)
            except (MalformedProposal, ToolError, ValidationError) as err:
                self._note(run_id, step, f"malformed proposal: {err}", malformed=True)
                if state.malformed > self.config.max_malformed:
                    return self._result(run_id, "too_many_malformed_proposals")
                continue
            self._record(
                run_id,
                ProposalEvent(step=step, reasoning=proposal.reasoning, action=proposal.action),
            )
            outcome = await self._handle(run_id, step, proposal)
            if outcome is not None:
                return outcome

    async def _handle(self, run_id: str, step: int, proposal: Proposal) -> RunResult | None:
        """The guard decides; then act on its decision. Returns a result to end the run."""
        decided = await self.guard.review(run_id, proposal.action, proposal.reasoning, step=step)
        return await self._after(run_id, step, proposal, decided)

    async def _after(
        self, run_id: str, step: int, proposal: Proposal, decided: GuardDecision
    ) -> RunResult | None:
        if decided.waiting:
            return self._result(run_id, "waiting_for_principal")
        return await self._apply(run_id, step, proposal, decided.decision, decided.why)

    async def _apply(
        self, run_id: str, step: int, proposal: Proposal, decision: Decision, why: str
    ) -> RunResult | None:
        """Act on a recorded decision."""
        action = proposal.action
        if decision == Decision.terminate:
            return self._result(run_id, "terminated_by_review")
        if decision != Decision.approve:
            verb = "revise" if decision == Decision.revise else "blocked"
            self._note(run_id, step, f"{verb}: {action.describe()} ({why})")
            return None
        if self.principal.stopped:
            stop = StopEvent(step=step, when="before execution", action=action.describe())
            self._record(run_id, stop)
            return self._result(run_id, "stopped")
        if action.kind == "final":
            self._record(run_id, FinalEvent(step=step, text=action.text))
            return self._result(run_id, "finished", action.text)
        if action.kind == "ask":
            esc = Escalation(
                step=step,
                proposal=proposal,
                consequence="read_only",
                verdicts=[],
                why=f"question: {action.text}",
            )
            answer = await self.principal.decide(esc)
            text = answer.text if answer else "(no answer)"
            self._record(run_id, PrincipalEvent(step=step, answer_to_question=text))
            self._note(run_id, step, f"principal: {text}")
            return None
        await self._execute(run_id, step, action)
        return None

    async def _execute(self, run_id: str, step: int, action: Action) -> None:
        tool = self.tools.get(action.tool or "")
        started = ExecutionStartedEvent(
            step=step, key=f"{run_id}:{step}", tool=tool.name, args=action.args
        )
        self._record(run_id, started)
        try:
            result = await asyncio.to_thread(tool, **action.args)
            ok, text = True, str(result)
        except Exception as err:
            ok, text = False, f"{type(err).__name__}: {err}"
        self._record(run_id, started.finished(ok, text))
        self._note(run_id, step, f"{tool.name} -> {text}")

    async def _finish_pending(self, run_id: str, open_step: OpenStep) -> RunResult | None:
        """Continue the step the trace left open, never repeating a call that started."""
        step, proposal = open_step.step, open_step.proposal.proposal
        started = open_step.started
        if started is not None:  # started, result never recorded: never repeat
            self._record(run_id, started.finished(None, "outcome unknown", interrupted=True))
            self._note(
                run_id,
                step,
                f"{started.tool} was interrupted; its outcome is unknown and it was not repeated",
            )
            return None
        decided = open_step.decision
        if decided is not None:
            if decided.decision != Decision.approve:
                return None
            if proposal.action.kind == "tool":
                await self._execute(run_id, step, proposal.action)
                return None
            return await self._apply(run_id, step, proposal, Decision.approve, decided.why)
        escalation = self.guard.escalation(run_id)
        if escalation is not None and open_step.answer is not None:
            outcome = self.guard.settle(run_id, open_step.answer, escalation)
            return await self._after(run_id, step, proposal, outcome)
        return await self._handle(run_id, step, proposal)
