"""Generation speed of the embedded chat model (SmolLM2-135M-Instruct) on the CPU.

    python benchmarks/chat_speed.py [--model smollm2] [--tokens 64] [--batch 16]

Four ways over the same word-problem prompts, every reply forced to its full
length (no early stop), 2 torch threads:
  baseline  plain `transformers.generate` in float32, one prompt at a time
  single32  overt's decoding loop (`overt.models.generation`) in float32, one at a time
  single    overt's loop in the chat model's dtype ('auto': bfloat16 on AMX CPUs)
  batched   overt's loop in that dtype, `--batch` prompts at a time (aggregate tokens/s)
Prints per-sequence and aggregate tokens/s, the ratios to the baseline, and
`chat_batched_tokens_per_s:` last (goal: single ≥ 20 tok/s, batched ≥ 4× that).
"""

from __future__ import annotations

import argparse
import time

import torch

from overt.audit.freeform import load_questions
from overt.audit.freeform.text import user_prompt
from overt.models import load_chat_model
from overt.models.chat import ChatPrompt, HFChatModel
from overt.models.generation import generate_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--single", type=int, default=3, help="prompts timed one at a time")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_chat_model(args.model)
    assert isinstance(model, HFChatModel)
    fp32 = HFChatModel(model.tokenizer.name_or_path, dtype="float32")
    questions = load_questions("builtin:wordproblems")[: args.batch]
    rows = model.encode([model.render(ChatPrompt(user=user_prompt(q))) for q in questions])
    pad, n = int(model.tokenizer.pad_token_id), args.tokens
    generate_ids(model.model, rows[:1], max_new_tokens=4, stop_ids=[-1], pad_id=pad)  # warm up

    start = time.perf_counter()
    for row in rows[: args.single]:
        fp32.model.generate(
            torch.tensor([row]),
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            pad_token_id=pad,
        )
    baseline = n * args.single / (time.perf_counter() - start)

    start = time.perf_counter()
    for row in rows[: args.single]:
        generate_ids(fp32.model, [row], max_new_tokens=n, stop_ids=[-1], pad_id=pad)
    single32 = n * args.single / (time.perf_counter() - start)

    start = time.perf_counter()
    for row in rows[: args.single]:
        generate_ids(model.model, [row], max_new_tokens=n, stop_ids=[-1], pad_id=pad)
    single = n * args.single / (time.perf_counter() - start)

    start = time.perf_counter()
    out = generate_ids(
        model.model, rows, max_new_tokens=n, stop_ids=[-1], pad_id=pad, batch_size=args.batch
    )
    batched = sum(len(ids) for ids, _ in out) / (time.perf_counter() - start)

    print(f"transformers.generate (float32), one at a time: {baseline:.1f} tok/s per sequence")
    print(f"overt loop (float32), one at a time: {single32:.1f} tok/s ({single32 / baseline:.2f}×)")
    print(
        f"overt loop ({model.dtype}), one at a time: {single:.1f} tok/s ({single / baseline:.2f}×)"
    )
    print(
        f"overt loop ({model.dtype}), batch {args.batch}: {batched:.1f} tok/s aggregate "
        f"({batched / single:.2f}× single, {batched / baseline:.2f}× baseline)"
    )
    print(f"chat_single_tokens_per_s: {single:.1f}")
    print(f"chat_batched_tokens_per_s: {batched:.1f}")


if __name__ == "__main__":
    main()
