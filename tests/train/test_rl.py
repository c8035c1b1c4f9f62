"""RL trainer: per-term targeting never leaks into other tokens; checkpoint resume is exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from overt.models.lab import LabModel, ModelConfig
from overt.tasks import get_task
from overt.train.config import RLConfig, TaskSpec, TermSpec
from overt.train.rl import policy_loss, train_rl
from overt.train.rollout import Policy, Rollout, term_advantages

TASK = {"name": "pressure", "params": {"K": 2, "m": 5}}


def tiny(seed: int = 0) -> LabModel:
    torch.manual_seed(seed)
    words = get_task(TASK["name"], **TASK["params"]).vocab()
    return LabModel.create(words, ModelConfig(layers=1, d_model=16, heads=2, max_len=64))


def rollout(model: LabModel, reasoning: str, answer: str) -> Rollout:
    v = model.vocab
    return Rollout(
        prompt="1 +2 key 3 <think>",
        reasoning=reasoning,
        shown=reasoning,
        answer=answer,
        reasoning_ids=[v[w] for w in reasoning.split()] + [v["<answer>"]],
        answer_ids=[v[w] for w in answer.split()] + [model.eos_id],
    )


def grads(policy: Policy, target: str, face_targets: bool = False) -> list[float]:
    """Gradient norm per model after one loss whose only non-zero advantage is a term
    targeted at `target`; a second term targeted elsewhere has zero advantage."""
    cfg = RLConfig(
        init="unused",
        task=TaskSpec(**TASK),
        group_size=2,
        terms=[TermSpec(name="graded", target=target), TermSpec(name="correct", target="both")],
    )
    m = policy.mind
    rollouts = [rollout(m, "so 3 ; then 1", "1"), rollout(m, "key 3", "key 3")]
    rewards: list[list[float | None]] = [[0.0, 1.0], [1.0, 1.0]]  # second term: no advantage
    for model in policy.models:
        model.model.zero_grad()
    loss, _ = policy_loss(policy, None, cfg, rollouts, rewards, [1.0, 1.0])
    loss.backward()
    return [
        float(sum(p.grad.abs().sum() for p in model.model.parameters() if p.grad is not None))
        for model in policy.models
    ]


def test_answer_targeted_term_never_moves_reasoning_tokens() -> None:
    """Mind & Face: with the only advantage on answer tokens, the mind (which wrote only
    reasoning tokens) gets exactly zero gradient; the face gets some."""
    policy = Policy(tiny(0), tiny(1))
    mind, face = grads(policy, "answer")
    assert mind == 0.0
    assert face > 0.0
    mind_both, _ = grads(policy, "both")
    assert mind_both > 0.0  # the control: an untargeted term does reach the reasoning


def test_reasoning_targeted_term_never_moves_answer_tokens() -> None:
    policy = Policy(tiny(0), tiny(1))
    mind, face = grads(policy, "reasoning")
    assert face == 0.0 and mind > 0.0


def test_single_model_token_advantages_follow_roles() -> None:
    """One model: the answer-targeted advantage reaches answer positions only."""
    from overt.train.rollout import role_coefficients, token_advantages, token_logprobs

    model = tiny()
    policy = Policy(model)
    rollouts = [rollout(model, "so 3 ; then 1", "1"), rollout(model, "key 3", "key 3")]
    adv = term_advantages([[0.0, 1.0]], group_size=2, scale_std=False)
    coef = role_coefficients(adv, [1.0], ["answer"])
    rows = policy.rows(rollouts)
    _, _, roles = token_logprobs(model, rows, 1.0)
    tok = token_advantages(coef, rows, roles)
    assert bool((tok[roles == 1] == 0).all())
    assert bool((tok[roles == 0] == 0).all())
    assert bool((tok[roles == 2].abs() == 0.5).all())


def test_term_advantages_skip_unscored() -> None:
    adv = term_advantages([[1.0, None, 0.0, 0.0]], group_size=2, scale_std=True)
    assert adv[0, 1] == 0 and adv[0, 0] == 0 and adv[0, 2] == 0


def _cfg(init: Path, **kw: object) -> RLConfig:
    base = dict(
        init=str(init),
        task=TaskSpec(**TASK),
        terms=[TermSpec(name="graded"), TermSpec(name="cot_monitor", adaptive_floor=0.0)],
        steps=4,
        prompts_per_step=2,
        group_size=2,
        lr=1e-2,
        eval_examples=4,
        checkpoint_every=2,
        log_every=1,
    )
    return RLConfig.model_validate(base | kw)


def test_resume_is_exact_and_metrics_logged(tmp_path: Path) -> None:
    init = tmp_path / "init"
    tiny().save(init)
    train_rl(_cfg(init), tmp_path / "full", progress=False)
    assert train_rl(_cfg(init), tmp_path / "cut", progress=False, stop_at=3) is None
    train_rl(_cfg(init), tmp_path / "cut", progress=False)
    a = LabModel.load(tmp_path / "full" / "model").model.state_dict()
    b = LabModel.load(tmp_path / "cut" / "model").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    full = (tmp_path / "full" / "metrics.jsonl").read_text()
    cut = (tmp_path / "cut" / "metrics.jsonl").read_text()
    assert [json.loads(x)["step"] for x in full.splitlines()] == [
        json.loads(x)["step"] for x in cut.splitlines()
    ]
    rows = [json.loads(x) for x in full.splitlines()]
    step = rows[1]
    for key in (
        "reward_0:graded",
        "weight_1:cot_monitor",
        "flag_rate_1:cot_monitor",
        "kl",
        "entropy",
        "reasoning_len",
        "accuracy",
        "hack_rate",
    ):
        assert key in step
    assert rows[-2]["weight_1:cot_monitor"] != 1.0  # the adaptive weight moved


def test_unknown_term_is_a_config_error(tmp_path: Path) -> None:
    from overt.train.config import ConfigError

    init = tmp_path / "init"
    tiny().save(init)
    with pytest.raises(ConfigError, match="unknown reward term"):
        train_rl(_cfg(init, terms=[TermSpec(name="nope")]), tmp_path / "x", progress=False)


def test_a_finished_run_is_kept_and_another_config_refused(tmp_path: Path) -> None:
    from overt.errors import UsageError

    init = tmp_path / "init"
    tiny().save(init)
    terms = [TermSpec(name="graded"), TermSpec(name="consistency_monitor")]
    cfg = _cfg(init, terms=terms, steps=2, checkpoint_every=0)
    first = train_rl(cfg, tmp_path / "run", progress=False)
    assert first is not None
    step = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[1])
    assert "flag_rate_1:consistency_monitor" in step
    again = train_rl(cfg, tmp_path / "run", progress=False)  # finished: returned as saved
    assert again is not None and again.train_seconds == first.train_seconds
    with pytest.raises(UsageError, match="--force"):
        train_rl(_cfg(init, steps=3), tmp_path / "run", progress=False)
    redone = train_rl(_cfg(init, steps=3), tmp_path / "run", progress=False, force=True)
    assert redone is not None and redone.steps == 3
