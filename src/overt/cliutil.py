"""Helpers the command lines share: key=value knobs, model specs and output folders as user errors.

Each turns a routine mistake into a `UsageError` (one line, exit code 2) at the
point where the CLI reads the input, so nothing else needs to catch broad
exception types:

    >>> parse_knobs(["K=6", "m=10"])
    {'K': 6, 'm': 10}
    >>> parse_knobs(["K"])
    Traceback (most recent call last):
    ...
    overt.errors.UsageError: expected KEY=VALUE, got 'K'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from overt.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from overt.models.base import Model

_console: Console | None = None


def console() -> Console:
    """The shared rich console (created on first use: rich is not imported for `--help`)."""
    global _console
    if _console is None:
        from overt.report.tables import make_console

        _console = make_console()
    return _console


def parse_knobs(items: Sequence[str]) -> dict[str, object]:
    """`K=6 m=10` → {"K": 6, "m": 10}; values are read as YAML scalars."""
    import yaml

    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(f"expected KEY=VALUE, got {item!r}")
        out[key] = yaml.safe_load(raw)
    return out


def load_model_arg(spec: str, what: str = "model") -> Model:
    """`load_model(spec)`, with a missing, truncated or malformed model as a `UsageError`."""
    from safetensors import SafetensorError

    from overt.models import load_model

    path = Path(spec)
    if path.is_dir() and (path / "config.json").is_file():
        weights = list(path.glob("*.safetensors")) + list(path.glob("*.bin"))
        if not weights:
            raise UsageError(
                f"{what} {spec} has no model.safetensors; its training may not have finished "
                "(rerun the same `overt lab train` to resume)"
            )
    try:
        return load_model(spec)
    except SafetensorError as err:
        raise UsageError(
            f"cannot load {what} {spec!r}: its weights are truncated or corrupt ({err}); "
            "retrain it or copy the folder again"
        ) from None
    except (OSError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(f"cannot load {what} {spec!r}: {reason}") from None
