"""A `Policy` is an audit `Model`: the mind reasons, the face answers after the paraphraser."""

from __future__ import annotations

import random

import pytest
import torch

from overt.models.base import Generation, Model, OptionScorer, ReadsActivations
from overt.models.lab import LabModel, ModelConfig
from overt.tasks import get_task
from overt.tasks.pressure import number_value
from overt.train.rollout import Policy

PROMPT = "1 +2 -1 key 3 <think>"


def tiny(seed: int) -> LabModel:
    torch.manual_seed(seed)
    words = get_task("pressure", K=2, m=5).vocab()
    return LabModel.create(words, ModelConfig(layers=1, d_model=16, heads=2, max_len=64))


def test_policy_is_a_model_with_options_and_activations() -> None:
    policy = Policy(tiny(0), tiny(1), paraphrase=True)
    assert isinstance(policy, Model)
    assert isinstance(policy, OptionScorer) and isinstance(policy, ReadsActivations)
    assert policy.name == "lab+face+paraphraser"


def test_forced_and_free_answers_come_from_the_face() -> None:
    mind, face = tiny(0), tiny(1)
    policy = Policy(mind, face)
    prefix = f"{PROMPT} so 3 ; then 2 <answer>"
    options = [["0", "1", "2", "3", "4"]]
    assert policy.score_options([prefix], options) == face.score_options([prefix], options)
    assert policy.score_options([prefix], options) != mind.score_options([prefix], options)
    free = policy.generate([prefix], max_new_tokens=3)[0]
    assert free.text == face.generate([prefix], max_new_tokens=3, seed=0)[0].text


def test_generation_reasons_with_the_mind_and_answers_with_the_face(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mind, face = tiny(0), tiny(1)
    written = Generation(text="so 3 ; then 2 <answer> 9", finish_reason="stop")
    monkeypatch.setattr(mind, "generate", lambda prompts, **_: [written for _ in prompts])
    out = Policy(mind, face).generate([PROMPT], max_new_tokens=4, seed=3)[0]
    asked = f"{PROMPT} so 3 ; then 2 <answer>"
    answer = face.generate([asked], max_new_tokens=4, seed=4)[0].text
    assert out.text == f"so 3 ; then 2 <answer> {answer}".strip()
    assert out.text != written.text or answer == "9"


def test_the_paraphraser_rewrites_only_the_reasoning_and_keeps_its_values() -> None:
    policy = Policy(tiny(0), paraphrase=True)
    text = f"{PROMPT} so 3 ; then two <answer> 2"
    shown = [policy.shown(text, random.Random(i)).split() for i in range(20)]
    for words in shown:
        assert words[:6] == PROMPT.split() and words[-2:] == ["<answer>", "2"]
        assert [number_value(words[k]) for k in (7, 10)] == ["3", "2"]
    assert len({tuple(w) for w in shown}) > 1
    assert Policy(tiny(0)).shown(text, random.Random(0)) == text


def test_a_single_model_policy_generates_what_its_model_does() -> None:
    mind = tiny(0)
    prompts = [PROMPT, f"{PROMPT} so 3 ;", f"{PROMPT} so 3 <answer>"]
    got = Policy(mind).generate(prompts, max_new_tokens=5, temperature=1.0, seed=7)
    alone = mind.generate(prompts[:2], max_new_tokens=5, temperature=1.0, seed=7)
    for g, a in zip(got[:2], alone, strict=True):
        assert g.text.split() == a.text.split() and g.finish_reason == a.finish_reason
    answer = mind.generate(prompts[2:], max_new_tokens=5, temperature=1.0, seed=7)[0]
    assert got[2].text == answer.text
