"""Shared pieces for the agent tests (also run in subprocesses by the crash tests)."""

from __future__ import annotations

import json
from pathlib import Path

from overt.agent.tools import tool


def turn(reasoning: str, **action: object) -> str:
    return f"REASONING: {reasoning}\nACTION: {json.dumps(action)}"


def make_tools(ledger: Path):
    @tool("read_only")
    def read_note(name: str) -> str:
        """Read a note."""
        return f"note {name}: buy milk"

    @tool("irreversible")
    def send_payment(to: str, amount: int) -> str:
        """Send money. Appends to the ledger file (the side effect tests count)."""
        with ledger.open("a") as f:
            f.write(f"{to},{amount}\n")
        return "sent"

    @tool("reversible")
    def write_note(name: str, text: str) -> str:
        """Write a note."""
        with ledger.open("a") as f:
            f.write(f"note:{name}\n")
        return "written"

    return [read_note, send_payment, write_note]
