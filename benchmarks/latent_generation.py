"""Latent generation: batched with one KV cache versus one example at a time.

    python benchmarks/latent_generation.py [--batch 64] [--thoughts 6] [--tokens 8]

Same latent model (2 layers, d_model 64, untrained so every continuation runs
the full budget), same state prompts, greedy: n thoughts, then written tokens.
Three paths: overt's batched + cached generation; the same one prompt at a
time (batch 1, cached); and one prompt at a time with no cache, re-running the
whole sequence for every thought and every token (how Coconut's released code
generates). Checks all three write the same text, then prints
`latent_generation_speedup: uncached one-at-a-time seconds ÷ batched seconds` last.
"""

from __future__ import annotations

import argparse
import time

import torch

from overt.models.base import EOS
from overt.models.lab import ModelConfig
from overt.models.latent import BOT, EOT, LatentLabModel
from overt.tasks import get_task
from overt.tasks.split import prompt_text


@torch.no_grad()
def uncached(model: LatentLabModel, prompt: str, tokens: int) -> str:
    """One prompt, no cache: every thought and token re-runs the whole sequence."""
    inner = model.model
    embed = inner.get_input_embeddings()
    seq = embed(torch.tensor([[*model.encode(prompt), model.vocab[BOT]]]))
    for _ in range(model.spec.n):
        hidden = inner.model(inputs_embeds=seq).last_hidden_state[:, -1:]
        seq = torch.cat([seq, hidden], dim=1)
    seq = torch.cat([seq, embed(torch.tensor([[model.vocab[EOT]]]))], dim=1)
    words: list[int] = []
    for _ in range(tokens):
        token = int(inner(inputs_embeds=seq).logits[0, -1].argmax())
        if token == model.vocab[EOS]:
            break
        words.append(token)
        seq = torch.cat([seq, embed(torch.tensor([[token]]))], dim=1)
    return model.decode(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--thoughts", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=8)
    args = parser.parse_args()
    task = get_task("state", K=6, m=10)
    torch.manual_seed(0)
    meta = {"thoughts": {"mode": "latent", "n": args.thoughts}}
    model = LatentLabModel.create(task.vocab(), ModelConfig(layers=2, d_model=64), meta)
    prompts = [prompt_text(ex) for ex in task.examples(args.batch, seed=0)]

    timings, texts = {}, {}
    for name, run in (
        ("batched", lambda: [g.text for g in model.generate(prompts, max_new_tokens=args.tokens)]),
        (
            "one-at-a-time cached",
            lambda: [model.generate([p], max_new_tokens=args.tokens)[0].text for p in prompts],
        ),
        ("one-at-a-time uncached", lambda: [uncached(model, p, args.tokens) for p in prompts]),
    ):
        start = time.perf_counter()
        texts[name] = run()
        timings[name] = time.perf_counter() - start
    for name in timings:
        same = sum(a == b for a, b in zip(texts["batched"], texts[name], strict=True))
        print(f"{name}: {timings[name]:.3f} s, same text as batched: {same}/{len(prompts)}")
    print(f"torch threads: {torch.get_num_threads()}")
    ratio = timings["one-at-a-time uncached"] / timings["batched"]
    print(f"latent_generation_speedup: {ratio:.1f}")


if __name__ == "__main__":
    main()
