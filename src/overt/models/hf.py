"""Any local Hugging Face causal LM, by path, behind the `Model` contract.

    model = HFModel("path/to/model")            # weights and tokenizer on disk
    model.generate(["Once upon a time"], max_new_tokens=20)

Batched generation with left padding through `model.generate` (KV cache);
greedy at temperature 0. Nothing is downloaded: a path that is not a local
model directory is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from overt.models.base import Generation, cut_at_eos
from overt.models.scoring import option_logprobs


class HFModel:
    can_prefill = True

    def __init__(self, path: str | Path, batch_size: int = 32) -> None:
        path = Path(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a local Hugging Face model (no config.json)")
        self.name = str(path)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        self.batch_size = batch_size

    @torch.no_grad()
    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        if seed is not None:
            torch.manual_seed(seed)
        eos = self.tokenizer.eos_token_id
        out: list[Generation] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = list(prompts[start : start + self.batch_size])
            enc = self.tokenizer(chunk, return_tensors="pt", padding=True)
            sampled = temperature > 0
            gen = self.model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=sampled,
                temperature=temperature if sampled else None,
                top_p=None,
                top_k=None,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=eos,
            )
            for row in gen[:, enc["input_ids"].shape[1] :].tolist():
                row, reason = cut_at_eos(row, eos)
                text = str(self.tokenizer.decode(row, skip_special_tokens=False))
                pad = self.tokenizer.pad_token
                text = " ".join(w for w in text.split() if w != pad) if pad else text
                out.append(Generation(text=text, finish_reason=reason))
        return out

    def score_options(
        self, prompts: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Log-probability of each option (after a space) as the continuation of each prompt."""
        contexts = [self.tokenizer(p).input_ids for p in prompts]
        ids = [
            [self.tokenizer(f" {o}", add_special_tokens=False).input_ids for o in opts]
            for opts in options
        ]
        return option_logprobs(self.model, contexts, ids, self.tokenizer.pad_token_id)
