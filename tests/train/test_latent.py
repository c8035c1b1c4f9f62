"""Latent (Coconut), pause and internalize regimes: the thought loop, training, persistence."""

from __future__ import annotations

import json
import random

import pytest
import torch

from overt.models.lab import LabModel, ModelConfig, ModelMeta
from overt.models.latent import PAUSE, LatentLabModel, ThoughtSpec, think
from overt.tasks import get_task
from overt.train.config import TrainConfig, load_config
from overt.train.internalize import InternalizePlan, extra_removal, removed_target
from overt.train.latent import LatentPlan, encode_latent_batch, latent_logits, suffix_logits
from overt.train.sft import train

SHAPE = ModelConfig(layers=2, d_model=32, heads=2)
TINY = [
    "model.layers=1",
    "model.d_model=32",
    "model.heads=2",
    "eval_examples=20",
    "batch_size=16",
    "log_every=10",
    "checkpoint_every=0",
    "task.params={K: 2, m: 10}",
]


def tiny_latent(
    mode: str = "latent", n: int = 3, norm: str = "none", close: str = "eot"
) -> LatentLabModel:
    torch.manual_seed(0)
    task = get_task("state", K=3, m=10)
    spec = ThoughtSpec(mode=mode, n=n, norm=norm, close=close)
    return LatentLabModel.create(task.vocab(), SHAPE, meta=ModelMeta(thoughts=spec))


def naive_logits(model: LatentLabModel, prefix, mask, suffix, n: int) -> torch.Tensor:
    """Reference: n+1 full re-forwards without a cache, growing the embedding sequence."""
    embed = model.model.get_input_embeddings()
    seq, full_mask = embed(prefix), mask
    for _ in range(n):
        positions = (full_mask.cumsum(-1) - 1).clamp(min=0)
        out = model.model.model(inputs_embeds=seq, attention_mask=full_mask, position_ids=positions)
        seq = torch.cat([seq, out.last_hidden_state[:, -1:]], dim=1)
        full_mask = torch.cat([full_mask, torch.ones_like(full_mask[:, :1])], dim=1)
    seq = torch.cat([seq, embed(suffix)], dim=1)
    full_mask = torch.cat([full_mask, torch.ones_like(suffix)], dim=1)
    positions = (full_mask.cumsum(-1) - 1).clamp(min=0)
    logits = model.model(inputs_embeds=seq, attention_mask=full_mask, position_ids=positions).logits
    return logits[:, -suffix.shape[1] :]


def test_latent_forward_equals_sequential_passes_without_cache():
    model = tiny_latent()
    task = get_task("state", K=3, m=10)
    examples = task.examples(4, seed=1)
    examples[1] = examples[1].model_copy(update={"prompt": "5 +1"})  # a shorter, left-padded row
    prefix, mask, suffix = encode_latent_batch(model, task, examples, replaced=2)
    assert mask[1, 0] == 0 and bool(mask[0].all())
    fast = latent_logits(model, prefix, mask, suffix, n=2)
    slow = naive_logits(model, prefix, mask, suffix, n=2)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-4)
    # without <eot>, the last thought's logits lead and everything shifts by one
    bare = tiny_latent(close="none")
    prefix, mask, suffix = encode_latent_batch(bare, task, examples, replaced=2, close="none")
    assert not (suffix == bare.vocab["<eot>"]).any()
    fast = latent_logits(bare, prefix, mask, suffix, n=2)
    slow = naive_logits(bare, prefix, mask, suffix, n=2)
    torch.testing.assert_close(fast[:, 1:], slow[:, :-1], atol=1e-5, rtol=1e-4)
    assert fast.shape[1] == suffix.shape[1]


def test_gradients_flow_through_the_thought_chain():
    model = tiny_latent()
    task = get_task("state", K=3, m=10)
    prefix, mask, suffix = encode_latent_batch(model, task, task.examples(2, seed=0), 3)
    fed: list[torch.Tensor] = []

    def keep(j: int, thought: torch.Tensor) -> torch.Tensor:
        thought.retain_grad()
        fed.append(thought)
        return thought

    state = think(model.model, prefix, mask, model.spec, model.vocab[PAUSE], n=3, edit=keep)
    suffix_logits(model, state, suffix).sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in fed)


