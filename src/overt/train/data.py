"""Examples → training text → token tensors, per regime.

Every regime shares the prompt `PROMPT <think>`; they differ in the target,
which each regime's registration builds (`overt.train.regimes`), followed by
`<eos>`. The loss covers the target only: what the model must produce.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from overt.models.lab import LabModel
from overt.tasks import Example, Task
from overt.tasks.split import prompt_text
from overt.train.regimes import get_regime


def target_text(task: Task, example: Example, regime: str) -> str:
    """What the model must write after `prompt_text` (without the final `<eos>`)."""
    return get_regime(regime).target(task, example)


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
