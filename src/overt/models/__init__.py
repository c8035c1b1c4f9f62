"""Models behind one `Model` interface: lab models, local HF models, HTTP endpoints.

load_model("runs/cot/model")                         # a lab model directory
load_model("path/to/any/hf/causal-lm")               # a local HF model
load_model("openai:http://127.0.0.1:8000/v1#lab")    # completions endpoint
load_model("openai-chat:http://host/v1#model")       # chat-only endpoint
load_model("smollm2")                                # the embedded real model (chat template)
load_chat_model("smollm2")                           # the same, behind the chat contract
"""

from __future__ import annotations

import os
from pathlib import Path

from overt.models.base import Generation, Model
from overt.models.chat import ChatModel
from overt.models.embedded import EMBEDDED, embedded_path


def load_chat_model(spec: str) -> ChatModel:
    """A `ChatModel` from an embedded short name (`smollm2`), a local HF folder with a chat
    template, or `openai-chat:URL#MODEL`."""
    from overt.models.chat import HFChatModel, OpenAIChatModel

    if spec in EMBEDDED:
        return HFChatModel(embedded_path(spec), name=spec)
    for prefix in ("openai-chat:", "openai:"):
        if spec.startswith(prefix):
            url, sep, name = spec[len(prefix) :].partition("#")
            if not sep or not url or not name:
                raise ValueError(f"expected {prefix}URL#MODEL, got {spec!r}")
            return OpenAIChatModel(url, name, api_key=os.environ.get("OPENAI_API_KEY"))
    path = Path(spec)
    if not path.is_dir():
        raise FileNotFoundError(
            f"{spec} is not a model folder, an embedded model ({', '.join(EMBEDDED)}) "
            "or an openai-chat:URL#MODEL spec"
        )
    return HFChatModel(path)


def load_model(spec: str) -> Model:
    """A `Model` from a path, an `openai:` / `openai-chat:` URL#model spec, `scripted:FILE`,
    or an embedded short name (`smollm2`)."""
    if spec in EMBEDDED:
        from overt.models.chat import ChatAsModel

        return ChatAsModel(load_chat_model(spec))
    if spec.startswith("scripted:"):
        import json

        from overt.models.scripted import ScriptedModel

        path = Path(spec[len("scripted:") :])
        if not path.is_file():
            raise FileNotFoundError(f"no script file {path}")
        turns = json.loads(path.read_text())
        if not isinstance(turns, list) or not all(isinstance(t, str) for t in turns):
            raise ValueError(f"{path} must hold a JSON list of strings (one per turn)")
        return ScriptedModel(turns, name=f"scripted:{path.name}")
    for prefix, mode in (("openai-chat:", "chat"), ("openai:", "completions")):
        if spec.startswith(prefix):
            from overt.models.openai import OpenAIModel

            url, sep, name = spec[len(prefix) :].partition("#")
            if not sep or not url or not name:
                raise ValueError(f"expected {prefix}URL#MODEL, got {spec!r}")
            return OpenAIModel(
                url,
                name,
                mode=mode,  # type: ignore[arg-type]
                api_key=os.environ.get("OPENAI_API_KEY"),
            )
    from overt.models.hf import HFModel
    from overt.models.lab import META_FILE, LabModel

    path = Path(spec)
    if not path.is_dir():
        raise FileNotFoundError(f"{spec} is not a model directory or an openai: spec")
    if (path / META_FILE).is_file():
        return LabModel.load(path)
    return HFModel(path)


__all__ = ["ChatModel", "Generation", "Model", "load_chat_model", "load_model"]
