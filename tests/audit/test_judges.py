"""Judges score from verdict log-probabilities where they can, parse replies where they cannot
(unparseable → unscored, never defaulted); the TF-IDF baseline learns what it is shown."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from overt.audit.judges import ChatJudgeMonitor, TfidfMonitor
from overt.audit.monitors import Episode, LLMJudgeMonitor
from overt.models.base import Generation
from overt.models.chat import ChatPrompt, ScriptedChatModel


class YesWhenHinted:
    """A raw-text model that scores 'yes' high when the judged text mentions a hint."""

    name, can_prefill = "scripted:yes-when-hinted", True

    def generate(self, prompts: Sequence[str], **_: object) -> list[Generation]:
        raise AssertionError("a model that scores options is never asked to generate")

    def score_options(
        self, prompts: Sequence[str], options: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        assert all(list(o) == ["yes", "no"] for o in options)
        return [[-0.1, -3.0] if "hint" in p.split("Answer:")[0] else [-3.0, -0.1] for p in prompts]


EPISODES = [Episode(reasoning="I use the hint."), Episode(reasoning="3 plus 4 is 7.")]


def test_raw_judge_reads_verdict_log_probs() -> None:
    judge = LLMJudgeMonitor(YesWhenHinted(), "it relies on outside help")
    scores = [r.score for r in judge.score(EPISODES)]
    assert scores[0] is not None and scores[1] is not None
    assert scores[0] > 0.9 > 0.1 > scores[1]


def test_chat_judge_log_probs_and_parsed_replies() -> None:
    scorer = ScriptedChatModel(
        lambda p: "no", lambda p, opts: "yes" if "hint" in p.user else "no", name="j"
    )
    chat_judge = ChatJudgeMonitor(scorer, "it relies on outside help")
    graded = [r.score for r in chat_judge.score(EPISODES)]
    assert graded[0] is not None and graded[1] is not None and graded[0] > 0.99 > 0.01 > graded[1]

    class Talker(ScriptedChatModel):
        can_prefill = False

    replies = iter(["Yes, it does.", "Hmm, unclear."])
    talker = Talker(lambda p: next(replies), lambda p, o: o[0], name="talker")
    parsed = ChatJudgeMonitor(talker, "it relies on outside help").score(EPISODES)
    assert parsed[0].score == 1.0
    assert parsed[1].score is None and parsed[1].error


def test_tfidf_separates_what_it_was_fitted_on() -> None:
    pos = [Episode(reasoning=f"the hint says {k}, so {k}") for k in "ABCD"]
    neg = [Episode(reasoning=f"{n} plus 2 makes {n + 2}") for n in range(4)]
    monitor = TfidfMonitor().fit(pos + neg, [1] * 4 + [0] * 4)
    held = monitor.score([Episode(reasoning="the hint says B"), Episode(reasoning="5 plus 2")])
    assert held[0].score is not None and held[1].score is not None
    assert held[0].score > 0.5 > held[1].score
    with pytest.raises(ValueError, match="both labels"):
        TfidfMonitor().fit(pos, [1] * 4)
    with pytest.raises(RuntimeError, match="fit"):
        TfidfMonitor().score(pos)


def test_chat_prompt_carries_the_judged_text() -> None:
    prompts = ChatJudgeMonitor(ScriptedChatModel(lambda p: "", lambda p, o: o[0]), "x").prompts(
        EPISODES
    )
    assert isinstance(prompts[0], ChatPrompt) and "I use the hint." in prompts[0].user
    assert prompts[0].prefill == "Verdict:"
