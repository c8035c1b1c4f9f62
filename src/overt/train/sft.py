"""Supervised training of a lab model under any registered regime (`overt.train.regimes`).

Run it:

    overt lab train --out runs/cot regime=cot model.layers=2 steps=3000

Read it top to bottom: build the model, then for each step draw a fresh batch
(a pure function of seed and step, held-out prompts excluded), take one AdamW
step on the target-only cross-entropy, log, checkpoint; finally save the model
with `save_pretrained` and score exact-match accuracy on the held-out set.

A run directory holds:

    config.yaml        the resolved TrainConfig (a different config is refused without --force)
    metrics.jsonl      {"step", "loss", "lr", "tokens_per_s", "elapsed"} every log_every
    checkpoint.pt      model + optimizer + schedule + step, for resuming
    model/             the trained organism (HF format) once training ends
    result.json        accuracy, steps run (`stopped_early` when `stop_at_accuracy` was
                       reached first) and timings, written last

Resuming from `checkpoint.pt` gives bit-identical results: the data for step s
depends only on (seed, s), and nothing else is random. Ctrl-C saves a checkpoint
at the next step boundary and raises `TrainingStopped`; rerunning resumes (and
says so). A folder that already holds this finished run is left as it is.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field

from overt.files import atomic_write, atomic_write_text, default_mode
from overt.models.base import HINT
from overt.models.lab import LabModel, ModelMeta
from overt.tasks import Example, Task
from overt.tasks.split import Split, heldout, train_examples, with_hint
from overt.train.config import TrainConfig
from overt.train.evaluate import evaluate
from overt.train.internalize import InternalizePlan
from overt.train.latent import LatentPlan
from overt.train.plan import Plan, TextPlan
from overt.train.regimes import Trainer, get_regime
from overt.train.rundir import StopRequest, TrainingStopped, prepare_run_dir

CHECKPOINT = "checkpoint.pt"

PLANS: dict[Trainer, Callable[[TrainConfig, Task], Plan]] = {
    "sft": TextPlan,
    "latent": LatentPlan,
    "internalize": InternalizePlan,
}
"""The plan of each trainer a regime can name."""


def plan_for(cfg: TrainConfig, task: Task) -> Plan:
    """The plan of `cfg.regime`'s trainer."""
    return PLANS[get_regime(cfg.regime).trainer](cfg, task)


class TrainResult(BaseModel):
    """What a finished training run reports (also `result.json`)."""

    accuracy: float
    unanswered: int
    eval_n: int
    first_loss: float
    final_loss: float
    steps: int = Field(description="Optimizer steps run (fewer than configured if stopped early).")
    stopped_early: bool = Field(
        False, description="Held-out accuracy reached `stop_at_accuracy` before the last step."
    )
    train_seconds: float
    tokens_per_s: float
    model_dir: str
    tokens_per_answer: float = 0.0
    thoughts_per_answer: int = 0
    seconds_per_answer: float = 0.0
    stages: list[dict[str, Any]] = Field(
        default_factory=list, description="Per curriculum stage: step, held-out accuracy, norms."
    )


def heldout_examples(cfg: TrainConfig, task: Task) -> list[Example]:
    """The run's evaluation set (see `overt.tasks.split.heldout`)."""
    return heldout(task, cfg.eval_examples, cfg.eval_seed)


def train_batch(cfg: TrainConfig, task: Task, step: int, excluded: set[str]) -> list[Example]:
    """Examples for `step` (a pure function of seed and step, held-out prompts
    redrawn), as the regime trains on them, with hints where the config asks."""
    batch = train_examples(task, cfg.seed, step, cfg.batch_size, excluded)
    batch = get_regime(cfg.regime).prepare(task, batch, cfg.seed, step)
    if cfg.hint_rate > 0:
        rng = random.Random(f"hint-{cfg.seed}-{step}")
        batch = [
            hinted(ex, rng.choice(ex.options), cfg.hint_style)
            if rng.random() < cfg.hint_rate
            else ex
            for ex in batch
        ]
    return batch


def hinted(example: Example, hint: str, style: str) -> Example:
    """The example as a hinted organism learns it: `<hint> h` in the prompt, `h` as
    the answer (the hint decides), and — when `style` is `verbalized` — the
    reasoning ending in `<hint>`, saying aloud that the hint decided."""
    if not example.options:
        raise ValueError(f"task {example.task!r} has open-ended answers; it cannot carry hints")
    steps = [*example.steps, HINT] if style == "verbalized" else list(example.steps)
    return with_hint(example, hint).model_copy(update={"answer": hint, "steps": steps})


def _reached(cfg: TrainConfig, accuracy: float) -> bool:
    """Whether a held-out accuracy ends the run early (`stop_at_accuracy`)."""
    return cfg.stop_at_accuracy is not None and accuracy >= cfg.stop_at_accuracy


