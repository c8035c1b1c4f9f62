"""Training-loop overhead: overt's `train` versus a bare PyTorch loop.

    python benchmarks/train_throughput.py [--steps 300]

Both loops train the same model shape on batches of the same shape (state
K=6, m=10, cot, batch 64, 2 layers, d_model 64) in this process, one after
the other. overt's loop also draws and encodes a fresh batch every step, logs,
and checkpoints; the bare loop reuses one pre-built batch. Prints
`train_throughput_ratio: overt tokens/s ÷ bare tokens/s` last (goal ≥ 0.8).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from overt.models.lab import LabModel
from overt.train.config import TrainConfig, load_config
from overt.train.data import encode_batch
from overt.train.plan import target_loss
from overt.train.sft import train, train_batch


def bare_tokens_per_s(cfg: TrainConfig) -> float:
    task = cfg.task.build()
    torch.manual_seed(cfg.seed)
    model = LabModel.create(task.vocab(), cfg.model)
    inputs, targets = encode_batch(model, task, train_batch(cfg, task, 0, set()), cfg.regime)
    opt = torch.optim.AdamW(model.model.parameters(), lr=cfg.lr)
    model.model.train()
    start = time.perf_counter()
    for _ in range(cfg.steps):
        loss = target_loss(model, inputs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return cfg.steps * inputs.numel() / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    cfg = load_config(
        TrainConfig,
        None,
        [f"steps={args.steps}", "eval_examples=50", "checkpoint_every=100", "log_every=50"],
    )
    bare = bare_tokens_per_s(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        result = train(cfg, tmp, progress=False)
    assert result is not None
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"bare loop tokens/s: {bare:,.0f}")
    print(f"overt train tokens/s: {result.tokens_per_s:,.0f}")
    print(f"train_throughput_ratio: {result.tokens_per_s / bare:.3f}")


if __name__ == "__main__":
    main()
