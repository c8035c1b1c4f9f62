"""Lab models that think in continuous vectors (Coconut) or pause tokens before they write.

A latent organism is a plain `LabModel` (a HF `LlamaForCausalLM` saved with
`save_pretrained`) plus a thought loop, described in `overt.json` under
`"thoughts"`, so `LabModel.load` restores it:

    PROMPT <think> <bot> [thought 1] ... [thought n] <eot> REST <answer> ANSWER <eos>

(with `close: none` there is no `<eot>`: the last thought predicts REST's first word.)

`latent`: thought j+1's input embedding is the last-layer hidden state (after
the final norm) at the position of thought j (of `<bot>` for the first), so n
thoughts take n+1 sequential passes, the KV cache carried between them and
gradients flowing through the whole chain. `pause`: every thought is the learned
embedding of `<pause>` (the same curriculum, nothing fed back).

Generation batches prompts (left-padded so every `<bot>` lines up) and keeps
one KV cache across the thoughts and the written continuation. A prompt that
ends with `<think>` gets the thought block; any other prompt (a prefilled
partial answer) is continued as plain text.

    >>> from overt.models.lab import ModelConfig, ModelMeta
    >>> m = LatentLabModel.create(["0", "1"], ModelConfig(layers=1, d_model=16, heads=2),
    ...     meta=ModelMeta(thoughts=ThoughtSpec(mode="latent", n=2)))
    >>> len(m.generate(["0 1 <think>"], max_new_tokens=3)[0].text.split()) <= 3
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch
from transformers import LlamaForCausalLM
from transformers.cache_utils import DynamicCache

from overt.models.base import THINK, Generation
from overt.models.lab import LabModel, ModelConfig, ModelMeta, ThoughtSpec, pick

BOT, EOT, LATENT, PAUSE = "<bot>", "<eot>", "<latent>", "<pause>"
THOUGHT_TOKENS = [BOT, EOT, LATENT, PAUSE]

ThoughtEdit = Callable[[int, torch.Tensor], torch.Tensor]
"""edit(j, thought [B, d]) → the vector fed as thought j instead (interventions)."""


@runtime_checkable
class ThinksInVectors(Protocol):
    """Capability: a model that thinks in vectors the audit can read and edit."""

    spec: ThoughtSpec

    def encode(self, text: str) -> list[int]: ...

    def generate_with_thoughts(
        self,
        batch: Sequence[Sequence[int]],
        max_new_tokens: int,
        *,
        n: int | None = None,
        edit: ThoughtEdit | None = None,
        force: Sequence[str] = (),
        temperature: float = 0.0,
        gen: torch.Generator | None = None,
    ) -> list[Generation]: ...

    def read_thoughts(
        self, batch: Sequence[Sequence[int]], n: int | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]: ...


@dataclass
class Thinking:
    """The state after the thought block: cache, mask, next positions, and what was fed."""

    cache: DynamicCache
    mask: torch.Tensor  # [B, T] attention mask so far
    positions: torch.Tensor  # [B, 1] position of the last token so far
    thoughts: torch.Tensor  # [B, n, d] vectors fed as thoughts
    last: torch.Tensor  # [B, d] final hidden state (after the norm) at the last position
    states: list[torch.Tensor] = field(default_factory=list)
    """Per thought j: all layers' hidden states [B, L, d] at the position producing it."""


def embedding_matrix(model: LlamaForCausalLM) -> torch.Tensor:
    """The token embeddings [V, d] (tied to the output layer)."""
    weight = model.get_input_embeddings().weight
    assert isinstance(weight, torch.Tensor)
    return weight


def embedding_norm(model: LlamaForCausalLM) -> float:
    """Mean L2 norm of the token embeddings."""
    return float(embedding_matrix(model).detach().norm(dim=-1).mean())


def think(
    model: LlamaForCausalLM,
    prefix: torch.Tensor,
    mask: torch.Tensor,
    spec: ThoughtSpec,
    pause_id: int,
    *,
    n: int | None = None,
    edit: ThoughtEdit | None = None,
    keep_states: bool = False,
) -> Thinking:
    """Run the left-padded prefix (ending in `<bot>`) and `n` thoughts, carrying the cache.

    n+1 sequential passes for `latent`; `pause` with no edit and no states kept
    feeds its n identical pause embeddings in one pass (the same computation).
    """
    n = spec.n if n is None else n
    body = model.model
    batch = prefix.shape[0]
    cache = DynamicCache()
    positions = (mask.cumsum(-1) - 1).clamp(min=0)

    def run(embeds: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor) -> Any:
        return body(
            inputs_embeds=embeds,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            output_hidden_states=keep_states,
        )

    out = run(embedding_matrix(model)[prefix], mask, positions)
    positions = positions[:, -1:]
    if spec.mode == "pause" and edit is None and not keep_states and n > 0:
        thoughts = embedding_matrix(model)[pause_id].expand(batch, n, -1)
        mask = torch.cat([mask, mask.new_ones(batch, n)], dim=1)
        out = run(thoughts, mask, positions + torch.arange(1, n + 1)[None, :])
        last = out.last_hidden_state[:, -1]
        return Thinking(cache, mask, positions + n, thoughts, last)
    scale = embedding_norm(model) if spec.norm == "embedding" else 0.0
    fed: list[torch.Tensor] = []
    states: list[torch.Tensor] = []
    for j in range(n):
        if keep_states:
            states.append(torch.stack([h[:, -1] for h in out.hidden_states[1:]], dim=1))
        if spec.mode == "latent":
            thought = out.last_hidden_state[:, -1]
            if scale:
                thought = thought * (scale / thought.norm(dim=-1, keepdim=True).clamp(min=1e-6))
        else:
            thought = embedding_matrix(model)[pause_id].expand(batch, -1)
        if edit is not None:
            thought = edit(j, thought)
        fed.append(thought)
        mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=1)
        positions = positions + 1
        out = run(thought[:, None], mask, positions)
    d = model.config.hidden_size
    thoughts = torch.stack(fed, dim=1) if fed else prefix.new_zeros(batch, 0, d, dtype=torch.float)
    last = out.last_hidden_state[:, -1]
    return Thinking(cache, mask, positions, thoughts, last, states)


