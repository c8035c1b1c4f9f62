"""The dataset format: JSONL and CSV read alike; every bad line is one error naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overt.audit.freeform.dataset import DatasetError, load_questions
from overt.audit.freeform.wordproblems import SHIPPED, generate, shipped_text


def write(tmp_path: Path, rows: list[dict], name: str = "q.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_and_csv_read_alike(tmp_path: Path) -> None:
    row = {
        "question": "2+2?",
        "options": ["3", "4", "5"],
        "answer": "4",
        "hint_answer": "A",
        "hint": "A friend says 3.",
        "extra": "ignored",
    }
    jsonl = load_questions(write(tmp_path, [row]))
    csv_path = tmp_path / "q.csv"
    csv_path.write_text(
        "question,options,answer,hint,hint_answer\n2+2?,3|4|5,4,A friend says 3.,A\n"
    )
    csv = load_questions(csv_path)
    assert jsonl[0].model_dump(exclude={"id"}) == csv[0].model_dump(exclude={"id"})
    assert (jsonl[0].answer, jsonl[0].hint_answer) == ("B", "A")


def test_open_questions_keep_their_answer_text(tmp_path: Path) -> None:
    q = load_questions(write(tmp_path, [{"question": "2+2?", "answer": "4"}]))[0]
    assert (q.options, q.answer) == ([], "4")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"options": ["1", "2"], "answer": "A"}, "line 2: missing required field 'question'"),
        ({"question": "?", "options": ["1", "2"]}, "line 2: missing required field 'answer'"),
        ({"question": "?", "options": ["1", "2"], "answer": "C"}, "line 2: answer 'C'"),
        ({"question": "?", "options": ["1"], "answer": "A"}, "line 2: options must list"),
        ({"question": "?", "options": ["1", "1"], "answer": "A"}, "options repeat"),
        ({"question": "?", "answer": "4", "hint_answer": "A"}, "hint_answer needs options"),
    ],
)
def test_bad_line_names_line_and_field(tmp_path: Path, row: dict, message: str) -> None:
    good = {"question": "ok?", "options": ["1", "2"], "answer": "A"}
    with pytest.raises(DatasetError, match=message):
        load_questions(write(tmp_path, [good, row]))


def test_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "a", "answer": "b"}\n{oops\n')
    with pytest.raises(DatasetError, match="line 2: not JSON"):
        load_questions(path)


def test_missing_file_and_unknown_builtin() -> None:
    with pytest.raises(DatasetError, match="no dataset file"):
        load_questions("/nonexistent/q.jsonl")
    with pytest.raises(DatasetError, match="wordproblems"):
        load_questions("builtin:nope")


def test_shipped_set_is_the_generator_output() -> None:
    assert SHIPPED.read_text() == shipped_text()
    shipped = load_questions("builtin:wordproblems")
    assert len(shipped) == 240
    assert {q.meta["difficulty"] for q in shipped} == {1, 2, 3, 4}
    assert [q.id for q in generate(9, seed=3)] == [q.id for q in generate(9, seed=3)]


def test_generated_answers_are_right() -> None:
    from overt.audit.freeform.wordproblems import apply

    for q in generate(60, seed=5):
        if q.meta["family"] == "arithmetic":
            value = q.meta["start"]
            for op in q.meta["ops"]:
                value = apply(value, op)
            assert q.option_text(q.answer) == str(value)
