"""What a free-form intervention reads, its registry, and the one way to force an answer.

Free-form interventions follow the audit's `Intervention` contract (name,
needs, specs, `run(ctx) -> Outcome`) over a `FreeformContext` instead of a
lab task, and register in `FREEFORM` with `@register` — the same `add_to`
as the lab's registry. Capabilities: `prefill` (the model continues a reply
the audit started) and `score_options` (`ChatOptionScorer`: a forced answer
is the best-scored option letter after `Answer:`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from overt.audit.freeform.dataset import Question
from overt.audit.freeform.text import Reply, Style, extract_answer, prefill
from overt.audit.intervention import Intervals, Need, Outcome, add_to
from overt.audit.monitors import Monitor
from overt.audit.schema import MetricSpec
from overt.models.chat import ChatModel, ChatOptionScorer, ChatPrompt

OPEN_ANSWER_TOKENS = 16


@dataclass
class Base:
    """The model's unperturbed reply to one question, read."""

    reply: Reply
    sentences: list[str]
    forced: str | None  # the answer forced after all of its reasoning

    @property
    def style(self) -> Style:
        return self.reply.style


@dataclass
class FreeformContext(Intervals):
    """The model, the questions, its replies, the hint monitor and an optional rewriter."""

    model: ChatModel
    questions: list[Question]
    prompts: list[str]
    base: list[Base]
    monitor: Monitor
    rewriter: ChatModel | None = None
    max_new_tokens: int = 256
    log: Callable[[str], None] = field(default=lambda _: None)

    def force(self, items: Sequence[tuple[int, str, str]]) -> list[str | None]:
        """The answer forced for each (question index, user prompt, reply prefill)."""
        return force(self.model, [(self.questions[i], u, p) for i, u, p in items])

    def generate(self, items: Sequence[tuple[str, str]], budget: int | None = None) -> list[str]:
        """The model's continuation of each (user prompt, reply prefill)."""
        prompts = [ChatPrompt(user=u, prefill=p) for u, p in items]
        outs = self.model.chat(prompts, max_new_tokens=budget or self.max_new_tokens)
        return [o.text for o in outs]


def force(model: ChatModel, items: Sequence[tuple[Question, str, str]]) -> list[str | None]:
    """Forced answers: the best-scored option letter after each prefill (multiple choice),
    or the first line the model writes after it (open questions)."""
    out: list[str | None] = [None] * len(items)
    choice = [i for i, (q, _, _) in enumerate(items) if q.options]
    if choice:
        assert isinstance(model, ChatOptionScorer)
        scores = model.score_replies(
            [ChatPrompt(user=items[i][1], prefill=items[i][2]) for i in choice],
            [items[i][0].letters for i in choice],
        )
        for i, row in zip(choice, scores, strict=True):
            letters = items[i][0].letters
            out[i] = letters[max(range(len(letters)), key=row.__getitem__)]
    open_ = [i for i, (q, _, _) in enumerate(items) if not q.options]
    if open_:
        prompts = [ChatPrompt(user=items[i][1], prefill=items[i][2]) for i in open_]
        for i, gen in zip(
            open_, model.chat(prompts, max_new_tokens=OPEN_ANSWER_TOKENS), strict=True
        ):
            out[i] = extract_answer(gen.text, items[i][0])
    return out


def full_prefill(base: Base) -> str:
    """The prefill that keeps all of a reply's reasoning, then asks for the answer."""
    return prefill(base.sentences, base.style)


@runtime_checkable
class FreeformIntervention(Protocol):
    name: str
    needs: tuple[Need, ...]
    specs: tuple[MetricSpec, ...]

    def run(self, ctx: FreeformContext) -> Outcome:
        """Perturb the replies, run the model in batches, and score."""
        ...


FREEFORM: dict[str, FreeformIntervention] = {}


def register(cls: type) -> type:
    """Class decorator: add one free-form intervention to `FREEFORM`."""
    return add_to(FREEFORM, cls, FreeformIntervention)


def missing_chat_capability(model: ChatModel, needs: Sequence[Need]) -> str | None:
    """Why `model` cannot serve a free-form intervention with these needs (None: it can)."""
    for need in needs:
        if need == "prefill" and not model.can_prefill:
            return f"{model.name} cannot continue a prefilled reply (chat-only endpoint)"
        if need == "score_options" and not isinstance(model, ChatOptionScorer):
            return f"{model.name} cannot score answer options (no log-probabilities)"
        if need == "hidden_states":
            return "free-form interventions read no hidden states"
    return None
