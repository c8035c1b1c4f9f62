"""Trace durability and ordering; tool schemas and argument validation."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from overt.agent.events import ObservationEvent
from overt.agent.tools import Consequence, Toolbox, ToolError, load_tools, tool
from overt.agent.trace import Trace


def test_events_are_committed_ordered_and_survive_reopen(tmp_path):
    trace = Trace(tmp_path / "t.db")
    run = trace.new_run({"model": "m"})
    for i in range(5):
        trace.append(run, ObservationEvent(text=str(i)))
    trace.close()
    reopened = Trace(tmp_path / "t.db")
    events = reopened.events(run)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.payload["text"] for e in events] == ["0", "1", "2", "3", "4"]
    mode = sqlite3.connect(tmp_path / "t.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_concurrent_appends_keep_a_gapless_sequence(tmp_path):
    trace = Trace(tmp_path / "t.db", durability="NORMAL")
    run = trace.new_run()
    threads = [
        threading.Thread(
            target=lambda: [trace.append(run, ObservationEvent(text="x")) for _ in range(50)]
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.seq for e in trace.events(run)] == list(range(1, 201))


def test_tool_schema_and_validation():
    @tool("external")
    def send(to: str, count: int = 1) -> str:
        """Send things."""
        return to * count

    schema = send.schema()
    assert schema["consequence"] == "external" and schema["description"] == "Send things."
    assert schema["parameters"]["required"] == ["to"]
    assert send.validate({"to": "a", "count": "2"}) == {"to": "a", "count": 2}
    with pytest.raises(ToolError, match="count"):
        send.validate({"to": "a", "count": "many"})
    with pytest.raises(ToolError, match="cc: Extra inputs"):
        send.validate({"to": "a", "cc": "b"})
    assert send.consequence is Consequence.external
    with pytest.raises(ToolError, match="unknown tool 'nope'"):
        Toolbox([send]).get("nope")


def test_untyped_parameters_and_empty_modules_are_refused():
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(TypeError, match="needs a type hint"):
        tool()(untyped)
    with pytest.raises(ValueError, match="defines no tools"):
        load_tools("json")
