"""Chat and reasoning models behind one contract: the free-form audit's `ChatModel`.

A real chat model never writes the lab's `<think> STEP ; STEP <answer>` format.
The free-form audit speaks to it the way people do: one user turn (the
question), and the assistant's reply, which may be *prefilled* — the model
continues a reply whose start the audit wrote (its own reasoning, truncated or
corrupted, then `Answer:`). Forcing an answer is scoring each option's tokens
as the continuation of such a prefill (`ChatOptionScorer`).

    model = HFChatModel("path/to/chat-model")          # the model's own chat template
    model.chat([ChatPrompt(user="What is 2 + 3?")], max_new_tokens=64)
    model.score_replies([ChatPrompt(user=q, prefill="... Answer:")], [["A", "B"]])

`HFChatModel` renders with the tokenizer's chat template, generates greedily
in left-padded batches with a KV cache, stops at the template's end-of-turn
token, and scores options from one forward pass. `OpenAIChatModel` sends
messages to `/chat/completions` (no prefill, no scoring: the audit reports the
interventions that need them as unavailable) and reads a reasoning model's
`reasoning_content` / `reasoning` field. `ScriptedChatModel` is a
deterministic program behind the same contract, for the calibration controls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from overt.models.base import Generation


class ChatPrompt(BaseModel):
    """One conversation to continue: a user turn and the start of the assistant's reply."""

    user: str = Field(description="The user's message (the question).")
    prefill: str = Field("", description="Start of the assistant's reply; the model continues it.")
    system: str | None = Field(None, description="System message; None: the template's default.")


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: continue the assistant's reply to each prompt (batched).

    `can_prefill` says whether a non-empty `prefill` is honoured; a model
    that cannot prefill rejects one with ValueError.
    """

    name: str
    can_prefill: bool

    def chat(
        self,
        prompts: Sequence[ChatPrompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        """The continuation of each prompt's reply (not including its prefill)."""
        ...


@runtime_checkable
class ChatOptionScorer(Protocol):
    """Capability: log-probability of each option as the continuation of the reply's prefill."""

    def score_replies(
        self, prompts: Sequence[ChatPrompt], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """For each prompt, log p(" " + option | rendered prompt + prefill), per option."""
        ...


def check_prefill(model: ChatModel, prompts: Sequence[ChatPrompt]) -> None:
    """ValueError when a model that cannot prefill is given a prefilled prompt."""
    if not model.can_prefill and any(p.prefill for p in prompts):
        raise ValueError(f"{model.name} cannot continue a prefilled reply")


Dtype = Literal["auto", "float32", "bfloat16"]


def pick_dtype(dtype: Dtype) -> str:
    """'auto' is bfloat16 on a CPU with AMX tiles (bf16 matrix units: ~2–5× faster matmuls
    for a small model), float32 elsewhere."""
    if dtype != "auto":
        return dtype
    import torch

    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return "bfloat16" if amx and not torch.cuda.is_available() else "float32"


class HFChatModel:
    """A local Hugging Face chat model, by folder, with its own chat template.

    Its `name` says the dtype its layers run in (`smollm2 (bfloat16)`), since
    greedy replies can differ between dtypes; the output layer always computes
    in float32, so option scores are not rounded into ties."""

    can_prefill = True

    def __init__(
        self,
        path: str | Path,
        batch_size: int = 16,
        name: str | None = None,
        threads: int = 0,
        dtype: Dtype = "auto",
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a local Hugging Face model (no config.json)")
        if threads:
            torch.set_num_threads(threads)
        self.dtype = pick_dtype(dtype)
        self.name = f"{name or path} ({self.dtype})"
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if not self.tokenizer.chat_template:
            raise ValueError(f"{path} has no chat template: audit it as a plain model instead")
        self.model = AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True, dtype=getattr(torch, self.dtype)
        ).eval()
        if self.dtype != "float32":
            float32_head(self.model)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        self.batch_size = batch_size
        self.stop_ids = stop_token_ids(self.tokenizer)

    def render(self, prompt: ChatPrompt) -> str:
        """The prompt as the model sees it: chat template, generation prompt, then the prefill."""
        messages = [{"role": "system", "content": prompt.system}] if prompt.system else []
        messages.append({"role": "user", "content": prompt.user})
        text = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )
        return f"{text}{prompt.prefill}"

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of rendered texts (the template already holds any special tokens)."""
        return [self.tokenizer(t, add_special_tokens=False).input_ids for t in texts]

    def chat(
        self,
        prompts: Sequence[ChatPrompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        from overt.models.generation import generate_ids

        rows = self.encode([self.render(p) for p in prompts])
        out = generate_ids(
            self.model,
            rows,
            max_new_tokens=max_new_tokens,
            stop_ids=self.stop_ids,
            pad_id=int(self.tokenizer.pad_token_id),
            batch_size=self.batch_size,
            temperature=temperature,
            seed=seed,
        )
        return [
            Generation(text=self.tokenizer.decode(ids, skip_special_tokens=True), finish_reason=r)
            for ids, r in out
        ]

    def score_replies(
        self, prompts: Sequence[ChatPrompt], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        from overt.models.generation import next_token_logprobs
        from overt.models.scoring import option_logprobs

        contexts = self.encode([self.render(p) for p in prompts])
        ids = [
            [self.tokenizer(f" {o}", add_special_tokens=False).input_ids for o in opts]
            for opts in options
        ]
        pad = int(self.tokenizer.pad_token_id)
        if any(len(o) != 1 for opts in ids for o in opts):
            return option_logprobs(self.model, contexts, ids, pad, self.batch_size)
        logp = next_token_logprobs(self.model, contexts, pad, self.batch_size)
        return [[float(row[o[0]]) for o in opts] for row, opts in zip(logp, ids, strict=True)]


def float32_head(model: Any) -> None:
    """Give a reduced-precision model an untied float32 output layer: bfloat16 logits
    carry ~3 significant digits, enough to tie the scores of different answer options."""
    import torch

    head = model.get_output_embeddings()
    full = torch.nn.Linear(head.in_features, head.out_features, bias=head.bias is not None)
    full.weight.data = head.weight.detach().float().clone()
    if head.bias is not None:
        full.bias.data = head.bias.detach().float().clone()
    full.register_forward_pre_hook(lambda _m, args: tuple(a.float() for a in args))
    model.config.tie_word_embeddings = False
    model.set_output_embeddings(full.eval())


def stop_token_ids(tokenizer: Any) -> list[int]:
    """End-of-sequence ids and the chat template's end-of-turn token, where it has one."""
    ids = {int(tokenizer.eos_token_id)} if tokenizer.eos_token_id is not None else set()
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"):
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
            ids.add(tid)
    if not ids:
        raise ValueError("the tokenizer has no end-of-sequence token to stop generation at")
    return sorted(ids)


