"""Reading a run's state back from its trace: has it ended, what step is unfinished.

`Agent.resume` uses these to continue a run after a crash or an answered
escalation without repeating anything the trace says already happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from overt.agent.trace import Event
from overt.agent.types import Action, Proposal

T = TypeVar("T")

ENDED = {
    "finished",
    "stopped",
    "terminated_by_review",
    "step_budget_exhausted",
    "too_many_malformed_proposals",
}
"""Run statuses after which `resume` refuses to continue."""


def last_status(events: Sequence[Event]) -> str | None:
    """The most recent status a run recorded (None before any)."""
    statuses = [e.payload["status"] for e in events if e.kind == "status"]
    return statuses[-1] if statuses else None


def pending_step(events: Sequence[Event]) -> tuple[int, Proposal, list[Event]] | None:
    """The last proposal and the events after it, unless its step is complete."""
    idx = max((i for i, e in enumerate(events) if e.kind == "proposal"), default=None)
    if idx is None:
        return None
    payload = events[idx].payload
    after = list(events[idx + 1 :])
    kinds = {e.kind for e in after}
    if "executed" in kinds or "final" in kinds or "observation" in kinds:
        return None
    proposal = Proposal(reasoning=payload["reasoning"], action=Action(**payload["action"]))
    return payload["step"], proposal, after


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
