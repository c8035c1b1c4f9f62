"""The `latent` (Coconut) and `pause` regimes: a curriculum from written steps to thoughts.

Run it:

    overt lab train --out runs/latent regime=latent task.params.K=2 lr=0.001 steps=5200 \\
        latent.warm_steps=1200 latent.stage_steps=2000 latent.mix_prob=0.2

At stage k the first k reasoning steps are replaced by k·c thoughts:

    PROMPT <think> <bot> [k·c thoughts] <eot> STEP_k+1 ; ... <answer> ANSWER <eos>

Stage 0 is plain `cot` inside `<bot> <eot>`. A `latent` thought is the
last-layer hidden state at the previous position (see `overt.models.latent`);
a `pause` thought is the learned `<pause>` embedding, so `pause` is the same
curriculum with nothing fed back (Coconut's "pause as thought"). The loss covers
only what follows `<eot>`: the remaining written steps and the answer. Without
curriculum (`latent.curriculum=none`) every step is a thought from the first
optimizer step. Each stage's end logs its held-out accuracy and the mean norm of
the thoughts against the mean token-embedding norm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from overt.models.base import ANSWER
from overt.models.lab import LabModel, ModelMeta
from overt.models.latent import (
    BOT,
    EOT,
    PAUSE,
    LatentLabModel,
    Thinking,
    ThoughtSpec,
    embedding_norm,
    think,
)
from overt.tasks import Example, Task
from overt.tasks.split import prompt_text
from overt.train.config import TrainConfig
from overt.train.plan import STAGE_EVAL_EXAMPLES, StagedPlan
from overt.train.regimes import get_regime


def n_steps(task: Task) -> int:
    """Reasoning steps per example (the tasks used here have a fixed count)."""
    return len(task.examples(1, seed="latent-steps")[0].steps)


def latent_text(task: Task, example: Example, replaced: int) -> str:
    """What follows `<eot>` when the first `replaced` steps are thoughts."""
    rest = task.render_reasoning(example.steps[replaced:])
    return f"{rest} {ANSWER} {example.answer}".strip()


def encode_latent_batch(
    model: LabModel, task: Task, examples: Sequence[Example], replaced: int, close: str = "eot"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(prefix [B, P] left-padded, ending in `<bot>`; its mask; suffix [B, S] right-padded:
    `<eot>` first unless `close` is none, the written rest, `<eos>`, then `<pad>`)."""
    prefixes = [[*model.encode(prompt_text(ex)), model.vocab[BOT]] for ex in examples]
    prefix, mask = model.left_pad(prefixes)
    opening = [model.vocab[EOT]] if close == "eot" else []
    suffixes = [
        [*opening, *model.encode(latent_text(task, ex, replaced))[1:], model.eos_id]
        for ex in examples
    ]
    suffix = torch.full((len(examples), max(map(len, suffixes))), model.pad_id)
    for i, row in enumerate(suffixes):
        suffix[i, : len(row)] = torch.tensor(row)
    return prefix, mask, suffix


def latent_logits(
    model: LatentLabModel,
    prefix: torch.Tensor,
    mask: torch.Tensor,
    suffix: torch.Tensor,
    n: int,
) -> torch.Tensor:
    """Logits [B, S, V] after n thoughts (n+1 passes, one cache): row t predicts suffix[t+1]
    with `<eot>`; without it, the last thought's logits come first and row t predicts suffix[t]."""
    state = think(model.model, prefix, mask, model.spec, model.vocab[PAUSE], n=n)
    logits = suffix_logits(model, state, suffix)
    if model.spec.close == "eot":
        return logits
    return torch.cat([model.model.lm_head(state.last)[:, None], logits[:, :-1]], dim=1)


def suffix_logits(model: LabModel, state: Thinking, suffix: torch.Tensor) -> torch.Tensor:
    """Logits [B, S, V] of the suffix tokens run over the cache left by `think`."""
    width = suffix.shape[1]
    return model.model(
        input_ids=suffix,
        attention_mask=torch.cat([state.mask, state.mask.new_ones(len(suffix), width)], dim=1),
        position_ids=state.positions + torch.arange(1, width + 1)[None, :],
        cache=state.cache,
        use_cache=True,
    ).logits


def latent_loss(model: LatentLabModel, logits: torch.Tensor, suffix: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the written rest (pads ignored), for either way of closing."""
    targets = suffix[:, 1:] if model.spec.close == "eot" else suffix
    logits = logits[:, : targets.shape[1]]
    targets = targets.masked_fill(targets == model.pad_id, -100)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)


class LatentPlan(StagedPlan):
    """Coconut's curriculum for the `latent` and `pause` regimes."""

    def __init__(self, cfg: TrainConfig, task: Task) -> None:
        super().__init__(cfg, task)
        knobs = cfg.latent
        total = n_steps(task)
        self.stages = min(knobs.max_stage or total, total)
        self.stage_steps, self.reset = knobs.stage_steps, knobs.reset_optimizer
        self.c, self.mix = knobs.c, knobs.mix_prob
        self.no_curriculum = knobs.curriculum == "none"
        self.warm = 0 if self.no_curriculum else knobs.warm_steps
        if self.no_curriculum:
            self.stage_steps = cfg.steps
        self.spec = ThoughtSpec(
            mode=get_regime(cfg.regime).thoughts,
            n=0,
            per_step=knobs.c,
            norm=knobs.thought_norm,
            close=knobs.close,
        )

    def stage(self, step: int) -> int:
        return self.stages if self.no_curriculum else super().stage(step)

    def bounds(self, stage: int) -> tuple[int, int]:
        if self.no_curriculum:
            return 0, self.cfg.steps
        return super().bounds(stage)

    def create(self, meta: ModelMeta) -> LabModel:
        meta = meta.model_copy(update={"thoughts": self.spec})
        return LatentLabModel.create(self.task.vocab(), self.cfg.model, meta=meta)

    def enter(self, model: LabModel, stage: int) -> None:
        assert isinstance(model, LatentLabModel)
        model.set_thoughts(stage * self.c)

    def loss(self, model: LabModel, examples: Sequence[Example], step: int) -> tuple[Any, int]:
        assert isinstance(model, LatentLabModel)
        self.enter(model, self.stage(step))
        stage = self.stage(step) if self.no_curriculum else self.batch_stage(step, self.mix)
        close = self.spec.close
        prefix, mask, suffix = encode_latent_batch(model, self.task, examples, stage, close)
        logits = latent_logits(model, prefix, mask, suffix, stage * self.c)
        loss = latent_loss(model, logits, suffix)
        return loss, prefix.numel() + suffix.numel() + stage * self.c * len(examples)

    def extra(self, model: LabModel, heldout: Sequence[Example]) -> dict[str, Any]:
        assert isinstance(model, LatentLabModel)
        examples = heldout[:STAGE_EVAL_EXAMPLES]
        thoughts, _ = model.read_thoughts([model.encode(prompt_text(ex)) for ex in examples])
        model.model.train()
        norm = float(thoughts.norm(dim=-1).mean()) if thoughts.numel() else None
        return {"thought_norm": norm, "embedding_norm": embedding_norm(model.model)}
