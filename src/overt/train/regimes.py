"""Training regimes: one registration each, read wherever overt differs by regime.

A regime says what a model learns to write after `PROMPT <think>` and which
training plan runs it. Everything that depends on the regime reads it from
here: `TrainConfig.regime` and experiment grids accept only registered names
(an unknown one is refused with the registered ones listed), `overt.train.data`
builds the target text with `target`, `overt.train.sft` picks the plan by
`trainer` and draws batches through `prepare`, `overt.report.plots` draws the
regime with `style`, and the quickstart headline compares regimes by `role`.
Adding one is one registration:

    @register
    class Backwards(WrittenRegime):
        name = "backwards"
        help = "prompt → steps in reverse order → answer"
        style = Style("#8c564b", "*", "--")

        def target(self, task: Task, example: Example) -> str:
            return written(task.render_reasoning(example.steps[::-1]), example)

The regimes overt ships:

    no_cot      <answer> ANSWER
    cot         STEP ; STEP ; ... <answer> ANSWER
    filler      ... ... ... <answer> ANSWER      (one '...' per reasoning word)
    decorative  like cot, on chains `decorate` corrupted (the answer stays true)
    latent      Coconut: steps become continuous thoughts stage by stage
    pause       the same curriculum with learned pause embeddings as thoughts
    internalize reasoning tokens removed from the left stage by stage

    >>> known_regime("cot")
    'cot'
    >>> known_regime("cto")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown regime 'cto'; did you mean 'cot'? registered: no_cot, cot, filler, ...
"""

from __future__ import annotations

import difflib
import random
from typing import Annotated, Literal, NamedTuple, Protocol, runtime_checkable

from pydantic import AfterValidator

from overt.models.base import ANSWER, FILLER
from overt.tasks import Example, Task

Trainer = Literal["sft", "latent", "internalize"]
"""Which plan of `overt.train.sft` trains it: `sft` the target text in one stage
(`overt.train.plan.TextPlan`), `latent` the Coconut curriculum
(`overt.train.latent`), `internalize` stepwise removal (`overt.train.internalize`)."""

Role = Literal["written", "forward"]
"""What a regime stands for in the quickstart headline: reasoning written out,
or one forward pass with nothing written."""


class Style(NamedTuple):
    """How plots draw a regime (matplotlib colour, marker, line style)."""

    colour: str
    marker: str
    line: str


@runtime_checkable
class Regime(Protocol):
    name: str
    help: str
    trainer: Trainer
    style: Style
    role: Role | None
    thoughts: Literal["latent", "pause"]
    """For the `latent` trainer: feed back hidden states, or learned pauses."""

    def target(self, task: Task, example: Example) -> str:
        """What the model must write after `prompt_text` (without `<eos>`); for a
        curriculum, what its first stage trains on."""
        ...

    def prepare(self, task: Task, examples: list[Example], seed: int, step: int) -> list[Example]:
        """The examples of training step `step` as this regime trains on them."""
        ...


REGISTRY: dict[str, Regime] = {}


def register(cls: type) -> type:
    """Class decorator: add one instance of a regime to the registry."""
    instance = cls()
    if not isinstance(instance, Regime):
        raise TypeError(f"{cls.__name__} does not implement the Regime protocol")
    if instance.name in REGISTRY:
        raise ValueError(f"a regime named {instance.name!r} is already registered")
    REGISTRY[instance.name] = instance
    return cls


def known_regime(name: str) -> str:
    """`name` if it is registered, else a ValueError naming it, the nearest one and the rest."""
    if name not in REGISTRY:
        near = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ";"
        raise ValueError(f"unknown regime {name!r}{hint} registered: {', '.join(REGISTRY)}")
    return name


RegimeName = Annotated[str, AfterValidator(known_regime)]
"""A config field holding the name of a registered regime."""


def get_regime(name: str) -> Regime:
    """The registered regime called `name` (a ValueError as `known_regime` otherwise)."""
    return REGISTRY[known_regime(name)]


def regime_help() -> str:
    """`name: help` for every registered regime (the `regime` field's help text)."""
    return "; ".join(f"{r.name}: {r.help}" for r in REGISTRY.values()) + "."


def written(body: str, example: Example) -> str:
    """`body <answer> ANSWER`, with no leading space when the body is empty."""
    return f"{body} {ANSWER} {example.answer}".strip()


class WrittenRegime:
    """Defaults of a regime trained on its target text in one stage: subclasses set
    `name`, `help` and `style` and write `target`."""

    name: str
    help: str
    style: Style
    trainer: Trainer = "sft"
    role: Role | None = None
    thoughts: Literal["latent", "pause"] = "latent"

    def target(self, task: Task, example: Example) -> str:
        return written(task.render_reasoning(example.steps), example)

    def prepare(self, task: Task, examples: list[Example], seed: int, step: int) -> list[Example]:
        return examples


@register
class NoCot(WrittenRegime):
    name = "no_cot"
    help = "prompt → answer"
    style = Style("#d62728", "s", "-")
    role: Role | None = "forward"

    def target(self, task: Task, example: Example) -> str:
        return written("", example)


@register
class Cot(WrittenRegime):
    name = "cot"
    help = "prompt → steps → answer"
    style = Style("#2ca02c", "o", "-")
    role: Role | None = "written"


@register
class Filler(WrittenRegime):
    name = "filler"
    help = "prompt → as many '...' as the reasoning has words → answer"
    style = Style("#7f7f7f", "^", "--")

    def target(self, task: Task, example: Example) -> str:
        words = task.render_reasoning(example.steps).split()
        return written(" ".join([FILLER] * len(words)), example)


def decorate(task: Task, example: Example, rng: random.Random, rate: float = 0.5) -> Example:
    """With probability `rate`, the example's chain corrupted at a random step (later
    steps recomputed from the corruption) but its answer kept: reasoning that
    cannot be trusted to carry the answer, for the `decorative` regime."""
    if rng.random() >= rate:
        return example
    index = rng.randrange(len(example.steps))
    alternatives = task.alternatives(example, index)
    if not alternatives:
        return example
    bad = task.recompute(example, index, rng.choice(alternatives))
    return example.model_copy(update={"steps": bad.steps, "values": bad.values})


@register
class Decorative(WrittenRegime):
    name = "decorative"
    help = (
        "written like cot, but half the training chains are corrupted at a random step "
        "(later steps follow the corruption) while the answer stays true, so the answer "
        "must come from the prompt (the audit's negative control)"
    )
    style = Style("#9467bd", "D", "-.")

    def prepare(self, task: Task, examples: list[Example], seed: int, step: int) -> list[Example]:
        rng = random.Random(f"decorate-{seed}-{step}")
        return [decorate(task, ex, rng) for ex in examples]


@register
class Latent(WrittenRegime):
    name = "latent"
    help = "Coconut, steps become continuous thoughts stage by stage (see `latent`)"
    style = Style("#1f77b4", "v", ":")
    trainer: Trainer = "latent"


@register
class Pause(WrittenRegime):
    name = "pause"
    help = "the same curriculum with learned pause embeddings as thoughts"
    style = Style("#17becf", "P", ":")
    trainer: Trainer = "latent"
    thoughts: Literal["latent", "pause"] = "pause"


@register
class Internalize(WrittenRegime):
    name = "internalize"
    help = "reasoning tokens removed from the left stage by stage (see `internalize`)"
    style = Style("#ff7f0e", "X", "-.")
    trainer: Trainer = "internalize"
