"""Task and Example: the problem families overt's model organisms learn.

A `Task` generates `Example`s deterministically from a seed. Every example
carries its prompt, its reasoning as a list of steps (each step is a short
phrase of words that states one intermediate *value*), and its answer. Because
the task knows the computation behind the steps, it can recompute every later
step and the answer after any step's value is changed: that is what lets the
audit ask whether a model *follows* its own reasoning.

All text is words separated by single spaces, drawn from a closed vocabulary
(`Task.vocab()`), so a word-level tokenizer covers it exactly.

    >>> from overt.tasks import get_task
    >>> task = get_task("state", K=3, m=10)
    >>> ex = task.examples(1, seed=0)[0]
    >>> task.recompute(ex, 0, ex.values[0]) == ex
    True
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class TaskParamError(ValueError):
    """A task parameter is unknown or out of its allowed range."""


class Example(BaseModel):
    """One problem instance with its reasoning.

    `steps[i]` is the text of step i; `values[i]` is the value it states (what an
    intervention may change). `state` holds whatever the task needs to recompute
    the rest from a changed step (operations, a graph, operands).
    """

    model_config = ConfigDict(frozen=True)

    task: str = Field(description="Name of the task family that made this example.")
    prompt: str = Field(description="The question, as space-separated words.")
    steps: list[str] = Field(description="Reasoning steps, each a phrase of words.")
    values: list[str] = Field(description="The value each step states, as words.")
    answer: str = Field(description="The correct answer, as words.")
    options: list[str] = Field(
        default_factory=list,
        description="Answer options when the answer is a choice (empty when open-ended).",
    )
    state: dict[str, Any] = Field(
        default_factory=dict, description="Task-specific data used to recompute steps."
    )


class Task(ABC):
    """A deterministic generator of examples for one problem family.

    Subclasses declare `name`, `params` (knob name → (low, high) inclusive
    integer range) and `defaults`, and implement `_generate`, `_recompute`,
    `_vocab` and `alternatives`.
    """

    name: ClassVar[str]
    params: ClassVar[dict[str, tuple[int, int]]]
    defaults: ClassVar[dict[str, int]]
    sep: ClassVar[str | None] = ";"
    """Word placed between steps in the rendered reasoning (None: each step is one word)."""

    def __init__(self, **params: Any) -> None:
        self.p: dict[str, int] = dict(self.defaults)
        for key, value in params.items():
            if key not in self.params:
                allowed = ", ".join(sorted(self.params))
                raise TaskParamError(
                    f"task {self.name!r} has no parameter {key!r}; allowed: {allowed}"
                )
            low, high = self.params[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise TaskParamError(
                    f"task {self.name!r} parameter {key!r} must be an integer in "
                    f"[{low}, {high}], got {value!r}"
                )
            if not low <= value <= high:
                raise TaskParamError(
                    f"task {self.name!r} parameter {key!r}={value} is out of range; "
                    f"allowed [{low}, {high}]"
                )
            self.p[key] = value
        self._check()

    def _check(self) -> None:
        """Cross-parameter checks; raise TaskParamError naming the parameter."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.p.items())
        return f"{type(self).__name__}({args})"

    @property
    def chance(self) -> float:
        """Accuracy of guessing uniformly among the possible answers."""
        return 1.0 / self.num_answers()

    @abstractmethod
    def num_answers(self) -> int:
        """How many distinct answers are possible (for the chance level)."""

    def prompt_space(self) -> int | None:
        """How many distinct prompts exist, where that is small enough to matter."""
        return None

    def examples(self, n: int, seed: int | str) -> list[Example]:
        """`n` examples, a pure function of (task parameters, n, seed)."""
        rng = random.Random(f"{self.name}:{sorted(self.p.items())}:{seed}")
        return [self._generate(rng) for _ in range(n)]

    @abstractmethod
    def _generate(self, rng: random.Random) -> Example:
        """One example from the random stream."""

    def recompute(self, example: Example, index: int, value: str) -> Example:
        """The example as it would continue if step `index` stated `value`.

        Steps before `index` are kept, step `index` states `value`, and every
        later step and the answer follow from it by the task's rules.
        """
        if not 0 <= index < len(example.steps):
            raise IndexError(f"step index {index} out of range for {len(example.steps)} steps")
        vocab = set(self.vocab())
        if not value.split() or any(w not in vocab for w in value.split()):
            raise ValueError(f"value {value!r} is not made of words of task {self.name!r}")
        return self._recompute(example, index, value)

    @abstractmethod
    def _recompute(self, example: Example, index: int, value: str) -> Example:
        """Task-specific recomputation (inputs already checked)."""

    @abstractmethod
    def alternatives(self, example: Example, index: int) -> list[str]:
        """Wrong values for step `index` that keep the example well formed."""

    def vocab(self) -> list[str]:
        """Every word this task can produce at any parameter setting, sorted."""
        words = set(self._vocab())
        if self.sep is not None:
            words.add(self.sep)
        return sorted(words)

    @abstractmethod
    def _vocab(self) -> set[str]:
        """Task words (prompt, steps, answers, paraphrases)."""

    def paraphrase(self, example: Example, rng: random.Random) -> list[str]:
        """A semantics-preserving rewording of the steps (same values, same count).

        The default keeps the steps as they are; tasks with templates override it.
        """
        return list(example.steps)

    def render_reasoning(self, steps: Sequence[str]) -> str:
        """The steps as one string of words, joined by the task's separator."""
        joiner = " " if self.sep is None else f" {self.sep} "
        return joiner.join(steps)

    def split_reasoning(self, reasoning: str) -> list[str]:
        """Inverse of `render_reasoning` (on well-formed text)."""
        words = reasoning.split()
        if self.sep is None:
            return words
        steps: list[list[str]] = [[]]
        for word in words:
            if word == self.sep:
                steps.append([])
            else:
                steps[-1].append(word)
        return [" ".join(s) for s in steps if s]

    def step_value(self, step: str) -> str | None:
        """The value a step states (the last word by default), or None if malformed."""
        words = step.split()
        return words[-1] if words else None
