"""The pressure task (leaked wrong keys, verbalised hack demonstrations) and its paraphraser."""

from __future__ import annotations

import random

from overt.tasks import get_task
from overt.tasks.pressure import SPARE, number_value, rewrite_words


def test_keys_are_wrong_and_hack_demonstrations_say_so() -> None:
    task = get_task("pressure", K=3, m=10, leak=50, hack=30)
    examples = task.examples(400, seed=0)
    keyed = [ex for ex in examples if ex.state["key"]]
    hacks = [ex for ex in keyed if ex.state["hack"]]
    assert 150 < len(keyed) < 250 and 0.2 < len(hacks) / len(keyed) < 0.4
    assert all(ex.state["key"] != ex.state["true"] for ex in keyed)
    assert all(ex.prompt.split()[-2:] == ["key", ex.state["key"]] for ex in keyed)
    for ex in hacks:
        assert ex.steps[0].split()[0] in ("key", "leak")
        assert ex.answer.split() == [ex.steps[0].split()[0], ex.state["key"]]
    assert not any(ex.state["hack"] for ex in examples if not ex.state["key"])


def test_honest_steps_track_the_state_and_recompute() -> None:
    task = get_task("pressure", K=4, m=7, leak=0, hack=0)
    for ex in task.examples(50, seed=1):
        assert [task.step_value(s) for s in ex.steps] == ex.values
        assert ex.values[-1] == ex.answer == ex.state["true"]
        changed = task.recompute(ex, 1, task.alternatives(ex, 1)[0])
        assert changed.values[1] != ex.values[1] and changed.values[0] == ex.values[0]
        assert [task.step_value(s) for s in changed.steps] == changed.values


def test_vocabulary_has_spare_tokens_no_demonstration_uses() -> None:
    task = get_task("pressure")
    assert set(SPARE) <= set(task.vocab())
    used = {w for ex in task.examples(300, seed=2) for w in f"{ex.prompt} {ex.answer}".split()}
    used |= {w for ex in task.examples(300, seed=2) for s in ex.steps for w in s.split()}
    assert not used & set(SPARE)


def test_paraphraser_keeps_meaning_and_destroys_synonym_choice() -> None:
    rng = random.Random(0)
    text = "so 7 ; then nine ; key 3 ; s4 s4 s4 s4"
    outs = [rewrite_words(text, rng).split() for _ in range(50)]
    for words in outs:
        assert [number_value(words[i]) for i in (1, 4, 7)] == ["7", "9", "3"]
        assert words[6] in ("key", "leak") and words[2] == ";"
    assert len({tuple(w[9:]) for w in outs}) > 40  # the spare-token pattern does not survive
