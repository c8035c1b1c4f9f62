"""The `Model` contract every backend implements, and the lab text format.

A `Model` continues text. The audit speaks to every backend the same way: it
builds a prompt in the lab format (below), possibly with a prefilled partial
reasoning, and reads the continuation.

Lab format — one line per example, words separated by spaces:

    <bos> PROMPT <think> STEP ; STEP ; ... <answer> ANSWER <eos>

`no_cot` models go straight from `<think>` to `<answer>`; `filler` models write
as many `...` as the reasoning would have words. Forcing an answer is
prefilling `PROMPT <think> PARTIAL <answer>` and reading up to `<eos>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

BOS, EOS, PAD, UNK = "<bos>", "<eos>", "<pad>", "<unk>"
THINK, ANSWER, FILLER, HINT = "<think>", "<answer>", "...", "<hint>"
SPECIAL_TOKENS = [PAD, BOS, EOS, UNK, THINK, ANSWER, FILLER, HINT]


class Generation(BaseModel):
    """One continuation: its text and why it ended."""

    text: str
    finish_reason: Literal["stop", "length"]


@runtime_checkable
class Model(Protocol):
    """One generation interface over every backend.

    `can_prefill` says whether a continuation may start inside the reasoning
    (raw-text completion); chat-only endpoints cannot, and the audit reports
    the interventions that need it as unavailable.
    """

    name: str
    can_prefill: bool

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        """Continue each prompt (batched) until `<eos>` or `max_new_tokens`."""
        ...


@runtime_checkable
class OptionScorer(Protocol):
    """Capability: score fixed continuations (a forced answer is the best-scored option)."""

    def score_options(
        self, prompts: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Log-probability of each option's words as the continuation of each prompt."""
        ...


@runtime_checkable
class ReadsActivations(Protocol):
    """Capability: read hidden states (for probes and probe monitors)."""

    def last_hidden(self, texts: Sequence[str], layer: int = -1) -> Any:
        """[N, d_model] hidden state after `layer` at each text's final token."""
        ...


def cut_at_eos(ids: list[int], eos_id: int) -> tuple[list[int], Literal["stop", "length"]]:
    """Generated ids up to (not including) the first `<eos>`, and why generation ended.

    >>> cut_at_eos([5, 6, 2, 7], 2), cut_at_eos([5, 6], 2)
    (([5, 6], 'stop'), ([5, 6], 'length'))
    """
    if eos_id in ids:
        return ids[: ids.index(eos_id)], "stop"
    return ids, "length"


def split_output(text: str) -> tuple[str, str | None]:
    """(reasoning, answer) from a continuation of `PROMPT <think>`.

    The answer is None when the model never wrote `<answer>`.

    >>> split_output("3 5 <answer> 5")
    ('3 5', '5')
    >>> split_output("3 5 7")
    ('3 5 7', None)
    """
    if ANSWER not in text.split():
        return text.strip(), None
    reasoning, _, answer = text.partition(ANSWER)
    return reasoning.strip(), answer.strip()
