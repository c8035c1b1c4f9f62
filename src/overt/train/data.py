"""Examples → training text → token tensors, per regime.

Every regime shares the prompt `PROMPT <think>`; they differ in the target:

    no_cot   <answer> ANSWER <eos>
    cot      STEP ; STEP ; ... <answer> ANSWER <eos>
    filler   ... ... ... <answer> ANSWER <eos>      (one '...' per reasoning word)
    decorative  like cot, on chains `decorate` corrupted (the answer stays true)

The loss covers the target only: what the model must produce.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from overt.models.base import ANSWER, FILLER
from overt.models.lab import LabModel
from overt.tasks import Example, Task
from overt.tasks.split import prompt_text


def target_text(task: Task, example: Example, regime: str) -> str:
    """What the model must write after `prompt_text` (without the final `<eos>`)."""
    reasoning = task.render_reasoning(example.steps)
    if regime in ("cot", "decorative"):
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
    return encode_pairs(model, [(ex, target_text(task, ex, regime)) for ex in examples])


def encode_pairs(
    model: LabModel, pairs: Sequence[tuple[Example, str]]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Like `encode_batch`, for (example, target text) pairs built by the caller."""
    rows, spans = [], []
    for ex, text in pairs:
        prompt = model.encode(prompt_text(ex))
        target = [*model.encode(text)[1:], model.eos_id]
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
