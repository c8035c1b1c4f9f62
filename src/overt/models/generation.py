"""Batched greedy (or sampled) decoding with a KV cache, for local chat models on a CPU.

    generate_ids(lm, [[1, 2, 3], [4, 5]], max_new_tokens=32, stop_ids=[2], pad_id=0)
    → [(new ids, "stop" | "length"), ...] in input order

Prompts are sorted by length before batching (less padding), left-padded,
and decoded one token per step for the whole batch with the model's own
cache; a row that stops leaves the batch and its cache, so the rest run on
fewer rows. This is
a small loop instead of `transformers.generate`, whose per-step bookkeeping
costs more than the forward pass of a 135M model on two cores
(`benchmarks/chat_speed.py` measures both in one run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from transformers import PreTrainedModel

Finish = Literal["stop", "length"]


def _left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention_mask), both [B, T], padded on the left."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r) :] = torch.tensor(list(r))
        mask[i, width - len(r) :] = 1
    return ids, mask


@torch.inference_mode()
def _decode_batch(
    lm: PreTrainedModel,
    rows: Sequence[Sequence[int]],
    max_new_tokens: int,
    stop: torch.Tensor,
    pad_id: int,
    temperature: float,
    generator: torch.Generator | None,
) -> list[tuple[list[int], Finish]]:
    ids, mask = _left_pad(rows, pad_id)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = lm(
        input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1
    )
    cache = out.cache
    logits = out.logits[:, -1]
    new: list[list[int]] = [[] for _ in rows]
    finish: list[Finish] = ["length"] * len(rows)
    active = torch.arange(len(rows))  # batch position → row
    last = positions[:, -1]
    for step in range(max_new_tokens):
        if temperature > 0:
            probs = torch.softmax(logits.float() / temperature, -1)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
        else:
            token = logits.argmax(-1)
        stopped = torch.isin(token, stop)
        for j, i in enumerate(active.tolist()):
            if stopped[j]:
                finish[i] = "stop"
            else:
                new[i].append(int(token[j]))
        keep = (~stopped).nonzero().flatten()
        if len(keep) == 0 or step == max_new_tokens - 1:
            break
        if len(keep) < len(active):  # finished rows leave the batch (and the cache)
            cache.batch_select_indices(keep)
            mask, last, token, active = mask[keep], last[keep], token[keep], active[keep]
        mask = torch.cat([mask, torch.ones(len(active), 1, dtype=mask.dtype)], dim=-1)
        last = last + 1
        out = lm(
            input_ids=token.unsqueeze(-1),
            attention_mask=mask,
            position_ids=last.unsqueeze(-1),
            cache=cache,
            use_cache=True,
        )
        cache, logits = out.cache, out.logits[:, -1]
    return list(zip(new, finish, strict=True))


@torch.inference_mode()
def next_token_logprobs(
    lm: PreTrainedModel, rows: Sequence[Sequence[int]], pad_id: int, batch_size: int = 16
) -> list[torch.Tensor]:
    """log p(next token | row) over the vocabulary, for every row: left-padded batches, and
    logits only at the last position (a full [B, T, V] logits tensor of a 49k-token
    vocabulary costs more than the model)."""
    lm.eval()
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out: dict[int, torch.Tensor] = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        ids, mask = _left_pad([rows[i] for i in chunk], pad_id)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        logits = lm(
            input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1
        ).logits[:, -1]
        logp = torch.log_softmax(logits.float(), -1)
        out.update(zip(chunk, logp, strict=True))
    return [out[i] for i in range(len(rows))]


def generate_ids(
    lm: PreTrainedModel,
    rows: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    stop_ids: Sequence[int],
    pad_id: int,
    batch_size: int = 16,
    temperature: float = 0.0,
    seed: int | None = None,
) -> list[tuple[list[int], Finish]]:
    """New token ids (stop token excluded) and why decoding ended, for every row, in order."""
    if not rows:
        return []
    if any(not r for r in rows):
        raise ValueError("every prompt needs at least one token")
    lm.eval()
    stop = torch.tensor(list(stop_ids), dtype=torch.long)
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    result: dict[int, tuple[list[int], Finish]] = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        decoded = _decode_batch(
            lm, [rows[i] for i in chunk], max_new_tokens, stop, pad_id, temperature, generator
        )
        result.update(zip(chunk, decoded, strict=True))
    return [result[i] for i in range(len(rows))]
