"""Safe output: folders are checked writable before work starts; files are replaced atomically.

    check_writable(Path("runs/x"), "--out")      # UsageError naming the folder, before any work
    atomic_write_text(Path("runs/x/results.json"), text)   # readers see old or new, never half

A file written with `atomic_write_*` gets the usual permissions (0666 less the
umask), not the 0600 of a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from overt.errors import UsageError


def check_writable(directory: str | Path, what: str = "--out") -> Path:
    """Create `directory` if needed and prove a file can be written there."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".overt-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise UsageError(f"cannot write to {directory} ({reason}); choose another {what}") from None
    return directory


def default_mode() -> int:
    """0666 less the process umask: the mode a plain `open(..., 'w')` gives."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it over `path`."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Replace `path` with `text` in one step."""
    atomic_write(path, lambda tmp: tmp.write_text(text))
