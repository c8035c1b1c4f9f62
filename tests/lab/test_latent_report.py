"""The latent experiment's table and plots, from synthetic results rows."""

from __future__ import annotations

from overt.lab.latent_report import PUBLISHED_ROWS, markdown, write_latent_report
from overt.lab.results import CellResult
from overt.lab.summary import summarize


def rows() -> list[CellResult]:
    out = []
    for regime, variant, acc, probe in [
        ("cot", "", 1.0, 1.0),
        ("latent", "", 0.95, 0.9),
        ("latent", "no_curriculum", 0.1, 0.2),
    ]:
        for seed in range(3):
            out.append(
                CellResult.model_validate(
                    {
                        "task": "state(K=2,m=10)",
                        "variant": variant,
                        "regime": regime,
                        "layers": 2,
                        "d_model": 64,
                        "seed": seed,
                        "status": "ok",
                        "accuracy": acc - 0.01 * seed,
                        "probe_accuracy": probe,
                        "probe_text_accuracy": 1.0 if regime == "cot" else 0.0,
                        "tokens_per_answer": 4.0 if regime == "cot" else 2.0,
                        "thoughts_per_answer": 0 if regime == "cot" else 2,
                        "seconds_per_answer": 0.001,
                        "stages": [{"stage": s, "stage_accuracy": 1.0 - 0.1 * s} for s in range(3)]
                        if regime == "latent"
                        else [],
                    }
                )
            )
    return out


def test_table_has_every_setting_and_the_published_reference():
    r = rows()
    table = markdown(summarize(r, ["probe_accuracy", "probe_text_accuracy"]), r)
    lines = table.splitlines()
    assert any("| cot | 3 | 0.99 [" in ln for ln in lines)
    assert any("| no_curriculum | 3 |" in ln for ln in lines)
    assert "Published, for reference" in table
    assert all(name in table for name, *_ in PUBLISHED_ROWS)


def test_report_writes_plots_and_appends_to_report_html(tmp_path):
    (tmp_path / "report.html").write_text("<html><body><h1>grid</h1></body></html>")
    r = rows()
    write_latent_report(r, summarize(r, ["probe_accuracy", "probe_text_accuracy"]), tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert page.index("<h1>grid</h1>") < page.index("latent reasoning") < page.index("</body>")
    assert "per-stage accuracy" in page
    for name in ("latent_table.md", "readability.png", "stages.png"):
        assert (tmp_path / name).stat().st_size > 0
