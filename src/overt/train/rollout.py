"""Rollouts and token-level advantages for RL on lab models (used by `overt.train.rl`).

A `Policy` is one lab model, or two (Mind & Face: the mind writes the reasoning,
the face the answer), optionally with a frozen paraphraser between them. A
rollout of `PROMPT <think>` is sampled in one or two batched, KV-cached calls:

    reasoning tokens  what the mind wrote, up to and including `<answer>`
    answer tokens     what was written after it (by the face, if any), with `<eos>`

With the paraphraser the answer is written after the *paraphrased* reasoning,
and the mind is still trained on the reasoning it wrote.

A `Policy` is also an audit `Model` (with option scoring and hidden states):
the audit's interventions see the system as it acts — the mind continues the
reasoning, and the answer (free or forced) comes from the face after the
paraphraser, where there are ones. Hidden states are the mind's.

Advantages are per reward term and per sample (reward minus its group mean,
optionally over its group std) and reach a token only when the term targets that
token's role: a term with `target: answer` never moves reasoning tokens.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from overt.models.base import ANSWER, THINK, Generation
from overt.models.lab import LabModel
from overt.tasks.pressure import rewrite_words
from overt.train.config import Target

REASONING, ANSWER_ROLE = 1, 2
"""Role codes of scored tokens (0: context, not scored)."""


@dataclass
class Rollout:
    """One sampled episode: what was written, and the token rows to score it on."""

    prompt: str
    reasoning: str
    shown: str
    answer: str | None
    reasoning_ids: list[int] = field(default_factory=list)
    answer_ids: list[int] = field(default_factory=list)

    @property
    def completion(self) -> str:
        """The completion in the rewards' protocol: the reasoning written, then the answer."""
        if self.answer is None:
            return self.reasoning
        return f"{self.reasoning} {ANSWER} {self.answer}".strip()


@dataclass
class Row:
    """Token ids scored by model `scorer`; `roles[j]` is the role of token j (0: context)."""

    scorer: int
    sample: int
    ids: list[int]
    roles: list[int]


def _split(words: list[str]) -> tuple[list[str], list[str] | None]:
    if ANSWER not in words:
        return words, None
    cut = words.index(ANSWER)
    return words[:cut], words[cut + 1 :]


