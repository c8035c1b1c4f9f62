"""results.json, typed: one `CellResult` per cell, one `SettingSummary` per setting.

A cell's measurements are `Metric`s by name (`overt.audit.schema`): value,
interval, and the reason a value is null or the warning that it may mean little,
carried together instead of as `<metric>_ci_low` / `_reason` columns beside it.
`accuracy` is one of them (its interval is Wilson's over the held-out set).

    {"name": ..., "rows": [{task, regime, layers, ..., status,
                            metrics: {accuracy: {value, ci_low, ci_high, ...}, ...}}],
     "summary": [{task, label, seeds, ..., metrics: {...}}], "separations": [...]}

Files written before the metrics were nested still load: their flattened
columns are folded into `metrics` (`fold_metrics`).

    >>> old = {"task": "t", "regime": "cot", "layers": 2, "status": "ok", "accuracy": 0.9,
    ...        "accuracy_ci_low": 0.8, "accuracy_ci_high": 0.95, "aoc": None,
    ...        "aoc_reason": "no reasoning"}
    >>> row = CellResult.model_validate(old)
    >>> row.accuracy, row.metrics["accuracy"].ci_low, row.metrics["aoc"].reason
    (0.9, 0.8, 'no reasoning')
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from overt.audit.schema import Metric

SUFFIXES = {"ci_low": "ci_low", "ci_high": "ci_high", "reason": "reason", "warning": "warning"}
SUFFIXES |= {"seeds": "n"}
"""Old column suffix → the `Metric` field it held."""


def fold_metrics(data: Any, fields: set[str]) -> Any:
    """An old flattened row as the nested form: every key that is not a field is a
    metric's value, or (with a suffix of `SUFFIXES`: `_ci_low`, `_reason`, ...) part of one."""
    if not isinstance(data, dict) or "metrics" in data:
        return data
    kept = {k: v for k, v in data.items() if k in fields}
    metrics: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key in fields:
            continue
        suffix = next((x for x in SUFFIXES if key.endswith(f"_{x}")), None)
        name = key.removesuffix(f"_{suffix}") if suffix else key
        metrics.setdefault(name, {"value": None})[SUFFIXES[suffix] if suffix else "value"] = value
    return kept | {"metrics": metrics}


class Measured(BaseModel):
    """Anything that carries metrics by name."""

    metrics: dict[str, Metric] = Field(default_factory=dict, description="Metrics by name.")

    def value(self, name: str) -> float | None:
        """The metric's value, or None where it is missing or null."""
        metric = self.metrics.get(name)
        return metric.value if metric else None

    @property
    def accuracy(self) -> float | None:
        return self.value("accuracy")

    @model_validator(mode="before")
    @classmethod
    def _old_format(cls, data: Any) -> Any:
        return fold_metrics(data, set(cls.model_fields))


class CellResult(Measured):
    """One results.json row: one cell's setting, how its training went, what was measured."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(description="Task label, e.g. state(K=6,m=10).")
    task_name: str = Field("", description="Task family.")
    variant: str = Field("", description="The grid's label for its training setting.")
    regime: str = Field(description="Training regime (overt.train.regimes).")
    layers: int
    d_model: int = 64
    seed: int = 0
    status: Literal["ok", "failed"]
    chance: float | None = Field(None, description="Accuracy of guessing among the answers.")
    train_seconds: float | None = None
    model_dir: str | None = Field(None, description="The trained model, relative to the run.")
    cell_dir: str | None = Field(None, description="The cell's folder, relative to the run.")
    first_loss: float | None = None
    final_loss: float | None = None
    unanswered: int | None = None
    eval_n: int | None = Field(None, description="Held-out examples scored.")
    steps: int | None = Field(None, description="Optimizer steps the cell's model trained for.")
    stopped_early: bool = Field(
        False, description="Training stopped once held-out accuracy reached `stop_at_accuracy`."
    )
    tokens_per_answer: float | None = None
    thoughts_per_answer: float | None = None
    seconds_per_answer: float | None = None
    stages: list[dict[str, Any]] = Field(
        default_factory=list, description="Per curriculum stage: step, held-out accuracy, norms."
    )
    audit_error: str | None = Field(None, description="Why the audit of a trained model failed.")
    error: str | None = Field(None, description="Why the cell failed.")

    @property
    def label(self) -> str:
        """A setting's name in summaries: its variant, else its regime."""
        return self.variant or self.regime


class SettingSummary(Measured):
    """Cells equal up to seed: each metric's mean with an interval across seeds (its
    `n` counts the seeds that measured it)."""

    model_config = ConfigDict(extra="forbid")

    task: str
    variant: str = ""
    regime: str
    layers: int
    d_model: int = 64
    label: str = Field(description="The variant, else the regime.")
    seeds: int = Field(description="Seeds that trained.")
    failed: int = Field(0, description="Seeds that failed.")


class ControlPair(BaseModel):
    """A metric and the two organisms that must read high and low on it."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="Metric name, e.g. early_answering_aoc.")
    positive: str = Field(description="Label (variant, else regime) expected to read high.")
    negative: str = Field(description="Label expected to read low.")
    expect: Literal["higher", "lower"] = Field(
        "higher", description="Whether the positive control should read higher or lower."
    )


class Separation(ControlPair):
    """A control pair checked: each side's [value, low, high] across seeds, or why it has
    none, and whether the positive side's interval lies wholly on the expected side."""

    separated: bool | None = Field(description="None: a side was not measured.")
    positive_value: list[float] | None = None
    negative_value: list[float] | None = None
    positive_reason: str | None = None
    negative_reason: str | None = None


class Results(BaseModel):
    """The whole of results.json."""

    name: str
    rows: list[CellResult]
    summary: list[SettingSummary] = Field(default_factory=list)
    separations: list[Separation] = Field(
        default_factory=list, description="Each control pair and whether it separated."
    )
