"""What differs between regimes inside the one training loop of `overt.train.sft`.

A `Plan` makes the model, turns a batch of examples into a loss, sets the
learning-rate multiplier, and says when the optimizer starts afresh and when a
curriculum stage ends (its held-out accuracy goes into `metrics.jsonl`). Each
regime names its trainer (`overt.train.regimes`); `overt.train.sft.PLANS` maps
it to a plan, so imports flow one way (sft → latent, internalize → plan):

    sft          TextPlan: the regime's target text, one stage, one-cycle schedule
    latent       overt.train.latent.LatentPlan (Coconut curriculum)
    internalize  overt.train.internalize.InternalizePlan

A staged plan splits `steps` into stage 0 (`warm_steps`), then stages 1..S of
`stage_steps` each, the last running to the end; every stage gets its own
warm-up to a constant learning rate, and (by default) a fresh optimizer state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any, Protocol

import torch
import torch.nn.functional as F

from overt.models.lab import LabModel, ModelMeta
from overt.tasks import Example, Task
from overt.train.config import TrainConfig
from overt.train.data import encode_batch
from overt.train.evaluate import evaluate

STAGE_EVAL_EXAMPLES = 200


class Plan(Protocol):
    def create(self, meta: ModelMeta) -> LabModel:
        """A fresh model for this regime."""
        ...

    def lr_factor(self, step: int) -> float:
        """Multiplier on the peak learning rate at `step`."""
        ...

    def resets_at(self, step: int) -> bool:
        """Whether the optimizer state starts afresh before `step`."""
        ...

    def loss(self, model: LabModel, examples: Sequence[Example], step: int) -> tuple[Any, int]:
        """(loss tensor, tokens processed) for one batch at `step`."""
        ...

    def report(self, done: int, model: LabModel, heldout: Sequence[Example]) -> dict[str, Any]:
        """Extra metrics after `done` steps (a finished stage's accuracy), or {}."""
        ...


def target_loss(model: LabModel, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over target positions."""
    logits = model.model(input_ids=inputs).logits  # [B, T, V]
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)


def cycle(step: int, total: int, warmup: float) -> float:
    """Linear warm-up over `warmup` of `total` steps, then cosine decay to zero."""
    warm = max(1, int(warmup * total))
    if step < warm:
        return (step + 1) / warm
    progress = (step - warm) / max(1, total - warm)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class TextPlan:
    """Written regimes: the target text of `overt.train.data`, one stage."""

    def __init__(self, cfg: TrainConfig, task: Task) -> None:
        self.cfg, self.task = cfg, task

    def create(self, meta: ModelMeta) -> LabModel:
        return LabModel.create(self.task.vocab(), self.cfg.model, meta=meta)

    def lr_factor(self, step: int) -> float:
        return cycle(step, self.cfg.steps, self.cfg.warmup)

    def resets_at(self, step: int) -> bool:
        return False

    def loss(self, model: LabModel, examples: Sequence[Example], step: int) -> tuple[Any, int]:
        inputs, targets = encode_batch(model, self.task, examples, self.cfg.regime)
        return target_loss(model, inputs, targets), inputs.numel()

    def report(self, done: int, model: LabModel, heldout: Sequence[Example]) -> dict[str, Any]:
        return {}


class StagedPlan:
    """Stage bookkeeping shared by the curricula (subclasses set `stages` and `warm`)."""

    stages: int
    """Index of the last stage."""
    warm: int
    stage_steps: int
    reset: bool

    def __init__(self, cfg: TrainConfig, task: Task) -> None:
        self.cfg, self.task = cfg, task

    def stage(self, step: int) -> int:
        if step < self.warm:
            return 0
        return min(self.stages, 1 + (step - self.warm) // self.stage_steps)

    def bounds(self, stage: int) -> tuple[int, int]:
        """[start, end) steps of `stage`."""
        if stage == 0:
            return 0, self.warm
        start = self.warm + (stage - 1) * self.stage_steps
        end = self.cfg.steps if stage == self.stages else start + self.stage_steps
        return start, end

    def lr_factor(self, step: int) -> float:
        """Warm-up over `warmup` of each stage, then constant (Coconut's schedule)."""
        start, end = self.bounds(self.stage(step))
        warm = max(1, int(self.cfg.warmup * (end - start)))
        return min(1.0, (step - start + 1) / warm)

    def resets_at(self, step: int) -> bool:
        return self.reset and step > 0 and self.bounds(self.stage(step))[0] == step

    def batch_stage(self, step: int, mix_prob: float = 0.0) -> int:
        """The stage a batch is drawn at: the current one, or with `mix_prob` an earlier one."""
        stage = self.stage(step)
        rng = random.Random(f"stage-{self.cfg.seed}-{step}")
        if stage > 0 and rng.random() < mix_prob:
            return rng.randrange(stage)
        return stage

    def report(self, done: int, model: LabModel, heldout: Sequence[Example]) -> dict[str, Any]:
        stage = self.stage(done - 1)
        if done != self.bounds(stage)[1]:
            return {}
        self.enter(model, stage)
        acc = evaluate(model, self.task, heldout[:STAGE_EVAL_EXAMPLES])
        model.model.train()
        return {"stage": stage, "stage_accuracy": acc.accuracy, **self.extra(model, heldout)}

    def enter(self, model: LabModel, stage: int) -> None:
        """Make `model` behave as at `stage` (e.g. how many thoughts it generates)."""

    def extra(self, model: LabModel, heldout: Sequence[Example]) -> dict[str, Any]:
        """Further per-stage measurements."""
        return {}
