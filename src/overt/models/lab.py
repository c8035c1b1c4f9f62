"""Lab models: tiny decoder-only transformers and their word-level tokenizers.

A lab model is a Hugging Face `LlamaForCausalLM` built from a config (never
downloaded) plus a `tokenizers` WordLevel tokenizer over the task's closed
vocabulary. Both are saved with `save_pretrained` (safetensors), so any HF tool
loads a trained organism:

    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained("runs/x/model")

`LabModel` implements the `Model` contract with batched greedy or sampled
generation over a KV cache, starting from any prefilled text. What a model
records about how it was made (task, regime, training split, thought loop) is
a typed `ModelMeta`, saved beside the weights as `overt.json`.

    >>> from overt.models.lab import LabModel, ModelConfig
    >>> m = LabModel.create(["0", "1"], ModelConfig(layers=1, d_model=16, heads=2))
    >>> len(m.generate(["0 1 <think>"], max_new_tokens=3)[0].text.split()) <= 3
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from transformers.cache_utils import DynamicCache
from transformers.utils import logging as hf_logging

from overt.models.base import BOS, EOS, PAD, SPECIAL_TOKENS, UNK, Generation, cut_at_eos
from overt.models.scoring import TextLogprobs, option_logprobs, text_logprobs, word_offsets
from overt.tasks.split import Split

META_FILE = "overt.json"
hf_logging.disable_progress_bar()


class ModelConfig(BaseModel):
    """Shape of a lab transformer."""

    model_config = ConfigDict(extra="forbid")

    layers: int = Field(2, ge=1, le=48, description="Number of transformer blocks (depth).")
    d_model: int = Field(64, ge=8, le=2048, description="Residual stream width.")
    heads: int = Field(4, ge=1, le=64, description="Attention heads; must divide d_model.")
    mlp_ratio: int = Field(4, ge=1, le=8, description="MLP hidden width as a multiple of d_model.")
    max_len: int = Field(512, ge=16, le=8192, description="Longest sequence (positions).")

    @model_validator(mode="after")
    def _heads_divide(self) -> ModelConfig:
        if self.d_model % self.heads:
            raise ValueError(f"heads={self.heads} must divide d_model={self.d_model}")
        return self


class ThoughtSpec(BaseModel):
    """How a model thinks before it writes (`overt.models.latent`): its `thoughts`."""

    mode: Literal["latent", "pause"] = Field(description="Feed back hidden states or pauses.")
    n: int = Field(ge=0, description="Thoughts before the written continuation.")
    per_step: int = Field(1, ge=1, description="Thoughts that stand for one reasoning step (c).")
    norm: Literal["none", "embedding"] = Field(
        "none", description="Rescale each fed-back thought to the mean token-embedding norm."
    )
    close: Literal["eot", "none"] = Field(
        "eot",
        description="eot: `<eot>` follows the thoughts and predicts the first written word; "
        "none: the last thought (or `<bot>`) predicts it directly.",
    )


class ModelMeta(BaseModel):
    """What a lab model records about how it was made (its `overt.json`).

    Every field may be missing: older models recorded task and regime only,
    a model made in code records nothing. Keys this version does not know are
    kept as they are.

        >>> ModelMeta.model_validate({"task": {"name": "state"}, "regime": "cot"}).split is None
        True
    """

    model_config = ConfigDict(extra="allow")

    task: dict[str, Any] | None = Field(None, description="Task spec: {name, params}.")
    regime: str | None = Field(None, description="Training regime (overt.train.regimes).")
    split: Split | None = Field(None, description="What it was trained and evaluated on.")
    thoughts: ThoughtSpec | None = Field(
        None, description="Its thought loop; set only for latent and pause organisms."
    )


class VocabularyError(ValueError):
    """Text contains a word the model's tokenizer does not know."""


def build_tokenizer(words: Sequence[str]) -> PreTrainedTokenizerFast:
    """A word-level tokenizer: special tokens first, then `words` in order."""
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for word in words:
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", special_tokens=[(BOS, vocab[BOS])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD, unk_token=UNK
    )