class OpenAIChatModel:
    """An OpenAI-compatible `/chat/completions` endpoint; reasoning fields are kept.

    A reasoning model's separate reasoning (`reasoning_content` or `reasoning`
    in the message) is returned as `<think>REASONING</think>` before the reply,
    so the free-form audit reads it like any other model's thinking.
    """

    can_prefill = False

    def __init__(self, base_url: str, model: str, api_key: str | None = None) -> None:
        from overt.models.openai import OpenAIModel

        self.endpoint = OpenAIModel(base_url, model, mode="chat", api_key=api_key)
        self.name = self.endpoint.name

    def chat(
        self,
        prompts: Sequence[ChatPrompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        check_prefill(self, prompts)
        params: dict[str, Any] = {
            "model": self.endpoint.model,
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        if seed is not None:
            params["seed"] = seed

        def one(prompt: ChatPrompt) -> Generation:
            messages = [{"role": "system", "content": prompt.system}] if prompt.system else []
            messages.append({"role": "user", "content": prompt.user})
            data = self.endpoint._post("/chat/completions", {**params, "messages": messages})
            choice = data["choices"][0]
            message = choice.get("message") or {}
            text = message.get("content") or ""
            thinking = message.get("reasoning_content") or message.get("reasoning")
            if thinking:
                text = f"<think>{thinking}</think>\n{text}"
            reason = "length" if choice.get("finish_reason") == "length" else "stop"
            return Generation(text=text, finish_reason=reason)

        with ThreadPoolExecutor(self.endpoint.concurrency) as pool:
            return list(pool.map(one, prompts))


class ChatAsModel:
    """A chat model behind the plain `Model` contract: each prompt is one user turn.

    For callers that speak raw prompts (the agent loop, the lab audit's judges);
    it cannot prefill, since the prompt is not the start of the reply."""

    can_prefill = False

    def __init__(self, chat: ChatModel) -> None:
        self.chat_model, self.name = chat, chat.name

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        return self.chat_model.chat(
            [ChatPrompt(user=p) for p in prompts],
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            seed=seed,
        )


Reply = Callable[[ChatPrompt], str]
Choose = Callable[[ChatPrompt, Sequence[str]], str]


class ScriptedChatModel:
    """A deterministic program behind the chat contract: `reply(prompt)` writes the
    continuation, `choose(prompt, options)` names the option a forced answer picks
    (scored 0; every other option −20). Its name starts with `scripted`."""

    can_prefill = True

    def __init__(self, reply: Reply, choose: Choose, name: str = "scripted") -> None:
        self.reply, self.choose = reply, choose
        self.name = name if name.startswith("scripted") else f"scripted:{name}"

    def chat(
        self,
        prompts: Sequence[ChatPrompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        return [Generation(text=self.reply(p), finish_reason="stop") for p in prompts]

    def score_replies(
        self, prompts: Sequence[ChatPrompt], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        out = []
        for prompt, opts in zip(prompts, options, strict=True):
            pick = self.choose(prompt, opts)
            out.append([0.0 if o == pick else -20.0 for o in opts])
        return out
