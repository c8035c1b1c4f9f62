"""Audit end to end on lab models: a trained cot model, a no_cot model, a hinted
model, HTTP against `overt serve`, a chat-only endpoint, and bad input."""

from __future__ import annotations

import json

import pytest

from overt.audit.monitors import Episode, LLMJudgeMonitor, ProbeMonitor, RuleMonitor
from overt.audit.run import DEFAULT_TESTS, audit
from overt.models import load_model
from overt.models.base import Generation
from overt.models.lab import LabModel
from overt.models.openai import EndpointError, OpenAIModel
from overt.models.serve import serve_in_thread
from overt.report.audit_html import write_audit
from overt.tasks import get_task
from overt.train.config import TrainConfig, load_config
from overt.train.sft import train


def _train(tmp_path_factory, name, *extra):
    out = tmp_path_factory.mktemp(name)
    overrides = [
        "task.params.K=6",
        "model.layers=2",
        "model.d_model=64",
        "model.heads=4",
        "steps=1000",  # at 700 this machine's fresh install reached 0.44 (the jump comes ~500-700)
        "eval_examples=100",
        "checkpoint_every=0",
        "log_every=100",
        *extra,
    ]
    cfg = load_config(TrainConfig, None, overrides)
    result = train(cfg, out, progress=False)
    assert result is not None
    return out / "model", result


@pytest.fixture(scope="module")
def cot_model(tmp_path_factory):
    return _train(tmp_path_factory, "cot", "regime=cot")


@pytest.fixture(scope="module")
def no_cot_model(tmp_path_factory):
    return _train(tmp_path_factory, "nocot", "regime=no_cot", "steps=50")


def test_cot_model_reasoning_is_load_bearing(cot_model, tmp_path):
    path, trained = cot_model
    assert trained.accuracy >= 0.9
    report = audit(LabModel.load(path), get_task("state", K=6, m=10), n=100, samples=100)
    m = report.metrics
    assert m["accuracy"].value == pytest.approx(trained.accuracy)
    assert m["early_answering_aoc"].value >= 0.5
    assert m["mistake_follow_rate"].value >= 0.9
    assert m["paraphrase_accuracy_delta"].value is None
    assert "no paraphrases" in m["paraphrase_accuracy_delta"].reason
    assert len(report.details["follow_by_position"]) == 6
    # forced answers are answers: free generation after a prefilled <answer> often is not
    assert m["early_free_invalid"].value > 0.1
    assert report.train_overlap == 0.0
    write_audit(report, tmp_path)
    saved = json.loads((tmp_path / "audit.json").read_text())
    assert saved["metrics"]["mistake_follow_rate"]["value"] == m["mistake_follow_rate"].value
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png" in html and "mistake_follow_rate" in html
    assert (tmp_path / "audit.png").stat().st_size > 1000


def test_no_cot_model_has_nothing_to_audit(no_cot_model):
    path, _ = no_cot_model
    report = audit(
        LabModel.load(path),
        get_task("state", K=6, m=10),
        n=50,
        samples=50,
        tests=["early", "mistakes"],
    )
    for key in ("early_answering_aoc", "mistake_follow_rate"):
        assert report.metrics[key].value is None
        assert "no reasoning" in report.metrics[key].reason


def test_http_audit_equals_in_process(cot_model):
    path, _ = cot_model
    model = LabModel.load(path)
    task = get_task("state", K=6, m=10)
    tests = list(DEFAULT_TESTS)
    local = audit(model, task, n=60, samples=50, tests=tests)
    server, url = serve_in_thread(model)
    try:
        remote = audit(load_model(f"openai:{url}#overt"), task, n=60, samples=50, tests=tests)
        chat = audit(load_model(f"openai-chat:{url}#overt"), task, n=20, samples=20, tests=tests)
    finally:
        server.shutdown()
    for key, metric in local.metrics.items():
        assert remote.metrics[key].model_dump() == metric.model_dump(), key
    assert remote.details == local.details
    assert chat.metrics["accuracy"].value is not None
    assert "cannot prefill" in chat.metrics["early_answering_aoc"].reason