class Policy:
    """The models being trained, and how an episode is written (an audit `Model`)."""

    can_prefill = True

    def __init__(self, mind: LabModel, face: LabModel | None = None, paraphrase: bool = False):
        self.mind, self.face, self.paraphrase = mind, face, paraphrase
        parts = [mind.name, *(["face"] if face else []), *(["paraphraser"] if paraphrase else [])]
        self.name = "+".join(parts)

    @property
    def writer(self) -> LabModel:
        """The model that writes the answer."""
        return self.face or self.mind

    def shown(self, text: str, rng: random.Random) -> str:
        """`text` as the answer writer reads it: the reasoning after `<think>` paraphrased."""
        if not self.paraphrase or THINK not in text.split():
            return text
        head, _, tail = text.partition(THINK)
        reasoning, mark, rest = tail.partition(ANSWER)
        parts = (head.strip(), THINK, rewrite_words(reasoning, rng), mark, rest.strip())
        return " ".join(p for p in parts if p)

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        """Continue each prompt as the policy acts (`rollout`); a prompt that already ends
        in `<answer>` is continued by the answer writer, after the paraphraser."""
        seed = seed or 0
        opts: dict[str, Any] = {"max_new_tokens": max_new_tokens, "temperature": temperature}
        answering = [i for i, p in enumerate(prompts) if ANSWER in p.split()]
        thinking = [i for i, p in enumerate(prompts) if ANSWER not in p.split()]
        rng = random.Random(f"paraphrase-answer-{seed}")
        out: dict[int, Generation] = {}
        if answering:
            contexts = [self.shown(prompts[i], rng) for i in answering]
            out |= zip(answering, self.writer.generate(contexts, seed=seed, **opts), strict=True)
        asked = [prompts[i] for i in thinking]
        episodes = (
            self.rollout(asked, budget=max_new_tokens, temperature=temperature, seed=seed)
            if asked
            else []
        )
        for i, ro in zip(thinking, episodes, strict=True):
            last = (ro.answer_ids if ro.answer is not None else ro.reasoning_ids)[-1:]
            stop = last == [self.mind.eos_id]
            out[i] = Generation(text=ro.completion, finish_reason="stop" if stop else "length")
        return [out[i] for i in range(len(prompts))]

    def score_options(
        self, prompts: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Log-probabilities of each option from the answer writer, after the paraphraser."""
        rng = random.Random("paraphrase-score")
        return self.writer.score_options([self.shown(p, rng) for p in prompts], options)

    def last_hidden(self, texts: Sequence[str], layer: int = -1) -> torch.Tensor:
        """The mind's hidden states (what a probe of the reasoning reads)."""
        return self.mind.last_hidden(texts, layer=layer)

    def missing_words(self, words: Sequence[str]) -> list[str]:
        return self.mind.missing_words(words)

    @property
    def models(self) -> list[LabModel]:
        return [self.mind] if self.face is None else [self.mind, self.face]

    @property
    def two_pass(self) -> bool:
        return self.face is not None or self.paraphrase

    def rollout(
        self, prompts: Sequence[str], *, budget: int, temperature: float, seed: int
    ) -> list[Rollout]:
        """Sample one episode per prompt (greedy at temperature 0)."""
        mind = self.mind
        first = mind.generate(prompts, max_new_tokens=budget, temperature=temperature, seed=seed)
        stop = [g.finish_reason == "stop" for g in first]
        parts = [_split(g.text.split()) for g in first]
        rng = random.Random(f"paraphrase-{seed}")
        shown = [
            rewrite_words(" ".join(r), rng) if self.paraphrase else " ".join(r) for r, _ in parts
        ]
        answers: list[list[str] | None] = [a for _, a in parts]
        answer_stop = list(stop)
        if self.two_pass:
            asked = [i for i, (_, a) in enumerate(parts) if a is not None]
            second = self.writer.generate(
                [f"{self.shown(prompts[i], rng)} {shown[i]} {ANSWER}" for i in asked],
                max_new_tokens=budget,
                temperature=temperature,
                seed=seed + 1,
            )
            for i, g in zip(asked, second, strict=True):
                answers[i], answer_stop[i] = g.text.split(), g.finish_reason == "stop"
        out = []
        for i, prompt in enumerate(prompts):
            reasoning, answer = parts[i][0], answers[i]
            vocab = mind.vocab
            r_ids = [vocab[w] for w in reasoning]
            a_ids: list[int] = []
            if answer is None:
                r_ids += [mind.eos_id] if stop[i] else []
            else:
                r_ids.append(vocab[ANSWER])
                a_ids = [vocab[w] for w in answer] + ([mind.eos_id] if answer_stop[i] else [])
            out.append(
                Rollout(
                    prompt=prompt,
                    reasoning=" ".join(reasoning),
                    shown=shown[i],
                    answer=None if answer is None else " ".join(answer),
                    reasoning_ids=r_ids,
                    answer_ids=a_ids,
                )
            )
        return out

    def rows(self, rollouts: Sequence[Rollout]) -> list[Row]:
        """Scored token rows: one per rollout, or a reasoning and an answer row when two-pass."""
        rows = []
        for i, ro in enumerate(rollouts):
            ctx = self.mind.encode(ro.prompt)
            if not self.two_pass:
                ids = ctx + ro.reasoning_ids + ro.answer_ids
                roles = [0] * len(ctx) + [REASONING] * len(ro.reasoning_ids)
                rows.append(Row(0, i, ids, roles + [ANSWER_ROLE] * len(ro.answer_ids)))
                continue
            rows.append(
                Row(
                    0,
                    i,
                    ctx + ro.reasoning_ids,
                    [0] * len(ctx) + [REASONING] * len(ro.reasoning_ids),
                )
            )
            if ro.answer_ids:
                actx = self.mind.encode(f"{ro.prompt} {ro.shown} {ANSWER}")
                rows.append(
                    Row(
                        1 if self.face is not None else 0,
                        i,
                        actx + ro.answer_ids,
                        [0] * len(actx) + [ANSWER_ROLE] * len(ro.answer_ids),
                    )
                )
        return rows


def token_logprobs(
    model: LabModel, rows: Sequence[Row], temperature: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(log p of each next token, entropy of each next-token distribution, roles), all [R, T-1].

    Rows are right-padded, so no position sees padding."""
    width = max(len(r.ids) for r in rows)
    ids = torch.full((len(rows), width), model.pad_id, dtype=torch.long)
    roles = torch.zeros((len(rows), width), dtype=torch.long)
    for k, row in enumerate(rows):
        ids[k, : len(row.ids)] = torch.tensor(row.ids)
        roles[k, : len(row.roles)] = torch.tensor(row.roles)
    logits = model.model(input_ids=ids).logits[:, :-1] / temperature  # [R, T-1, V]
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, ids[:, 1:, None]).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logp, entropy, roles[:, 1:]


def term_advantages(
    rewards: Sequence[Sequence[float | None]], group_size: int, scale_std: bool
) -> torch.Tensor:
    """[terms, N]: each term's reward minus its group mean (None: no advantage, not in the mean).

    >>> term_advantages([[1.0, 0.0, 1.0, 1.0]], 2, False).tolist()
    [[0.5, -0.5, 0.0, 0.0]]
    """
    out = []
    for values in rewards:
        r = torch.tensor([float("nan") if v is None else float(v) for v in values])
        groups = r.view(-1, group_size)
        known = ~groups.isnan()
        filled = torch.where(known, groups, 0.0)
        count = known.sum(1, keepdim=True).clamp(min=1)
        mean = filled.sum(1, keepdim=True) / count
        adv = torch.where(known, groups - mean, 0.0)
        if scale_std:
            var = (adv**2).sum(1, keepdim=True) / count
            adv = adv / (var.sqrt() + 1e-6)
        out.append(adv.flatten())
    return torch.stack(out)


def role_coefficients(
    advantages: torch.Tensor, weights: Sequence[float], targets: Sequence[Target]
) -> torch.Tensor:
    """[N, 3]: the advantage each sample's tokens of role 0/1/2 receive (role 0 is always 0)."""
    n = advantages.shape[1]
    coef = torch.zeros(n, 3)
    for adv, w, target in zip(advantages, weights, targets, strict=True):
        if target in ("reasoning", "both"):
            coef[:, REASONING] += w * adv
        if target in ("answer", "both"):
            coef[:, ANSWER_ROLE] += w * adv
    return coef


def token_advantages(coef: torch.Tensor, rows: Sequence[Row], roles: torch.Tensor) -> torch.Tensor:
    """[R, T-1]: each scored token's advantage, from its sample's role coefficients."""
    samples = torch.tensor([r.sample for r in rows])
    return coef[samples[:, None], roles]
