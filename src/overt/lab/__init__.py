"""overt.lab: model organisms, grids of them (`experiment`) and the built-in presets.

>>> "quickstart" in preset_names()
True
"""

from __future__ import annotations

from pathlib import Path

PRESETS = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    """The built-in grids `overt lab run NAME` accepts."""
    return sorted(p.stem for p in PRESETS.glob("*.yaml"))
