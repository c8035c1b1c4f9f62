"""Policy-gradient RL of a lab model from an SFT checkpoint (REINFORCE, group-mean baseline).

Run it from Python (the `overt lab run pressure|outcome` presets drive it):

    from overt.train.config import RLConfig, load_config
    from overt.train.rl import train_rl
    cfg = load_config(RLConfig, None, ["init=runs/sft/model", "task.name=pressure",
                                       "terms=[{name: graded}, {name: cot_monitor}]"])
    train_rl(cfg, "runs/rl")

Each step: draw `prompts_per_step` training prompts (a pure function of seed and
step, held-out prompts excluded), sample `group_size` episodes per prompt at
`temperature` (batched, KV-cached), score every reward term
(`overt.train.rewards`), take each term's advantage against its group mean,
route it to the tokens the term targets, and take one AdamW step on

    loss = −mean_tokens(A_token · log π(token)) + kl_coef · KL(π ‖ π_start) − entropy_coef · H

A run directory holds config.yaml, metrics.jsonl (one line per `log_every`
steps: every term's mean, its weight, accuracy, hack rate, KL, entropy,
reasoning length, monitor flag rates, throughput; plus the evaluator's numbers
at evaluation steps), checkpoint.pt (resume is exact: sampling seeds depend only
on (seed, step)), model/ (and face/ for Mind & Face), result.json. The folder's
lifecycle (refusal of another config, `force`, atomic writes) is `overt.train.rundir`'s.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel

from overt.files import atomic_write_text
from overt.models.lab import LabModel
from overt.tasks import Example
from overt.tasks.split import generation_budget, heldout, prompt_text, train_examples
from overt.train.config import ConfigError, RLConfig
from overt.train.rewards import METRICS, RewardFunc, build_term, example_columns
from overt.train.rollout import (
    Policy,
    Rollout,
    role_coefficients,
    term_advantages,
    token_advantages,
    token_logprobs,
)
from overt.train.rundir import prepare_run_dir
from overt.train.sft import CHECKPOINT, _atomic_save, _progress

Evaluator = Callable[[Policy], dict[str, Any]]


class RLResult(BaseModel):
    """What a finished RL run reports (also `result.json`)."""

    start: dict[str, Any]
    end: dict[str, Any]
    steps: int
    train_seconds: float
    rollout_tokens: int
    rollout_tokens_per_s: float
    model_dir: str


def columns(examples: list[Example]) -> dict[str, list[str]]:
    """The reward functions' dataset columns for a batch of examples."""
    rows = [example_columns(ex) for ex in examples]
    return {k: [r[k] for r in rows] for k in rows[0]}


def score(
    funcs: dict[str, RewardFunc], rollouts: list[Rollout], examples: list[Example]
) -> dict[str, list[float | None]]:
    """Every function on every rollout, in TRL's protocol."""
    prompts = [r.prompt for r in rollouts]
    completions = [r.completion for r in rollouts]
    cols = columns(examples)
    return {name: f(prompts, completions, **cols) for name, f in funcs.items()}


