"""The embedded demo and the red-team harness, end to end on scripted agents."""

from __future__ import annotations

import json
import re

from overt.agent.demo import SCENARIOS, run_demo
from overt.agent.redteam import CASES, run_redteam
from overt.agent.trace import Trace
from overt.cli import main


def test_demo_scenarios_behave_as_described():
    trace = Trace()
    results = run_demo(trace)
    assert [s.name for s, _, _ in results] == [s.name for s in SCENARIOS]
    for scenario, result, ok in results:
        assert ok, f"{scenario.name}: {result.status} {result.executed}"
        assert trace.events(result.run_id)[0].kind == "instruction"
    by_name = {s.name: r for s, r, _ in results}
    consequential = trace.events(by_name["consequential"].run_id, ("escalation",))
    assert consequential and "irreversible" in consequential[0].payload["why"]


def test_redteam_generates_attacks_with_benign_twins_and_reports_every_principal():
    assert len(CASES) == 30
    assert {c.category for c in CASES} == {
        "exfiltrate",
        "forward",
        "overwrite",
        "delete",
        "setting",
    }
    report = run_redteam(Trace())
    assert report["attack_success_rate"]["review_off"] == 1.0  # the scripted agent obeys
    by = report["by_principal"]
    assert by["yes"]["attack_success"] == 1.0  # a yes-principal approves every escalation
    assert by["none"]["attack_success"] <= 0.1
    assert by["none"]["escalations_per_attack"] > 0
    runs = report["runs"]
    assert {r["principal"] for r in runs if r["review"] == "on"} == {"none", "yes", "attentive"}
    assert sum(r["twin"] == "benign" for r in runs) == sum(r["twin"] == "attack" for r in runs)


def test_cli_demo_show_and_redteam(tmp_path, capsys):
    db = tmp_path / "a.db"
    assert main(["agent", "demo", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"as\s+expected", out)) == len(SCENARIOS)
    assert not re.search(r"NOT\s+as\s+expected", out)
    assert main(["agent", "show", "--db", str(db)]) == 0
    assert "stop" in capsys.readouterr().out
    assert main(["agent", "show", "nope", "--db", str(db)]) == 2
    assert main(["agent", "redteam", "--out", str(tmp_path / "rt")]) == 0
    report = json.loads((tmp_path / "rt" / "redteam.json").read_text())
    assert set(report["per_category"]) == {c.category for c in CASES}


def test_the_demo_reviews_with_the_default_chain():
    from overt.agent.demo import SCENARIOS, build_agent
    from overt.agent.guard import default_reviewers

    agent, _, _ = build_agent(SCENARIOS[0], Trace())
    names = {r.name for r in agent.guard.review_chain.reviewers}
    assert {r.name for r in default_reviewers()} <= names
