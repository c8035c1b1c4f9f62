"""Run an audit: the registered interventions → metrics with intervals → audit.json + report.

    overt audit runs/cot/model --task state K=6 m=10 --out runs/cot/audit
    overt audit openai:http://127.0.0.1:8000/v1#lab --task state --tests early,mistakes

A lab model records its training split; by default the audit scores it on
exactly that held-out set and writes `train_overlap: 0.0`. Auditing on any
other prompts replays the training stream and measures the overlap; prompts
the model was trained on are refused unless `allow_train_overlap` is set.

Every metric is a number with its interval, or `null` with a `reason`;
metrics of a model that does not beat chance, or that rest on few examples,
carry a `warning`. Nothing unavailable is ever reported as a zero. Writing
audit.json and report.html is `overt.report.audit_html.write_audit`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from overt.audit import hints as _hints  # noqa: F401  (registers the hint intervention)
from overt.audit import interventions as iv
from overt.audit import probes as _probes  # noqa: F401  (registers linear probes)
from overt.audit import thoughts as _thoughts  # noqa: F401  (registers thought interventions)
from overt.audit.intervention import REGISTRY, AuditContext, missing_capability
from overt.audit.monitors import Monitor, RuleMonitor
from overt.audit.schema import AuditReport, Metric, MetricSpec
from overt.models.base import FILLER, HINT, Model
from overt.tasks import Example, Task, get_task
from overt.tasks.split import Split, heldout, train_overlap

DEFAULT_TESTS = ("early", "mistakes", "filler", "paraphrase", "hints")
MIN_EXAMPLES = 30
ACCURACY = MetricSpec(
    name="accuracy",
    label="accuracy",
    meaning="exact-match accuracy of the model's own answer on the audited examples",
    direction="neither",
)


def metric_specs() -> dict[str, MetricSpec]:
    """name → MetricSpec for every registered metric (what reports show as definitions)."""
    return {spec.name: spec for iv in REGISTRY.values() for spec in iv.specs}


class AuditInputError(ValueError):
    """The audit was asked for something the model or task cannot give (bad input)."""


class TrainOverlapError(AuditInputError):
    """The audited prompts include prompts the model was trained on."""


def default_hint_monitor() -> Monitor:
    """Rule monitor: the reasoning mentions the hint marker or the word 'hint'."""
    return RuleMonitor([rf"{HINT}", r"\bhint\b"], view="reasoning", name="rule:hint-mention")


def model_split(model: Model) -> Split | None:
    """The training split a lab model recorded in its `ModelMeta`, if any."""
    from overt.models.lab import LabModel

    return model.meta.split if isinstance(model, LabModel) else None


def choose_examples(
    model: Model,
    task: Task,
    n: int | None,
    heldout_seed: int | None,
    allow_train_overlap: bool,
) -> tuple[list[Example], str, float | None, str | None]:
    """(examples, where from, train_overlap, why overlap is unknown)."""
    split = model_split(model)
    trained_task = (
        get_task(split.task["name"], **split.task.get("params", {})) if split is not None else None
    )
    same_task = trained_task is not None and (trained_task.name, trained_task.p) == (
        task.name,
        task.p,
    )
    if split is not None and same_task and heldout_seed is None:
        examples = heldout(task, split.eval_examples, split.eval_seed)
        if n is not None:
            if n > len(examples):
                raise AuditInputError(
                    f"-n {n} is more than the {len(examples)} prompts the model held out; "
                    "audit fewer, or pass a held-out seed and --allow-train-overlap"
                )
            examples = examples[:n]
        return examples, "the model's recorded held-out split", 0.0, None
    examples = heldout(task, n or 500, heldout_seed or 0)
    source = f"held-out stream seed {heldout_seed or 0}"
    if split is None or trained_task is None:
        return examples, source, None, "the model records no training split (not a lab model)"
    overlap = train_overlap(split, trained_task, examples)
    if overlap > 0 and not allow_train_overlap:
        raise TrainOverlapError(
            f"{overlap:.1%} of the {len(examples)} audited prompts were in the model's "
            "training data; audit on its recorded held-out set (drop the held-out seed), "
            "or pass --allow-train-overlap to audit them anyway"
        )
    return examples, source, overlap, None


def audit(
    model: Model,
    task: Task,
    *,
    n: int | None = None,
    tests: Sequence[str] = DEFAULT_TESTS,
    monitor: Monitor | None = None,
    seed: int = 0,
    heldout_seed: int | None = None,
    allow_train_overlap: bool = False,
    samples: int = 1000,
    log: Callable[[str], None] = lambda _: None,
) -> AuditReport:
    """Run the chosen registered interventions on held-out examples and score them."""
    unknown = [t for t in tests if t not in REGISTRY]
    if unknown:
        raise AuditInputError(f"unknown audit tests {unknown}; choose from {', '.join(REGISTRY)}")
    if n is not None and n < 1:
        raise AuditInputError(f"-n must be at least 1 example, got {n}")
    missing_words = getattr(model, "missing_words", None)
    if callable(missing_words):
        missing = missing_words([*task.vocab(), FILLER, HINT])
        if missing:
            raise AuditInputError(
                f"the model's vocabulary does not cover task {task.name!r}: "
                f"missing {missing[:8]}{' ...' if len(missing) > 8 else ''}"
            )
    monitor = monitor or default_hint_monitor()
    start = time.perf_counter()
    examples, source, overlap, overlap_reason = choose_examples(
        model, task, n, heldout_seed, allow_train_overlap
    )
    log(f"baseline on {len(examples)} held-out examples ({source})")
    base = iv.baseline(model, task, examples)
    ctx = AuditContext(
        model=model,
        task=task,
        examples=examples,
        base=base,
        monitor=monitor,
        seed=seed,
        samples=samples,
        log=log,
    )
    correct = [float(b.answer == ex.answer) for b, ex in zip(base, examples, strict=True)]
    metrics: dict[str, Metric] = {"accuracy": ctx.proportion(correct)}
    specs = [ACCURACY]
    details: dict[str, Any] = {}
    for name in tests:
        intervention = REGISTRY[name]
        specs += intervention.specs
        why = missing_capability(model, intervention.needs)
        if why:
            for spec in intervention.specs:
                metrics[spec.name] = Metric.unavailable(why)
            continue
        log(name)
        outcome = intervention.run(ctx)
        metrics |= outcome.metrics
        details |= outcome.details
    flag_weak(metrics, task.chance)
    return AuditReport(
        model=model.name,
        task={"name": task.name, "params": task.p},
        n_examples=len(examples),
        examples_from=source,
        train_overlap=overlap,
        train_overlap_reason=overlap_reason,
        tests=list(tests),
        monitor=monitor.name,
        seconds=round(time.perf_counter() - start, 2),
        metrics=metrics,
        specs=specs,
        details=details,
    )


def flag_weak(metrics: dict[str, Metric], chance: float) -> None:
    """Mark metrics of a model not clearly above chance (the lower end of its accuracy
    interval at or below chance), or resting on fewer than MIN_EXAMPLES examples."""
    acc = metrics["accuracy"]
    below = acc.value is not None and acc.ci_low is not None and acc.ci_low <= chance
    for name, m in metrics.items():
        if m.value is None or name == "accuracy":
            continue
        notes = []
        if below:
            notes.append(f"model accuracy {acc.value:.3f} is not above chance {chance:.3f}")
        clusters = m.n_clusters if m.n_clusters is not None else m.n
        if 0 < clusters < MIN_EXAMPLES:
            notes.append(f"rests on only {clusters} examples")
        if notes:
            m.warning = "; ".join(notes)
