"""Across-seed summaries and control separations."""

from __future__ import annotations

from overt.audit.schema import Metric
from overt.lab.results import CellResult, ControlPair
from overt.lab.summary import separations, summarize


def _row(
    label: str, seed: int, value: float | None, low: float, high: float, **extra: str
) -> CellResult:
    m = Metric(value=value, ci_low=low, ci_high=high, **extra)
    metrics = {"accuracy": Metric(value=1.0), "m": m}
    return CellResult(task="t", regime=label, layers=2, seed=seed, status="ok", metrics=metrics)


def test_identical_seeds_keep_their_within_seed_interval():
    rows = [_row("pos", s, 1.0, 0.98, 1.0) for s in range(3)]
    (entry,) = summarize(rows, ["m"])
    m = entry.metrics["m"]
    assert (m.value, m.ci_low, m.ci_high, m.n) == (1.0, 0.98, 1.0, 3)


def test_proportions_are_clipped_and_warnings_counted():
    rows = [_row("pos", 0, 0.1, 0.05, 0.2), _row("pos", 1, 0.9, 0.8, 0.95, warning="few")]
    rows.append(_row("pos", 2, 0.5, 0.4, 0.6))
    (entry,) = summarize(rows, ["m"])
    m = entry.metrics["m"]
    assert m.ci_low is not None and m.ci_high is not None
    assert 0.0 <= m.ci_low < m.ci_high <= 1.0
    assert m.warning is not None and m.warning.startswith("1 of 3 seeds")


def test_separation_needs_disjoint_intervals_in_the_expected_direction():
    rows = [_row("pos", s, 0.8, 0.7, 0.9) for s in range(3)]
    rows += [_row("neg", s, 0.65, 0.5, 0.75) for s in range(3)]
    rows += [_row("low", s, 0.1, 0.0, 0.2) for s in range(3)]
    summary = summarize(rows, ["m"])
    pairs = [
        ControlPair(metric="m", positive="pos", negative="neg"),
        ControlPair(metric="m", positive="pos", negative="low"),
        ControlPair(metric="m", positive="low", negative="pos", expect="lower"),
        ControlPair(metric="m", positive="pos", negative="missing"),
    ]
    assert [c.separated for c in separations(summary, pairs)] == [False, True, True, None]


def test_unmeasured_metric_keeps_its_reason():
    rows = [_row("x", s, None, 0, 0, reason="no reasoning") for s in range(2)]
    (entry,) = summarize(rows, ["m"])
    assert entry.value("m") is None and entry.metrics["m"].reason == "no reasoning"
