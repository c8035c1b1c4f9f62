"""Argument models from JSON schemas, so tools can be declared without a Python signature.

    model = model_from_json_schema("send_email", {
        "type": "object",
        "properties": {"to": {"type": "string", "description": "recipient address"}},
        "required": ["to"],
    })

Covers what function-calling specs use: string, integer, number, boolean,
array (typed items), object, enum, nullable type lists, defaults and
descriptions. Anything else (anyOf, $ref, ...) is accepted as any value; an
unknown argument is refused unless the schema sets additionalProperties.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}


def python_type(schema: dict[str, Any]) -> Any:
    """The Python type a JSON schema fragment describes (Any when it cannot tell).

    >>> python_type({"type": "array", "items": {"type": "integer"}})
    list[int]
    >>> python_type({"type": ["string", "null"]})
    str | None
    """
    if schema.get("enum"):
        return Literal[tuple(schema["enum"])]
    kind = schema.get("type")
    if isinstance(kind, list):
        types = [python_type({**schema, "type": k}) for k in kind]
        out = types[0]
        for t in types[1:]:
            out = out | t
        return out
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "array":
        return list[python_type(schema.get("items", {}))]  # type: ignore[misc]
    if kind == "object":
        return dict[str, Any]
    return Any


def model_from_json_schema(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model validating an object described by `schema`."""
    if schema.get("type", "object") != "object":
        raise ValueError(f"tool {name!r}: the arguments schema must be an object schema")
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for pname, prop in (schema.get("properties") or {}).items():
        default = ... if pname in required else prop.get("default")
        annotation = python_type(prop)
        if pname not in required and "default" not in prop:
            annotation = annotation | None
        fields[pname] = (annotation, Field(default, description=prop.get("description")))
    config = ConfigDict(extra="allow" if schema.get("additionalProperties") else "forbid")
    return create_model(f"{name}_args", __config__=config, **fields)
