"""Tools for the CLI tests: side effects go to the file named by OVERT_TEST_LEDGER."""

from __future__ import annotations

import os
from pathlib import Path

from overt.agent.tools import tool


@tool("read_only")
def read_note(name: str) -> str:
    """Read a note."""
    return f"note {name}: buy milk"


@tool("irreversible")
def send_payment(to: str, amount: int) -> str:
    """Send money (appends to the ledger)."""
    with Path(os.environ["OVERT_TEST_LEDGER"]).open("a") as f:
        f.write(f"{to},{amount}\n")
    return "sent"
