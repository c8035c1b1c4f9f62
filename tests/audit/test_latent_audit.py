"""Probes and thought interventions, each checked against controls with a known reading."""

from __future__ import annotations

import pytest
import torch

from overt.audit.intervention import AuditContext
from overt.audit.interventions import baseline
from overt.audit.monitors import RuleMonitor
from overt.audit.probes import Probes, probe_scores
from overt.audit.run import audit
from overt.audit.thoughts import Thoughts, partners
from overt.models.base import THINK, Generation
from overt.models.lab import LabModel, ModelConfig
from overt.models.latent import LatentLabModel, ThoughtEdit, ThoughtSpec
from overt.tasks import Example, get_task

M = 10
TASK = get_task("state", K=3, m=M)


def test_probe_separates_real_labels_from_shuffled_control():
    gen = torch.Generator().manual_seed(0)
    labels = [str(i % M) for i in range(600)]
    codes = torch.eye(M)[[int(v) for v in labels]]
    x = torch.cat([codes, torch.zeros(600, 6)], dim=1) + 0.2 * torch.randn(600, 16, generator=gen)
    real, control = probe_scores(x[:400], labels[:400], x[400:], labels[400:], seed=0)
    assert sum(real) / len(real) > 0.95
    assert sum(control) / len(control) < 0.3


class ScriptedThinker:
    """A model whose thoughts are one-hot running values of the state task.

    `follows=True`: thought j+1 is computed from thought j (so the answer follows
    an edited thought) and the answer is read off the last thought, whatever
    operations are left (a truncated chain gives a wrong answer).
    `follows=False`: the answer is computed from the prompt; thoughts are decoration.
    """

    can_prefill = True

    def __init__(self, follows: bool) -> None:
        self.name = f"scripted-thinker-{follows}"
        self.follows = follows
        self.spec = ThoughtSpec(mode="latent", n=3)
        self.words = TASK.vocab()

    def encode(self, text: str) -> list[int]:
        return [self.words.index(w) if w in self.words else -1 for w in text.split()]

    def _run(self, batch, n: int, edit: ThoughtEdit | None) -> tuple[torch.Tensor, list[str]]:
        """(thoughts fed [B, n, M], answers) for a batch of encoded prompts."""
        rows = [[int(self.words[i]) for i in row if i >= 0] for row in batch]
        start = torch.tensor([r[0] for r in rows])
        ops = torch.tensor([r[1:] for r in rows])  # [B, K]
        value, fed = start, []
        for j in range(n):
            thought = torch.eye(M)[(value + ops[:, j]) % M]
            thought = edit(j, thought) if edit else thought
            fed.append(thought)
            value = thought.argmax(-1)
        truth = (start + ops.sum(-1)) % M
        answer = value if self.follows else truth
        thoughts = torch.stack(fed, dim=1) if fed else torch.zeros(len(rows), 0, M)
        return thoughts, [str(int(a)) for a in answer]

    def generate_with_thoughts(self, batch, max_new_tokens, *, n=None, edit=None, force=(), **_):
        n = self.spec.n if n is None else n
        _, answers = self._run(batch, n, edit)
        opening = "" if list(force) == ["<answer>"] else "<answer> "
        return [Generation(text=f"{opening}{a}", finish_reason="stop") for a in answers]

    def read_thoughts(self, batch, n=None):
        return self._run(batch, self.spec.n, None)[0], []

    def generate(self, prompts, *, max_new_tokens=64, temperature=0.0, seed=None):
        assert all(p.endswith(THINK) for p in prompts)
        return self.generate_with_thoughts([self.encode(p) for p in prompts], max_new_tokens)


def context(model, examples: list[Example]) -> AuditContext:
    base = baseline(model, TASK, examples)
    return AuditContext(
        model=model,
        task=TASK,
        examples=examples,
        base=base,
        monitor=RuleMonitor([r"x"]),
        samples=200,
    )


def test_thought_interventions_separate_load_bearing_from_decorative_thoughts():
    examples = TASK.examples(80, seed=3)
    real = Thoughts().run(context(ScriptedThinker(follows=True), examples)).metrics
    fake = Thoughts().run(context(ScriptedThinker(follows=False), examples)).metrics
    assert real["thought_swap_follow_rate"].value == 1.0
    assert fake["thought_swap_follow_rate"].value == 0.0
    assert fake["thought_swap_same_answer"].value == 1.0
    assert real["thought_swap_same_answer"].ci_high < 0.3
    assert real["thought_early_aoc"].ci_low > 0.3 and fake["thought_early_aoc"].value == 0.0
    assert real["thought_zero_accuracy"].ci_high < 0.3
    assert fake["thought_zero_accuracy"].value == 1.0


def test_partners_pick_a_different_value():
    assert partners(["1", "1", "2", "3"]) == [2, 2, 3, 0]
    assert partners(["5", "5"]) == [0, 1]


@pytest.fixture(scope="module")
def tiny_latent() -> LatentLabModel:
    torch.manual_seed(0)
    meta = {"thoughts": {"mode": "latent", "n": 3}}
    return LatentLabModel.create(TASK.vocab(), ModelConfig(layers=1, d_model=16, heads=2), meta)


def test_probes_and_thoughts_run_on_a_lab_latent_model(tiny_latent):
    report = audit(tiny_latent, TASK, n=30, tests=["probes", "thoughts"], samples=50)
    for name in ("probe_accuracy", "probe_control_accuracy", "thought_swap_follow_rate"):
        assert name in report.metrics
    assert report.metrics["probe_text_accuracy"].value == 0.0  # it writes no steps
    assert [r["position"] for r in report.details["probe_by_position"]] == [0, 1, 2]
    assert len(report.details["thought_by_position"]) == 3


def test_thoughts_unavailable_for_a_model_that_writes():
    torch.manual_seed(0)
    model = LabModel.create(TASK.vocab(), ModelConfig(layers=1, d_model=16, heads=2))
    report = audit(model, TASK, n=20, tests=["thoughts", "probes"], samples=50)
    assert report.metrics["thought_early_aoc"].value is None
    assert "no thoughts" in (report.metrics["thought_early_aoc"].reason or "")
    assert report.metrics["probe_accuracy"].value is not None
    assert Probes.name == "probes"
