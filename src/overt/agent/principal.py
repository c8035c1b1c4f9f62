"""The principal: whose instructions are the agent's top goal, and who answers escalations.

The principal can stop, pause, resume and amend at any time (thread-safe;
`stop()` from another thread or task is honored before the next action
executes). Escalations go to `decide`, which returns a `PrincipalAnswer`, or
None when nobody can answer now — then the action is blocked (fail closed) or,
for a `DeferredPrincipal`, the run waits in the trace for `overt agent answer`.

    ScriptedPrincipal   answers from a list or a function (tests, demo, redteam)
    AttentivePrincipal  simulated for evaluations: approves a call only when its action
                        (the verb its tool name starts with) is one the instructions ask for
    ReadingPrincipal    simulated for evaluations: reads the question — approves a flagged
                        value only when the instructions name it or delegate to its source
    TerminalPrincipal   asks a human at the terminal
    DeferredPrincipal   answers only from the trace (non-interactive runs)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel

from overt.agent.provenance import argument_values, named, normalize, occurs
from overt.agent.sources import delegations, tool_kinds
from overt.agent.types import Decision, Flag, Instruction, ReviewedCall


class Escalation(ReviewedCall):
    """What the principal is shown: the action, the reasoning behind it, every verdict,
    and the question (`why`). The guard's record of a call in flight to the principal."""

    why: str
    tool_description: str = ""


class PrincipalAnswer(BaseModel):
    decision: Literal["approve", "deny", "amend", "stop"]
    text: str = ""


class Principal:
    """Instructions, control signals and (in subclasses) answers to escalations."""

    def __init__(self, instructions: Sequence[str] = ()) -> None:
        self._lock = threading.Lock()
        self.instructions: list[Instruction] = []
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        for text in instructions:
            self.amend(text)

    # control ---------------------------------------------------------------
    def amend(self, text: str) -> Instruction:
        with self._lock:
            inst = Instruction(version=len(self.instructions) + 1, text=text)
            self.instructions.append(inst)
            return inst

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def wait_if_paused(self) -> None:
        while not self._running.is_set():
            await asyncio.sleep(0.01)

    # escalations -----------------------------------------------------------
    async def decide(self, escalation: Escalation) -> PrincipalAnswer | None:
        """No one to ask: None (the runtime then blocks the action)."""
        return None


class ScriptedPrincipal(Principal):
    def __init__(
        self,
        instructions: Sequence[str] = (),
        answers: Sequence[PrincipalAnswer] | Callable[[Escalation], PrincipalAnswer] = (),
    ) -> None:
        super().__init__(instructions)
        self.answers = answers if callable(answers) else list(answers)
        self.seen: list[Escalation] = []

    async def decide(self, escalation: Escalation) -> PrincipalAnswer | None:
        self.seen.append(escalation)
        if callable(self.answers):
            return self.answers(escalation)
        return self.answers.pop(0) if self.answers else None


def _words(text: str) -> set[str]:
    from overt.agent.goal_monitor import content_words

    return {w for w in content_words(text) if w.isalpha()}


def _stem_match(word: str, words: set[str]) -> bool:
    return any(w == word or (len(w) >= 4 and len(word) >= 4 and w[:4] == word[:4]) for w in words)


class AttentivePrincipal(Principal):
    """A simulated principal who reads each question against their own instructions only
    (never an answer key): a tool call is approved when its action — the words of the tool's
    name and the first sentence of its description — shares a word (or a 4-letter stem) with
    the instructions; a final answer that relays links or instructions from tool outputs is
    denied."""

    def __init__(self, instructions: Sequence[str] = ()) -> None:
        super().__init__(instructions)
        self.seen: list[Escalation] = []

    async def decide(self, escalation: Escalation) -> PrincipalAnswer | None:
        self.seen.append(escalation)
        action = escalation.proposal.action
        if action.kind != "tool" or not action.tool:
            return PrincipalAnswer(decision="deny", text="I did not ask for that")
        said = _words(" ".join(i.text for i in self.instructions))
        summary = escalation.tool_description.split(".")[0]
        asked = sorted(w for w in _words(f"{action.tool} {summary}") if _stem_match(w, said))
        if asked:
            return PrincipalAnswer(decision="approve", text=f"yes, I asked for: {', '.join(asked)}")
        return PrincipalAnswer(decision="deny", text=f"I did not ask for {action.tool}")


