"""The user's own questions: the `Dataset` file format of the free-form audit.

One question per JSONL line (or CSV row), fields:

    question     the question text (required)
    options      a list of answer options, for multiple choice (JSONL: a JSON list;
                 CSV: a JSON list or options separated by `|`); omit for open answers
    answer       the right answer: an option letter (A, B, ...) or the option's text
                 (multiple choice), or the answer text (open) (required)
    hint         optional text added to the prompt (the user's own hint)
    hint_answer  optional: the option (letter or text) the hint points to
    id           optional identifier (default: the line number)
    meta         optional JSON object carried into the report (e.g. difficulty)

Unknown fields are ignored. A line that cannot be read raises `DatasetError`
naming the file, the line number and the field:

    >>> import json, tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "q.jsonl"
    >>> _ = f.write_text(json.dumps({"question": "2+2?", "options": ["3", "4"], "answer": "4"}))
    >>> load_questions(f)[0].answer
    'B'
    >>> _ = f.write_text(json.dumps({"question": "2+2?"}))
    >>> load_questions(f)
    Traceback (most recent call last):
    ...
    overt.audit.freeform.dataset.DatasetError: ...q.jsonl line 1: missing required field 'answer'
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BUILTIN_PREFIX = "builtin:"


class DatasetError(ValueError):
    """A dataset file that cannot be read; the message names the line and the field."""


class Question(BaseModel):
    """One question of the user's data, normalised: answers of multiple choice are letters."""

    id: str = Field(description="Identifier (the line number when the file gives none).")
    question: str = Field(description="The question text.")
    options: list[str] = Field(default_factory=list, description="Options; empty: open answer.")
    answer: str = Field(description="The right option's letter, or the open answer's text.")
    hint: str | None = Field(None, description="The file's own hint text, if any.")
    hint_answer: str | None = Field(None, description="The option letter the hint points to.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Annotations from the file.")

    @property
    def letters(self) -> list[str]:
        """The option letters, A, B, ... (empty for an open question)."""
        return list(LETTERS[: len(self.options)])

    def option_text(self, letter: str) -> str:
        """The text of the option with this letter."""
        return self.options[LETTERS.index(letter)]


def _letter(value: Any, options: Sequence[str], where: str, field: str) -> str:
    """An option given as a letter or as its text → its letter."""
    text = str(value).strip()
    letters = LETTERS[: len(options)]
    if len(text) == 1 and text.upper() in letters:
        return text.upper()
    if text in options:
        return letters[list(options).index(text)]
    raise DatasetError(
        f"{where}: {field} {text!r} is neither an option letter ({letters[0]}–{letters[-1]}) "
        "nor the text of an option"
    )


def _options(raw: Any, where: str) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        raw = json.loads(raw) if raw.lstrip().startswith("[") else raw.split("|")
    if not isinstance(raw, list) or not all(isinstance(o, str | int | float) for o in raw):
        raise DatasetError(f"{where}: options must be a list of strings")
    options = [str(o).strip() for o in raw]
    if len(options) == 1 or len(options) > len(LETTERS):
        raise DatasetError(
            f"{where}: options must list 2–{len(LETTERS)} answers, got {len(options)}"
        )
    if len(set(options)) != len(options):
        raise DatasetError(f"{where}: options repeat an answer")
    return options


def parse_record(record: dict[str, Any], where: str, default_id: str) -> Question:
    """One row of the file → a `Question` (DatasetError naming `where` and the field)."""
    for field in ("question", "answer"):
        if record.get(field) in (None, ""):
            raise DatasetError(f"{where}: missing required field {field!r}")
    try:
        options = _options(record.get("options"), where)
    except json.JSONDecodeError as err:
        raise DatasetError(f"{where}: options is not a JSON list ({err.msg})") from None
    answer = str(record["answer"]).strip()
    if options:
        answer = _letter(answer, options, where, "answer")
    hint_answer = record.get("hint_answer")
    if hint_answer not in (None, ""):
        if not options:
            raise DatasetError(f"{where}: hint_answer needs options (multiple choice)")
        hint_answer = _letter(hint_answer, options, where, "hint_answer")
    meta = record.get("meta") or {}
    if isinstance(meta, str):
        meta = json.loads(meta)
    if not isinstance(meta, dict):
        raise DatasetError(f"{where}: meta must be a JSON object")
    return Question(
        id=str(record.get("id") or default_id),
        question=str(record["question"]).strip(),
        options=options,
        answer=answer,
        hint=str(record["hint"]) if record.get("hint") not in (None, "") else None,
        hint_answer=hint_answer or None,
        meta=meta,
    )


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) for every non-empty row of a JSONL or CSV file."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="") as fh:
            return [(i + 2, dict(row)) for i, row in enumerate(csv.DictReader(fh))]
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DatasetError(f"{path} line {number}: not JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise DatasetError(f"{path} line {number}: expected a JSON object")
        rows.append((number, record))
    return rows


def builtin_path(name: str) -> Path:
    """The shipped question set `name` (`builtin:wordproblems`)."""
    path = Path(__file__).parent / "data" / f"{name}.jsonl"
    if not path.is_file():
        shipped = sorted(p.stem for p in path.parent.glob("*.jsonl"))
        raise DatasetError(f"no built-in dataset {name!r}; choose from {', '.join(shipped)}")
    return path


def load_questions(spec: str | Path) -> list[Question]:
    """Every question of a JSONL / CSV file, or of a shipped set (`builtin:NAME`)."""
    text = str(spec)
    path = (
        builtin_path(text[len(BUILTIN_PREFIX) :]) if text.startswith(BUILTIN_PREFIX) else Path(text)
    )
    if not path.is_file():
        raise DatasetError(f"no dataset file {path}")
    questions = [
        parse_record(record, f"{path} line {number}", str(number)) for number, record in _rows(path)
    ]
    if not questions:
        raise DatasetError(f"{path} holds no questions")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{path}: question ids repeat ({len(ids) - len(set(ids))} duplicates)")
    return questions


def dump_questions(questions: Sequence[Question]) -> str:
    """JSONL text of questions, in the file format `load_questions` reads."""
    return "".join(
        json.dumps(q.model_dump(exclude_none=True, exclude_defaults=False)) + "\n"
        for q in questions
    )
