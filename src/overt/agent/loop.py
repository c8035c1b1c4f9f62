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
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from overt.agent.guard import Guard, GuardConfig, GuardDecision
from overt.agent.principal import Escalation, Principal, PrincipalAnswer
from overt.agent.proposal import SYSTEM, MalformedProposal, parse_proposal
from overt.agent.resume import ENDED, last_status, pending_step, run_sync
from overt.agent.review import ReviewChain
from overt.agent.tools import Consequence, Tool, Toolbox, ToolError
from overt.agent.trace import Event, Trace
from overt.agent.types import Action, Decision, Instruction, Proposal, Verdict
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
    status: str
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
            review=review or ReviewChain(),
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
        self.guard.attach(run_id, self.principal.instructions)
        return await self._loop(run_id)

    def run_sync(self, instruction: str | None = None) -> RunResult:
        return run_sync(self.run(instruction))

    async def resume(self, run_id: str) -> RunResult:
        """Continue a run from its trace (after a crash, or once an escalation is answered)."""
        if not self.trace.has_run(run_id):
            raise ValueError(f"no run {run_id!r} in {self.trace.path}")
        events = self.trace.events(run_id)
        status = last_status(events)
        if status in ENDED:
            raise ValueError(f"run {run_id} has already ended ({status}); start a new run")
        self.principal.instructions[:] = [
            Instruction.model_validate(e.payload) for e in events if e.kind == "instruction"
        ]
        self.guard.restore(run_id, self.principal.instructions, events)
        self._record(run_id, "status", {"status": "resumed"})
        pending = pending_step(events)
        if pending is not None:
            outcome = await self._finish_pending(run_id, *pending)
            if outcome is not None:
                return outcome
        return await self._loop(run_id)

    def resume_sync(self, run_id: str) -> RunResult:
        return run_sync(self.resume(run_id))

    # ---- the loop ---------------------------------------------------------------------
    def _record(self, run_id: str, kind: str, payload: dict[str, Any]) -> Event:
        return self.trace.append(run_id, kind, payload)

    def _observations(self, run_id: str) -> list[str]:
        obs = [e.payload["text"] for e in self.trace.events(run_id, ("observation",))]
        return obs[-self.config.history :] if self.config.history else []

    def _prompt(self, run_id: str) -> str:
        inst = "\n".join(f"v{i.version}: {i.text}" for i in self.principal.instructions)
        tools = json.dumps(self.tools.schemas())
        obs = "\n".join(f"- {o}" for o in self._observations(run_id)) or "(none yet)"
        return f"{SYSTEM}\nInstructions:\n{inst}\n\nTools: {tools}\n\nObservations:\n{obs}\n"

    def _result(self, run_id: str, status: str, final: str | None = None) -> RunResult:
        self._record(run_id, "status", {"status": status})
        events = self.trace.events(run_id, ("proposal", "executed"))
        return RunResult(
            run_id=run_id,
            status=status,
            final=final,
            steps=sum(e.kind == "proposal" for e in events),
            executed=[
                e.payload["tool"]
                for e in events
                if e.kind == "executed" and not e.payload.get("interrupted")
            ],
        )

    async def _loop(self, run_id: str) -> RunResult:
        events = self.trace.events(run_id, ("proposal", "observation"))
        step = sum(e.kind == "proposal" for e in events)
        malformed = sum(
            e.kind == "observation" and e.payload.get("malformed", False) for e in events
        )
        recorded = {e.payload["version"] for e in self.trace.events(run_id, ("instruction",))}
        while True:
            await self.principal.wait_if_paused()
            if self.principal.stopped:
                self._record(run_id, "stop", {"step": step, "when": "before the next proposal"})
                return self._result(run_id, "stopped")
            for inst in self.principal.instructions:
                if inst.version not in recorded:
                    self._record(run_id, "instruction", inst.model_dump())
                    recorded.add(inst.version)
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
                self._record(
                    run_id,
                    "observation",
                    {"step": step, "model_error": True, "text": f"{type(err).__name__}: {err}"},
                )
                return self._result(run_id, "model_error")
            self._record(run_id, "reasoning", {"step": step, "text": raw})
            try:
                proposal = parse_proposal(raw)
                if proposal.action.kind == "tool":
                    tool = self.tools.get(proposal.action.tool or "")
                    proposal.action.args = tool.validate(proposal.action.args)
            except (MalformedProposal, ToolError, ValidationError) as err:
                malformed += 1
                self._record(
                    run_id,
                    "observation",
                    {"step": step, "malformed": True, "text": f"malformed proposal: {err}"},
                )
                if malformed > self.config.max_malformed:
                    return self._result(run_id, "too_many_malformed_proposals")
                continue
            self._record(run_id, "proposal", {"step": step, **proposal.model_dump(mode="json")})
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
            self._record(
                run_id,
                "observation",
                {"step": step, "text": f"{verb}: {action.describe()} ({why})"},
            )
            return None
        if self.principal.stopped:
            self._record(
                run_id,
                "stop",
                {"step": step, "when": "before execution", "action": action.describe()},
            )
            return self._result(run_id, "stopped")
        if action.kind == "final":
            self._record(run_id, "final", {"step": step, "text": action.text})
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
            self._record(run_id, "principal", {"step": step, "answer_to_question": text})
            self._record(run_id, "observation", {"step": step, "text": f"principal: {text}"})
            return None
        await self._execute(run_id, step, action)
        return None

    async def _execute(self, run_id: str, step: int, action: Action) -> None:
        tool = self.tools.get(action.tool or "")
        key = f"{run_id}:{step}"
        self._record(
            run_id,
            "execution_started",
            {"step": step, "key": key, "tool": tool.name, "args": action.args},
        )
        try:
            result = await asyncio.to_thread(tool, **action.args)
            ok, text = True, str(result)
        except Exception as err:
            ok, text = False, f"{type(err).__name__}: {err}"
        self._record(
            run_id,
            "executed",
            {
                "step": step,
                "key": key,
                "tool": tool.name,
                "args": action.args,
                "ok": ok,
                "result": text,
            },
        )
        self.guard.observe(run_id, tool.name, text, args=action.args, call=str(step), record=False)
        self._record(run_id, "observation", {"step": step, "text": f"{tool.name} -> {text}"})

    async def _finish_pending(
        self, run_id: str, step: int, proposal: Proposal, after: list[Event]
    ) -> RunResult | None:
        kinds = [e.kind for e in after]
        if "execution_started" in kinds:  # started, result never recorded: never repeat
            started = after[kinds.index("execution_started")].payload
            self._record(
                run_id,
                "executed",
                {**started, "ok": None, "interrupted": True, "result": "outcome unknown"},
            )
            self._record(
                run_id,
                "observation",
                {
                    "step": step,
                    "text": (
                        f"{started['tool']} was interrupted; its outcome is unknown and it was not "
                        "repeated"
                    ),
                },
            )
            return None
        decisions = [e.payload for e in after if e.kind == "decision"]
        if decisions:
            if decisions[-1]["decision"] == "approve":
                if proposal.action.kind == "tool":
                    await self._execute(run_id, step, proposal.action)
                    return None
                return await self._apply(
                    run_id, step, proposal, Decision.approve, decisions[-1]["why"]
                )
            return None
        answers = [e.payload for e in after if e.kind == "principal" and "decision" in e.payload]
        if "escalation" in kinds and answers:
            answer = PrincipalAnswer(
                decision=answers[-1]["decision"], text=answers[-1].get("text", "")
            )
            level, _ = self.guard.level(proposal.action)
            verdicts = [Verdict.model_validate(e.payload) for e in after if e.kind == "verdict"]
            base = {"consequence": level.name, "step": step, "verdicts": verdicts}
            decided = self.guard.settle(run_id, answer, base)
            return await self._after(run_id, step, proposal, decided)
        return await self._handle(run_id, step, proposal)
