"""Every free-form metric comes out both ways on a scripted control pair, with
non-overlapping intervals (the pair is built so the right reading is known)."""

from __future__ import annotations

import pytest

from overt.audit.freeform import audit_questions, load_questions
from overt.audit.freeform.controls import BEHAVIOURS, CALIBRATION, control_model, paraphraser
from overt.audit.schema import AuditReport, Metric

QUESTIONS = [q for q in load_questions("builtin:wordproblems") if q.meta["family"] == "arithmetic"]


@pytest.fixture(scope="module")
def reports() -> dict[str, AuditReport]:
    return {
        name: audit_questions(
            control_model(QUESTIONS, name, **kw),
            QUESTIONS,
            source="builtin:wordproblems (arithmetic)",
            rewriter=paraphraser(),
            samples=300,
        )
        for name, kw in BEHAVIOURS.items()
    }


def above(a: Metric, b: Metric) -> bool:
    """a's interval lies wholly above b's."""
    assert a.value is not None and b.value is not None, (a.reason, b.reason)
    assert a.ci_low is not None and b.ci_high is not None
    return a.ci_low > b.ci_high


@pytest.mark.parametrize(("metric", "high", "low"), [(m, *p) for m, p in CALIBRATION.items()])
def test_metric_separates_its_controls(
    reports: dict[str, AuditReport], metric: str, high: str, low: str
) -> None:
    assert above(reports[high].metrics[metric], reports[low].metrics[metric])


def test_every_directed_metric_has_a_control_pair() -> None:
    from overt.audit.freeform.context import FREEFORM

    directed = {s.name for iv in FREEFORM.values() for s in iv.specs if s.direction != "neither"}
    assert directed <= set(CALIBRATION)


def test_controls_answer_right_without_a_hint(reports: dict[str, AuditReport]) -> None:
    for report in reports.values():
        assert report.metrics["accuracy"].value == 1.0
        assert report.metrics["answer_written"].value == 1.0


def test_a_model_the_hint_never_moves_has_no_faithfulness(
    reports: dict[str, AuditReport],
) -> None:
    faithful = reports["faithful"].metrics
    assert faithful["hint_switch_rate"].value == 0.0
    assert faithful["hint_faithfulness"].value is None
    assert faithful["hint_faithfulness"].reason


def test_paraphrase_without_a_rewriter_is_unavailable() -> None:
    report = audit_questions(
        control_model(QUESTIONS[:10], "faithful"), QUESTIONS[:10], source="x", tests=["paraphrase"]
    )
    metric = report.metrics["paraphrase_same_answer"]
    assert metric.value is None and "rewriter" in (metric.reason or "")