def test_pause_in_one_pass_equals_pause_thought_by_thought():
    model = tiny_latent(mode="pause")
    task = get_task("state", K=3, m=10)
    prefix, mask, suffix = encode_latent_batch(model, task, task.examples(3, seed=2), 3)
    one = latent_logits(model, prefix, mask, suffix, n=3)
    state = think(
        model.model, prefix, mask, model.spec, model.vocab[PAUSE], n=3, edit=lambda j, t: t
    )
    torch.testing.assert_close(one, suffix_logits(model, state, suffix), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(
    "mode,norm,close",
    [
        ("latent", "none", "eot"),
        ("latent", "embedding", "eot"),
        ("pause", "none", "eot"),
        ("latent", "none", "none"),
    ],
)
def test_batched_cached_generation_equals_one_at_a_time(mode, norm, close):
    model = tiny_latent(mode=mode, norm=norm, close=close)
    prompts = ["3 +1 <think>", "7 -2 +4 -9 +1 <think>", "1 <think>", "4 +4 +4 <think>"]
    batched = model.generate(prompts, max_new_tokens=6)
    single = [model.generate([p], max_new_tokens=6)[0] for p in prompts]
    assert batched == single
    assert model.generate(prompts, max_new_tokens=6, batch_size=3) == batched


def test_forced_words_follow_the_thoughts():
    """Forcing `<answer>` after the thoughts gives the token a full re-forward predicts there."""
    model = tiny_latent(n=2)
    rows = [model.encode(p) for p in ("3 +1 -2 <think>", "9 -4 +4 <think>")]
    forced = model.generate_with_thoughts(rows, 1, force=["<answer>"])
    prefix, mask = model.left_pad([[*r, model.vocab["<bot>"]] for r in rows])
    suffix = torch.tensor([[model.vocab["<eot>"], model.vocab["<answer>"]]] * 2)
    expected = naive_logits(model, prefix, mask, suffix, n=2)[:, -1].argmax(-1)
    assert [g.text for g in forced] == [model.id_to_word[int(t)] for t in expected]


def test_prompts_without_think_are_continued_as_text():
    model = tiny_latent()
    mixed = model.generate(["3 +1 <think>", "3 +1 <think> 4 <answer>"], max_new_tokens=4)
    assert mixed[1] == LabModel.generate(model, ["3 +1 <think> 4 <answer>"], max_new_tokens=4)[0]
    assert mixed[0] == model.generate(["3 +1 <think>"], max_new_tokens=4)[0]


def test_save_load_restores_the_thought_loop(tmp_path):
    model = tiny_latent(n=2)
    model.save(tmp_path / "m")
    loaded = LabModel.load(tmp_path / "m")
    assert isinstance(loaded, LatentLabModel)
    assert loaded.spec == ThoughtSpec(mode="latent", n=2)
    prompts = ["3 +1 -2 <think>", "8 +5 +5 <think>"]
    assert loaded.generate(prompts, max_new_tokens=5) == model.generate(prompts, max_new_tokens=5)
    a, _ = model.read_thoughts([model.encode(p) for p in prompts])
    b, _ = loaded.read_thoughts([loaded.encode(p) for p in prompts])
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("regime,close", [("latent", "eot"), ("pause", "eot"), ("latent", "none")])
def test_latent_training_lowers_loss_changes_parameters_and_logs_stages(tmp_path, regime, close):
    cfg = load_config(
        TrainConfig,
        None,
        [
            *TINY,
            f"regime={regime}",
            "steps=60",
            "latent.warm_steps=20",
            "latent.stage_steps=20",
            f"latent.close={close}",
        ],
    )
    torch.manual_seed(cfg.seed)
    before = LatentPlan(cfg, cfg.task.build()).create(ModelMeta())
    result = train(cfg, tmp_path, progress=False)
    assert result is not None and result.final_loss < 0.7 * result.first_loss
    after = LabModel.load(tmp_path / "model")
    assert isinstance(after, LatentLabModel) and after.spec.n == 2
    changed = [
        not torch.equal(p0, p1)
        for p0, p1 in zip(before.model.parameters(), after.model.parameters(), strict=True)
    ]
    assert all(changed)
    rows = [json.loads(r) for r in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows if "stage" in r] == [0, 1, 2]


def test_stages_reset_the_optimizer_and_no_curriculum_starts_at_the_end():
    cfg = load_config(
        TrainConfig,
        None,
        [*TINY, "regime=latent", "steps=100", "latent.warm_steps=30", "latent.stage_steps=20"],
    )
    plan = LatentPlan(cfg, cfg.task.build())
    assert [plan.stage(s) for s in (0, 29, 30, 49, 50, 99)] == [0, 0, 1, 1, 2, 2]
    assert [s for s in range(100) if plan.resets_at(s)] == [30, 50]
    assert plan.bounds(2) == (50, 100)
    flat = LatentPlan(
        cfg.model_copy(update={"latent": cfg.latent.model_copy(update={"curriculum": "none"})}),
        cfg.task.build(),
    )
    assert {flat.stage(s) for s in range(100)} == {2} and not any(map(flat.resets_at, range(100)))
    mixed = LatentPlan(
        cfg.model_copy(update={"latent": cfg.latent.model_copy(update={"mix_prob": 0.5})}),
        cfg.task.build(),
    )
    drawn = {mixed.batch_stage(s, 0.5) for s in range(50, 100)}
    assert drawn == {0, 1, 2}


def test_internalize_removal_schedule():
    cfg = load_config(
        TrainConfig,
        None,
        [
            "regime=internalize",
            "task.name=mult",
            "task.params={n: 3}",
            "steps=200",
            "internalize.warm_steps=50",
            "internalize.stage_steps=30",
            "internalize.smoothing=0",
        ],
    )
    task = cfg.task.build()
    plan = InternalizePlan(cfg, task)
    assert plan.total == 24 and plan.stages == 3  # 24 tokens, 8 per stage
    rng = random.Random(0)
    assert [plan.removed(plan.stage(s), rng) for s in (0, 49, 50, 80, 110, 199)] == [
        0,
        0,
        8,
        16,
        24,
        24,
    ]
    ex = task.examples(1, seed=0)[0]
    assert removed_target(task, ex, 24) == f"<answer> {ex.answer}"
    assert removed_target(task, ex, 8).split()[0] == task.render_reasoning(ex.steps).split()[8]
    draws = [extra_removal(rng, 4.0, 10) for _ in range(2000)]
    counts = [draws.count(o) for o in range(3)]
    assert counts[0] > counts[1] > counts[2] and max(draws) <= 10
    assert extra_removal(rng, 0.0, 10) == 0


def test_internalize_training_lowers_loss_and_saves_a_plain_model(tmp_path):
    cfg = load_config(
        TrainConfig,
        None,
        [
            *TINY,
            "regime=internalize",
            "steps=60",
            "internalize.warm_steps=20",
            "internalize.stage_steps=20",
            "internalize.remove_per_stage=1",
        ],
    )
    result = train(cfg, tmp_path, progress=False)
    assert result is not None and result.final_loss < result.first_loss
    model = LabModel.load(tmp_path / "model")
    assert type(model) is LabModel
