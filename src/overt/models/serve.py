"""`overt serve MODEL_DIR --port N`: any overt or local HF model as an OpenAI-compatible endpoint.

    GET  /v1/models
    POST /v1/completions        {"model", "prompt": str | [str], "max_tokens", "temperature",
                                 "seed", "echo", "logprobs"}
    POST /v1/chat/completions   {"model", "messages": [...], "max_tokens", "temperature"}

Concurrent requests are gathered into batches (up to `max_batch`, waiting at
most `batch_wait_s` for company) and run together, so many clients share one
forward pass. A chat request's prompt is its last user message (lab models
then open their reasoning with `<think>`; HF models with a chat template use
it). Streaming is not supported and says so (HTTP 400).

Log-probabilities, the OpenAI way (for models with `text_logprobs`, i.e. lab
models): `"logprobs": N` (0 ≤ N ≤ 20) gives each choice
`logprobs = {tokens, token_logprobs, text_offset, top_logprobs}`, `top_logprobs`
null for N = 0, else the N likeliest tokens at each position. With
`"echo": true` the choice's text is the prompt followed by the completion
(joined by a space when both are non-empty) and the logprobs cover the
prompt's tokens too: `<bos>` first (offset 0, log-probability None), then one
token per word, offsets counting characters of the prompt. `"max_tokens": 0`
with echo scores a text without generating — how HTTP clients score answer
options (`OpenAIModel.score_options`). Offsets always count from the start of
the prompt. A value of the wrong type or range is answered with HTTP 400
naming the field.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from overt.models.base import THINK, Generation, Model
from overt.models.scoring import TextLogprobs, TextScorer

MAX_TOP_LOGPROBS = 20


@dataclass
class _Job:
    prompts: list[str]
    key: Hashable  # jobs with equal keys run together
    run: Callable[[list[str]], list[Any]]
    future: Future = field(default_factory=Future)


class Batcher:
    """Runs queued jobs with equal keys together on one model thread."""

    def __init__(self, max_batch: int = 256, batch_wait_s: float = 0.005):
        self.max_batch, self.wait = max_batch, batch_wait_s
        self.jobs: queue.Queue[_Job] = queue.Queue()
        threading.Thread(target=self._loop, daemon=True).start()

    def submit(
        self, prompts: list[str], key: Hashable, run: Callable[[list[str]], list[Any]]
    ) -> list[Any]:
        """`run(prompts)`, batched with other jobs of the same `key` (one result per prompt)."""
        job = _Job(prompts, key, run)
        self.jobs.put(job)
        return job.future.result()

    def _loop(self) -> None:
        while True:
            first = self.jobs.get()
            group, rest = [first], list[_Job]()
            deadline = time.monotonic() + self.wait
            size = len(first.prompts)
            while size < self.max_batch:
                try:
                    job = self.jobs.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                same = job.key == first.key
                (group if same else rest).append(job)
                size += len(job.prompts) if same else 0
            for job in rest:
                self.jobs.put(job)
            try:
                outs = first.run([p for job in group for p in job.prompts])
            except Exception as err:
                for job in group:
                    job.future.set_exception(err)
                continue
            start = 0
            for job in group:
                job.future.set_result(outs[start : start + len(job.prompts)])
                start += len(job.prompts)


@dataclass(frozen=True)
class _Settings:
    """A completion request's validated settings."""

    max_tokens: int
    temperature: float
    seed: int | None
    echo: bool
    logprobs: int | None


_KIND = {bool: "a boolean", int: "an integer", float: "a number"}


def _field(body: dict[str, Any], name: str, kind: type, default: Any, low: float | None) -> Any:
    """`body[name]` checked for type and lower bound (absent or null: `default`)."""
    value = body.get(name)
    if value is None:
        return default
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or (low is not None and value < low):
        bound = f" >= {low:g}" if low is not None else ""
        raise ValueError(f"'{name}' must be {_KIND[kind]}{bound}, got {value!r}")
    return value


def _settings(body: dict[str, Any], chat: bool) -> _Settings:
    """Validated settings of a request body; ValueError names the field that is wrong."""
    logprobs = None if chat else _field(body, "logprobs", int, None, 0)
    if chat and body.get("logprobs"):
        raise ValueError("'logprobs' is not supported on /v1/chat/completions by overt serve")
    if logprobs is not None and logprobs > MAX_TOP_LOGPROBS:
        raise ValueError(f"'logprobs' must be at most {MAX_TOP_LOGPROBS}, got {logprobs}")
    seed = _field(body, "seed", int, None, None)
    return _Settings(
        max_tokens=_field(body, "max_tokens", int, 64, 0),
        temperature=float(_field(body, "temperature", float, 0.0, 0)),
        seed=seed,
        echo=False if chat else _field(body, "echo", bool, False, None),
        logprobs=logprobs,
    )


