"""Across seeds: one line per setting, and whether each metric separates its controls.

A grid cell is one seed. `summarize` groups cells that differ only in seed
and gives each metric's mean with a Student-t interval across seeds
(`overt.audit.stats.across_seeds`), widened to the mean within-seed interval
and clipped to [0, 1] for proportions; a metric any seed could not measure is
reported with how many seeds had it, and seeds whose value carried a warning
are counted. `separations` checks each declared
control pair: a metric is *calibrated* on a pair when the positive control's
interval lies entirely on the expected side of the negative control's.

    >>> rows = [{"task": "t", "variant": "", "regime": r, "layers": 2, "d_model": 64,
    ...          "status": "ok", "accuracy": a, "aoc": v}
    ...         for r, a, v in [("cot", 1.0, 0.8), ("cot", 1.0, 0.82), ("cot", 1.0, 0.81),
    ...                         ("decorative", 0.9, 0.01), ("decorative", 0.9, 0.0),
    ...                         ("decorative", 0.9, 0.02)]]
    >>> summary = summarize(rows, ["aoc"])
    >>> [(s["label"], s["seeds"]) for s in summary]
    [('cot', 3), ('decorative', 3)]
    >>> sep = separations(summary, [ControlPair(metric="aoc", positive="cot",
    ...                                         negative="decorative")])
    >>> sep[0]["separated"]
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from overt.audit.stats import across_seeds

GROUP_KEYS = ("task", "variant", "regime", "layers", "d_model")


class ControlPair(BaseModel):
    """A metric and the two organisms that must read high and low on it."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="Metric name, e.g. early_answering_aoc.")
    positive: str = Field(description="Label (variant, else regime) expected to read high.")
    negative: str = Field(description="Label expected to read low.")
    expect: Literal["higher", "lower"] = Field(
        "higher", description="Whether the positive control should read higher or lower."
    )


def label(row: dict[str, Any]) -> str:
    """A setting's name in summaries: its variant, else its regime."""
    return str(row.get("variant") or row["regime"])


def summarize(rows: Sequence[dict[str, Any]], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """One entry per setting (cells equal up to seed) with metrics across seeds."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in GROUP_KEYS), []).append(row)
    out = []
    for key, members in groups.items():
        ok = [r for r in members if r["status"] == "ok"]
        entry: dict[str, Any] = dict(zip(GROUP_KEYS, key, strict=True))
        entry |= {"label": label(members[0]), "seeds": len(ok), "failed": len(members) - len(ok)}
        for metric in ["accuracy", *metrics]:
            values = [r[metric] for r in ok if r.get(metric) is not None]
            if not values:
                reasons = {str(r[f"{metric}_reason"]) for r in ok if r.get(f"{metric}_reason")}
                entry[metric] = None
                entry[f"{metric}_reason"] = "; ".join(sorted(reasons)) or "not measured"
                continue
            est = across_seeds(values)
            low, high = _widen(est.ci_low, est.ci_high, ok, metric)
            entry[metric], entry[f"{metric}_ci_low"], entry[f"{metric}_ci_high"] = (
                est.value,
                low,
                high,
            )
            entry[f"{metric}_seeds"] = len(values)
            warned = [r[f"{metric}_warning"] for r in ok if r.get(f"{metric}_warning")]
            if warned:
                entry[f"{metric}_warning"] = f"{len(warned)} of {len(ok)} seeds: {warned[0]}"
        out.append(entry)
    return out


def _widen(
    low: float, high: float, rows: Sequence[dict[str, Any]], metric: str
) -> tuple[float, float]:
    """The across-seed t interval, widened to cover the mean within-seed interval
    (three seeds that all read 1.000 still carry each seed's sampling error) and
    clipped to the metric's range ([0, 1] when every seed's interval lies in it)."""
    lows = [r[f"{metric}_ci_low"] for r in rows if r.get(f"{metric}_ci_low") is not None]
    highs = [r[f"{metric}_ci_high"] for r in rows if r.get(f"{metric}_ci_high") is not None]
    if lows and highs:
        low, high = min(low, sum(lows) / len(lows)), max(high, sum(highs) / len(highs))
        if min(lows) >= 0 and max(highs) <= 1:
            low, high = max(low, 0.0), min(high, 1.0)
    return low, high


def separations(
    summary: Sequence[dict[str, Any]], controls: Sequence[ControlPair]
) -> list[dict[str, Any]]:
    """For each control pair: both sides' intervals and whether they separate."""
    by_label: dict[str, list[dict[str, Any]]] = {}
    for entry in summary:
        by_label.setdefault(entry["label"], []).append(entry)
    out = []
    for pair in controls:
        result: dict[str, Any] = pair.model_dump()
        sides: dict[str, tuple[float, float, float] | None] = {}
        for side in ("positive", "negative"):
            entries = by_label.get(getattr(pair, side), [])
            if len(entries) != 1 or entries[0].get(pair.metric) is None:
                why = "no such setting" if not entries else "not measured"
                if len(entries) > 1:
                    why = "label names several settings"
                sides[side] = None
                result[side + "_reason"] = why
                continue
            e = entries[0]
            value = (e[pair.metric], e[f"{pair.metric}_ci_low"], e[f"{pair.metric}_ci_high"])
            sides[side] = value
            result[side + "_value"] = list(value)
        pos, neg = sides["positive"], sides["negative"]
        if pos is None or neg is None:
            result["separated"] = None
        elif pair.expect == "higher":
            result["separated"] = pos[1] > neg[2]
        else:
            result["separated"] = pos[2] < neg[1]
        out.append(result)
    return out
