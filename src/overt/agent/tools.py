"""Tools: what the agent may call, each with a consequence level.

    @tool(consequence="irreversible")
    def delete_file(path: Annotated[str, Field(description="file to delete")]) -> str:
        "Delete a file from the workspace."
        ...

    send = Tool.from_openai(openai_spec, fn=send_email, consequence="external")
    pay = Tool.from_pydantic(PayArgs, fn=pay, consequence=lambda a: "external" if ... else ...)

A tool comes from a type-hinted function, a pydantic model, a JSON schema or
an OpenAI-style function spec (see `overt.agent.schemas`), with per-argument
descriptions. Arguments are validated before anything runs. The consequence
level — read_only < reversible < irreversible < external — decides how much
review an action gets; it is fixed per tool or a function of the arguments.
A tool that declares no consequence is treated as `external` (fail closed),
and the guard says so on its first use.
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


ConsequenceSpec = Consequence | str | Callable[[dict[str, Any]], Consequence | str] | None
"""A level, its name, a function of the (validated) arguments, or None: undeclared."""


class ToolError(ValueError):
    """A proposal names an unknown tool or gives arguments that do not validate."""


def _as_level(value: Consequence | str) -> Consequence:
    if isinstance(value, Consequence):
        return value
    if value not in Consequence.__members__:
        raise ValueError(
            f"unknown consequence {value!r}; use one of {', '.join(Consequence.__members__)}"
        )
    return Consequence[value]


def _not_callable(**kwargs: Any) -> Any:
    raise ToolError("this tool has a schema but no function to run (the framework runs it)")


class Tool:
    def __init__(
        self,
        fn: Callable[..., Any] | None,
        consequence: ConsequenceSpec = None,
        name: str | None = None,
        description: str | None = None,
        args_model: type[BaseModel] | None = None,
    ) -> None:
        if fn is None and (name is None or args_model is None):
            raise TypeError("a tool without a function needs a name and an arguments model")
        self.fn = fn or _not_callable
        self.name = name or fn.__name__  # type: ignore[union-attr]
        self.description = (description or (inspect.getdoc(fn) if fn else "") or "").strip()
        if consequence is None or callable(consequence):
            self._consequence: Consequence | Callable[..., Any] | None = consequence
        else:
            self._consequence = _as_level(consequence)
        self.args_model = args_model or _model_from_signature(self.name, fn)  # type: ignore[arg-type]

    @classmethod
    def from_pydantic(
        cls,
        model: type[BaseModel],
        fn: Callable[..., Any] | None = None,
        consequence: ConsequenceSpec = None,
        name: str | None = None,
        description: str | None = None,
    ) -> Tool:
        """A tool whose arguments are the fields of `model` (field descriptions included)."""
        return cls(
            fn,
            consequence,
            name or (fn.__name__ if fn else model.__name__),
            description or (inspect.getdoc(fn) if fn else None) or model.__doc__,
            args_model=model,
        )

    @classmethod
    def from_json_schema(
        cls,
        name: str,
        parameters: dict[str, Any],
        fn: Callable[..., Any] | None = None,
        consequence: ConsequenceSpec = None,
        description: str = "",
    ) -> Tool:
        """A tool from a JSON schema of its arguments (an object schema)."""
        from overt.agent.schemas import model_from_json_schema

        return cls(fn, consequence, name, description, model_from_json_schema(name, parameters))

    @classmethod
    def from_openai(
        cls,
        spec: dict[str, Any],
        fn: Callable[..., Any] | None = None,
        consequence: ConsequenceSpec = None,
    ) -> Tool:
        """A tool from an OpenAI-style function spec (`{"type": "function", "function": ...}`
        or the inner `{"name", "description", "parameters"}`)."""
        inner = spec.get("function", spec)
        if "name" not in inner:
            raise ValueError("an OpenAI function spec needs a 'name'")
        params = inner.get("parameters") or {"type": "object", "properties": {}}
        return cls.from_json_schema(
            inner["name"], params, fn, consequence, inner.get("description", "")
        )

    @property
    def declared(self) -> bool:
        """Whether the tool says what its consequence is."""
        return self._consequence is not None

    @property
    def consequence(self) -> Consequence:
        """The level for unknown arguments: the fixed level, or external when undeclared or
        a function of the arguments (fail closed)."""
        return (
            self._consequence
            if isinstance(self._consequence, Consequence)
            else Consequence.external
        )

    def level(self, args: dict[str, Any]) -> Consequence:
        """The consequence of calling the tool with these arguments."""
        if self._consequence is None:
            return Consequence.external
        if isinstance(self._consequence, Consequence):
            return self._consequence
        return _as_level(self._consequence(args))

    def schema(self) -> dict[str, Any]:
        """OpenAI-style function schema, plus the consequence."""
        return {
            "name": self.name,
            "description": self.description,
            "consequence": (
                self._consequence.name
                if isinstance(self._consequence, Consequence)
                else "depends on arguments"
                if self._consequence
                else "undeclared (treated as external)"
            ),
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


def _model_from_signature(name: str, fn: Callable[..., Any]) -> type[BaseModel]:
    params = inspect.signature(fn).parameters
    hints = inspect.get_annotations(fn, eval_str=True)
    fields: dict[str, Any] = {}
    for pname, param in params.items():
        if pname not in hints:
            raise TypeError(f"tool {name!r}: parameter {pname!r} needs a type hint")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints[pname], default)
    return create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields)


def tool(consequence: ConsequenceSpec = None, name: str | None = None) -> Callable[..., Tool]:
    """Decorator turning a typed function into a `Tool`: `@tool("external")`; `@tool()`
    declares nothing (treated as external, and the guard says so)."""

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
