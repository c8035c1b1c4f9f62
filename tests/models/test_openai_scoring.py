"""Option scoring over HTTP: `overt serve` echo + logprobs, `OpenAIModel.score_options`,
and the reasons scoring is unavailable (chat mode, an endpoint without logprobs).

    pytest tests/models/test_openai_scoring.py -q
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import torch

from overt.models.base import OptionScorer
from overt.models.lab import LabModel, ModelConfig
from overt.models.openai import EndpointError, OpenAIModel, ScoringUnavailable
from overt.models.scripted import ScriptedModel
from overt.models.serve import serve_in_thread
from overt.tasks import get_task

PROMPTS = ["1 +2 -3 <think> 3 <answer>", "4 +2 <think> 6 8 <answer>", "9 <think> <answer>"]
OPTIONS = [["0", "1", "2", "3"], ["6", "8", "6 <eos>"], ["9", "<answer> 9"]]


@pytest.fixture(scope="module")
def model() -> LabModel:
    torch.manual_seed(0)
    return LabModel.create(get_task("state").vocab(), ModelConfig(layers=2, d_model=32, heads=2))


@pytest.fixture(scope="module")
def url(model):
    server, base = serve_in_thread(model)
    yield base
    server.shutdown()


def _post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        f"{url}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_http_scores_equal_direct_scores(model, url):
    remote = OpenAIModel(url, "overt", batch_size=4)
    assert isinstance(remote, OptionScorer)
    assert remote.scoring_unavailable_reason() is None
    direct = model.score_options(PROMPTS, OPTIONS)
    over_http = remote.score_options(PROMPTS, OPTIONS)
    assert [len(r) for r in over_http] == [len(o) for o in OPTIONS]
    for d_row, h_row in zip(direct, over_http, strict=True):
        assert h_row == pytest.approx(d_row, abs=1e-4)
    # the comparison can tell options apart: their scores differ by far more than 1e-4
    assert max(direct[0]) - min(direct[0]) > 1e-2


def test_echo_layout_is_openai(url):
    prompt = "1 +2 <think>"
    body = {"prompt": prompt, "echo": True, "logprobs": 2, "max_tokens": 0}
    choice = _post(url, "/completions", body)["choices"][0]
    lp = choice["logprobs"]
    assert choice["text"] == prompt
    assert lp["tokens"] == ["<bos>", "1", "+2", "<think>"]
    assert lp["text_offset"] == [0, 0, 2, 5]
    assert lp["token_logprobs"][0] is None and all(v < 0 for v in lp["token_logprobs"][1:])
    assert lp["top_logprobs"][0] is None and all(len(t) == 2 for t in lp["top_logprobs"][1:])
    # the best of the top-2 scores at least as high as the token actually there
    for value, top in zip(lp["token_logprobs"][1:], lp["top_logprobs"][1:], strict=True):
        assert max(top.values()) >= value - 1e-6


def test_generation_logprobs_score_the_completion(model, url):
    prompt = "4 +2 -3 <think>"
    body = {"prompt": [prompt], "logprobs": 0, "max_tokens": 3}
    choice = _post(url, "/completions", body)["choices"][0]
    lp, text = choice["logprobs"], choice["text"]
    assert lp["tokens"] == text.split() and lp["top_logprobs"] is None
    assert lp["text_offset"][0] == len(prompt) + 1
    expected = model.score_options([prompt], [[text]])[0][0]
    assert sum(lp["token_logprobs"]) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/completions", {"logprobs": -1}, "'logprobs'"),
        ("/completions", {"logprobs": 21}, "'logprobs'"),
        ("/completions", {"logprobs": "2"}, "'logprobs'"),
        ("/completions", {"echo": "yes"}, "'echo'"),
        ("/completions", {"max_tokens": -1}, "'max_tokens'"),
        ("/chat/completions", {"logprobs": True}, "'logprobs'"),
    ],
)
def test_bad_values_are_400_naming_the_field(url, path, body, field):
    request = {"prompt": "1 <think>", "messages": [{"role": "user", "content": "1"}], **body}
    with pytest.raises(urllib.error.HTTPError) as err:
        _post(url, path, request)
    assert err.value.code == 400
    assert field in json.loads(err.value.read())["error"]["message"]


def test_chat_mode_says_why_without_a_request():
    chat = OpenAIModel("http://127.0.0.1:9/v1", "overt", mode="chat")  # nothing listens there
    reason = chat.scoring_unavailable_reason()
    assert reason is not None and "chat endpoint" in reason
    with pytest.raises(ScoringUnavailable, match="chat endpoint"):
        chat.score_options(["1 <think> <answer>"], [["1"]])


def test_model_without_logprobs_is_unavailable_with_the_reason():
    server, url = serve_in_thread(ScriptedModel(["1"]))
    try:
        reason = OpenAIModel(url, "overt").scoring_unavailable_reason()
    finally:
        server.shutdown()
    assert (
        reason is not None and "refused" in reason and "cannot return log-probabilities" in reason
    )


class _NoLogprobs(BaseHTTPRequestHandler):
    """An endpoint that ignores `logprobs` (answers echo requests with text only)."""

    requests = 0

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests += 1
        choices = [
            {"index": i, "text": p, "finish_reason": "length"} for i, p in enumerate(body["prompt"])
        ]
        data = json.dumps({"choices": choices}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_endpoint_without_logprobs_is_probed_once():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoLogprobs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = OpenAIModel(f"http://127.0.0.1:{server.server_address[1]}/v1", "x")
        first = remote.scoring_unavailable_reason()
        assert first is not None and "no prompt log-probabilities" in first
        assert remote.scoring_unavailable_reason() == first and _NoLogprobs.requests == 1
        with pytest.raises(ScoringUnavailable, match="no prompt log-probabilities"):
            remote.score_options(["a"], [["b"]])
    finally:
        server.shutdown()


def test_unreachable_endpoint_is_an_error_not_a_reason():
    with pytest.raises(EndpointError, match=r"127\.0\.0\.1:9") as err:
        OpenAIModel("http://127.0.0.1:9/v1", "x", timeout=2).scoring_unavailable_reason()
    assert not isinstance(err.value, ScoringUnavailable)
