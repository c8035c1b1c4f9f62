"""The chat contract: scripted chat models, the plain-`Model` view of a chat model, and an
OpenAI-compatible chat endpoint on loopback (`overt serve`), reasoning fields included."""

from __future__ import annotations

import pytest
import torch

from overt.models.base import Model
from overt.models.chat import (
    ChatAsModel,
    ChatPrompt,
    OpenAIChatModel,
    ScriptedChatModel,
    check_prefill,
)
from overt.models.lab import LabModel, ModelConfig
from overt.models.serve import serve_in_thread
from overt.tasks import get_task


def test_scripted_chat_scores_its_choice_highest() -> None:
    model = ScriptedChatModel(lambda p: p.prefill + "!", lambda p, opts: opts[1])
    assert model.chat([ChatPrompt(user="q", prefill="so")])[0].text == "so!"
    assert model.score_replies([ChatPrompt(user="q")], [["A", "B", "C"]]) == [[-20.0, 0.0, -20.0]]


def test_chat_as_model_is_a_plain_model_that_cannot_prefill() -> None:
    chat = ScriptedChatModel(lambda p: f"<{p.user}>", lambda p, o: o[0], name="echo")
    plain = ChatAsModel(chat)
    assert isinstance(plain, Model) and not plain.can_prefill
    assert plain.generate(["hi", "yo"])[1].text == "<yo>"
    assert plain.name == "scripted:echo"


@pytest.fixture(scope="module")
def url():
    torch.manual_seed(0)
    lab = LabModel.create(get_task("state").vocab(), ModelConfig(layers=1, d_model=16, heads=2))
    server, base = serve_in_thread(lab)
    yield base
    server.shutdown()


def test_chat_endpoint_answers_and_refuses_prefill(url: str) -> None:
    remote = OpenAIChatModel(url, "overt")
    assert not remote.can_prefill
    out = remote.chat([ChatPrompt(user="1 +2")], max_new_tokens=4)
    assert out[0].finish_reason in ("stop", "length") and isinstance(out[0].text, str)
    with pytest.raises(ValueError, match="cannot continue a prefilled reply"):
        check_prefill(remote, [ChatPrompt(user="1 +2", prefill="3")])
    with pytest.raises(ValueError, match="prefilled"):
        remote.chat([ChatPrompt(user="1 +2", prefill="3")])
