"""RL rollout throughput against SFT throughput, in the same process, on the same model.

    OMP_NUM_THREADS=1 python benchmarks/rl_throughput.py [--sft-steps 300] [--rl-steps 40]

Trains the pressure organism's warm start (pressure K=3 m=10, cot, batch 64,
2 layers, d_model 64) with `overt.train.sft.train`, then runs `overt.train.rl`
from it (16 prompts × 8 samples per step, no KL). Prints

    sft tokens/s            tokens through forward+backward per second of SFT
    rl rollout tokens/s     tokens sampled per second of batched, KV-cached generation
    rl step tokens/s        tokens sampled per second of whole RL steps (sampling,
                            rewards, forward+backward, optimizer)
    rl_vs_sft_ratio         rl step tokens/s ÷ sft tokens/s (last line)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from overt.train.config import RLConfig, TrainConfig, load_config
from overt.train.rl import train_rl
from overt.train.sft import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sft-steps", type=int, default=300)
    parser.add_argument("--rl-steps", type=int, default=40)
    args = parser.parse_args()
    task = "task.name=pressure"
    sft_cfg = load_config(
        TrainConfig,
        None,
        [task, f"steps={args.sft_steps}", "eval_examples=50", "checkpoint_every=0"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        sft = train(sft_cfg, Path(tmp) / "sft", progress=False)
        assert sft is not None
        rl_cfg = load_config(
            RLConfig,
            None,
            [
                task,
                f"init={Path(tmp) / 'sft' / 'model'}",
                f"steps={args.rl_steps}",
                "eval_examples=50",
                "checkpoint_every=0",
                "log_every=1",
                "terms=[{name: graded}, {name: cot_monitor}]",
            ],
        )
        rl = train_rl(rl_cfg, Path(tmp) / "rl", progress=False)
        assert rl is not None
    step_tokens = rl.rollout_tokens / rl.train_seconds
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"sft tokens/s: {sft.tokens_per_s:,.0f}")
    print(f"rl rollout tokens/s: {rl.rollout_tokens_per_s:,.0f}")
    print(f"rl step tokens/s: {step_tokens:,.0f}")
    print(f"rl_vs_sft_ratio: {step_tokens / sft.tokens_per_s:.3f}")


if __name__ == "__main__":
    main()
