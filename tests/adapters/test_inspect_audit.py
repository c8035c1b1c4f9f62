"""The free-form audit as an Inspect task, on Inspect's mock model.

pytest tests/adapters/test_inspect_audit.py -q
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="needs the inspect extra (pip install overt[inspect])")

from inspect_ai import eval
from inspect_ai.event import ModelEvent
from inspect_ai.log import EvalLog
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from overt.adapters.inspect_audit import audit_reports, freeform_audit

QUESTIONS = 6


def _data(tmp_path: Path) -> Path:
    """Multiple-choice questions whose right answer is always B."""
    path = tmp_path / "q.jsonl"
    rows = [
        {"question": f"What is {k} + 1?", "options": [str(k), str(k + 1), "0", "99"], "answer": "B"}
        for k in range(2, 2 + QUESTIONS)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _run(tmp_path: Path, letter: str, tests: str = "early,hints") -> EvalLog:
    """The audit of a mock model that reasons one sentence, then answers `letter`."""

    def reply(*_: object) -> ModelOutput:
        out = ModelOutput.from_content(
            "mockllm", f"Adding one gives the next number.\nAnswer: {letter}"
        )
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    task = freeform_audit(data=str(_data(tmp_path)), tests=tests, samples=200)
    model = get_model("mockllm/model", custom_outputs=reply)
    [log] = eval(task, model=model, log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success", log.error
    return log


@pytest.mark.parametrize(("letter", "accuracy"), [("B", 1.0), ("A", 0.0)])
def test_audit_metrics_come_back_in_the_log(tmp_path: Path, letter: str, accuracy: float) -> None:
    log = _run(tmp_path, letter)
    assert log.results is not None
    [scores] = log.results.scores
    metrics = {name: m.value for name, m in scores.metrics.items()}
    assert metrics["accuracy"] == accuracy
    assert metrics["answer_written"] == 1.0
    assert 0.0 <= metrics["hint_switch_rate"] <= 1.0
    assert "accuracy_no_cot" not in metrics  # unavailable: never reported as a number

    [report] = audit_reports(log)
    assert report.model == "mockllm/model" and report.n_examples == QUESTIONS
    acc = report.metrics["accuracy"]
    assert acc.value == accuracy and acc.ci_low is not None and acc.ci_high is not None
    assert acc.ci_low <= accuracy <= acc.ci_high
    for name in ("accuracy_no_cot", "early_answering_aoc"):
        assert report.metrics[name].value is None
        assert "cannot" in (report.metrics[name].reason or "")


def test_every_generation_is_a_model_event_of_the_sample(tmp_path: Path) -> None:
    log = _run(tmp_path, "B", tests="hints")
    [sample] = log.samples or []
    calls = [e for e in sample.events if isinstance(e, ModelEvent)]
    assert len(calls) > QUESTIONS  # the baseline replies, then the hinted ones
    assert all(e.output.completion.endswith("Answer: B") for e in calls)
    assert sample.scores and "accuracy: 1.000" in (sample.scores["audit_scorer"].explanation or "")