class LatentLabModel(LabModel):
    """A `LabModel` whose generation opens with a block of thoughts (see module doc)."""

    @classmethod
    def create(
        cls, words: Sequence[str], cfg: ModelConfig, meta: ModelMeta | None = None
    ) -> LatentLabModel:
        model = LabModel.create([*THOUGHT_TOKENS, *words], cfg, meta)
        return cls(model.model, model.tokenizer, model.meta)

    @property
    def spec(self) -> ThoughtSpec:
        if self.meta.thoughts is None:
            raise ValueError(f"{self.name}: its overt.json records no thought loop")
        return self.meta.thoughts

    def set_thoughts(self, n: int) -> None:
        """Change how many thoughts generation uses (the curriculum's current stage)."""
        self.meta.thoughts = self.spec.model_copy(update={"n": n})

    def _generate_batch(
        self,
        batch: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        gen: torch.Generator | None,
    ) -> list[Generation]:
        think_id = self.vocab[THINK]
        thinking = [i for i, row in enumerate(batch) if row[-1] == think_id]
        plain = [i for i, row in enumerate(batch) if row[-1] != think_id]
        out: dict[int, Generation] = {}
        if thinking:
            gens = self.generate_with_thoughts(
                [batch[i] for i in thinking], max_new_tokens, temperature=temperature, gen=gen
            )
            out |= dict(zip(thinking, gens, strict=True))
        if plain:
            gens = super()._generate_batch(
                [batch[i] for i in plain], max_new_tokens, temperature, gen
            )
            out |= dict(zip(plain, gens, strict=True))
        return [out[i] for i in range(len(batch))]

    @torch.no_grad()
    def generate_with_thoughts(
        self,
        batch: Sequence[Sequence[int]],
        max_new_tokens: int,
        *,
        n: int | None = None,
        edit: ThoughtEdit | None = None,
        force: Sequence[str] = (),
        temperature: float = 0.0,
        gen: torch.Generator | None = None,
    ) -> list[Generation]:
        """Think (n thoughts, optionally edited) after each encoded prompt, then write;
        `force` words (e.g. `<answer>`) are fed right after the thought block."""
        self.model.eval()
        ids, mask = self.left_pad([[*row, self.vocab[BOT]] for row in batch])
        state = think(self.model, ids, mask, self.spec, self.vocab[PAUSE], n=n, edit=edit)
        forced = self.encode(" ".join(force))[1:]
        return self._decode(state, max_new_tokens, temperature, gen, forced)

    @torch.no_grad()
    def read_thoughts(
        self, batch: Sequence[Sequence[int]], n: int | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(thoughts [B, n, d], per thought all layers' states [B, L, d]) for encoded prompts."""
        self.model.eval()
        ids, mask = self.left_pad([[*row, self.vocab[BOT]] for row in batch])
        state = think(self.model, ids, mask, self.spec, self.vocab[PAUSE], n=n, keep_states=True)
        return state.thoughts, state.states

    def _decode(
        self,
        state: Thinking,
        max_new_tokens: int,
        temperature: float,
        gen: torch.Generator | None,
        forced: Sequence[int] = (),
    ) -> list[Generation]:
        """Close the thought block (feed `<eot>`, or read the last thought), feed any
        `forced` ids, and write on."""
        batch = state.mask.shape[0]
        opening = [self.vocab[EOT]] if self.spec.close == "eot" else []
        if opening or forced:
            feed = torch.tensor([[*opening, *forced]] * batch, dtype=torch.long)
            width = feed.shape[1]
            mask = torch.cat([state.mask, state.mask.new_ones(batch, width)], dim=1)
            positions = state.positions + torch.arange(1, width + 1)[None, :]
            return self._continue(
                feed, mask, positions, state.cache, max_new_tokens, temperature, gen
            )
        mask = torch.cat([state.mask, state.mask.new_ones(batch, 1)], dim=1)
        if max_new_tokens < 1:
            return [Generation(text="", finish_reason="length") for _ in range(batch)]
        first = pick(self.model.lm_head(state.last), temperature, gen)  # [B]
        rest = self._continue(
            first[:, None],
            mask,
            state.positions + 1,
            state.cache,
            max_new_tokens - 1,
            temperature,
            gen,
        )
        out = []
        for token, gen_rest in zip(first.tolist(), rest, strict=True):
            if token == self.eos_id:
                out.append(Generation(text="", finish_reason="stop"))
            else:
                text = f"{self.id_to_word[token]} {gen_rest.text}".strip()
                out.append(Generation(text=text, finish_reason=gen_rest.finish_reason))
        return out
