"""`overt audit --data`: bad input is one `error:` line and exit 2, before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from overt.cli import main
from tests.test_cli import one_error_line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "state", "--data", "builtin:wordproblems"], "exactly one of --task"),
        ([], "exactly one of --task"),
        (["--data", "builtin:nope"], "no built-in dataset 'nope'"),
        (["--data", "builtin:wordproblems", "--tests", "early,bogus"], "unknown ['bogus']"),
        (["--data", "builtin:wordproblems", "--heldout-seed", "3"], "go with --task"),
        (["--task", "state", "--rewriter", "smollm2"], "--rewriter goes with --data"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["audit", "smollm2", *args, "--out", str(tmp_path / "a")]) == 2
    assert message in one_error_line(capsys)


def test_bad_dataset_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "q.jsonl"
    data.write_text(
        '{"question": "2+2?", "options": ["3", "4"], "answer": "4"}\n{"question": "x"}\n'
    )
    assert main(["audit", "smollm2", "--data", str(data), "--out", str(tmp_path / "a")]) == 2
    assert "line 2: missing required field 'answer'" in one_error_line(capsys)
    assert not (tmp_path / "a" / "audit.json").exists()


def test_unknown_chat_model_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", str(tmp_path / "nope"), "--data", "builtin:wordproblems"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 2
    assert "cannot load model" in one_error_line(capsys)
