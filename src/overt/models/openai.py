"""OpenAI-compatible HTTP endpoints (vLLM, Ollama, llama.cpp server, `overt serve`).

    OpenAIModel("http://127.0.0.1:8000/v1", "lab")                  # /completions
    OpenAIModel("http://127.0.0.1:8000/v1", "lab", mode="chat")     # /chat/completions

On the command line: `openai:URL#MODEL` (completions) or `openai-chat:URL#MODEL`.
Completions mode sends prompts in batches (the API takes a list) and can
prefill partial reasoning; chat mode cannot (`can_prefill` is False), so the
audit reports prefill interventions as unavailable. A refusal, an HTTP error
or a timeout raises `EndpointError` naming the endpoint and the cause.

Scoring answer options over HTTP (`score_options`, the `OptionScorer`
capability): for every (prompt, option) the model sends `prompt + " " + option`
to `/completions` with `echo: true, logprobs: 0, max_tokens: 0`, and sums the
`token_logprobs` of the echoed tokens whose `text_offset` lies in the option
(≥ len(prompt)). This works where the endpoint returns prompt log-probabilities
(`overt serve`, vLLM). Where it cannot, scoring raises `ScoringUnavailable`
with the reason, never a made-up score: chat mode (chat completions do not
echo the prompt), an endpoint that refuses such a request (HTTP 4xx), or one
that answers without `logprobs`. `scoring_unavailable_reason()` tells the audit
before it runs: chat mode answers without a request; completions mode probes
once with a one-word echo request and caches the answer. An unreachable or
failing (5xx) endpoint still raises `EndpointError`: it is not "unavailable".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from overt.models.base import THINK, Generation

PROBE_PROMPT = THINK  # a word every lab vocabulary holds


class EndpointError(RuntimeError):
    """The endpoint refused, failed or timed out (`status`: the HTTP status, if any)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ScoringUnavailable(EndpointError):
    """The endpoint cannot score answer options; the message says why."""


class OpenAIModel:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        mode: Literal["completions", "chat"] = "completions",
        api_key: str | None = None,
        timeout: float = 60.0,
        batch_size: int = 64,
        concurrency: int = 8,
    ) -> None:
        self.base_url, self.model, self.mode = base_url.rstrip("/"), model, mode
        self.api_key, self.timeout = api_key, timeout
        self.batch_size, self.concurrency = batch_size, concurrency
        self.name = f"openai{'-chat' if mode == 'chat' else ''}:{self.base_url}#{model}"
        self.can_prefill = mode == "completions"
        self._probed: tuple[str | None] | None = None  # (reason,) once probed

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:300]
            raise EndpointError(f"{url} answered HTTP {err.code}: {detail}", err.code) from err
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise EndpointError(f"{url} failed: {reason} (timeout {self.timeout}s)") from err
        except json.JSONDecodeError as err:
            raise EndpointError(f"{url} answered with something that is not JSON") from err

    def _completions(self, prompts: Sequence[str], params: dict[str, Any]) -> list[dict[str, Any]]:
        """One `/completions` choice per prompt, sent in concurrent batches."""
        batches = [
            list(prompts[i : i + self.batch_size]) for i in range(0, len(prompts), self.batch_size)
        ]

        def complete(batch: list[str]) -> list[dict[str, Any]]:
            data = self._post("/completions", {**params, "prompt": batch})
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            if len(choices) != len(batch):
                raise EndpointError(f"asked for {len(batch)} completions, got {len(choices)}")
            return choices

        with ThreadPoolExecutor(self.concurrency) as pool:
            return [c for part in pool.map(complete, batches) for c in part]

    @staticmethod
    def _choice(choice: dict[str, Any], text: str) -> Generation:
        reason = "length" if choice.get("finish_reason") == "length" else "stop"
        return Generation(text=text.strip(), finish_reason=reason)

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        if seed is not None:
            params["seed"] = seed
        if self.mode == "completions":
            return [self._choice(c, c.get("text", "")) for c in self._completions(prompts, params)]

        def chat(prompt: str) -> Generation:
            data = self._post(
                "/chat/completions", {**params, "messages": [{"role": "user", "content": prompt}]}
            )
            choice = data["choices"][0]
            return self._choice(choice, choice["message"].get("content") or "")

        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(chat, prompts))

    # ---- option scoring ------------------------------------------------------
    def _echo(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Each text's echoed tokens with log-probabilities, nothing generated."""
        params = {"model": self.model, "echo": True, "logprobs": 0, "max_tokens": 0}
        return self._completions(texts, {**params, "temperature": 0.0})

    def _no_logprobs(self) -> str:
        return (
            f"{self.base_url}/completions returned no prompt log-probabilities for an echo "
            "request (echo=true, logprobs=0, max_tokens=0), so answer options cannot be scored"
        )

    def _token_logprobs(self, choice: dict[str, Any]) -> list[tuple[int, float | None]]:
        """(text offset, log-probability) of each echoed token; ScoringUnavailable if none."""
        lp = choice.get("logprobs")
        if not isinstance(lp, dict):
            raise ScoringUnavailable(self._no_logprobs())
        offsets, values = lp.get("text_offset"), lp.get("token_logprobs")
        if not isinstance(offsets, list) or not isinstance(values, list) or not offsets:
            raise ScoringUnavailable(self._no_logprobs())
        if len(offsets) != len(values):
            raise EndpointError(
                f"{self.base_url}/completions returned {len(offsets)} text offsets "
                f"for {len(values)} token log-probabilities"
            )
        return list(zip(offsets, values, strict=True))

    def scoring_unavailable_reason(self) -> str | None:
        """Why `score_options` cannot work on this endpoint, or None when it can.

        Chat mode answers without a request; completions mode probes once (one
        one-word echo request) and caches the answer. An unreachable endpoint
        or a server error raises `EndpointError` rather than returning a reason.
        """
        if self.mode == "chat":
            return (
                f"{self.name} is a chat endpoint: chat completions do not echo the prompt's "
                "log-probabilities, so answer options cannot be scored"
            )
        if self._probed is None:
            try:
                self._token_logprobs(self._echo([PROBE_PROMPT])[0])
                self._probed = (None,)
            except ScoringUnavailable as err:
                self._probed = (str(err),)
            except EndpointError as err:
                if err.status is None or not 400 <= err.status < 500:
                    raise
                self._probed = (f"the endpoint refused an echo + logprobs request: {err}",)
        return self._probed[0]

    def score_options(
        self, prompts: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """Log-probability of each option's words as the continuation of each prompt."""
        reason = self.scoring_unavailable_reason()
        if reason is not None:
            raise ScoringUnavailable(reason)
        if not all(prompts):
            raise ValueError("score_options needs non-empty prompts")
        pairs = [(p, o) for p, opts in zip(prompts, options, strict=True) for o in opts]
        choices = self._echo([f"{p} {o}" for p, o in pairs])
        scores = iter(
            self._option_logprob(c, p, o) for c, (p, o) in zip(choices, pairs, strict=True)
        )
        return [[next(scores) for _ in opts] for opts in options]

    def _option_logprob(self, choice: dict[str, Any], prompt: str, option: str) -> float:
        """Σ log-probability of the echoed tokens that start after the prompt."""
        span = [v for o, v in self._token_logprobs(choice) if o >= len(prompt)]
        if not span or any(v is None for v in span):
            raise EndpointError(
                f"{self.base_url}/completions gave no log-probability for option {option!r} "
                f"after {prompt[-40:]!r} (its tokens must start after the prompt)"
            )
        return float(sum(v for v in span if v is not None))
