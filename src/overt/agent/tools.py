"""Tools: typed Python functions the agent may call, each with a consequence level.

    @tool(consequence="irreversible")
    def delete_file(path: str) -> str:
        "Delete a file from the workspace."
        ...

The JSON schema comes from the signature (pydantic), arguments are validated
before anything runs, and the consequence level — read_only < reversible <
irreversible < external — decides how much review an action gets.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model


class Consequence(IntEnum):
    read_only = 0
    reversible = 1
    irreversible = 2
    external = 3


class ToolError(ValueError):
    """A proposal names an unknown tool or gives arguments that do not validate."""


class Tool:
    def __init__(
        self,
        fn: Callable[..., Any],
        consequence: Consequence | str,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.description = (description or inspect.getdoc(fn) or "").strip()
        self.consequence = Consequence[consequence] if isinstance(consequence, str) else consequence
        params = inspect.signature(fn).parameters
        hints = inspect.get_annotations(fn, eval_str=True)
        fields: dict[str, Any] = {}
        for pname, param in params.items():
            if pname not in hints:
                raise TypeError(f"tool {self.name!r}: parameter {pname!r} needs a type hint")
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[pname] = (hints[pname], default)
        self.args_model: type[BaseModel] = create_model(
            f"{self.name}_args", __config__=ConfigDict(extra="forbid"), **fields
        )

    def schema(self) -> dict[str, Any]:
        """OpenAI-style function schema."""
        return {
            "name": self.name,
            "description": self.description,
            "consequence": self.consequence.name,
            "parameters": self.args_model.model_json_schema(),
        }

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.args_model.model_validate(args).model_dump()
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in err.errors()
            )
            raise ToolError(f"bad arguments for {self.name}: {problems}") from None

    def __call__(self, **kwargs: Any) -> Any:
        return self.fn(**kwargs)


def tool(
    consequence: Consequence | str = "read_only", name: str | None = None
) -> Callable[[Callable[..., Any]], Tool]:
    """Decorator turning a typed function into a `Tool`."""

    def wrap(fn: Callable[..., Any]) -> Tool:
        return Tool(fn, consequence, name)

    return wrap


class Toolbox:
    """The tools one agent may use, by name."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self.tools: dict[str, Tool] = {}
        for t in tools:
            if t.name in self.tools:
                raise ValueError(f"two tools are named {t.name!r}")
            self.tools[t.name] = t

    def get(self, name: str) -> Tool:
        if name not in self.tools:
            raise ToolError(f"unknown tool {name!r}; available: {', '.join(sorted(self.tools))}")
        return self.tools[name]

    def schemas(self) -> list[dict[str, Any]]:
        return [t.schema() for t in self.tools.values()]

    def names(self) -> Sequence[str]:
        return list(self.tools)


def load_tools(module_name: str) -> Toolbox:
    """Every `Tool` defined at the top level of an importable module."""
    import importlib

    module = importlib.import_module(module_name)
    found = [v for v in vars(module).values() if isinstance(v, Tool)]
    if not found:
        raise ValueError(f"module {module_name!r} defines no tools (decorate functions with @tool)")
    return Toolbox(found)
