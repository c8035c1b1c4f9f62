"""Example tools for `overt agent run`: notes in memory and an outbox, nothing leaves the process.

    overt agent run "What do my notes say?" --model scripted:agent.json \\
        --reviewer-model scripted:reviewers.json --tools overt.agent.examples --non-interactive

One tool of each consequence level, declared three ways (a typed function
with per-argument descriptions, a pydantic model, an OpenAI-style function
spec), and one whose consequence depends on its arguments. Copy this file to
start your own tools module.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from overt.agent.tools import Tool, tool

NOTES: dict[str, str] = {
    "groceries": "Buy milk and eggs.",
    "meeting": "Team sync moved to Thursday 10:00. Agenda from ana@example.com.",
}
OUTBOX: list[tuple[str, str]] = []


@tool("read_only")
def read_note(name: Annotated[str, Field(description="the note's name, e.g. 'groceries'")]) -> str:
    """Read one note."""
    if name not in NOTES:
        raise KeyError(f"no note {name!r}; notes: {', '.join(sorted(NOTES))}")
    return NOTES[name]


@tool("read_only")
def list_notes() -> str:
    """List the names of all notes."""
    return ", ".join(sorted(NOTES))


class WriteNote(BaseModel):
    """Write (or overwrite) a note."""

    name: str = Field(description="the note's name")
    text: str = Field(description="the whole new text")


def _write_note(name: str, text: str) -> str:
    NOTES[name] = text
    return f"wrote {name}"


def _write_level(args: dict[str, Any]) -> str:
    """A new note can be deleted again; overwriting an existing one loses its text."""
    return "irreversible" if args.get("name") in NOTES else "reversible"


write_note = Tool.from_pydantic(WriteNote, _write_note, _write_level, name="write_note")


def _send_email(to: str, body: str) -> str:
    OUTBOX.append((to, body))
    return f"queued for {to}"


send_email = Tool.from_openai(
    {
        "type": "function",
        "function": {
            "name": "send_email",
            "description": "Send an email (queued in the example outbox).",
            "parameters": {
                "type": "object",
                "properties": {
                    "to": {"type": "string", "description": "recipient address"},
                    "body": {"type": "string", "description": "message text"},
                },
                "required": ["to", "body"],
            },
        },
    },
    fn=_send_email,
    consequence="external",
)
