"""The agent trace viewer: reasoning, every verdict and the principal's answers on one page."""

from __future__ import annotations

from pathlib import Path

import pytest

from overt.agent.demo import run_demo
from overt.agent.trace import Trace
from overt.cli import main
from overt.report.trace_html import trace_page, write_trace_html

from .conftest import is_blank


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted demo scenarios' trace (no model needed)."""
    db = tmp_path_factory.mktemp("trace") / "agent.db"
    list(run_demo(Trace(db), None))
    return db


def _run_with(trace: Trace, kind: str) -> str:
    return next(r for r, _, _ in trace.runs() if trace.events(r, (kind,)))


def test_page_shows_reasoning_verdicts_and_principal(demo_db):
    trace = Trace(demo_db)
    run = _run_with(trace, "principal")
    text = trace_page(trace, run)
    verdicts = trace.events(run, ("verdict",))
    assert text.count('<div class="chip ') == len(verdicts) > 0
    answer = trace.events(run, ("principal",))[0].payload["decision"]
    assert f"<b>{answer}</b>" in text
    instruction = trace.events(run, ("instruction",))[0].payload["text"]
    assert text.index(instruction) < text.index('class="step"')
    assert "status: <b>" in text


def test_cli_writes_html_and_rejects_unknown_run(demo_db, tmp_path, capsys):
    out = tmp_path / "run.html"
    assert main(["agent", "show", "--db", str(demo_db), "--html", str(out)]) == 0
    assert out.read_text().startswith("<!doctype html>")
    assert main(["agent", "show", "nope", "--db", str(demo_db), "--html", str(out)]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_trace_page_in_chromium(demo_db, tmp_path, browser_page):
    trace = Trace(demo_db)
    run = next(
        r
        for r, _, _ in trace.runs()
        if any(e.payload["decision"] == "block" for e in trace.events(r, ("verdict",)))
    )
    path = write_trace_html(trace, run, tmp_path / "run.html")
    page = browser_page
    page.goto(path.as_uri())
    steps = page.locator("section.step")
    assert steps.count() == len(
        {e.payload["step"] for e in trace.events(run) if "step" in e.payload}
    )
    chips = page.locator(".chip")
    assert chips.count() == len(trace.events(run, ("verdict",)))
    assert page.locator(".ev.principal").count() == len(trace.events(run, ("principal",)))
    blocked = page.locator(".chip.block").first
    colour = blocked.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")  # styled, visible
    shot = page.screenshot(full_page=True)
    (tmp_path / "run.png").write_bytes(shot)
    assert not is_blank(shot)
