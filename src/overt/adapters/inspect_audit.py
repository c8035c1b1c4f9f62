"""The free-form audit as an Inspect AI task: audit any Inspect model without leaving Inspect.

    inspect eval overt/freeform_audit --model mockllm/model -T n=20 -T tests=hints
    inspect eval src/overt/adapters/inspect_audit.py@freeform_audit --model openai/gpt-4o-mini \
        -T data=my.jsonl -T tests=early,hints

`overt/freeform_audit` is found through the `inspect_ai` entry point in
pyproject.toml (`pip install overt[inspect]`, or `pip install -e .` in a
checkout). Task args: `data` (a dataset file in `overt.audit.freeform.dataset`'s
format, or `builtin:wordproblems`), `n` (first n questions; default all),
`tests` (comma-separated free-form tests; default all), `seed`, `samples`
(bootstrap resamples), `max_new_tokens`.

The audit is one Inspect sample (its metadata holds the questions): its
solver runs `audit_questions` in a worker thread over `InspectChatModel`,
which hands every batch of prompts back to Inspect's event loop
(`anyio.from_thread.run`) and generates them concurrently with the eval's
model — so each call is an ordinary model event in the sample's transcript,
under Inspect's connection limits and cache.

The sample's score has one value per available metric (the eval's results
list them as metrics of the `audit_scorer`), the metrics with their intervals
and the reasons of unavailable ones in its explanation, and the whole
`AuditReport` in its metadata (`audit_reports(log)` reads it back).

Inspect's model API neither continues a prefilled reply nor scores options,
so the tests that need that (early, mistakes, filler, paraphrase, the no-CoT
controls) come back unavailable with the reason; `hints` and accuracy run.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import anyio
import anyio.from_thread
import anyio.to_thread
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog
from inspect_ai.model import (
    ChatMessage,
    ChatMessageSystem,
    ChatMessageUser,
    ContentReasoning,
    GenerateConfig,
    Model,
    ModelOutput,
    get_model,
)
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, metric, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from overt.audit.freeform import DEFAULT_FREEFORM_TESTS, Question, audit_questions, load_questions
from overt.audit.schema import AuditReport
from overt.models.base import Generation
from overt.models.chat import ChatPrompt, check_prefill

REPORT_KEY = "overt_audit_report"
ALL_TESTS = ",".join(DEFAULT_FREEFORM_TESTS)


def think_text(output: ModelOutput) -> str:
    """The reply's text, with any reasoning the provider returned apart as `<think>…</think>`."""
    content = output.message.content if output.choices else ""
    thinking = [
        c.reasoning
        for c in (content if isinstance(content, list) else [])
        if isinstance(c, ContentReasoning) and not c.redacted
    ]
    text = output.completion
    return f"<think>{''.join(thinking)}</think>\n{text}" if thinking else text


class InspectChatModel:
    """overt's `ChatModel` over an Inspect `Model`, called from a worker thread.

    `chat` blocks its (worker) thread while the batch's generations run
    concurrently on the Inspect event loop that started the thread.
    """

    can_prefill = False

    def __init__(self, model: Model) -> None:
        self.model = model
        self.name = str(model)

    def chat(
        self,
        prompts: Sequence[ChatPrompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[Generation]:
        check_prefill(self, prompts)
        config = GenerateConfig(max_tokens=max_new_tokens, temperature=temperature, seed=seed)
        return anyio.from_thread.run(self.generate_all, list(prompts), config)

    async def generate_all(
        self, prompts: list[ChatPrompt], config: GenerateConfig
    ) -> list[Generation]:
        """Every prompt's reply, generated concurrently, in prompt order."""
        out: list[Generation] = [Generation(text="", finish_reason="stop")] * len(prompts)

        async def one(i: int, prompt: ChatPrompt) -> None:
            output = await self.model.generate(messages(prompt), config=config)
            reason = "length" if output.stop_reason == "max_tokens" else "stop"
            out[i] = Generation(text=think_text(output), finish_reason=reason)

        async with anyio.create_task_group() as group:
            for i, prompt in enumerate(prompts):
                group.start_soon(one, i, prompt)
        return out


def messages(prompt: ChatPrompt) -> list[ChatMessage]:
    """The conversation of one prompt: an optional system message, then the user turn."""
    system: list[ChatMessage] = [ChatMessageSystem(content=prompt.system)] if prompt.system else []
    return [*system, ChatMessageUser(content=prompt.user)]


def split_tests(tests: str | Sequence[str]) -> list[str]:
    """`-T tests=early,hints` (a string) or a YAML list → test names."""
    items = tests.split(",") if isinstance(tests, str) else tests
    return [t.strip() for t in items if t.strip()]


@solver
def run_audit(tests: list[str], seed: int, samples: int, max_new_tokens: int) -> Solver:
    """Audit the eval's model on the sample's questions; the report goes to the sample's store."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = InspectChatModel(get_model())
        audit = partial(
            audit_questions,
            model,
            [Question.model_validate(q) for q in state.metadata["questions"]],
            source=state.metadata["data"],
            tests=tests,
            seed=seed,
            samples=samples,
            max_new_tokens=max_new_tokens,
        )
        report = await anyio.to_thread.run_sync(audit)
        state.store.set(REPORT_KEY, report.model_dump(mode="json"))
        state.output = ModelOutput.from_content(model=model.name, content=summary(report))
        return state

    return solve


def summary(report: AuditReport) -> str:
    """One line per metric: value [interval] n, or null with the reason."""
    return "\n".join(f"{name}: {m.text()}" for name, m in report.metrics.items())


@metric
def audit_metrics() -> Metric:
    """Each audit metric's mean over the samples that have it (one sample: its value)."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        values: dict[str, list[float]] = {}
        for s in scores:
            value = s.score.value
            for name, v in value.items() if isinstance(value, dict) else ():
                values.setdefault(name, []).append(float(v))
        return {name: sum(vs) / len(vs) for name, vs in values.items()}

    return compute


@scorer(metrics=[audit_metrics()])
def audit_scorer() -> Scorer:
    """The audit's available metrics as the score's value; the whole report as its metadata."""

    async def score(state: TaskState, target: Target) -> Score:
        report = AuditReport.model_validate(state.store.get(REPORT_KEY))
        values = {k: m.value for k, m in report.metrics.items() if m.value is not None}
        return Score(
            value=values,
            answer=f"{len(values)} of {len(report.metrics)} metrics measured",
            explanation=summary(report),
            metadata={"report": report.model_dump(mode="json")},
        )

    return score


@task
def freeform_audit(
    data: str = "builtin:wordproblems",
    n: int | None = None,
    tests: str | list[str] = ALL_TESTS,
    seed: int = 0,
    samples: int = 1000,
    max_new_tokens: int = 256,
) -> Task:
    """overt's free-form faithfulness audit of the eval's model on `data` (see the module)."""
    questions = load_questions(data)[:n] if n else load_questions(data)
    names = split_tests(tests)
    sample = Sample(
        id="audit",
        input=f"free-form audit ({', '.join(names)}) of {len(questions)} questions from {data}",
        metadata={"data": data, "questions": [q.model_dump() for q in questions]},
    )
    return Task(
        dataset=[sample],
        solver=run_audit(names, seed, samples, max_new_tokens),
        scorer=audit_scorer(),
    )


def audit_reports(log: EvalLog) -> list[AuditReport]:
    """The `AuditReport` of each scored sample of an eval log of `freeform_audit`."""
    return [
        AuditReport.model_validate(score.metadata["report"])
        for sample in log.samples or []
        for score in (sample.scores or {}).values()
        if score.metadata and "report" in score.metadata
    ]
