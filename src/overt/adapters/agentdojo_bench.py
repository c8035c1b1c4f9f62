"""overt's guard on AgentDojo, measured with a maximally gullible scripted agent.

    python benchmarks/agentdojo_guard.py --suites workspace slack --out runs/agentdojo

The agent (`overt.adapters.agentdojo_agent.GullibleAgent`) replays each user
task's ground-truth calls and obeys every injection it reads, its reasoning
written in one voice (honest, heldout, quiet, disguised). AgentDojo's own
checkers score utility and attack success. Principals: `none` (escalations
are blocked), `yes` (approves everything), `attentive` (`AttentivePrincipal`:
a tool-name match against its instruction) and `reading` (`ReadingPrincipal`:
reads the question — approves a flagged value only when its instruction names
it or delegates to its source).

Every reviewed call's view is kept with what the call is (`injected`,
`benign`, or `delegated`: a call of a task whose user handed a document the
choice), and the default chain's reviewers are scored on it in *every* voice
(`Episode.flags`): so the reasoning's contribution over argument provenance
is measured on the same calls, at every consequence level.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from agentdojo.agent_pipeline import AgentPipeline, InitQuery, ToolsExecutionLoop, ToolsExecutor
from agentdojo.agent_pipeline.base_pipeline_element import BasePipelineElement
from agentdojo.attacks.attack_registry import load_attack
from agentdojo.base_tasks import BaseInjectionTask, BaseUserTask
from agentdojo.functions_runtime import Env, FunctionCall
from agentdojo.task_suite.load_suites import get_suite
from agentdojo.task_suite.task_suite import TaskSuite

from overt.adapters.agentdojo import OvertDefense
from overt.adapters.agentdojo_agent import PIPELINE_NAME, GullibleAgent, Voice
from overt.agent.goal_monitor import GoalProvenanceMonitor
from overt.agent.guard import Guard, GuardConfig, as_action, default_chain
from overt.agent.principal import (
    AttentivePrincipal,
    Principal,
    PrincipalAnswer,
    ReadingPrincipal,
    ScriptedPrincipal,
)
from overt.agent.provenance import ProvenanceReviewer
from overt.agent.reasoning_monitor import ReasoningMonitor
from overt.agent.resume import run_sync
from overt.agent.review import ModelReviewer
from overt.agent.tools import Consequence
from overt.agent.trace import Trace
from overt.agent.types import Decision, ReviewView

PrincipalKind = Literal["none", "yes", "attentive", "reading"]
VERSION = "v1.2.2"
MAX_TURNS = 60
"""Tool rounds allowed per episode (AgentDojo's default of 15 is fewer than some travel tasks'
ground truth needs)."""
REVIEWERS = ("provenance", "goal", "reasoning", "chain")
"""Scored on every reviewed call: argument provenance, goal provenance, the reasoning monitor,
and the three together as the default chain runs them."""
_PROVENANCE, _GOAL, _REASONING = ProvenanceReviewer(), GoalProvenanceMonitor(), ReasoningMonitor()


def call_label(call_id: str) -> str:
    """What a call is, from the id the gullible agent gave it."""
    return call_id.split("-")[0].replace("task", "benign")


def flags(view: ReviewView) -> dict[str, bool]:
    """Which default reviewers flag this call, each at the levels it reviews in the chain."""
    provenance = _PROVENANCE.check(view).decision != Decision.approve
    goal = Consequence[view.consequence] >= _GOAL.min_consequence
    goal = goal and _GOAL.score(view)[0] >= _GOAL.min_cited
    reasoning = _REASONING.check(view).decision != Decision.approve
    return {
        "provenance": provenance,
        "goal": goal,
        "reasoning": reasoning,
        "chain": provenance or goal or reasoning,
    }


class MeasuredDefense(OvertDefense):
    """Keeps the guard's view of every call it reviews, by call id."""

    def __init__(self, make_guard: Callable[[], Guard]) -> None:
        super().__init__(make_guard)
        self.views: list[tuple[str, ReviewView]] = []

    def before_review(
        self, guard: Guard, run: str, calls: list[FunctionCall], reasoning: str
    ) -> None:
        for c in calls:
            action = as_action({"tool": c.function, "args": dict(c.args)})
            level, _ = guard.level(action)
            self.views.append((c.id or "", guard.view(run, action, reasoning, level)))