def mean(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else math.nan


def accuracy_evaluator(examples: list[Example], budget: int) -> Evaluator:
    """Greedy held-out accuracy (the default evaluation)."""

    def run(policy: Policy) -> dict[str, Any]:
        rollouts = policy.rollout(
            [prompt_text(ex) for ex in examples], budget=budget, temperature=0.0, seed=0
        )
        return {"accuracy": mean(score({"c": METRICS["correct"]}, rollouts, examples)["c"])}

    return run


def load_policy(cfg: RLConfig) -> Policy:
    init = Path(cfg.init)
    face = LabModel.load(init) if cfg.mind_face else None
    return Policy(LabModel.load(init), face, paraphrase=cfg.paraphrase)


def train_rl(
    cfg: RLConfig,
    out: str | Path,
    *,
    progress: bool = True,
    stop_at: int | None = None,
    evaluator: Evaluator | None = None,
    force: bool = False,
) -> RLResult | None:
    """Train, save, evaluate; returns None only when stopped early by `stop_at`.

    The run folder follows `overt.train.rundir`: another config's run is refused
    (`force` starts over), a finished run is returned as saved, and an interrupted
    one resumes from its checkpoint."""
    out = prepare_run_dir(cfg, out, force=force)
    if (out / "result.json").is_file():
        return RLResult.model_validate_json((out / "result.json").read_text())
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    task = cfg.task.build()
    try:
        funcs = {f"{i}:{t.name}": build_term(t.name, task) for i, t in enumerate(cfg.terms)}
    except ValueError as err:
        raise ConfigError(f"terms: {err}") from None
    held = heldout(task, cfg.eval_examples, seed=0)
    excluded = {ex.prompt for ex in held}
    budget = generation_budget(task, held)
    evaluator = evaluator or accuracy_evaluator(held, budget)

    torch.manual_seed(cfg.seed)
    policy = load_policy(cfg)
    ref = LabModel.load(cfg.init) if cfg.kl_coef > 0 else None
    params = [p for m in policy.models for p in m.model.parameters()]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    weights = [t.weight for t in cfg.terms]

    start, seconds_before, start_eval = 0, 0.0, None
    ckpt_path, metrics_path = out / CHECKPOINT, out / "metrics.jsonl"
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, weights_only=False)
        if ckpt["config"] != cfg.model_dump(mode="json"):
            raise ValueError(f"{ckpt_path} was written by a different config; use a new --out")
        for m, state in zip(policy.models, ckpt["models"], strict=True):
            m.model.load_state_dict(state)
        opt.load_state_dict(ckpt["optim"])
        start, seconds_before = ckpt["step"], ckpt["seconds"]
        weights, start_eval = ckpt["weights"], ckpt["start_eval"]
    lines = metrics_path.read_text().splitlines() if metrics_path.is_file() else []
    metrics_path.write_text("".join(ln + "\n" for ln in lines if json.loads(ln)["step"] <= start))
    if start_eval is None:
        start_eval = evaluator(policy)
        with metrics_path.open("a") as log:
            log.write(json.dumps({"step": 0, **{f"eval_{k}": v for k, v in start_eval.items()}}))
            log.write("\n")

    bar = _progress(progress, cfg.steps, start)
    t0, rollout_tokens, rollout_seconds = time.perf_counter(), 0, 0.0
    with metrics_path.open("a") as log:
        for step in range(start, cfg.steps):
            if stop_at is not None and step >= stop_at:
                bar.close()
                return None
            examples = train_examples(task, cfg.seed, step, cfg.prompts_per_step, excluded)
            group = [ex for ex in examples for _ in range(cfg.group_size)]
            t_roll = time.perf_counter()
            rollouts = policy.rollout(
                [prompt_text(ex) for ex in group],
                budget=budget,
                temperature=cfg.temperature,
                seed=cfg.seed * 1_000_003 + 2 * step,
            )
            rollout_seconds += time.perf_counter() - t_roll
            rollout_tokens += sum(len(r.reasoning_ids) + len(r.answer_ids) for r in rollouts)
            rewards = score(funcs, rollouts, group)
            metrics = score(METRICS, rollouts, group)
            loss, stats = policy_loss(policy, ref, cfg, rollouts, list(rewards.values()), weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            task_mean = mean(rewards[next(iter(rewards))])
            weights = adapt(cfg, weights, task_mean)
            done = step + 1
            bar.update(done, loss.item())
            evaluate_now = bool(cfg.eval_every) and done % cfg.eval_every == 0 and done < cfg.steps
            if done % cfg.log_every == 0 or done == cfg.steps or evaluate_now:
                row: dict[str, Any] = {"step": done, "loss": loss.item(), **stats}
                for (name, values), w in zip(rewards.items(), weights, strict=True):
                    row[f"reward_{name}"] = mean(values)
                    row[f"weight_{name}"] = w
                    if "monitor" in name:
                        row[f"flag_rate_{name}"] = mean(
                            [float(v is not None and v < 0) for v in values]
                        )
                row |= {"accuracy": mean(metrics["correct"]), "hack_rate": mean(metrics["hacked"])}
                row["rollout_tokens_per_s"] = rollout_tokens / max(1e-9, rollout_seconds)
                row["elapsed"] = seconds_before + time.perf_counter() - t0
                if evaluate_now:
                    row |= {f"eval_{k}": v for k, v in evaluator(policy).items()}
                log.write(json.dumps(row) + "\n")
                log.flush()
            if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done < cfg.steps:
                _atomic_save(
                    {
                        "step": done,
                        "models": [m.model.state_dict() for m in policy.models],
                        "optim": opt.state_dict(),
                        "weights": weights,
                        "start_eval": start_eval,
                        "config": cfg.model_dump(mode="json"),
                        "seconds": seconds_before + time.perf_counter() - t0,
                    },
                    ckpt_path,
                )
    bar.close()
    train_seconds = seconds_before + time.perf_counter() - t0
    end_eval = evaluator(policy)
    with metrics_path.open("a") as log:
        log.write(json.dumps({"step": cfg.steps, **{f"eval_{k}": v for k, v in end_eval.items()}}))
        log.write("\n")
    policy.mind.save(out / "model")
    if policy.face is not None:
        policy.face.save(out / "face")
    result = RLResult(
        start=start_eval,
        end=end_eval,
        steps=cfg.steps,
        train_seconds=round(train_seconds, 2),
        rollout_tokens=rollout_tokens,
        rollout_tokens_per_s=rollout_tokens / max(1e-9, rollout_seconds),
        model_dir="model",
    )
    atomic_write_text(out / "result.json", result.model_dump_json(indent=2))
    ckpt_path.unlink(missing_ok=True)
    return result


def adapt(cfg: RLConfig, weights: list[float], task_mean: float) -> list[float]:
    """Adaptive weights: up while the task reward holds its floor, down below it."""
    out = []
    for term, w in zip(cfg.terms, weights, strict=True):
        if term.adaptive_floor is not None and not math.isnan(task_mean):
            w *= math.exp(cfg.adapt_rate if task_mean >= term.adaptive_floor else -cfg.adapt_rate)
        out.append(w)
    return out


def policy_loss(
    policy: Policy,
    ref: LabModel | None,
    cfg: RLConfig,
    rollouts: list[Rollout],
    rewards: list[list[float | None]],
    weights: list[float],
) -> tuple[torch.Tensor, dict[str, float]]:
    """The step's loss and its parts (per-token mean over every scored token)."""
    policy_models = [m.model for m in policy.models]
    for m in policy_models:
        m.train()
    adv = term_advantages(rewards, cfg.group_size, cfg.scale_std)
    coef = role_coefficients(adv, weights, [t.target for t in cfg.terms])
    rows = policy.rows(rollouts)
    pg = kl = ent = torch.zeros(())
    n_tokens = sum(sum(1 for r in row.roles if r) for row in rows)
    for scorer, model in enumerate(policy.models):
        mine = [r for r in rows if r.scorer == scorer]
        if not mine:
            continue
        logp, entropy, roles = token_logprobs(model, mine, cfg.temperature)
        scored = (roles > 0).float()
        pg = pg - (token_advantages(coef, mine, roles) * logp * scored).sum()
        ent = ent + (entropy * scored).sum()
        if ref is not None:
            with torch.no_grad():
                ref_logp, _, _ = token_logprobs(ref, mine, cfg.temperature)
            diff = ref_logp - logp
            kl = kl + ((diff.exp() - diff - 1) * scored).sum()
    n = max(1, n_tokens)
    pg, kl, ent = pg / n, kl / n, ent / n
    loss = pg + cfg.kl_coef * kl - cfg.entropy_coef * ent
    reasoning_len = sum(len(r.reasoning.split()) for r in rollouts) / len(rollouts)
    stats = {"kl": kl.item(), "entropy": ent.item(), "reasoning_len": reasoning_len}
    return loss, stats
