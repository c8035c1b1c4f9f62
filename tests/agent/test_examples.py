"""The shipped example tools module, driven by a scripted agent through the guard.

pytest tests/agent/test_examples.py -q
"""

from __future__ import annotations

from overt.agent import examples
from overt.agent.guard import default_reviewers
from overt.agent.loop import Agent, AgentConfig
from overt.agent.principal import Principal
from overt.agent.review import PolicyReviewer, ReviewChain
from overt.agent.tools import Consequence, load_tools
from overt.agent.trace import Trace
from overt.models.scripted import ScriptedModel
from tests.agent.helpers import turn


def test_example_module_loads_with_declared_levels() -> None:
    box = load_tools("overt.agent.examples")
    assert sorted(box.names()) == ["list_notes", "read_note", "send_email", "write_note"]
    write = box.get("write_note")
    assert write.level({"name": "groceries", "text": ""}) is Consequence.irreversible
    assert write.level({"name": "new", "text": ""}) is Consequence.reversible
    params = box.get("read_note").schema()["parameters"]["properties"]
    assert "groceries" in params["name"]["description"]


def test_address_read_from_a_note_is_not_mailed_without_the_principal() -> None:
    examples.OUTBOX.clear()
    model = ScriptedModel(
        [
            turn("Read the meeting note.", tool="read_note", args={"name": "meeting"}),
            turn(
                "Mail the agenda.",
                tool="send_email",
                args={"to": "ana@example.com", "body": "agenda?"},
            ),
            turn("Could not send.", final="The sync moved to Thursday."),
        ]
    )
    agent = Agent(
        model,
        load_tools("overt.agent.examples"),
        review=ReviewChain(PolicyReviewer(), default_reviewers()),
        principal=Principal(),
        trace=Trace(),
        config=AgentConfig(principal_threshold=None),
    )
    result = agent.run_sync("When is the team sync?")
    assert result.status == "finished" and examples.OUTBOX == []
    escalations = agent.trace.events(result.run_id, ("escalation",))
    assert "ana@example.com" in escalations[0].payload["why"]
