"""The chat models' decoding loop and last-token scorer agree with transformers' own."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from overt.models.generation import generate_ids, next_token_logprobs
from overt.models.scoring import option_logprobs


def tiny() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=40,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
    )
    return LlamaForCausalLM(config).eval()


ROWS = [[5, 6, 7, 8, 9], [3, 4], [10, 11, 12]]


def test_batched_greedy_equals_one_by_one_hf_generate() -> None:
    lm = tiny()
    free = generate_ids(lm, ROWS, max_new_tokens=6, stop_ids=[-1], pad_id=0, batch_size=3)
    stop = free[0][0][2]  # a token row 0 writes third: it stops while the others go on
    ours = generate_ids(lm, ROWS, max_new_tokens=6, stop_ids=[stop], pad_id=0, batch_size=3)
    assert ours[0] == (free[0][0][:2], "stop")
    assert any(reason == "length" for _, reason in ours)
    for row, (ids, reason) in zip(ROWS, ours, strict=True):
        ref = lm.generate(
            torch.tensor([row]),
            max_new_tokens=6,
            do_sample=False,
            eos_token_id=stop,
            pad_token_id=0,
        )[0, len(row) :].tolist()
        if stop in ref:
            ref, want = ref[: ref.index(stop)], "stop"
        else:
            want = "length"
        assert (ids, reason) == (ref, want)


def test_stop_token_ends_a_row_early() -> None:
    lm = tiny()
    first = generate_ids(lm, ROWS[:1], max_new_tokens=3, stop_ids=[39], pad_id=0)[0][0]
    stopped = generate_ids(lm, ROWS[:1], max_new_tokens=3, stop_ids=[first[0]], pad_id=0)
    assert stopped[0] == ([], "stop")


def test_last_token_scores_equal_full_pass_scores() -> None:
    lm = tiny()
    fast = next_token_logprobs(lm, ROWS, pad_id=0, batch_size=2)
    slow = option_logprobs(lm, ROWS, [[[2], [3]]] * 3, pad_id=0)
    for f, s in zip(fast, slow, strict=True):
        assert torch.allclose(f[[2, 3]], torch.tensor(s), atol=1e-4)
