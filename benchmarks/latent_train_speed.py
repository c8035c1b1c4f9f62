"""Latent training cost: training examples/s of `latent` and `pause` against `cot`, same run.

    python benchmarks/latent_train_speed.py [--steps 60] [--K 4]

One model shape (2 layers, d_model 64), state K (default 4), m=10, batch 64;
each regime takes the same number of optimizer steps through its own plan
(`overt.train.plan`): `cot` one forward pass, `latent` at its last stage K
thoughts = K+1 sequential passes over one KV cache, `pause` its K pause
embeddings in one pass. Prints each regime's examples/s and
`latent_train_examples_ratio: latent examples/s ÷ cot examples/s` last.
"""

from __future__ import annotations

import argparse
import time

import torch

from overt.train.config import TrainConfig, load_config
from overt.train.plan import plan_for
from overt.train.sft import train_batch


def examples_per_s(cfg: TrainConfig, steps: int) -> float:
    task = cfg.task.build()
    plan = plan_for(cfg, task)
    torch.manual_seed(cfg.seed)
    model = plan.create({})
    opt = torch.optim.AdamW(model.model.parameters(), lr=cfg.lr)
    model.model.train()
    last = cfg.steps - 1  # the last stage: every step is a thought
    batches = [train_batch(cfg, task, s, set()) for s in range(steps)]
    start = time.perf_counter()
    for batch in batches:
        loss, _ = plan.loss(model, batch, last)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps * cfg.batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--K", type=int, default=4)
    args = parser.parse_args()
    rates = {}
    for regime in ("cot", "latent", "pause"):
        cfg = load_config(
            TrainConfig,
            None,
            [
                f"regime={regime}",
                f"task.params={{K: {args.K}, m: 10}}",
                "steps=100",
                "latent.warm_steps=10",
                "latent.stage_steps=10",
            ],
        )
        rates[regime] = examples_per_s(cfg, args.steps)
        print(f"{regime}: {rates[regime]:,.0f} training examples/s")
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"latent_train_examples_ratio: {rates['latent'] / rates['cot']:.3f}")


if __name__ == "__main__":
    main()
