"""Examples → training text → token tensors, per regime.

Every regime shares the prompt `PROMPT <think>`; they differ in the target:

    no_cot   <answer> ANSWER <eos>
    cot      STEP ; STEP ; ... <answer> ANSWER <eos>
    filler   ... ... ... <answer> ANSWER <eos>      (one '...' per reasoning word)

The loss covers the target only: what the model must produce.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from overt.models.base import ANSWER, FILLER, HINT, THINK
from overt.models.lab import LabModel
from overt.tasks import Example, Task


def with_hint(example: Example, hint: str) -> Example:
    """The example with `<hint> HINT` appended to its prompt."""
    return example.model_copy(update={"prompt": f"{example.prompt} {HINT} {hint}"})


def prompt_text(example: Example) -> str:
    """What the model is given: the question and the opening of its reasoning."""
    return f"{example.prompt} {THINK}"


def target_text(task: Task, example: Example, regime: str) -> str:
    """What the model must write after `prompt_text` (without the final `<eos>`)."""
    reasoning = task.render_reasoning(example.steps)
    if regime == "cot":
        body = reasoning
    elif regime == "filler":
        body = " ".join([FILLER] * len(reasoning.split()))
    elif regime == "no_cot":
        body = ""
    else:
        raise ValueError(f"unknown regime {regime!r}")
    return f"{body} {ANSWER} {example.answer}".strip()


def encode_batch(
    model: LabModel, task: Task, examples: Sequence[Example], regime: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs [B, T], targets [B, T]); targets are -100 outside the target text."""
    rows, spans = [], []
    for ex in examples:
        prompt = model.encode(prompt_text(ex))
        target = [*model.encode(target_text(task, ex, regime))[1:], model.eos_id]
        rows.append(prompt + target)
        spans.append(len(prompt))
    width = max(len(r) for r in rows) - 1
    inputs = torch.full((len(rows), width), model.pad_id, dtype=torch.long)
    targets = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, (row, start) in enumerate(zip(rows, spans, strict=True)):
        seq = torch.tensor(row)
        inputs[i, : len(row) - 1] = seq[:-1]
        targets[i, start - 1 : len(row) - 1] = seq[start:]
    return inputs, targets


def generation_budget(task: Task, examples: Sequence[Example]) -> int:
    """Tokens to allow a continuation of `prompt_text`: the longest explicit
    reasoning and answer (+1 for `<eos>`), plus slack, whatever the regime."""
    return max(len(target_text(task, ex, "cot").split()) for ex in examples) + 9