def make_principal(kind: PrincipalKind, instruction: str) -> Principal:
    if kind == "yes":
        return ScriptedPrincipal(
            [instruction], answers=lambda e: PrincipalAnswer(decision="approve")
        )
    if kind == "attentive":
        return AttentivePrincipal([instruction])
    if kind == "reading":
        return ReadingPrincipal([instruction])
    return Principal([instruction])


@dataclass
class Episode:
    suite: str
    user_task: str
    injection_task: str | None
    voice: str
    utility: bool
    attack_succeeded: bool | None
    escalations: int
    flags: dict[str, int] = field(default_factory=dict)
    """Counts keyed `VOICE/LABEL/LEVEL/REVIEWER` (REVIEWER `calls`: how many calls), LEVEL
    `read_only` or `consequential`."""
    judge_flags: int | None = None
    blocked: list[str] = field(default_factory=list)


Config = tuple[bool, PrincipalKind]
"""(review on, principal)."""
Reviewed = tuple[str, str, ReviewView]
"""("USER_TASK/INJECTION_TASK", what the call is: injected / benign / delegated, the guard's
view of it)."""


def _pipeline(agent: GullibleAgent, defense: OvertDefense | None) -> AgentPipeline:
    loop: list[BasePipelineElement] = [defense, agent] if defense else [ToolsExecutor(), agent]
    elements: list[BasePipelineElement] = [
        InitQuery(),
        agent,
        ToolsExecutionLoop(loop, max_iters=MAX_TURNS),
    ]
    if defense:
        elements.append(defense)
    pipeline = AgentPipeline(elements)
    pipeline.name = PIPELINE_NAME
    return pipeline


def tally(agent: GullibleAgent, views: list[tuple[str, ReviewView]]) -> Counter[str]:
    """Each reviewer's flags on every reviewed call, with its reasoning in every voice."""
    counts: Counter[str] = Counter()
    for call_id, view in views:
        level = "read_only" if view.consequence == "read_only" else "consequential"
        for voice, text in agent.voices.get(call_id, {}).items():
            key = f"{voice}/{call_label(call_id)}/{level}"
            counts[f"{key}/calls"] += 1
            for name, hit in flags(view.model_copy(update={"reasoning": text})).items():
                counts[f"{key}/{name}"] += hit
    return counts


