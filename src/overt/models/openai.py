"""OpenAI-compatible HTTP endpoints (vLLM, Ollama, llama.cpp server, `overt serve`).

    OpenAIModel("http://127.0.0.1:8000/v1", "lab")                  # /completions
    OpenAIModel("http://127.0.0.1:8000/v1", "lab", mode="chat")     # /chat/completions

On the command line: `openai:URL#MODEL` (completions) or `openai-chat:URL#MODEL`.
Completions mode sends prompts in batches (the API takes a list) and can
prefill partial reasoning; chat mode cannot (`can_prefill` is False), so the
audit reports prefill interventions as unavailable. A refusal, an HTTP error
or a timeout raises `EndpointError` naming the endpoint and the cause.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from overt.models.base import Generation


class EndpointError(RuntimeError):
    """The endpoint refused, failed or timed out."""


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
            raise EndpointError(f"{url} answered HTTP {err.code}: {detail}") from err
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise EndpointError(f"{url} failed: {reason} (timeout {self.timeout}s)") from err
        except json.JSONDecodeError as err:
            raise EndpointError(f"{url} answered with something that is not JSON") from err

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
            batches = [
                list(prompts[i : i + self.batch_size])
                for i in range(0, len(prompts), self.batch_size)
            ]

            def complete(batch: list[str]) -> list[Generation]:
                data = self._post("/completions", {**params, "prompt": batch})
                choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
                if len(choices) != len(batch):
                    raise EndpointError(f"asked for {len(batch)} completions, got {len(choices)}")
                return [self._choice(c, c.get("text", "")) for c in choices]

            with ThreadPoolExecutor(self.concurrency) as pool:
                return [g for part in pool.map(complete, batches) for g in part]

        def chat(prompt: str) -> Generation:
            data = self._post(
                "/chat/completions", {**params, "messages": [{"role": "user", "content": prompt}]}
            )
            choice = data["choices"][0]
            return self._choice(choice, choice["message"].get("content") or "")

        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(chat, prompts))
