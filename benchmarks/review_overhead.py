"""Cost of the deterministic part of review, and concurrency of model reviewers.

    python benchmarks/review_overhead.py [--actions 2000]

Per action: the policy check plus committing its verdict and decision to the
trace (WAL, synchronous=FULL), measured over `--actions` actions. Baseline in
the same run: committing the same two events with no policy check. Then three
scripted reviewers that each sleep 100 ms review one action through the
chain: the chain's latency is close to the slowest reviewer, not the sum.
Prints `review_overhead_ms:` last (goal ≤ 1 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from overt.agent.review import PolicyReviewer, ReviewChain
from overt.agent.tools import Consequence
from overt.agent.trace import Trace
from overt.agent.types import Action, Decision, Instruction, ReviewView, Verdict

VIEW = ReviewView(
    instructions=[Instruction(version=1, text="Summarise notes.txt")],
    reasoning="Read the file first.",
    action=Action(kind="tool", tool="read_file", args={"path": "notes.txt"}),
    consequence="read_only",
    observations=["read_file -> ..."],
)


class Sleeper:
    min_consequence = Consequence.read_only

    def __init__(self, i: int, seconds: float) -> None:
        self.name, self.seconds = f"sleeper{i}", seconds

    async def review(self, view: ReviewView) -> Verdict:
        await asyncio.sleep(self.seconds)
        return Verdict(reviewer=self.name, decision=Decision.approve, score=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    args = parser.parse_args()
    policy = PolicyReviewer(
        deny=["delete_*"], deny_args=[r"sk-\w+", r"password"], budgets={"send_*": 5}
    )
    with tempfile.TemporaryDirectory() as tmp:
        trace = Trace(Path(tmp) / "t.db")
        run = trace.new_run()
        decision = {"step": 1, "decision": "approve", "by": "review", "why": ""}
        start = time.perf_counter()
        for _ in range(args.actions):
            trace.append(
                run,
                "verdict",
                {
                    "step": 1,
                    "reviewer": "policy",
                    "decision": "approve",
                    "score": 1.0,
                    "reasons": [],
                },
            )
            trace.append(run, "decision", decision)
        base_ms = (time.perf_counter() - start) * 1000 / args.actions
        start = time.perf_counter()
        for _ in range(args.actions):
            verdict = policy.check(VIEW)
            trace.append(run, "verdict", {"step": 1, **verdict.model_dump(mode="json")})
            trace.append(run, "decision", decision)
        overhead_ms = (time.perf_counter() - start) * 1000 / args.actions

    chain = ReviewChain(PolicyReviewer(), [Sleeper(i, 0.1) for i in range(3)])
    start = time.perf_counter()
    decided, verdicts = asyncio.run(chain.review(VIEW, Consequence.read_only))
    latency = time.perf_counter() - start
    assert decided == Decision.approve and len(verdicts) == 4
    print(f"trace writes alone (2 events, synchronous=FULL): {base_ms:.3f} ms/action")
    print(
        "three reviewers sleeping 100 ms each: chain latency "
        f"{latency * 1000:.0f} ms (sum would be 300 ms)"
    )
    print(f"review_overhead_ms: {overhead_ms:.3f}")


if __name__ == "__main__":
    main()
