"""Every field of a typed config as a dotted path with its type, default and help; typo hints.

`overt lab config` prints `field_rows(TrainConfig)` and `field_rows(ExperimentConfig)`;
`load_config` adds `suggest(...)` to an unknown key's error.

    >>> from overt.train.config import TrainConfig
    >>> [r.path for r in field_rows(TrainConfig)][:3]
    ['task.name', 'task.params', 'regime']
    >>> suggest(TrainConfig, "task.K")
    'task.params.K'
    >>> suggest(TrainConfig, "model.layer")
    'model.layers'
    >>> suggest(TrainConfig, "nothing.like.it") is None
    True
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class FieldRow:
    """One leaf field: `model.layers`, its type, default and help text."""

    path: str
    type: str
    default: str
    help: str


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The pydantic model an annotation holds (directly or as list items), and whether a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation) or (None,)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None, False


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"(?:\w+\.)+(\w+)", r"\1", str(annotation))


def _default(field: FieldInfo, value: Any) -> str:
    if field.is_required():
        return "required"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, default=str)


def field_rows(cls: type[BaseModel], prefix: str = "", instance: Any = None) -> list[FieldRow]:
    """Leaf fields of `cls`, nested sections flattened (`model.layers`, `grids[].tasks`)."""
    rows: list[FieldRow] = []
    for name, field in cls.model_fields.items():
        path = f"{prefix}{name}"
        if instance is not None:
            value = getattr(instance, name)
        elif field.is_required():
            value = None
        else:
            value = field.get_default(call_default_factory=True)
        sub, is_list = _model_in(field.annotation)
        if sub is not None and not is_list:
            rows.extend(field_rows(sub, f"{path}.", value))
            continue
        rows.append(
            FieldRow(
                path, _type_name(field.annotation), _default(field, value), field.description or ""
            )
        )
        if sub is not None:
            rows.extend(field_rows(sub, f"{path}[]."))
    return rows


def _known_paths(cls: type[BaseModel]) -> list[str]:
    """Field paths, plus `task.params.<knob>` for every task family's knobs."""
    from overt.tasks import TASKS

    paths = [r.path.replace("[]", "") for r in field_rows(cls)]
    knobs = sorted({k for task in TASKS.values() for k in task.params})
    return paths + [f"{p}.{k}" for p in paths if p.endswith("params") for k in knobs]


def suggest(cls: type[BaseModel], key: str) -> str | None:
    """The known field a mistyped or misplaced `key` most likely meant, or None."""
    known = _known_paths(cls)
    last = key.rsplit(".", 1)[-1]
    same_name = [p for p in known if p.rsplit(".", 1)[-1] == last and p != key]
    if same_name:
        return min(same_name, key=lambda p: (abs(p.count(".") - key.count(".")), p))
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    return close[0] if close else None
