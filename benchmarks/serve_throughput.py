"""Requests per second that `overt serve` answers for a lab model on loopback.

    python benchmarks/serve_throughput.py [--clients 32] [--requests 2000] [--seconds 20]

Concurrent clients each send short completions (one state prompt, up to 8
tokens) until the request count or the time bound is reached. The baseline in
the same run is one client sending requests one after another (no batching
across clients). Prints `serve_requests_per_s:` last (goal ≥ 50).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request

import torch

from overt.models.lab import LabModel, ModelConfig
from overt.models.serve import serve_in_thread
from overt.tasks import get_task
from overt.tasks.split import prompt_text


def _load(url: str, prompts: list[str], clients: int, limit: int, seconds: float) -> float:
    sent, lock, errors = [0], threading.Lock(), []
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        while time.perf_counter() < deadline:
            with lock:
                if sent[0] >= limit:
                    return
                sent[0] += 1
                i = sent[0]
            body = json.dumps(
                {"model": "overt", "prompt": prompts[(i + k) % len(prompts)], "max_tokens": 8}
            ).encode()
            req = urllib.request.Request(
                f"{url}/completions", body, {"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    json.loads(resp.read())
            except Exception as err:
                errors.append(err)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, first: {errors[0]}")
    return sent[0] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    task = get_task("state", K=6, m=10)
    torch.manual_seed(0)
    model = LabModel.create(task.vocab(), ModelConfig(layers=2, d_model=64))
    prompts = [prompt_text(ex) for ex in task.examples(256, seed=0)]
    server, url = serve_in_thread(model)
    try:
        sequential = _load(url, prompts, 1, args.requests // 10, args.seconds / 4)
        concurrent = _load(url, prompts, args.clients, args.requests, args.seconds)
    finally:
        server.shutdown()
    print(f"one client, sequential: {sequential:.1f} req/s")
    print(
        f"{args.clients} concurrent clients: {concurrent:.1f} req/s "
        f"({concurrent / sequential:.1f}x)"
    )
    print(f"serve_requests_per_s: {concurrent:.1f}")


if __name__ == "__main__":
    main()