def _joined(prompt: str, text: str) -> str:
    """The prompt followed by its completion, a space between them where needed."""
    if not text or not prompt or prompt[-1].isspace():
        return prompt + text
    return f"{prompt} {text}"


def _choice_logprobs(scored: TextLogprobs, prompt: str, echo: bool) -> dict[str, Any]:
    """The OpenAI `logprobs` object: every token with echo, else the completion's only."""
    keep = [i for i, o in enumerate(scored.text_offset) if echo or o >= len(prompt)]
    if not echo and keep == [0]:  # an empty prompt: `<bos>` is not part of any completion
        keep = []
    return {
        "tokens": [scored.tokens[i] for i in keep],
        "token_logprobs": [scored.token_logprobs[i] for i in keep],
        "text_offset": [scored.text_offset[i] for i in keep],
        "top_logprobs": None
        if scored.top_logprobs is None
        else [scored.top_logprobs[i] for i in keep],
    }


def _complete(
    model: Model, batcher: Batcher, prompts: list[str], opts: _Settings
) -> list[dict[str, Any]]:
    """Completion choices (text, finish reason, logprobs) for each prompt."""
    if opts.max_tokens == 0:
        outs = [Generation(text="", finish_reason="length") for _ in prompts]
    else:
        key = ("generate", opts.max_tokens, opts.temperature, opts.seed)

        def generate(ps: list[str]) -> list[Generation]:
            return model.generate(
                ps, max_new_tokens=opts.max_tokens, temperature=opts.temperature, seed=opts.seed
            )

        outs = batcher.submit(prompts, key, generate)
    full = [_joined(p, g.text) for p, g in zip(prompts, outs, strict=True)]
    choices: list[dict[str, Any]] = [
        {"index": i, "finish_reason": g.finish_reason, "text": f if opts.echo else g.text}
        for i, (g, f) in enumerate(zip(outs, full, strict=True))
    ]
    if opts.logprobs is None:
        return choices
    if not isinstance(model, TextScorer):
        raise ValueError(f"'logprobs': model {model.name!r} cannot return log-probabilities")
    top = opts.logprobs

    def score(texts: list[str]) -> list[TextLogprobs]:
        return model.text_logprobs(texts, top)

    scored = batcher.submit(full, ("logprobs", top), score)
    for choice, prompt, s in zip(choices, prompts, scored, strict=True):
        choice["logprobs"] = _choice_logprobs(s, prompt, opts.echo)
    return choices


def _chat_prompt(model: Model, messages: list[dict[str, Any]]) -> str:
    from overt.models.hf import HFModel

    if isinstance(model, HFModel) and getattr(model.tokenizer, "chat_template", None):
        return str(
            model.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        )
    users = [m.get("content", "") for m in messages if m.get("role") == "user"]
    if not users:
        raise ValueError("messages hold no user message")
    prompt = str(users[-1]).strip()
    return prompt if prompt.endswith(THINK) else f"{prompt} {THINK}"


def make_server(
    model: Model, host: str = "127.0.0.1", port: int = 8000, name: str = "overt"
) -> ThreadingHTTPServer:
    batcher = Batcher()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep the terminal quiet
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": name, "object": "model"}]})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("request body must be a JSON object")
            except ValueError as err:
                return self._error(400, f"invalid JSON: {err}")
            if body.get("stream"):
                return self._error(400, "streaming is not supported by overt serve")
            route = self.path.rstrip("/")
            chat = route == "/v1/chat/completions"
            if not chat and route != "/v1/completions":
                return self._error(404, f"no route {self.path}")
            try:
                opts = _settings(body, chat)
                if chat:
                    prompt = _chat_prompt(model, list(body.get("messages") or []))
                    choices = _complete(model, batcher, [prompt], opts)
                    for c in choices:
                        c["message"] = {"role": "assistant", "content": c.pop("text")}
                else:
                    raw = body.get("prompt")
                    prompts = [raw] if isinstance(raw, str) else raw
                    if not isinstance(prompts, list) or not all(
                        isinstance(p, str) for p in prompts
                    ):
                        raise ValueError("'prompt' must be a string or a list of strings")
                    choices = _complete(model, batcher, prompts, opts)
            except (ValueError, TypeError, KeyError) as err:
                return self._error(400, str(err))
            except Exception as err:
                return self._error(500, f"{type(err).__name__}: {err}")
            self._send(
                200,
                {
                    "id": f"cmpl-{uuid.uuid4().hex[:12]}",
                    "object": "chat.completion" if chat else "text_completion",
                    "created": int(time.time()),
                    "model": name,
                    "choices": choices,
                },
            )

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    """Threaded server with a listen backlog sized for many concurrent clients."""

    request_queue_size = 256
    daemon_threads = True


def serve_in_thread(
    model: Model, port: int = 0, name: str = "overt"
) -> tuple[ThreadingHTTPServer, str]:
    """Start a server on loopback in a daemon thread; returns (server, base_url)."""
    server = make_server(model, "127.0.0.1", port, name)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"
