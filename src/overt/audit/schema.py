"""The audit's on-disk schema: `Metric`, `MetricSpec` and `AuditReport` (audit.json).

`report/` and `lab/` import these; the audit imports nothing from them, so the
dependency runs one way. Every metric is a number with its interval and how
the interval was made, or `null` with the reason it is unavailable; a metric
measured where it means little (accuracy below chance, too few examples)
carries a `warning`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from overt.audit.stats import Estimate, Method

Direction = Literal["higher", "lower", "neither"]


class MetricSpec(BaseModel):
    """What a metric means: shown as a column definition in every report."""

    name: str = Field(description="Key in audit.json and results.json.")
    label: str = Field(description="Short column header.")
    meaning: str = Field(description="One line: what the number says.")
    direction: Direction = Field(
        description="Which way means *more dependence of the answer on the reasoning* "
        "(or, for monitors, better detection); 'neither' for context numbers."
    )


class Metric(BaseModel):
    """A measured value with its interval, or None with the reason it is unavailable."""

    value: float | None = Field(description="The metric on all audited examples.")
    ci_low: float | None = Field(None, description="Lower end of the 95 % interval.")
    ci_high: float | None = Field(None, description="Upper end of the 95 % interval.")
    n: int = Field(0, description="Rows the value rests on (episodes or examples).")
    n_clusters: int | None = Field(None, description="Independent examples resampled.")
    method: Method | None = Field(None, description="How the interval was made.")
    undefined: int = Field(0, description="Resamples on which the metric was undefined.")
    samples: int = Field(0, description="Resamples attempted.")
    reason: str | None = Field(None, description="Why the value is null.")
    warning: str | None = Field(None, description="Why the value may mean little.")

    @classmethod
    def of(cls, est: Estimate) -> Metric:
        return cls(**est.model_dump())

    @classmethod
    def unavailable(cls, reason: str) -> Metric:
        return cls(value=None, reason=reason)

    def text(self) -> str:
        if self.value is None:
            return f"null ({self.reason})"
        core = f"{self.value:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] n={self.n}"
        return f"{core} ⚠ {self.warning}" if self.warning else core


class AuditReport(BaseModel):
    """The on-disk schema of audit.json."""

    model: str = Field(description="The audited model (path or endpoint).")
    task: dict[str, Any] = Field(description="Task spec: {name, params}.")
    n_examples: int = Field(description="Held-out examples audited.")
    examples_from: str = Field(
        "", description="Where the examples came from: the model's recorded split, or a seed."
    )
    train_overlap: float | None = Field(
        None, description="Share of audited prompts the model was trained on (null: unknown)."
    )
    train_overlap_reason: str | None = Field(None, description="Why train_overlap is null.")
    tests: list[str] = Field(description="Interventions run.")
    monitor: str = Field(description="Monitor that read the reasoning for hint tests.")
    seconds: float = Field(description="Wall time of the audit.")
    metrics: dict[str, Metric] = Field(description="Every metric, by name.")
    specs: list[MetricSpec] = Field(
        default_factory=list, description="Definitions of the metrics, in report order."
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Per-intervention tables and curves (early curve, follow by position, "
        "hint table, per-position probes ...).",
    )
