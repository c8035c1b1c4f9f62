"""A headless chromium page for the report tests (Playwright driving the system browser).

The tests that use `browser_page` skip, saying why, where Playwright or a
chromium binary is missing; `.ci/run` installs both. OVERT_CHROMIUM names
another binary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_binary() -> str | None:
    candidates = [os.environ.get("OVERT_CHROMIUM"), "chromium", "chromium-browser"]
    for name in candidates:
        found = name and shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium binary (apt-get install chromium, or set OVERT_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield page
        browser.close()


def is_blank(png: bytes) -> bool:
    """Whether a screenshot is (nearly) one colour."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    return len(colours) < 20
