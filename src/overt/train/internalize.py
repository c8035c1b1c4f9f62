"""The `internalize` regime: stepwise internalisation of the reasoning (Deng et al. 2024).

Run it:

    overt lab train --out runs/icot regime=internalize task.params.K=2 lr=0.001 steps=2200 \\
        internalize.warm_steps=1200 internalize.stage_steps=500 internalize.remove_per_stage=1

Training starts as plain `cot` (stage 0). At stage k the first k·Δ reasoning
tokens (Δ = `remove_per_stage`) are removed from the left of the target, plus
a small random extra o per example with P(o) ∝ exp(−λ·o) (removal smoothing,
λ = `smoothing`); the optimizer starts afresh at each removal. At the last
stage nothing of the reasoning is left: the model writes `<answer> ANSWER`
straight after `<think>`, like `no_cot`, having been walked there.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from overt.models.base import ANSWER
from overt.models.lab import LabModel, ModelMeta
from overt.tasks import Example, Task
from overt.train.config import TrainConfig
from overt.train.data import encode_pairs
from overt.train.plan import StagedPlan, target_loss


def reasoning_tokens(task: Task) -> int:
    """Written reasoning tokens per example (fixed for the tasks used here)."""
    ex = task.examples(1, seed="internalize-length")[0]
    return len(task.render_reasoning(ex.steps).split())


def extra_removal(rng: random.Random, smoothing: float, limit: int) -> int:
    """o in 0..limit with P(o) ∝ exp(−smoothing·o); always 0 when smoothing is 0."""
    if smoothing <= 0 or limit <= 0:
        return 0
    weights = [math.exp(-smoothing * o) for o in range(limit + 1)]
    return rng.choices(range(limit + 1), weights=weights)[0]


def removed_target(task: Task, example: Example, removed: int) -> str:
    """The cot target with its first `removed` reasoning tokens gone."""
    words = task.render_reasoning(example.steps).split()[removed:]
    return " ".join([*words, ANSWER, example.answer])


class InternalizePlan(StagedPlan):
    """Remove Δ reasoning tokens per stage until none is left."""

    def __init__(self, cfg: TrainConfig, task: Task) -> None:
        super().__init__(cfg, task)
        knobs = cfg.internalize
        self.total = reasoning_tokens(task)
        self.delta, self.smoothing = knobs.remove_per_stage, knobs.smoothing
        self.stages = math.ceil(self.total / self.delta)
        self.warm, self.stage_steps = knobs.warm_steps, knobs.stage_steps
        self.reset = knobs.reset_optimizer

    def create(self, meta: ModelMeta) -> LabModel:
        return LabModel.create(self.task.vocab(), self.cfg.model, meta=meta)

    def removed(self, stage: int, rng: random.Random) -> int:
        """Tokens removed from one example's reasoning at `stage`."""
        base = min(self.total, stage * self.delta)
        if stage == 0:
            return 0
        return base + extra_removal(rng, self.smoothing, self.total - base)

    def loss(self, model: LabModel, examples: Sequence[Example], step: int) -> tuple[Any, int]:
        stage = self.stage(step)
        rng = random.Random(f"remove-{self.cfg.seed}-{step}")
        pairs = [(ex, removed_target(self.task, ex, self.removed(stage, rng))) for ex in examples]
        inputs, targets = encode_pairs(model, pairs)
        return target_loss(model, inputs, targets), inputs.numel()