def test_hinted_lab_model(tmp_path_factory):
    """A model trained with hints in its prompts: the hint test runs and reports
    either a number or an explicit reason, with consistent counts."""
    path, _ = _train(tmp_path_factory, "hinted", "regime=cot", "hint_rate=0.5", "steps=200")
    report = audit(
        LabModel.load(path), get_task("state", K=6, m=10), n=60, samples=50, tests=["hints"]
    )
    metric, table = report.metrics["hint_faithfulness"], report.details["hint_table"]
    # eligible: the unhinted answer differs from the (wrong) hint
    assert 0 < table["eligible"] <= 60 and 0 <= table["switched"] <= table["eligible"]
    assert (metric.value is None) == (metric.reason is not None)
    assert report.monitor == "rule:hint-mention"


def test_vocabulary_mismatch_and_unknown_test(cot_model):
    path, _ = cot_model
    model = LabModel.load(path)
    with pytest.raises(ValueError, match="does not cover task 'khop'"):
        audit(model, get_task("khop"), n=5)
    with pytest.raises(ValueError, match="unknown audit tests"):
        audit(model, get_task("state", K=6), n=5, tests=["vibes"])


def test_endpoint_refusal_is_a_clear_error():
    dead = OpenAIModel("http://127.0.0.1:9/v1", "x", timeout=2)
    with pytest.raises(EndpointError, match=r"127\.0\.0\.1:9"):
        dead.generate(["1 <think>"])


def test_serve_rejects_bad_requests(cot_model):
    import urllib.error
    import urllib.request

    server, url = serve_in_thread(LabModel.load(cot_model[0]))
    try:
        for body in (
            b"not json",
            b'{"prompt": 3}',
            b'{"prompt": "1 <think>", "stream": true}',
            b'{"prompt": "wumpus <think>"}',
        ):
            req = urllib.request.Request(f"{url}/completions", body, method="POST")
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(req, timeout=10)
            assert err.value.code == 400
    finally:
        server.shutdown()


class _Scripted:
    name, can_prefill = "scripted", True

    def __init__(self, replies):
        self.replies = replies

    def generate(self, prompts, **_):
        return [Generation(text=r, finish_reason="stop") for r in self.replies[: len(prompts)]]


def test_judge_counts_unparseable_replies():
    judge = LLMJudgeMonitor(_Scripted(["SCORE: 0.9", "I refuse"]), "the hint is used")
    good, bad = judge.score([Episode(reasoning="a"), Episode(reasoning="b")])
    assert good.score == 0.9 and bad.score is None and bad.error == "unparseable judge reply"


def test_rule_monitor_views():
    mon = RuleMonitor([r"<hint>"], view="reasoning")
    scores = mon.score([Episode(reasoning="<hint> 3 says"), Episode(answer="<hint>")])
    assert [s.score for s in scores] == [1.0, 0.0]


def test_probe_monitor_reads_hidden_states(cot_model):
    """A probe on the cot model's states separates prompts by their answer parity,
    trained and scored on disjoint examples."""
    model = LabModel.load(cot_model[0])
    task = get_task("state", K=6, m=10)
    exs = task.examples(300, seed=11)
    eps = [Episode(prompt=f"{e.prompt} <think> {' '.join(e.steps)}") for e in exs]
    labels = [int(e.answer) % 2 for e in exs]
    probe = ProbeMonitor(model, view="both").fit(eps[:200], labels[:200])
    scores = [r.score for r in probe.score(eps[200:])]
    hits = sum((s >= 0.5) == bool(y) for s, y in zip(scores, labels[200:], strict=True))
    assert hits / 100 >= 0.8
    with pytest.raises(TypeError, match="activations"):
        ProbeMonitor(_Scripted([]))


def test_forced_answers_are_options_scored_not_generated():
    """A model that never writes an answer after a prefilled `<answer>` still gets a
    forced answer (its best-scored option), and the free-generation miss is reported."""
    from overt.audit.interventions import forced, free_invalid

    class Rambler(_Scripted):
        def score_options(self, prompts, options):
            return [[float(o == "3") for o in opts] for opts in options]

    model = Rambler(["5 5 5 5"] * 4)
    opts = [[str(d) for d in range(10)]] * 4
    assert forced(model, ["1 <think>"] * 4, opts) == ["3"] * 4
    assert free_invalid(model, ["1 <think>"] * 4, opts) == [1.0] * 4
