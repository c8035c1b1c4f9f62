"""Tools from JSON schemas, pydantic models and OpenAI function specs.

pytest tests/agent/test_schemas.py -q
"""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from overt.agent.tools import Consequence, Tool, ToolError, tool

SPEC = {
    "type": "function",
    "function": {
        "name": "send_email",
        "description": "Send an email.",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "array", "items": {"type": "string"}, "description": "recipients"},
                "urgent": {"type": "boolean", "default": False},
                "kind": {"type": "string", "enum": ["note", "invoice"]},
            },
            "required": ["to", "kind"],
        },
    },
}


def test_openai_spec_validates_and_keeps_argument_descriptions() -> None:
    send = Tool.from_openai(SPEC, consequence="external")
    assert send.validate({"to": ["a@b.c"], "kind": "note"})["urgent"] is False
    params = send.schema()["parameters"]
    assert params["properties"]["to"]["description"] == "recipients"
    for bad in ({"to": "a@b.c", "kind": "note"}, {"to": [], "kind": "x"}, {"to": [], "zz": 1}):
        with pytest.raises(ToolError, match="bad arguments for send_email"):
            send.validate(bad)
    with pytest.raises(ToolError, match="no function"):
        send(to=[], kind="note")


def test_pydantic_model_tool_and_argument_dependent_consequence() -> None:
    class Transfer(BaseModel):
        """Move money."""

        iban: str = Field(description="destination account")
        amount: float = Field(ge=0, description="euros")

    def transfer(iban: str, amount: float) -> str:
        return f"{amount} to {iban}"

    t = Tool.from_pydantic(
        Transfer, transfer, consequence=lambda a: "reversible" if a["amount"] < 10 else "external"
    )
    assert t.name == "transfer" and t(**t.validate({"iban": "X", "amount": 5})) == "5.0 to X"
    assert t.level({"iban": "X", "amount": 5}) is Consequence.reversible
    assert t.level({"iban": "X", "amount": 500}) is Consequence.external
    assert t.consequence is Consequence.external  # unknown arguments: fail closed
    assert t.schema()["parameters"]["properties"]["iban"]["description"] == "destination account"


def test_decorated_function_with_annotated_descriptions_and_undeclared_consequence() -> None:
    @tool()
    def archive(path: Annotated[str, Field(description="file to archive")]) -> str:
        """Archive a file."""
        return path

    assert not archive.declared and archive.level({"path": "x"}) is Consequence.external
    assert archive.schema()["consequence"].startswith("undeclared")
    assert archive.schema()["parameters"]["properties"]["path"]["description"] == "file to archive"
    with pytest.raises(ValueError, match="unknown consequence"):
        tool("dangerous")(lambda x: x)
