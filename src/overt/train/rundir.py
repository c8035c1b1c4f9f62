"""Run folders that never lose work: they remember their config and stop cleanly on Ctrl-C.

Every trainer calls `prepare_run_dir(cfg, out, force=...)` before any work:

- the folder must be writable (checked by writing a probe file);
- a folder whose `config.yaml` says something else is refused with a
  `UsageError` naming the differing fields, `--force` and a new `--out`;
  with `force=True` its artefacts are removed and the run starts over;
- then the resolved config is written, atomically.

Inside the training loop, `StopRequest` turns Ctrl-C into a request the loop
honours at the next step boundary (after saving a checkpoint) by raising
`TrainingStopped`; a second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from overt.errors import UsageError
from overt.files import atomic_write_text, check_writable

CONFIG_FILE = "config.yaml"
ARTIFACTS = ("checkpoint.pt", "metrics.jsonl", "model", "result.json", "error.json", "audit")
WORK = ("checkpoint.pt", "metrics.jsonl", "model", "result.json")  # what a run would lose


class TrainingStopped(Exception):
    """Training was stopped by Ctrl-C at a step boundary; a checkpoint holds the progress."""

    def __init__(self, step: int, steps: int) -> None:
        super().__init__(f"stopped at step {step} of {steps}; rerun the same command to resume")
        self.step = step


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def config_conflict(cfg: BaseModel, out: Path) -> str | None:
    """Why `out` cannot hold a run of `cfg` without `--force`, or None when it can."""
    saved_path = out / CONFIG_FILE
    if not saved_path.is_file():
        leftovers = [name for name in WORK if (out / name).exists()]
        if not leftovers:
            return None
        return f"{out} holds {', '.join(leftovers)} but no {CONFIG_FILE}"
    try:
        saved = type(cfg).model_validate(yaml.safe_load(saved_path.read_text()) or {})
    except (yaml.YAMLError, ValidationError):
        return f"{out / CONFIG_FILE} is not a valid {type(cfg).__name__}"
    old, new = _flat(saved.model_dump(mode="json")), _flat(cfg.model_dump(mode="json"))
    changed = [k for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
    if not changed:
        return None
    shown = ", ".join(f"{k}: {old.get(k)!r} → {new.get(k)!r}" for k in changed[:3])
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    return f"{out} holds a run with a different config ({shown}{more})"


def prepare_run_dir(cfg: BaseModel, out: str | Path, *, force: bool = False) -> Path:
    """Check, and with `force` clear, the run folder; then write the resolved config."""
    out = check_writable(out)
    conflict = config_conflict(cfg, out)
    if conflict and not force:
        raise UsageError(f"{conflict}; rerun with --force to replace it, or choose a new --out")
    if force:
        clear_run_dir(out)
    atomic_write_text(
        out / CONFIG_FILE, yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
    )
    return out


def clear_run_dir(out: Path) -> None:
    """Remove a run's artefacts (not other files a user put there)."""
    for name in (*ARTIFACTS, CONFIG_FILE):
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


class StopRequest:
    """While active (main thread only), the first Ctrl-C sets `requested`; a second one raises."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
