"""Exact-match accuracy of a model on held-out examples.

    accuracy = mean over examples of [generated answer == true answer]

A generation that never writes `<answer>` counts as wrong (and is counted in
`unanswered`), never skipped. Beside accuracy: written tokens per answer (every
generated word up to `<eos>`), continuous thoughts per answer (0 unless the model
thinks in vectors) and wall seconds per answer of the batched generation (after
one untimed warm-up call).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel

from overt.models.base import Model, split_output
from overt.tasks import Example, Task
from overt.tasks.split import generation_budget, prompt_text


class Accuracy(BaseModel):
    accuracy: float
    n: int
    unanswered: int
    tokens_per_answer: float = 0.0
    thoughts_per_answer: int = 0
    seconds_per_answer: float = 0.0


def evaluate(model: Model, task: Task, examples: Sequence[Example]) -> Accuracy:
    """Greedy-decode every example and score its answer by exact match.

    The budget is the longest explicit reasoning plus slack, whatever the regime.
    """
    budget = generation_budget(task, examples)
    model.generate([prompt_text(examples[0])], max_new_tokens=budget)  # warm-up, untimed
    start = time.perf_counter()
    outs = model.generate([prompt_text(ex) for ex in examples], max_new_tokens=budget)
    seconds = time.perf_counter() - start
    correct = unanswered = 0
    for ex, out in zip(examples, outs, strict=True):
        _, answer = split_output(out.text)
        unanswered += answer is None
        correct += answer == ex.answer
    spec = getattr(model, "spec", None)
    return Accuracy(
        accuracy=correct / len(examples),
        n=len(examples),
        unanswered=unanswered,
        tokens_per_answer=sum(len(o.text.split()) for o in outs) / len(outs),
        thoughts_per_answer=getattr(spec, "n", 0),
        seconds_per_answer=seconds / len(outs),
    )