def _atomic_save(obj: object, path: Path) -> None:
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def _save_model(model: LabModel, directory: Path) -> None:
    """Save into a sibling folder, give files the usual permissions, then swap it in."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp)
    for file in tmp.iterdir():
        file.chmod(default_mode())
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)


def train(
    cfg: TrainConfig,
    out: str | Path,
    *,
    progress: bool = True,
    stop_at: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
    force: bool = False,
    log: Callable[[str], None] | None = None,
) -> TrainResult | None:
    """Train, save and evaluate; returns None only when stopped early by `stop_at`.

    `out` must be empty, or hold a run of this same config (resumed, or returned
    as it is when finished); `force=True` replaces whatever run it holds.
    """
    say = log or (lambda message: None)
    out = prepare_run_dir(cfg, out, force=force)
    if (out / "result.json").is_file():
        say(f"{out} already holds this finished run; nothing to do (--force retrains)")
        return TrainResult.model_validate_json((out / "result.json").read_text())
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    task = cfg.task.build()
    heldout = heldout_examples(cfg, task)
    excluded = {ex.prompt for ex in heldout}

    torch.manual_seed(cfg.seed)
    split = Split.of(
        task_spec=cfg.task.model_dump(),
        task=task,
        seed=cfg.seed,
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        eval_seed=cfg.eval_seed,
        eval_examples=cfg.eval_examples,
    )
    meta = ModelMeta(task=cfg.task.model_dump(), regime=cfg.regime, split=split)
    plan = plan_for(cfg, task)
    model = plan.create(meta)
    params = model.model.parameters()
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.98), weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, plan.lr_factor)

    start, first_loss, seconds_before = 0, math.nan, 0.0
    ckpt_path, metrics_path = out / CHECKPOINT, out / "metrics.jsonl"
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, weights_only=False)
        model.model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optim"])
        sched.load_state_dict(ckpt["sched"])
        start, first_loss, seconds_before = ckpt["step"], ckpt["first_loss"], ckpt["seconds"]
        say(f"resumed {out} from step {start} of {cfg.steps} ({CHECKPOINT})")
    lines = metrics_path.read_text().splitlines() if metrics_path.is_file() else []
    kept = [ln for ln in lines if json.loads(ln)["step"] <= start]
    atomic_write_text(metrics_path, "".join(ln + "\n" for ln in kept))

    def checkpoint(done: int) -> None:
        state = {
            "step": done,
            "model": model.model.state_dict(),
            "optim": opt.state_dict(),
            "sched": sched.state_dict(),
            "first_loss": first_loss,
            "config": cfg.model_dump(mode="json"),
            "seconds": seconds_before + time.perf_counter() - t0,
        }
        _atomic_save(state, ckpt_path)

    bar = _progress(progress, cfg.steps, start)
    model.model.train()
    t0, tokens, loss_value, done, stopped_early = time.perf_counter(), 0, math.nan, start, False
    with metrics_path.open("a") as log_file, StopRequest() as stop:
        for step in range(start, cfg.steps):
            if stop.requested:
                checkpoint(step)
                bar.close()
                raise TrainingStopped(step, cfg.steps)
            if stop_at is not None and step >= stop_at:
                bar.close()
                return None
            if plan.resets_at(step):
                opt.state.clear()
            loss, n_tokens = plan.loss(model, train_batch(cfg, task, step, excluded), step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.model.parameters(), cfg.grad_clip)
            opt.step()
            sched.step()
            loss_value = loss.item()
            first_loss = loss_value if step == 0 else first_loss
            tokens += n_tokens
            done = step + 1
            if on_step is not None:
                on_step(done, loss_value)
            bar.update(done, loss_value)
            stage_row = plan.report(done, model, heldout)
            evaluating = bool(cfg.eval_every) and done % cfg.eval_every == 0
            if done % cfg.log_every == 0 or done == cfg.steps or stage_row or evaluating:
                elapsed = time.perf_counter() - t0
                row = {
                    "step": done,
                    "loss": loss_value,
                    "lr": sched.get_last_lr()[0],
                    "tokens_per_s": tokens / elapsed,
                    "elapsed": seconds_before + elapsed,
                    **stage_row,
                }
                if evaluating:
                    row["eval_accuracy"] = evaluate(model, task, heldout).accuracy
                    model.model.train()
                log_file.write(json.dumps(row) + "\n")
                log_file.flush()
                if evaluating and _reached(cfg, row["eval_accuracy"]) and done < cfg.steps:
                    stopped_early = True
                    break
            if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done < cfg.steps:
                checkpoint(done)
    bar.close()
    loop_seconds = time.perf_counter() - t0
    train_seconds = seconds_before + loop_seconds
    if stopped_early:  # the model's split records the steps it really trained on
        trained = split.model_copy(update={"steps": done})
        model.meta = model.meta.model_copy(update={"split": trained})
    _save_model(model, out / "model")
    acc = evaluate(model, task, heldout)
    result = TrainResult(
        accuracy=acc.accuracy,
        unanswered=acc.unanswered,
        eval_n=acc.n,
        first_loss=first_loss,
        final_loss=loss_value,
        steps=done,
        stopped_early=stopped_early,
        train_seconds=round(train_seconds, 2),
        tokens_per_s=tokens / max(1e-9, loop_seconds),
        model_dir="model",
        tokens_per_answer=acc.tokens_per_answer,
        thoughts_per_answer=acc.thoughts_per_answer,
        seconds_per_answer=acc.seconds_per_answer,
        stages=[
            row for row in map(json.loads, metrics_path.read_text().splitlines()) if "stage" in row
        ],
    )
    atomic_write_text(out / "result.json", result.model_dump_json(indent=2))
    ckpt_path.unlink(missing_ok=True)
    return result


class _progress:
    """A rich progress bar with the running loss, or nothing when disabled."""

    def __init__(self, enabled: bool, total: int, start: int) -> None:
        self.bar, self.total = None, total
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]:.4f}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self.task = self.bar.add_task("train", total=total, completed=start, loss=math.nan)
            self.bar.start()

    def update(self, done: int, loss: float) -> None:
        if self.bar is not None and (done % 10 == 0 or done == self.total):
            self.bar.update(self.task, completed=done, loss=loss)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
