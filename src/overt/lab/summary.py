"""Across seeds: one line per setting, and whether each metric separates its controls.

A grid cell is one seed. `summarize` groups cells that differ only in seed
and gives each metric's mean with a Student-t interval across seeds
(`overt.audit.stats.across_seeds`), widened to the mean within-seed interval
and clipped to [0, 1] for proportions; a metric any seed could not measure is
reported with how many seeds had it, and seeds whose value carried a warning
are counted. `separations` checks each declared
control pair: a metric is *calibrated* on a pair when the positive control's
interval lies entirely on the expected side of the negative control's.

    >>> rows = [CellResult(task="t", regime=r, layers=2, status="ok",
    ...                    metrics={"accuracy": Metric(value=a), "aoc": Metric(value=v)})
    ...         for r, a, v in [("cot", 1.0, 0.8), ("cot", 1.0, 0.82), ("cot", 1.0, 0.81),
    ...                         ("decorative", 0.9, 0.01), ("decorative", 0.9, 0.0),
    ...                         ("decorative", 0.9, 0.02)]]
    >>> summary = summarize(rows, ["aoc"])
    >>> [(s.label, s.seeds) for s in summary]
    [('cot', 3), ('decorative', 3)]
    >>> sep = separations(summary, [ControlPair(metric="aoc", positive="cot",
    ...                                         negative="decorative")])
    >>> sep[0].separated
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from overt.audit.schema import Metric
from overt.audit.stats import across_seeds
from overt.lab.results import CellResult, ControlPair, Separation, SettingSummary


def summarize(rows: Sequence[CellResult], metrics: Sequence[str]) -> list[SettingSummary]:
    """One entry per setting (cells equal up to seed) with metrics across seeds."""
    groups: dict[tuple[str, str, str, int, int], list[CellResult]] = {}
    for row in rows:
        key = (row.task, row.variant, row.regime, row.layers, row.d_model)
        groups.setdefault(key, []).append(row)
    out = []
    for (task, variant, regime, layers, d_model), members in groups.items():
        ok = [r for r in members if r.status == "ok"]
        out.append(
            SettingSummary(
                task=task,
                variant=variant,
                regime=regime,
                layers=layers,
                d_model=d_model,
                label=members[0].label,
                seeds=len(ok),
                failed=len(members) - len(ok),
                metrics={m: across(ok, m) for m in ["accuracy", *metrics]},
            )
        )
    return out


def across(rows: Sequence[CellResult], name: str) -> Metric:
    """One metric's mean over the seeds that measured it, with the widened t interval;
    null with the seeds' reasons when none did."""
    measured = [r.metrics[name] for r in rows if r.value(name) is not None]
    if not measured:
        reasons = {str(m.reason) for r in rows if (m := r.metrics.get(name)) and m.reason}
        return Metric.unavailable("; ".join(sorted(reasons)) or "not measured")
    est = across_seeds([m.value for m in measured if m.value is not None])
    low, high = _widen(est.ci_low, est.ci_high, measured)
    warned = [m.warning for m in measured if m.warning]
    warning = f"{len(warned)} of {len(rows)} seeds: {warned[0]}" if warned else None
    return Metric.of(est).model_copy(
        update={"ci_low": low, "ci_high": high, "n": len(measured), "warning": warning}
    )


def _widen(low: float, high: float, seeds: Sequence[Metric]) -> tuple[float, float]:
    """The across-seed t interval, widened to cover the mean within-seed interval
    (three seeds that all read 1.000 still carry each seed's sampling error) and
    clipped to the metric's range ([0, 1] when every seed's interval lies in it)."""
    lows = [m.ci_low for m in seeds if m.ci_low is not None]
    highs = [m.ci_high for m in seeds if m.ci_high is not None]
    if lows and highs:
        low, high = min(low, sum(lows) / len(lows)), max(high, sum(highs) / len(highs))
        if min(lows) >= 0 and max(highs) <= 1:
            low, high = max(low, 0.0), min(high, 1.0)
    return low, high


def separations(
    summary: Sequence[SettingSummary], controls: Sequence[ControlPair]
) -> list[Separation]:
    """For each control pair: both sides' intervals and whether they separate."""
    by_label: dict[str, list[SettingSummary]] = {}
    for entry in summary:
        by_label.setdefault(entry.label, []).append(entry)
    return [_check(pair, by_label) for pair in controls]


def _check(pair: ControlPair, by_label: dict[str, list[SettingSummary]]) -> Separation:
    sides: dict[str, tuple[float, float, float] | None] = {}
    reasons: dict[str, str] = {}
    for side, name in (("positive", pair.positive), ("negative", pair.negative)):
        entries = by_label.get(name, [])
        metric = entries[0].metrics.get(pair.metric) if len(entries) == 1 else None
        sides[side] = None
        if metric and metric.value is not None and metric.ci_low is not None:
            sides[side] = (metric.value, metric.ci_low, metric.ci_high or metric.value)
        elif len(entries) > 1:
            reasons[side] = "label names several settings"
        else:
            reasons[side] = "no such setting" if not entries else "not measured"
    pos, neg = sides["positive"], sides["negative"]
    separated = None
    if pos is not None and neg is not None:
        separated = pos[1] > neg[2] if pair.expect == "higher" else pos[2] < neg[1]
    return Separation(
        **pair.model_dump(),
        separated=separated,
        positive_value=list(pos) if pos else None,
        negative_value=list(neg) if neg else None,
        positive_reason=reasons.get("positive"),
        negative_reason=reasons.get("negative"),
    )
