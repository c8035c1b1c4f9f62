"""Committed trace events per second (each event its own transaction).

    python benchmarks/trace_throughput.py [--events 3000] [--durability FULL|NORMAL]

Appends `--events` proposal-sized events to a fresh SQLite trace (WAL). The
baseline in the same run is bare `sqlite3` inserting the same rows, one commit
each, with the same journal and synchronous settings, so the ratio is overt's
own overhead. FULL survives power loss; NORMAL survives a killed process.
Prints `trace_events_per_s:` last (goal ≥ 1,000).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from overt.agent.events import ProposalEvent
from overt.agent.trace import Trace
from overt.agent.types import Action

EVENT = ProposalEvent(
    step=3,
    reasoning="I should read the file first. " * 4,
    action=Action(kind="tool", tool="read_file", args={"path": "notes.txt"}),
)


def bare(path: Path, n: int, durability: str) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={durability}")
    db.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, run TEXT, seq INT, kind TEXT, p TEXT)")
    start = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO e (run, seq, kind, p) VALUES (?, ?, ?, ?)",
            ("r", i, "proposal", EVENT.payload_json()),
        )
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return n / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--durability", choices=["FULL", "NORMAL"], default="FULL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = bare(Path(tmp) / "bare.db", args.events, args.durability)
        trace = Trace(Path(tmp) / "trace.db", durability=args.durability)
        run = trace.new_run()
        start = time.perf_counter()
        for _ in range(args.events):
            trace.append(run, EVENT)
        rate = args.events / (time.perf_counter() - start)
        assert len(trace.events(run)) == args.events
    print(f"durability: WAL + synchronous={args.durability}, one transaction per event")
    print(f"bare sqlite3 inserts/s: {base:,.0f}; overt trace / bare: {rate / base:.2f}")
    print(f"trace_events_per_s: {rate:,.0f}")


if __name__ == "__main__":
    main()