def build_model(vocab_size: int, cfg: ModelConfig, ids: dict[str, int]) -> LlamaForCausalLM:
    """A freshly initialised Llama-style causal LM of the given shape."""
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=cfg.d_model,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads,
        intermediate_size=cfg.mlp_ratio * cfg.d_model,
        max_position_embeddings=cfg.max_len,
        tie_word_embeddings=True,
        bos_token_id=ids[BOS],
        eos_token_id=ids[EOS],
        pad_token_id=ids[PAD],
    )
    return LlamaForCausalLM(config)


def pick(logits: torch.Tensor, temperature: float, gen: torch.Generator | None) -> torch.Tensor:
    """Next token per row [B] from logits [B, V]: greedy at temperature 0, else sampled."""
    if temperature > 0:
        probs = torch.softmax(logits / temperature, dim=-1)
        return torch.multinomial(probs, 1, generator=gen).squeeze(1)
    return logits.argmax(-1)


class LabModel:
    """A lab transformer with its tokenizer, implementing `Model`."""

    can_prefill = True

    def __init__(
        self,
        model: LlamaForCausalLM,
        tokenizer: PreTrainedTokenizerFast,
        meta: ModelMeta | dict[str, Any] | None = None,
        name: str = "lab",
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.meta = ModelMeta.model_validate(meta or {})
        self.name = name
        self.vocab: dict[str, int] = tokenizer.get_vocab()
        self.pad_id, self.bos_id, self.eos_id = (self.vocab[t] for t in (PAD, BOS, EOS))
        self.id_to_word = {i: w for w, i in self.vocab.items()}

    @classmethod
    def create(
        cls, words: Sequence[str], cfg: ModelConfig, meta: ModelMeta | None = None
    ) -> LabModel:
        tokenizer = build_tokenizer(words)
        model = build_model(len(tokenizer.get_vocab()), cfg, tokenizer.get_vocab())
        return cls(model, tokenizer, meta)

    # ---- persistence -------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        (directory / META_FILE).write_text(self.meta.model_dump_json(indent=2, exclude_none=True))

    @classmethod
    def load(cls, directory: str | Path) -> LabModel:
        directory = Path(directory)
        if (
            not (directory / "config.json").is_file()
            or not (directory / "tokenizer.json").is_file()
        ):
            raise FileNotFoundError(
                f"{directory} is not a model directory (needs config.json and tokenizer.json)"
            )
        model = LlamaForCausalLM.from_pretrained(directory)
        tokenizer = PreTrainedTokenizerFast.from_pretrained(directory)
        meta_path = directory / META_FILE
        meta = (
            ModelMeta.model_validate_json(meta_path.read_text())
            if meta_path.is_file()
            else ModelMeta()
        )
        model.eval()
        if meta.thoughts is not None:  # a latent organism: restore its thought loop
            from overt.models.latent import LatentLabModel

            return LatentLabModel(model, tokenizer, meta, name=str(directory))
        return cls(model, tokenizer, meta, name=str(directory))

    # ---- text <-> ids --------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """`<bos>` then one id per word; an unknown word raises VocabularyError."""
        ids = [self.bos_id]
        for word in text.split():
            if word not in self.vocab:
                raise VocabularyError(f"word {word!r} is not in the model's vocabulary")
            ids.append(self.vocab[word])
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.id_to_word[i] for i in ids if i not in (self.pad_id, self.bos_id))

    def missing_words(self, words: Sequence[str]) -> list[str]:
        """Words the tokenizer does not cover (for a vocabulary check before work)."""
        return sorted(set(words) - set(self.vocab))

    # ---- scoring ---------------------------------------------------------------
    def score_options(
        self, prompts: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Log-probability of each option's words as the continuation of each prompt."""
        contexts = [self.encode(p) for p in prompts]
        ids = [[self.encode(o)[1:] for o in opts] for opts in options]
        return option_logprobs(self.model, contexts, ids, self.pad_id)

    def text_logprobs(self, texts: Sequence[str], top: int = 0) -> list[TextLogprobs]:
        """`<bos>` (offset 0, no log-probability) then each word of each text with
        log p(word | words before) and the `top` likeliest words."""
        rows = [self.encode(t) for t in texts]
        offsets = [[0, *word_offsets(t)] for t in texts]
        word = self.id_to_word.__getitem__
        return text_logprobs(self.model, rows, offsets, word, self.pad_id, top)

    @torch.no_grad()
    def last_hidden(self, texts: Sequence[str], layer: int = -1) -> torch.Tensor:
        """[N, d_model] hidden state after `layer` (-1: the last, after the final norm)
        at each text's final token."""
        ids, mask = self.left_pad([self.encode(t) for t in texts])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(
            input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True
        )
        return out.hidden_states[layer][:, -1]

    # ---- generation ----------------------------------------------------------
    def left_pad(self, batch: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """(ids, attention_mask), both [B, T], padded on the left."""
        width = max(len(s) for s in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, seq in enumerate(batch):
            ids[row, width - len(seq) :] = torch.tensor(seq)
            mask[row, width - len(seq) :] = 1
        return ids, mask

    @torch.no_grad()
    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
        batch_size: int = 256,
    ) -> list[Generation]:
        """Continue every prompt until `<eos>` or `max_new_tokens` (greedy at temperature 0)."""
        encoded = [self.encode(p) for p in prompts]
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        out: list[Generation] = []
        for start in range(0, len(encoded), batch_size):
            chunk = encoded[start : start + batch_size]
            out += self._generate_batch(chunk, max_new_tokens, temperature, gen)
        return out

    def _generate_batch(
        self,
        batch: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        gen: torch.Generator | None,
    ) -> list[Generation]:
        self.model.eval()
        ids, mask = self.left_pad(batch)  # [B, T]
        positions = (mask.cumsum(-1) - 1).clamp(min=0)  # [B, T]
        return self._continue(
            ids, mask, positions, DynamicCache(), max_new_tokens, temperature, gen
        )

    def _continue(
        self,
        step_ids: torch.Tensor,
        mask: torch.Tensor,
        positions: torch.Tensor,
        cache: DynamicCache,
        max_new_tokens: int,
        temperature: float,
        gen: torch.Generator | None,
    ) -> list[Generation]:
        """Feed `step_ids` (the mask already covers them) over `cache`, then decode."""
        new = torch.empty((step_ids.shape[0], 0), dtype=torch.long)
        done = torch.zeros(step_ids.shape[0], dtype=torch.bool)
        for _ in range(max_new_tokens):
            logits = self.model(
                input_ids=step_ids,
                attention_mask=mask,
                position_ids=positions,
                cache=cache,
                use_cache=True,
                logits_to_keep=1,
            ).logits[:, -1]  # [B, V]
            token = torch.where(done, self.pad_id, pick(logits, temperature, gen))  # [B]
            new = torch.cat([new, token[:, None]], dim=1)
            done |= token == self.eos_id
            if bool(done.all()):
                break
            step_ids = token[:, None]
            mask = torch.cat([mask, torch.ones_like(token)[:, None]], dim=1)
            positions = positions[:, -1:] + 1
        results = []
        for row in new.tolist():
            kept, reason = cut_at_eos(row, self.eos_id)
            results.append(Generation(text=self.decode(kept), finish_reason=reason))
        return results

    @torch.no_grad()
    def generate_uncached(self, prompt: str, max_new_tokens: int = 64) -> Generation:
        """Greedy continuation of one prompt, recomputing the whole prefix every token.

        The slow reference path (no cache, no batching) that the generation
        benchmark and the cache-equivalence test compare against.
        """
        self.model.eval()
        ids = self.encode(prompt)
        new: list[int] = []
        for _ in range(max_new_tokens):
            logits = self.model(input_ids=torch.tensor([ids + new])).logits[0, -1]
            token = int(logits.argmax())
            if token == self.eos_id:
                return Generation(text=self.decode(new), finish_reason="stop")
            new.append(token)
        return Generation(text=self.decode(new), finish_reason="length")
