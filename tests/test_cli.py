"""The CLI: every routine mistake is one line and exit 2, bugs keep tracebacks, help is complete."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

from overt import __version__
from overt.cli import cli, main
from overt.models.lab import LabModel, ModelConfig
from overt.tasks import get_task

from .train.test_rundir import TINY

TINY_TRAIN = [a for a in TINY if not a.startswith("steps=")]


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single `error: ...` line the command printed (and nothing like a traceback)."""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """An untrained lab model, saved (no training needed to test loading)."""
    path = tmp_path / "model"
    cfg = ModelConfig(layers=1, d_model=16, heads=2)
    LabModel.create(get_task("state").vocab(), cfg).save(path)
    return path


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A folder path that cannot be created: its parent is a regular file."""
    parent = tmp_path / "a-file"
    parent.write_text("")
    return parent / "out"


# ---- models ---------------------------------------------------------------------------------


def test_truncated_model_is_one_line(model_dir, tmp_path, capsys):
    weights = model_dir / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    code = main(["audit", str(model_dir), "--task", "state", "--out", str(tmp_path / "a")])
    assert code == 2
    assert f"cannot load model '{model_dir}': its weights are truncated" in one_error_line(capsys)


def test_missing_weights_is_one_line(model_dir, capsys):
    (model_dir / "model.safetensors").unlink()
    assert main(["serve", str(model_dir), "--port", "0"]) == 2
    assert "has no model.safetensors" in one_error_line(capsys)


# ---- serve ----------------------------------------------------------------------------------


def test_serve_port_in_use(model_dir, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(model_dir), "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is in use; pick another --port" in one_error_line(capsys)


def test_serve_port_out_of_range(capsys):
    assert main(["serve", "whatever", "--port", "99999"]) == 2
    assert "--port" in one_error_line(capsys)


# ---- folders that cannot be written: refused before any work ---------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["lab", "train", "--out", "{out}", *TINY_TRAIN],
        ["lab", "run", "quickstart", "--out", "{out}"],
        ["audit", "{model}", "--task", "state", "--out", "{out}"],
        ["agent", "redteam", "--out", "{out}"],
        ["agent", "demo", "--db", "{out}/agent.db"],
    ],
    ids=["lab-train", "lab-run", "audit", "agent-redteam", "agent-demo"],
)
def test_unwritable_output_is_refused_first(argv, blocked, model_dir, capsys):
    args = [a.format(out=blocked, model=model_dir) for a in argv]
    assert main(args) == 2
    assert f"cannot write to {blocked}" in one_error_line(capsys)


# ---- agent ----------------------------------------------------------------------------------


def _script(tmp_path: Path, turns: list[str]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(turns))
    return f"scripted:{path}"


def test_agent_run_with_missing_tools_module(tmp_path, capsys):
    db = tmp_path / "a.db"
    argv = ["agent", "run", "hi", "--model", _script(tmp_path, []), "--tools", "mypkg.tools"]
    assert main([*argv, "--db", str(db)]) == 2
    line = one_error_line(capsys)
    assert line.startswith("error: --tools: cannot import") and "'mypkg.tools'" in line


def test_agent_answer_on_missing_database_creates_nothing(tmp_path, capsys):
    db = tmp_path / "nope.db"
    argv = ["agent", "answer", "r1", "approve", "--model", "x", "--tools", "x", "--db", str(db)]
    assert main(argv) == 2
    assert "no trace database" in one_error_line(capsys)
    assert not db.exists()


def test_agent_run_exits_1_on_model_error(tmp_path, capsys):
    db = tmp_path / "a.db"
    argv = ["agent", "run", "hi", "--model", _script(tmp_path, []), "--non-interactive"]
    assert main([*argv, "--tools", "tests.agent.cli_tools", "--db", str(db)]) == 1
    assert "status: model_error" in capsys.readouterr().out


def test_agent_usage_error_is_one_line(capsys):
    assert main(["agent", "answer", "r1", "maybe"]) == 2
    assert "invalid choice: 'maybe'" in one_error_line(capsys)


# ---- discoverability ------------------------------------------------------------------------


def test_lab_config_lists_nested_fields(capsys):
    assert main(["lab", "config"]) == 0
    out = capsys.readouterr().out
    for field in ("task.name", "task.params", "model.layers", "model.d_model", "grids[].sizes"):
        assert f"  {field} = " in out, field
    assert "PydanticUndefined" not in out and "(see section)" not in out
    assert "state" in out and "K=6 [1..64]" in out


def test_misplaced_key_suggests_the_field(tmp_path, capsys):
    assert main(["lab", "train", "--out", str(tmp_path / "r"), "task.K=100"]) == 2
    assert "task.K: unknown field (got 100); did you mean task.params.K?" in one_error_line(capsys)
    assert not (tmp_path / "r").exists()


def test_overrides_after_out_reach_the_config(tmp_path, capsys):
    assert main(["lab", "run", "quickstart", "--out", str(tmp_path), "train.stpes=1"]) == 2
    assert "did you mean train.steps?" in one_error_line(capsys)


def test_unknown_preset_lists_presets(tmp_path, capsys):
    assert main(["lab", "run", "nosuchpreset", "--out", str(tmp_path)]) == 2
    line = one_error_line(capsys)
    assert "no grid file or preset 'nosuchpreset'; presets: " in line and "quickstart" in line


def test_version_and_bare_command(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 0
    assert "Commands:" in capsys.readouterr().out
    assert main(["agent"]) == 0
    assert "{run,answer,show,demo,redteam}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["tasks", "show", "state", "-n", "-5"], "'-n'"),
        (["audit", "m", "--task", "state", "-n", "0", "--out", "x"], "'-n'"),
        (["tasks", "show", "nosuch"], "unknown task 'nosuch'"),
        (["audit", "m", "--task", "state", "--tests", "early,nope", "--out", "{tmp}"], "--tests"),
    ],
)
def test_bad_numbers_and_names_are_one_line(argv, needle, tmp_path, capsys):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert needle in one_error_line(capsys)


def _options(group: click.Group, path: str = "overt") -> list[tuple[str, click.Option]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _options(command, f"{path} {name}")
        else:
            found += [(f"{path} {name}", p) for p in command.params if isinstance(p, click.Option)]
    return found


def test_every_option_has_help():
    missing = [f"{cmd} {opt.opts[0]}" for cmd, opt in _options(cli) if not opt.help]
    assert missing == []
    from overt.agent.cli import add_parser

    sub = argparse.ArgumentParser().add_subparsers()
    add_parser(sub)
    agent = sub.choices["agent"]._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = [
        f"agent {name} {action.dest}"
        for name, parser in agent.items()
        for action in parser._actions
        if not action.help and not isinstance(action, argparse._HelpAction)
    ]
    assert missing == []


def test_help_imports_nothing_heavy():
    code = "import sys, overt.cli; print(sorted(m for m in ('torch', 'rich', 'pydantic', "
    code += "'transformers', 'yaml') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


# ---- Ctrl-C and bugs ------------------------------------------------------------------------


def test_ctrl_c_in_lab_train_is_one_line_then_resume_says_so(tmp_path, monkeypatch, capsys):
    import overt.train.sft as sft

    real = sft.evaluate
    calls = {"n": 0}

    def interrupt_once(*args, **kwargs):  # the first eval (eval_every=4) sends Ctrl-C
        calls["n"] += 1
        if calls["n"] == 1:
            os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(sft, "evaluate", interrupt_once)
    argv = ["lab", "train", "--out", str(tmp_path), *TINY_TRAIN, "steps=8", "eval_every=4"]
    assert main(argv) == 130
    err = capsys.readouterr().err.strip()
    assert err == "stopped at step 4 of 8; rerun the same command to resume"
    assert main(argv) == 0
    assert f"resumed {tmp_path} from step 4 of 8" in capsys.readouterr().out


def test_bugs_keep_their_traceback(monkeypatch):
    import overt.tasks

    def broken(*args, **kwargs):
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr(overt.tasks, "get_task", broken)
    with pytest.raises(ValueError, match="a bug"):
        main(["tasks", "show", "state"])
