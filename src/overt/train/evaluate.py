"""Exact-match accuracy of a model on held-out examples.

    accuracy = mean over examples of [generated answer == true answer]

A generation that never writes `<answer>` counts as wrong (and is counted in
`unanswered`), never skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from overt.models.base import Model, split_output
from overt.tasks import Example, Task
from overt.tasks.split import generation_budget, prompt_text


class Accuracy(BaseModel):
    accuracy: float
    n: int
    unanswered: int


def evaluate(model: Model, task: Task, examples: Sequence[Example]) -> Accuracy:
    """Greedy-decode every example and score its answer by exact match.

    The budget is the longest explicit reasoning plus slack, whatever the regime.
    """
    budget = generation_budget(task, examples)
    outs = model.generate([prompt_text(ex) for ex in examples], max_new_tokens=budget)
    correct = unanswered = 0
    for ex, out in zip(examples, outs, strict=True):
        _, answer = split_output(out.text)
        unanswered += answer is None
        correct += answer == ex.answer
    return Accuracy(accuracy=correct / len(examples), n=len(examples), unanswered=unanswered)