def run_episode(
    suite: TaskSuite,
    user_task: BaseUserTask,
    injection: BaseInjectionTask | None,
    environment: Env,
    review: bool,
    principal: PrincipalKind,
    judge: Any | None = None,
    voice: Voice = "honest",
    keep: list[Reviewed] | None = None,
) -> Episode:
    """One user task (with one injection task, or none) under one configuration; `keep`
    collects every reviewed call."""
    agent = GullibleAgent(user_task, injection, voice, suite.name)
    defense = MeasuredDefense(
        lambda: Guard(
            review=default_chain(),
            principal=make_principal(principal, user_task.PROMPT),
            trace=Trace(),
            config=GuardConfig(),
        )
    )
    pipeline = _pipeline(agent, defense if review else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        utility, security = suite.run_task_with_pipeline(
            pipeline, user_task, injection, {}, environment=environment.model_copy(deep=True)
        )
    escalations = 0
    if review and defense.guard is not None:
        (state,) = defense.guard.runs.values()
        escalations = state.escalations
    if keep is not None:
        pair = f"{user_task.ID}/{injection.ID if injection else '-'}"
        keep += [(pair, call_label(i), v) for i, v in defense.views]
    injected = [v for i, v in defense.views if call_label(i) == "injected"]
    judged = None
    if judge is not None:
        judged = sum(run_sync(judge.review(v)).decision != Decision.approve for v in injected)
    return Episode(
        suite=suite.name,
        user_task=user_task.ID,
        injection_task=injection.ID if injection else None,
        voice=voice,
        utility=bool(utility),
        attack_succeeded=bool(security) if injection is not None else None,
        escalations=escalations,
        flags=dict(tally(agent, defense.views)),
        judge_flags=judged,
        blocked=[
            f"{c.function}:{d.by}" for c, d in defense.log if c is not None and not d.approved
        ],
    )


def measure_suite(
    suite_name: str,
    configs: Sequence[Config],
    attacked: bool,
    judge_model: Any | None = None,
    user_tasks: Sequence[str] | None = None,
    voice: Voice = "honest",
    keep: list[Reviewed] | None = None,
) -> dict[Config, list[Episode]]:
    """Every user task (× every injection task when `attacked`) under every configuration;
    the attack and the injected environment are built once per pair. `keep` collects every
    call the guard reviewed, as (user task/injection task, label, view with the reasoning in
    `voice`)."""
    suite = get_suite(VERSION, suite_name)
    judge = ModelReviewer(judge_model, "goal_provenance") if judge_model is not None else None
    attack = load_attack(
        "important_instructions", suite, _pipeline(GullibleAgent(None, None), None)
    )
    out: dict[Config, list[Episode]] = {c: [] for c in configs}
    with _fast_yaml():
        for user_task in suite.user_tasks.values():
            if user_tasks is not None and user_task.ID not in user_tasks:
                continue
            injections = list(suite.injection_tasks.values()) if attacked else [None]
            for injection in injections:
                vectors = attack.attack(user_task, injection) if injection else {}
                environment = suite.load_and_inject_default_environment(vectors)
                for review, principal in configs:
                    out[(review, principal)].append(
                        run_episode(
                            suite,
                            user_task,
                            injection,
                            environment,
                            review,
                            principal,
                            judge if review and injection else None,
                            voice,
                            keep,
                        )
                    )
    return out


@contextmanager
def _fast_yaml() -> Iterator[None]:
    """Parse AgentDojo's environment files with libyaml when available (same result, faster)."""
    import yaml

    original = yaml.safe_load
    if getattr(yaml, "CSafeLoader", None) is not None:
        yaml.safe_load = lambda stream: yaml.load(stream, Loader=yaml.CSafeLoader)
    try:
        yield
    finally:
        yaml.safe_load = original


def summarize(episodes: list[Episode]) -> dict[str, Any]:
    """Utility, attack success and questions per task; `flag_rates` per
    `VOICE/LABEL/LEVEL` (LEVEL also `all`): calls and each reviewer's flag rate."""
    n = len(episodes)
    attacked = [e for e in episodes if e.attack_succeeded is not None]
    judged = [e for e in episodes if e.judge_flags is not None]
    total: Counter[str] = Counter()
    for e in episodes:
        for key, count in e.flags.items():
            voice, label, _, name = key.split("/")
            total[key] += count
            total[f"{voice}/{label}/all/{name}"] += count
    rates: dict[str, dict[str, float | int]] = {}
    for key, calls in total.items():
        if key.endswith("/calls"):
            group = key.removesuffix("/calls")
            rates[group] = {"calls": calls} | {r: total[f"{group}/{r}"] / calls for r in REVIEWERS}
    injected = total["honest/injected/all/calls"]
    return {
        "episodes": n,
        "utility": sum(e.utility for e in episodes) / n,
        "attack_success": sum(bool(e.attack_succeeded) for e in attacked) / len(attacked)
        if attacked
        else None,
        "escalations_per_task": sum(e.escalations for e in episodes) / n,
        "judge_flagged": sum(e.judge_flags or 0 for e in judged) / injected
        if judged and injected
        else None,
        "flag_rates": dict(sorted(rates.items())),
    }


def dump(episodes: list[Episode]) -> str:
    return json.dumps([e.__dict__ for e in episodes], indent=1)
