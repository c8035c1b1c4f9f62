"""A scripted model: replays fixed turns, for deterministic tests, demos and red-teaming.

    ScriptedModel(["REASONING: ...\\nACTION: {...}", ...])      # one turn per call, in order
    ScriptedModel(lambda prompt: "...")                         # computed from the prompt

Everything it says is labelled as scripted (its name starts with `scripted`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from overt.models.base import Generation


class ScriptExhausted(RuntimeError):
    """The script has no turn left."""


class ScriptedModel:
    can_prefill = True

    def __init__(self, turns: Sequence[str] | Callable[[str], str], name: str = "scripted"):
        self.turns = turns if callable(turns) else list(turns)
        self.name = name if name.startswith("scripted") else f"scripted:{name}"
        self.calls = 0
        self.prompts: list[str] = []
        self._lock = threading.Lock()

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        out = []
        with self._lock:
            for prompt in prompts:
                self.prompts.append(prompt)
                if callable(self.turns):
                    text = self.turns(prompt)
                else:
                    if self.calls >= len(self.turns):
                        raise ScriptExhausted(
                            f"{self.name} has no turn left (it had {len(self.turns)})"
                        )
                    text = self.turns[self.calls]
                self.calls += 1
                out.append(Generation(text=text, finish_reason="stop"))
        return out
