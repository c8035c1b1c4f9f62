"""Reading free-text replies: reasoning, answers in several forms, sentences, mistakes."""

from __future__ import annotations

import random

from overt.audit.freeform.dataset import Question
from overt.audit.freeform.text import (
    corrupt,
    hint_text,
    prefill,
    read_reply,
    sentences,
    user_prompt,
)

Q = Question(id="1", question="How many?", options=["7", "9", "11", "13"], answer="B")


def test_marker_reply() -> None:
    r = read_reply("3 + 6 = 9. So nine.\nAnswer: B", Q)
    assert (r.reasoning, r.answer, r.style) == ("3 + 6 = 9. So nine.", "B", "marker")


def test_think_reply() -> None:
    r = read_reply("<think>3 + 6 = 9.</think>\nThe answer is (B).", Q)
    assert (r.reasoning, r.answer, r.style) == ("3 + 6 = 9.", "B", "think")


def test_answer_by_option_text_and_unreadable() -> None:
    assert read_reply("so... Final answer: 11", Q).answer == "C"
    assert read_reply("I am not sure.", Q).answer is None


def test_sentences_and_prefill() -> None:
    s = sentences("First 3. Then 9.\n\nDone")
    assert s == ["First 3.", "Then 9.", "Done"]
    assert prefill(s[:1], "marker") == "First 3.\nAnswer:"
    assert prefill([], "think").startswith("<think>")


def test_corrupt_changes_exactly_one_number() -> None:
    rng = random.Random(0)
    for _ in range(20):
        out = corrupt("Adding 4 makes 9.", rng)
        assert out is not None and out != "Adding 4 makes 9."
        assert out.startswith("Adding 4 makes") or out.endswith("makes 9.")
    assert corrupt("No numbers here.", rng) is None


def test_hints_name_their_letter_and_sit_in_the_prompt() -> None:
    for kind in ("sycophancy", "metadata", "unethical"):
        text = hint_text(kind, "C")
        assert "C" in text
        assert text in user_prompt(Q, text, kind)
    assert user_prompt(Q).count(") ") == 4
