"""Cost of the model-free review chain per action, beside the trace writes; reviewer concurrency.

    python benchmarks/review_overhead.py [--actions 1000]

Per action, inside one event loop: the default model-free chain (policy,
provenance of every argument, goal-provenance CoT monitor) reviewing a
consequential call against a run that has read 10 e-mails (~1.5 KB each) as
tool outputs, through `Guard.review` (proposal, three verdicts and the
decision committed to the trace, WAL, synchronous=FULL). Baseline in the same
run: committing the same five events with no review. Also the chain alone
(no trace). Then three scripted reviewers that each sleep 100 ms review one
action: the chain's latency is close to the slowest reviewer, not the sum.
Prints `review_overhead_ms:` last: the chain alone, beside the trace writes
(goal ≤ 1 ms); guard minus trace writes is printed too, but it is dominated
by fsync jitter on a busy disk.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from overt.agent.events import DecisionEvent, ProposalEvent, VerdictEvent
from overt.agent.guard import Guard, GuardConfig, default_chain
from overt.agent.review import PolicyReviewer, ReviewChain
from overt.agent.tools import Consequence, tool
from overt.agent.trace import Trace
from overt.agent.types import Action, Decision, Instruction, ReviewView, Verdict


@tool("read_only")
def read_inbox() -> str:
    """Read the inbox."""
    return ""


@tool("external")
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email."""
    return "sent"


def email(i: int) -> str:
    return (
        f"- id_: '{i}'\n  sender: colleague{i}@example.com\n  subject: Project update {i}\n"
        f"  body: 'Hi, the numbers for week {i} are in the shared folder, see "
        f"https://files.example.com/w{i}. Revenue was {1000 + i} EUR and the review is on "
        f"2024-05-{10 + i}. "
        + "Let me know if anything looks off before the meeting. " * 20
        + "'\n"
    )


class Sleeper:
    min_consequence = Consequence.read_only

    def __init__(self, i: int, seconds: float) -> None:
        self.name, self.seconds = f"sleeper{i}", seconds

    async def review(self, view: ReviewView) -> Verdict:
        await asyncio.sleep(self.seconds)
        return Verdict(reviewer=self.name, decision=Decision.approve, score=1.0)


def call(i: int) -> dict[str, object]:
    return {
        "tool": "send_email",
        "args": {"to": "bob@example.com", "subject": f"Summary {i}", "body": f"All fine, {i}."},
    }


async def measure(actions: int, tmp: Path) -> tuple[float, float, float]:
    trace = Trace(tmp / "t.db")
    guard = Guard(
        [read_inbox, send_email], review=default_chain(), trace=trace, config=GuardConfig()
    )
    run = guard.start(["Summarise this week's project e-mails and send bob@example.com a summary."])
    for i in range(10):
        guard.observe(run, "read_inbox", email(i))
    await guard.review(run, call(-1), "warm-up")
    start = time.perf_counter()
    for i in range(actions):
        await guard.review(run, call(i), "The principal asked for a summary sent to Bob.")
    guard_ms = (time.perf_counter() - start) * 1000 / actions

    base = trace.new_run()
    verdict = VerdictEvent(step=1, reviewer="x", decision=Decision.approve, score=1.0)
    start = time.perf_counter()
    for i in range(actions):
        action = Action(kind="tool", **call(i))  # type: ignore[arg-type]
        trace.append(base, ProposalEvent(step=i, reasoning="r", action=action))
        for _ in range(3):
            trace.append(base, verdict)
        trace.append(base, DecisionEvent(step=i, decision=Decision.approve, by="review"))
    trace_ms = (time.perf_counter() - start) * 1000 / actions

    chain = default_chain()
    view = guard.view(run, Action(kind="tool", **call(0)), "why", Consequence.external)  # type: ignore[arg-type]
    start = time.perf_counter()
    for i in range(actions):
        v = view.model_copy(update={"action": Action(kind="tool", **call(i))})  # type: ignore[arg-type]
        decision, _ = await chain.review(v, Consequence.external)
        assert decision == Decision.approve
    chain_ms = (time.perf_counter() - start) * 1000 / actions
    return guard_ms, trace_ms, chain_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        guard_ms, trace_ms, chain_ms = asyncio.run(measure(args.actions, Path(tmp)))
    view = ReviewView(
        instructions=[Instruction(version=1, text="Summarise notes.txt")],
        reasoning="Read the file first.",
        action=Action(kind="tool", tool="read_file", args={"path": "notes.txt"}),
        consequence="read_only",
    )
    sleepy = ReviewChain(PolicyReviewer(), [Sleeper(i, 0.1) for i in range(3)])
    start = time.perf_counter()
    decided, verdicts = asyncio.run(sleepy.review(view, Consequence.read_only))
    latency = time.perf_counter() - start
    assert decided == Decision.approve and len(verdicts) == 4
    print(f"trace writes alone (5 events, synchronous=FULL): {trace_ms:.3f} ms/action")
    print(f"guard review incl. trace writes: {guard_ms:.3f} ms/action")
    print(f"model-free chain alone (policy + provenance + goal monitor): {chain_ms:.3f} ms/action")
    print(
        "three reviewers sleeping 100 ms each: chain latency "
        f"{latency * 1000:.0f} ms (sum would be 300 ms)"
    )
    print(f"guard minus trace writes: {guard_ms - trace_ms:.3f} ms/action (noisy: fsync)")
    print(f"review_overhead_ms: {chain_ms:.3f}")


if __name__ == "__main__":
    main()
