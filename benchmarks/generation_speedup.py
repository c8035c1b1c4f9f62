"""Batched KV-cache generation versus one example at a time without a cache.

    python benchmarks/generation_speedup.py [--batch 64] [--tokens 24]

Same model (2 layers, d_model 64, untrained so every continuation runs the
full token budget), same 64 state prompts, greedy. Checks the two paths give
the same text, then prints `generation_speedup: uncached seconds ÷ batched
seconds` last (goal ≥ 10).
"""

from __future__ import annotations

import argparse
import time

import torch

from overt.models.lab import LabModel, ModelConfig
from overt.tasks import get_task
from overt.tasks.split import prompt_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=24)
    args = parser.parse_args()
    task = get_task("state", K=6, m=10)
    torch.manual_seed(0)
    model = LabModel.create(task.vocab(), ModelConfig(layers=2, d_model=64))
    prompts = [prompt_text(ex) for ex in task.examples(args.batch, seed=0)]

    start = time.perf_counter()
    batched = model.generate(prompts, max_new_tokens=args.tokens)
    t_batched = time.perf_counter() - start
    start = time.perf_counter()
    single = [model.generate_uncached(p, max_new_tokens=args.tokens) for p in prompts]
    t_single = time.perf_counter() - start
    same = sum(a.text == b.text for a, b in zip(batched, single, strict=True))
    print(f"identical continuations: {same}/{len(prompts)}")
    print(f"batched KV-cache: {t_batched:.3f} s; one-at-a-time uncached: {t_single:.3f} s")
    print(f"generation_speedup: {t_single / t_batched:.1f}")


if __name__ == "__main__":
    main()
