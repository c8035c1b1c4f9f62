"""`overt serve MODEL_DIR --port N`: any overt or local HF model as an OpenAI-compatible endpoint.

    GET  /v1/models
    POST /v1/completions        {"model", "prompt": str | [str], "max_tokens", "temperature",
                                 "seed"}
    POST /v1/chat/completions   {"model", "messages": [...], "max_tokens", "temperature"}

Concurrent requests are gathered into batches (up to `max_batch`, waiting at
most `batch_wait_s` for company) and generated together, so many clients
share one forward pass. A chat request's prompt is its last user message
(lab models then open their reasoning with `<think>`; HF models with a chat
template use it). Streaming is not supported and says so (HTTP 400).
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from overt.models.base import THINK, Generation, Model


@dataclass
class _Job:
    prompts: list[str]
    max_tokens: int
    temperature: float
    seed: int | None
    future: Future = field(default_factory=Future)


class Batcher:
    """Runs queued jobs with equal settings together on one model thread."""

    def __init__(self, model: Model, max_batch: int = 256, batch_wait_s: float = 0.005):
        self.model, self.max_batch, self.wait = model, max_batch, batch_wait_s
        self.jobs: queue.Queue[_Job] = queue.Queue()
        threading.Thread(target=self._loop, daemon=True).start()

    def submit(
        self, prompts: list[str], max_tokens: int, temperature: float, seed: int | None
    ) -> list[Generation]:
        job = _Job(prompts, max_tokens, temperature, seed)
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
                same = (job.max_tokens, job.temperature, job.seed) == (
                    first.max_tokens,
                    first.temperature,
                    first.seed,
                )
                (group if same else rest).append(job)
                size += len(job.prompts) if same else 0
            for job in rest:
                self.jobs.put(job)
            prompts = [p for job in group for p in job.prompts]
            try:
                outs = self.model.generate(
                    prompts,
                    max_new_tokens=first.max_tokens,
                    temperature=first.temperature,
                    seed=first.seed,
                )
            except Exception as err:
                for job in group:
                    job.future.set_exception(err)
                continue
            start = 0
            for job in group:
                job.future.set_result(outs[start : start + len(job.prompts)])
                start += len(job.prompts)


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
    batcher = Batcher(model)

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
            try:
                if route == "/v1/completions":
                    prompt = body.get("prompt")
                    prompts = [prompt] if isinstance(prompt, str) else prompt
                    if not isinstance(prompts, list) or not all(
                        isinstance(p, str) for p in prompts
                    ):
                        raise ValueError("'prompt' must be a string or a list of strings")
                elif route == "/v1/chat/completions":
                    prompts = [_chat_prompt(model, list(body.get("messages") or []))]
                else:
                    return self._error(404, f"no route {self.path}")
                max_tokens = int(body.get("max_tokens", 64))
                temperature = float(body.get("temperature", 0.0))
                seed = body.get("seed")
                outs = batcher.submit(prompts, max_tokens, temperature, seed)
            except (ValueError, TypeError, KeyError) as err:
                return self._error(400, str(err))
            except Exception as err:
                return self._error(500, f"{type(err).__name__}: {err}")
            chat = route.endswith("chat/completions")
            choices = [
                {
                    "index": i,
                    "finish_reason": g.finish_reason,
                    **(
                        {"message": {"role": "assistant", "content": g.text}}
                        if chat
                        else {"text": g.text}
                    ),
                }
                for i, g in enumerate(outs)
            ]
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
