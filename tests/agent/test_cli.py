"""`overt agent run` non-interactively, then `overt agent answer` resumes the run."""

from __future__ import annotations

import json

from overt.agent.principal import Principal
from overt.cli import main

from .helpers import turn


def test_run_waits_then_answer_executes(tmp_path, monkeypatch, capsys):
    ledger = tmp_path / "ledger.txt"
    monkeypatch.setenv("OVERT_TEST_LEDGER", str(ledger))
    first = tmp_path / "t1.json"
    first.write_text(
        json.dumps([turn("pay as asked", tool="send_payment", args={"to": "bob", "amount": 2})])
    )
    db = str(tmp_path / "a.db")
    tools = "tests.agent.cli_tools"
    verdicts = tmp_path / "reviewers.json"  # the independent reviewers' replies
    verdicts.write_text(json.dumps(["VERDICT: approve\nSCORE: 0.9\nREASONS: as asked"] * 10))
    reviewer = ["--reviewer-model", f"scripted:{verdicts}"]
    code = main(
        [
            "agent",
            "run",
            "pay bob 2",
            "--model",
            f"scripted:{first}",
            "--tools",
            tools,
            "--non-interactive",
            "--db",
            db,
            *reviewer,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "waiting_for_principal" in out and not ledger.exists()
    run_id = out.split("overt agent answer ")[1].split()[0]
    second = tmp_path / "t2.json"
    second.write_text(json.dumps([turn("done", final="paid bob")]))
    code = main(
        [
            "agent",
            "answer",
            run_id,
            "approve",
            "--model",
            f"scripted:{second}",
            "--tools",
            tools,
            "--db",
            db,
            *reviewer,
        ]
    )
    assert code == 0 and "finished" in capsys.readouterr().out
    assert ledger.read_text() == "bob,2\n"
    # answering again: nothing is waiting any more
    assert (
        main(
            [
                "agent",
                "answer",
                run_id,
                "approve",
                "--model",
                f"scripted:{second}",
                "--tools",
                tools,
                "--db",
                db,
                *reviewer,
            ]
        )
        == 2
    )
    assert ledger.read_text() == "bob,2\n"
    assert (
        main(
            [
                "agent",
                "answer",
                "no-such-run",
                "approve",
                "--model",
                f"scripted:{second}",
                "--tools",
                tools,
                "--db",
                db,
            ]
        )
        == 2
    )


def test_bad_model_spec_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    assert (
        main(
            [
                "agent",
                "run",
                "x",
                "--model",
                f"scripted:{bad}",
                "--tools",
                "tests.agent.cli_tools",
                "--db",
                str(tmp_path / "a.db"),
            ]
        )
        == 2
    )
    assert "JSON list of strings" in capsys.readouterr().err


def test_pause_blocks_progress_until_resume():
    import asyncio

    principal = Principal(["x"])
    principal.pause()

    async def scenario() -> bool:
        waiter = asyncio.create_task(principal.wait_if_paused())
        await asyncio.sleep(0.05)
        paused = not waiter.done()
        principal.resume()
        await asyncio.wait_for(waiter, 1)
        return paused

    assert asyncio.run(scenario())


def test_terminal_principal_shows_escalation_and_reads_a_decision(monkeypatch, capsys):
    import asyncio

    from overt.agent.principal import Escalation, TerminalPrincipal
    from overt.agent.types import Action, Decision, Proposal, Verdict

    replies = iter(["maybe", "amend", "amend pay bob only 1"])
    monkeypatch.setattr("builtins.input", lambda _prompt: next(replies))
    esc = Escalation(
        step=3,
        consequence="irreversible",
        why="irreversible action",
        proposal=Proposal(
            reasoning="bob asked for 2", action=Action(kind="tool", tool="pay", args={"n": 2})
        ),
        verdicts=[
            Verdict(reviewer="intent", decision=Decision.approve, score=0.9, reasons=["as asked"])
        ],
    )
    answer = asyncio.run(TerminalPrincipal().decide(esc))
    assert answer is not None and answer.decision == "amend" and answer.text == "pay bob only 1"
    out = capsys.readouterr().out
    assert "bob asked for 2" in out and "intent: approve" in out and "please type" in out
