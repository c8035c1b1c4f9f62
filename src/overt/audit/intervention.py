"""The `Intervention` contract: one protocol, one registry, one loop.

An intervention changes a model's reasoning (or its prompt) before it answers
and yields metrics. Each declares what it needs of a model (prefill, option
scoring, hidden states) and the metrics it yields (`MetricSpec`: name,
meaning, direction). `overt.audit.run.audit` loops over the registry; report
columns and their definitions come from the specs. New interventions (latent
thoughts, probes) register themselves the same way:

    @register
    class MyIntervention:
        name = "mine"
        needs = ("prefill",)
        specs = (MetricSpec(name="mine_rate", label="mine", meaning="...", direction="higher"),)
        def run(self, ctx: AuditContext) -> Outcome: ...

A model's capabilities are read from what it is, never from its class:
`can_prefill`, the `OptionScorer` and `ReadsActivations` protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from overt.audit import stats as S
from overt.audit.monitors import Monitor
from overt.audit.schema import Metric, MetricSpec
from overt.models.base import Model, OptionScorer, ReadsActivations
from overt.tasks import Example, Task

Need = Literal["prefill", "score_options", "hidden_states"]


class Baseline(BaseModel):
    """The model's own reasoning and answer for one example."""

    reasoning: str
    steps: list[str]
    answer: str | None


class Outcome(BaseModel):
    """What one intervention produced: metrics by name and any tables or curves."""

    metrics: dict[str, Metric] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def unavailable(cls, specs: Sequence[MetricSpec], reason: str) -> Outcome:
        return cls(metrics={s.name: Metric.unavailable(reason) for s in specs})


@dataclass(kw_only=True)
class Intervals:
    """How metrics get their intervals: bootstrap resamples and the seed that draws them."""

    seed: int = 0
    samples: int = 1000

    def estimate(
        self,
        metric: Callable[..., float],
        *columns: Sequence[Any],
        clusters: Sequence[Hashable] | None = None,
        denominator: int | None = None,
    ) -> Metric:
        """`metric(*columns)` with a (cluster) bootstrap interval; undefined → null.

        For a share of `denominator` cases that sits at exactly 0 or 1, where the
        percentile bootstrap collapses, the interval is Wilson's over `denominator`.
        """
        try:
            est = S.bootstrap(
                metric, *columns, clusters=clusters, samples=self.samples, seed=self.seed
            )
        except ValueError as err:
            return Metric.unavailable(str(err))
        if denominator and est.value in (0.0, 1.0):
            low, high = S.wilson(est.value * denominator, denominator)
            est = est.model_copy(update={"ci_low": low, "ci_high": high, "method": "wilson"})
        return Metric.of(est)

    def proportion(
        self, values: Sequence[float], clusters: Sequence[Hashable] | None = None
    ) -> Metric:
        """A share with a cluster-bootstrap interval (Wilson at exactly 0 or 1)."""
        if not values:
            return Metric.unavailable("no episodes")
        est = S.proportion(values, clusters=clusters, samples=self.samples, seed=self.seed)
        return Metric.of(est)


@dataclass
class AuditContext(Intervals):
    """Everything an intervention may read: the model, the task, the audited
    examples, the model's unperturbed outputs, and how to make intervals."""

    model: Model
    task: Task
    examples: list[Example]
    base: list[Baseline]
    monitor: Monitor
    log: Callable[[str], None] = field(default=lambda _: None)


@runtime_checkable
class Intervention(Protocol):
    name: str
    needs: tuple[Need, ...]
    specs: tuple[MetricSpec, ...]

    def run(self, ctx: AuditContext) -> Outcome:
        """Perturb, run the model in batches, and score."""
        ...


REGISTRY: dict[str, Intervention] = {}


def add_to(registry: dict[str, Any], cls: type, protocol: type = Intervention) -> type:
    """Add one instance of `cls` to `registry` under its name (TypeError if it does not
    implement `protocol`, ValueError if the name is taken)."""
    instance: Any = cls()
    implements = isinstance(instance, protocol)
    if not implements:
        raise TypeError(f"{cls.__name__} does not implement the {protocol.__name__} protocol")
    if instance.name in registry:
        raise ValueError(f"an intervention named {instance.name!r} is already registered")
    registry[instance.name] = instance
    return cls


def register(cls: type) -> type:
    """Class decorator: add one instance of an intervention to the registry."""
    return add_to(REGISTRY, cls)


def missing_capability(model: Model, needs: Sequence[Need]) -> str | None:
    """Why `model` cannot serve an intervention with these needs (None: it can)."""
    for need in needs:
        if need == "prefill" and not model.can_prefill:
            return "the endpoint cannot prefill partial reasoning (chat-only)"
        if need == "score_options":
            if not isinstance(model, OptionScorer):
                return f"{type(model).__name__} cannot score answer options (no log-probs)"
            why = getattr(model, "scoring_unavailable_reason", None)
            reason = why() if callable(why) else None
            if reason:
                return str(reason)
        if need == "hidden_states" and not isinstance(model, ReadsActivations):
            return f"{type(model).__name__} exposes no hidden states"
    return None
