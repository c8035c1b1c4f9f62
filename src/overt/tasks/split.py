"""The lab's prompt format and its train / held-out split, shared by training and the audit.

A model is shown `PROMPT <think>` and writes its reasoning, `<answer>` and the
answer. Held-out prompts come from a seed stream training never draws from;
training batches are a pure function of (seed, step) with held-out prompts
redrawn. Because both are pure functions, a model that records its `Split`
lets anyone replay exactly which prompts it was trained on:

    >>> from overt.tasks import get_task
    >>> task = get_task("state", K=2, m=10)
    >>> split = Split.of(task_spec={"name": "state", "params": {"K": 2, "m": 10}}, task=task,
    ...                  seed=0, steps=3, batch_size=4, eval_seed=0, eval_examples=5)
    >>> held = heldout(task, 5, 0)
    >>> split.matches(held), train_overlap(split, task, held)
    (True, 0.0)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from overt.models.base import ANSWER, HINT, THINK
from overt.tasks.base import Example, Task

HELDOUT_FRACTION = 0.25


def prompt_text(example: Example) -> str:
    """What the model is given: the question and the opening of its reasoning."""
    return f"{example.prompt} {THINK}"


def with_hint(example: Example, hint: str) -> Example:
    """The example with `<hint> HINT` appended to its prompt."""
    return example.model_copy(update={"prompt": f"{example.prompt} {HINT} {hint}"})


def explicit_target(task: Task, example: Example) -> str:
    """The written reasoning and answer: `STEP ; STEP ; ... <answer> ANSWER`."""
    return f"{task.render_reasoning(example.steps)} {ANSWER} {example.answer}".strip()


def generation_budget(task: Task, examples: Sequence[Example]) -> int:
    """Tokens to allow a continuation of `prompt_text`: the longest explicit
    reasoning and answer (+1 for `<eos>`), plus slack, whatever the regime."""
    return max(len(explicit_target(task, ex).split()) for ex in examples) + 9


def heldout(task: Task, n: int, seed: int = 0) -> list[Example]:
    """A held-out set: distinct prompts from a seed stream training never draws from.

    Where the task has few possible prompts, at most a quarter of them are held
    out, so training still sees most of the problem space.
    """
    if n < 1:
        raise ValueError(f"the number of held-out examples must be at least 1, got {n}")
    space = task.prompt_space()
    n = n if space is None else min(n, int(space * HELDOUT_FRACTION))
    if n < 1:
        raise ValueError(f"task {task!r} has too few prompts ({space}) to hold any out")
    chosen: dict[str, Example] = {}
    for ex in task.examples(20 * n, seed=f"eval-{seed}"):
        chosen.setdefault(ex.prompt, ex)
        if len(chosen) == n:
            break
    return list(chosen.values())


def train_examples(
    task: Task, seed: int, step: int, batch_size: int, excluded: set[str]
) -> list[Example]:
    """Training examples for `step`: a pure function of (seed, step); held-out prompts
    are redrawn."""
    batch = [
        ex
        for ex in task.examples(batch_size, seed=f"train-{seed}-{step}")
        if ex.prompt not in excluded
    ]
    redraw = 0
    while len(batch) < batch_size:
        redraw += 1
        if redraw > 100 * batch_size:
            raise RuntimeError(f"task {task!r} is too small to train on without the held-out set")
        ex = task.examples(1, seed=f"train-{seed}-{step}-redraw{redraw}")[0]
        if ex.prompt not in excluded:
            batch.append(ex)
    return batch


def prompts_hash(prompts: Iterable[str]) -> str:
    """A short order-independent fingerprint of a set of prompts."""
    digest = hashlib.sha256("\n".join(sorted(set(prompts))).encode())
    return digest.hexdigest()[:16]


class Split(BaseModel):
    """What a lab model was trained and evaluated on (saved in its metadata)."""

    task: dict[str, Any] = Field(description="Task spec: {name, params}.")
    seed: int = Field(description="Training data seed.")
    steps: int = Field(description="Training steps (one batch each).")
    batch_size: int = Field(description="Examples per training step.")
    eval_seed: int = Field(description="Seed of the held-out stream.")
    eval_examples: int = Field(description="Held-out examples requested.")
    heldout_n: int = Field(description="Held-out prompts actually held out.")
    heldout_hash: str = Field(description="`prompts_hash` of the held-out prompts.")

    @classmethod
    def of(
        cls,
        *,
        task_spec: dict[str, Any],
        task: Task,
        seed: int,
        steps: int,
        batch_size: int,
        eval_seed: int,
        eval_examples: int,
    ) -> Split:
        held = heldout(task, eval_examples, eval_seed)
        return cls(
            task=task_spec,
            seed=seed,
            steps=steps,
            batch_size=batch_size,
            eval_seed=eval_seed,
            eval_examples=eval_examples,
            heldout_n=len(held),
            heldout_hash=prompts_hash(ex.prompt for ex in held),
        )

    def matches(self, examples: Sequence[Example]) -> bool:
        """Whether `examples` are exactly this split's held-out set."""
        return prompts_hash(ex.prompt for ex in examples) == self.heldout_hash


def trained_prompts(split: Split, task: Task) -> set[str]:
    """Every prompt the model saw in training, replayed from its recorded split."""
    excluded = {ex.prompt for ex in heldout(task, split.eval_examples, split.eval_seed)}
    seen: set[str] = set()
    for step in range(split.steps):
        seen.update(
            ex.prompt for ex in train_examples(task, split.seed, step, split.batch_size, excluded)
        )
    return seen


def train_overlap(split: Split, task: Task, examples: Sequence[Example]) -> float:
    """Fraction of `examples` whose prompt was trained on."""
    if not examples:
        raise ValueError("no examples to compare with the training split")
    if split.matches(examples):
        return 0.0
    seen = trained_prompts(split, task)
    return sum(ex.prompt in seen for ex in examples) / len(examples)
