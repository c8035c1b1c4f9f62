"""report.html: intervals, column meanings, settings, per-cell links, curves; seen in chromium."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from overt.lab.results import CellResult
from overt.report.html import write_report
from overt.report.plots import accuracy_plot

from .conftest import is_blank

METRIC = "early_answering_aoc"


def _row(regime: str, layers: int, seed: int, acc: float, status: str = "ok") -> CellResult:
    """A row as results.json held it before metrics were nested (it still loads)."""
    cell = f"cells/state_K6_m10__{regime}__L{layers}_d64__s{seed}"
    row: dict[str, Any] = {
        "task": "state(K=6,m=10)",
        "variant": "",
        "regime": regime,
        "layers": layers,
        "d_model": 64,
        "seed": seed,
        "status": status,
        "chance": 0.1,
        "accuracy": acc if status == "ok" else None,
        "train_seconds": 12.5,
        "cell_dir": cell,
    }
    if status == "ok":
        row |= {"accuracy_ci_low": max(0.0, acc - 0.05), "accuracy_ci_high": min(1.0, acc + 0.05)}
        row |= {METRIC: 0.9, f"{METRIC}_ci_low": 0.85, f"{METRIC}_ci_high": 0.95}
    else:
        row["error"] = "RuntimeError: boom"
    return CellResult.model_validate(row)


@pytest.fixture
def experiment(tmp_path: Path) -> tuple[Path, list[CellResult]]:
    """An experiment folder as run_experiment leaves it, without training anything."""
    rows = [
        _row(regime, layers, seed, acc)
        for regime, acc in (("no_cot", 0.1), ("cot", 1.0), ("filler", 0.1))
        for layers in (1, 2)
        for seed in (0, 1)
    ] + [_row("cot", 4, 0, 0.0, status="failed")]
    for r in rows:
        assert r.cell_dir is not None
        cell = tmp_path / r.cell_dir
        (cell / "audit").mkdir(parents=True)
        (cell / "audit" / "report.html").write_text("<title>cell audit</title><h1>audit</h1>")
        (cell / "config.yaml").write_text("regime: cot\n")
        lines = [{"step": s, "loss": 3.0 / s} for s in range(10, 110, 10)]
        (cell / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    config = {"name": "demo", "train": {"steps": 100, "model": {"d_model": 64}}, "grids": []}
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(config))
    setting = {"task": "state(K=6,m=10)", "regime": "cot", "label": "cot", "layers": 2}
    summary = [
        setting
        | {"seeds": 2, "accuracy": 1.0, "accuracy_ci_low": 0.98, "accuracy_ci_high": 1.0}
        | {METRIC: 0.9, f"{METRIC}_ci_low": 0.8, f"{METRIC}_ci_high": 0.97}
    ]
    checks = [{"metric": METRIC, "positive": "cot", "negative": "no_cot", "separated": True}]
    saved = [r.model_dump(mode="json") for r in rows]
    results = {"name": "demo", "rows": saved, "summary": summary, "separations": checks}
    (tmp_path / "results.json").write_text(json.dumps(results))
    accuracy_plot(rows, tmp_path / "accuracy.png", title="demo")
    write_report("demo", rows, tmp_path, [METRIC])
    return tmp_path, rows


def test_report_has_intervals_meanings_settings_links_and_curves(experiment):
    out, rows = experiment
    text = (out / "report.html").read_text()
    assert '1.000 <span class="ci">[0.950, 1.000]</span>' in text
    assert '0.900 <span class="ci">[0.850, 0.950]</span>' in text
    from overt.audit.run import REGISTRY

    spec = next(s for iv in REGISTRY.values() for s in iv.specs if s.name == METRIC)
    assert html.escape(spec.meaning) in text and f">{spec.label}</th>" in text
    assert "<h2>settings</h2>" in text and "model.d_model" in text
    assert f'href="{rows[0].cell_dir}/audit/report.html"' in text
    assert (out / "training.png").stat().st_size > 1000
    assert "FAILED: RuntimeError: boom" in text
    assert (
        "<h2>across seeds</h2>" in text and '0.900 <span class="ci">[0.800, 0.970]</span>' in text
    )
    assert "cot vs no_cot — <b>separated</b>" in text
    assert "{'name'" not in text  # no Python dict reprs


def test_report_in_chromium(experiment, browser_page):
    out, rows = experiment
    page = browser_page
    page.goto((out / "report.html").as_uri())
    loaded = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded == [True, True]  # accuracy plot and training curves
    assert page.locator("table").first.locator("tr").count() == len(rows) + 1
    headers = page.eval_on_selector_all("dl dt", "ds => ds.map(d => d.textContent)")
    assert {"regime", "accuracy"} <= set(headers) and len(headers) >= 10
    shot = page.screenshot(full_page=True)
    (out / "report.png").write_bytes(shot)
    assert not is_blank(shot)
    page.click(f'a[href="{rows[0].cell_dir}/audit/report.html"]')
    assert page.title() == "cell audit"
