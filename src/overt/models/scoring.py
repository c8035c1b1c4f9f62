"""Scoring continuations with a local causal LM: the `score_options` capability.

A forced answer is the option the model scores highest after `... <answer>`:
an answer by construction, never "the model kept writing steps". Scoring reads
log-probabilities in batched forward passes over right-padded rows; when every
option is one token (the lab tasks' digits, true/false), one pass over the
contexts scores all of them, cheaper than generating.

`text_logprobs` reads every token's log-probability in a text (the OpenAI
`echo` + `logprobs` layout, `TextLogprobs`): what `overt serve` answers with,
so that HTTP clients score options the same way.

    >>> import torch
    >>> from overt.models.lab import LabModel, ModelConfig
    >>> m = LabModel.create(["a", "b"], ModelConfig(layers=1, d_model=16, heads=2))
    >>> s = m.score_options(["a"], [["a", "b"]])
    >>> len(s[0]), all(x < 0 for x in s[0])
    (2, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import torch
from pydantic import BaseModel, Field
from transformers import PreTrainedModel


class TextLogprobs(BaseModel):
    """Per-token log-probabilities of one text, laid out as an OpenAI completion's `logprobs`."""

    tokens: list[str] = Field(description="The text's tokens in order (a lab model: its words).")
    token_logprobs: list[float | None] = Field(
        description="log p(token | tokens before it); None where there is no context (the first)."
    )
    text_offset: list[int] = Field(description="Character offset of each token in the text.")
    top_logprobs: list[dict[str, float] | None] | None = Field(
        None, description="The likeliest tokens at each position with their log-probabilities."
    )


@runtime_checkable
class TextScorer(Protocol):
    """A model that reads the log-probability of every token of a text (what `overt serve`
    answers `echo` + `logprobs` requests with)."""

    def text_logprobs(self, texts: Sequence[str], top: int = 0) -> list[TextLogprobs]:
        """Each text's tokens with their log-probabilities and the `top` likeliest tokens."""
        ...


def word_offsets(text: str) -> list[int]:
    """Character offset of each whitespace-separated word.

    >>> word_offsets(" ab  c")
    [1, 5]
    """
    return [m.start() for m in re.finditer(r"\S+", text)]


def _right_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention_mask), both [B, T], padded on the right."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(list(r))
        mask[i, : len(r)] = 1
    return ids, mask


@torch.no_grad()
def text_logprobs(
    lm: PreTrainedModel,
    rows: Sequence[Sequence[int]],
    offsets: Sequence[Sequence[int]],
    token_text: Callable[[int], str],
    pad_id: int,
    top: int = 0,
    batch_size: int = 512,
) -> list[TextLogprobs]:
    """Every token's log-probability given the tokens before it, for each row of ids.

    `offsets[i][t]` is where token t of row i starts in its text; `token_text`
    names a token id. The first token has no context: its log-probability is None.
    """
    lm.eval()
    out: list[TextLogprobs] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        ids, mask = _right_pad(chunk, pad_id)  # [B, T]
        logp = torch.log_softmax(lm(input_ids=ids, attention_mask=mask).logits.float(), -1)
        for i, row in enumerate(chunk):
            pred = logp[i, : len(row) - 1]  # [T-1, V]: predicts row[1:]
            targets = torch.tensor(list(row[1:]), dtype=torch.long)
            picked = pred[torch.arange(len(row) - 1), targets].tolist()
            tops: list[dict[str, float] | None] | None = None
            if top:
                values, index = pred.topk(min(top, pred.shape[-1]), -1)
                tops = [None] + [
                    {token_text(k): v for k, v in zip(ks, vs, strict=True)}
                    for ks, vs in zip(index.tolist(), values.tolist(), strict=True)
                ]
            out.append(
                TextLogprobs(
                    tokens=[token_text(t) for t in row],
                    token_logprobs=[None, *picked],
                    text_offset=list(offsets[start + i]),
                    top_logprobs=tops,
                )
            )
    return out


@torch.no_grad()
def continuation_logprobs(
    lm: PreTrainedModel,
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[int]],
    pad_id: int,
    batch_size: int = 512,
) -> list[float]:
    """Σ log p(continuation | context) for each (context, continuation) pair."""
    lm.eval()
    out: list[float] = []
    for start in range(0, len(contexts), batch_size):
        ctx = contexts[start : start + batch_size]
        cont = continuations[start : start + batch_size]
        rows = [[*c, *k] for c, k in zip(ctx, cont, strict=True)]
        ids, mask = _right_pad(rows, pad_id)  # [B, T]
        logp = torch.log_softmax(lm(input_ids=ids, attention_mask=mask).logits.float(), -1)
        for i, (c, k) in enumerate(zip(ctx, cont, strict=True)):
            pos = torch.arange(len(c) - 1, len(c) + len(k) - 1)  # predicting positions
            out.append(float(logp[i, pos, torch.tensor(list(k))].sum()))
    return out


@torch.no_grad()
def option_logprobs(
    lm: PreTrainedModel,
    contexts: Sequence[Sequence[int]],
    options: Sequence[Sequence[Sequence[int]]],
    pad_id: int,
    batch_size: int = 512,
) -> list[list[float]]:
    """For each context, the log-probability of each of its options (token ids)."""
    if all(len(o) == 1 for opts in options for o in opts):
        return _single_token(lm, contexts, options, pad_id, batch_size)
    pairs = [(c, o) for c, opts in zip(contexts, options, strict=True) for o in opts]
    flat = continuation_logprobs(
        lm, [c for c, _ in pairs], [o for _, o in pairs], pad_id, batch_size
    )
    result, i = [], 0
    for opts in options:
        result.append(flat[i : i + len(opts)])
        i += len(opts)
    return result


def _single_token(
    lm: PreTrainedModel,
    contexts: Sequence[Sequence[int]],
    options: Sequence[Sequence[Sequence[int]]],
    pad_id: int,
    batch_size: int,
) -> list[list[float]]:
    """One pass per batch of contexts: the next-token distribution at each context's end."""
    lm.eval()
    result: list[list[float]] = []
    for start in range(0, len(contexts), batch_size):
        ctx = contexts[start : start + batch_size]
        ids, mask = _right_pad(ctx, pad_id)  # [B, T]
        logits = lm(input_ids=ids, attention_mask=mask).logits  # [B, T, V]
        last = torch.tensor([len(c) - 1 for c in ctx])
        logp = torch.log_softmax(logits[torch.arange(len(ctx)), last].float(), -1)  # [B, V]
        for i, opts in enumerate(options[start : start + batch_size]):
            result.append([float(logp[i, o[0]]) for o in opts])
    return result