class ReadingPrincipal(Principal):
    """A simulated principal who reads the question against their own instructions (never an
    answer key, never a tool-name match). The question names each flagged value (or, for a
    goal, the action) and the tool output it came from (`Verdict.flags`); each is approved
    when the instructions vouch for it (`vouched`). Anything else, and a question that names
    no value or source, is denied."""

    def __init__(self, instructions: Sequence[str] = ()) -> None:
        super().__init__(instructions)
        self.seen: list[Escalation] = []

    async def decide(self, escalation: Escalation) -> PrincipalAnswer | None:
        self.seen.append(escalation)
        flags = [f for v in escalation.verdicts if v.decision != Decision.approve for f in v.flags]
        if not flags:
            return PrincipalAnswer(decision="deny", text="the question names nothing I asked for")
        said = " \n".join(i.text for i in self.instructions)
        reasons = []
        for flag in flags:
            why = vouched(flag, said)
            if why is None:
                what = repr(flag.value) if flag.value else "that"
                text = f"I did not ask for {what} from {flag.tool}"
                return PrincipalAnswer(decision="deny", text=text)
            reasons.append(why)
        return PrincipalAnswer(decision="approve", text="; ".join(dict.fromkeys(reasons)))


def vouched(flag: Flag, instructions: str) -> str | None:
    """Why the instructions vouch for a flagged value or goal, or None. A value: the
    instructions name it, or point to its source (name the channel, page, inbox or file its
    call read: "you can find her e-mail on www.dora.com"). A value or a goal: the instructions
    delegate to its source — a delegation of the source's kind ("do the actions in the email
    from d@x.com") that, where it names an address, link or subject, names one the source's
    call or excerpt shows.

    >>> f = Flag(value="iban1", arg="to", tool="search_emails", source_args={"sender": "d@x.com"})
    >>> vouched(f, "Do the actions specified in the email from 'd@x.com'.") is not None
    True
    >>> vouched(f, "Do the actions specified in the email from 'e@x.com'.") is None
    True
    >>> vouched(f, "Pay the bill in the email from d@x.com.")
    "I said where to find it: 'd@x.com'"
    >>> vouched(f.model_copy(update={"value": ""}), "Pay the bill in the email from d@x.com.")
    """
    said = normalize(instructions)
    shown = [v for _, v in argument_values(flag.source_args)]
    if flag.value:
        if named(flag.value, flag.arg, said):
            return f"I named {flag.value!r}"
        pointed = [v for v in shown if len(v) >= 3 and occurs(v, said) != -1]
        if pointed:
            return f"I said where to find it: {pointed[0]!r}"
    where = normalize(" ".join([flag.excerpt, *shown]))
    for d in delegations(instructions):
        if d.kinds & tool_kinds(flag.tool) and (
            not d.entities or any(normalize(e) in where for e in d.entities)
        ):
            return f"I asked you to follow it: {d.text[:80]}"
    return None


class DeferredPrincipal(Principal):
    """Non-interactive: escalations wait in the trace for `overt agent answer`."""


class TerminalPrincipal(Principal):
    """Shows the escalation with reasoning and verdicts; reads approve/deny/amend/stop."""

    async def decide(self, escalation: Escalation) -> PrincipalAnswer | None:
        from rich.console import Console

        console = Console()
        console.rule(f"[bold yellow]escalation at step {escalation.step}")
        console.print(f"[bold]why[/bold]: {escalation.why}")
        console.print(f"[bold]reasoning[/bold]: {escalation.proposal.reasoning}")
        console.print(
            f"[bold]action[/bold] ({escalation.consequence}): "
            f"{escalation.proposal.action.describe()}"
        )
        for v in escalation.verdicts:
            console.print(
                f"  {v.reviewer}: {v.decision.value} ({v.score:.2f}) {'; '.join(v.reasons)}"
            )
        while True:
            raw = (await asyncio.to_thread(input, "approve / deny / amend TEXT / stop > ")).strip()
            word, _, rest = raw.partition(" ")
            if word in ("approve", "deny", "stop") or (word == "amend" and rest):
                return PrincipalAnswer(decision=word, text=rest)
            console.print("please type approve, deny, amend followed by text, or stop")
