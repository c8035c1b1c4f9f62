"""The trace: an append-only SQLite record of every event of every run.

    trace = Trace("runs/agent.db")                  # creates runs/ if need be
    run = trace.new_run({"instruction": "..."})
    trace.append(run, ReasoningEvent(step=1, text="..."))
    for event in trace.events(run): ...             # typed events (overt.agent.events)

Each `append` is its own committed transaction (WAL journal; synchronous=FULL
by default, so a committed event survives power loss; NORMAL survives a
killed process). The runtime appends an event *before* it acts on it, so a
run killed at any point resumes from what the trace says happened.

Each row is an event's kind and its fields as JSON. Reading validates every
row into its model; a row that does not validate (a trace from a newer overt,
or one edited by hand) is refused with `TraceFormatError`, naming the run,
the row and what is wrong.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from overt.agent.events import EVENT, Event
from overt.errors import UsageError

Durability = Literal["FULL", "NORMAL"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created REAL NOT NULL, meta TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    seq INTEGER NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (run_id, seq)
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id, seq);
"""


class TraceFormatError(UsageError):
    """A stored event that does not validate into its model."""


def _event(run_id: str, seq: int, ts: float, kind: str, payload: str) -> Event:
    try:
        data = json.loads(payload)
        return EVENT.validate_python({**data, "kind": kind, "run_id": run_id, "seq": seq, "ts": ts})
    except ValueError as err:  # bad JSON, or a ValidationError
        what = str(err)
        if isinstance(err, ValidationError):
            first = err.errors()[0]
            what = f"{'.'.join(str(p) for p in first['loc']) or 'payload'}: {first['msg']}"
        raise TraceFormatError(
            f"run {run_id}, event {seq} ({kind!r}) is not a valid trace event ({what}); "
            "open this trace with the overt version that wrote it"
        ) from None


class Trace:
    """A SQLite trace database, safe to share between threads of one process."""

    def __init__(self, path: str | Path = ":memory:", durability: Durability = "FULL") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.durability = durability
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={durability}")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def new_run(self, meta: dict[str, Any] | None = None, run_id: str | None = None) -> str:
        run_id = run_id or time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        with self._lock:
            self._db.execute(
                "INSERT INTO runs VALUES (?, ?, ?)", (run_id, time.time(), json.dumps(meta or {}))
            )
        return run_id

    def runs(self) -> list[tuple[str, float, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT run_id, created, meta FROM runs ORDER BY created")
            return [(r, c, json.loads(m)) for r, c, m in rows.fetchall()]

    def has_run(self, run_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None

    def append(self, run_id: str, event: Event) -> Event:
        """Commit one event; returns it, with its place in the run, once it is durable."""
        data = event.payload_json()
        ts = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (seq,) = self._db.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?", (run_id,)
                ).fetchone()
                self._db.execute(
                    "INSERT INTO events (run_id, seq, ts, kind, payload) VALUES (?, ?, ?, ?, ?)",
                    (run_id, seq, ts, event.kind, data),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return event.model_copy(update={"run_id": run_id, "seq": seq, "ts": ts})

    def events(self, run_id: str, kinds: tuple[str, ...] = ()) -> list[Event]:
        """The run's events (only those of `kinds`, when given), in order."""
        query = "SELECT run_id, seq, ts, kind, payload FROM events WHERE run_id = ?"
        args: list[Any] = [run_id]
        if kinds:
            query += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += list(kinds)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        return [_event(*row) for row in rows]

    def __iter__(self) -> Iterator[str]:
        return iter(r for r, _, _ in self.runs())
