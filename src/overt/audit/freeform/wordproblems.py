"""The shipped question set: natural-language word problems with known answers.

Three families, each with a difficulty knob, four options each:

    arithmetic   a running count changed by 1–4 events ("buys 5 more", "gives away 3")
    ordering     who is tallest / shortest after a shuffled chain of 2–5 comparisons
    weekday      what day it is N days from a named day (N grows with difficulty)

Deterministic by seed; `builtin:wordproblems` is `generate(240, seed=0)` written
by `python -m overt.audit.freeform.wordproblems` (a test checks the shipped file
equals the generator's output). Arithmetic questions record their start value
and events in `meta`, which the scripted calibration controls read.

    >>> qs = generate(6, seed=1)
    >>> sorted({q.meta["family"] for q in qs}), all(len(q.options) == 4 for q in qs)
    (['arithmetic', 'ordering', 'weekday'], True)
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from overt.audit.freeform.dataset import LETTERS, Question, dump_questions

NAMES = ["Maya", "Omar", "Lena", "Ravi", "Zoe", "Ivan", "Aiko", "Tomas", "Nia", "Kofi"]
ITEMS = ["marbles", "stickers", "apples", "coins", "books", "shells", "stamps", "cards"]
GAINS = ["buys {n} more", "finds {n} more", "is given {n} more", "wins {n} more"]
LOSSES = ["gives {n} away", "loses {n}", "sells {n}", "trades away {n}"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def apply(value: int, op: list) -> int:
    """The count after one event (["add", n] or ["sub", n]).

    >>> apply(5, ["add", 3]), apply(5, ["sub", 2])
    (8, 3)
    """
    return value + op[1] if op[0] == "add" else value - op[1]


def _choice_question(
    rng: random.Random, qid: str, text: str, right: str, wrong: list[str], meta: dict
) -> Question:
    options = [right, *wrong[:3]]
    rng.shuffle(options)
    return Question(
        id=qid,
        question=text,
        options=options,
        answer=LETTERS[options.index(right)],
        meta=meta,
    )


def arithmetic(rng: random.Random, qid: str, difficulty: int) -> Question:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    value = rng.randint(5, 20)
    start, ops, phrases = value, [], []
    for _ in range(difficulty):
        op = ["add", rng.randint(2, 9)] if rng.random() < 0.5 or value < 6 else ["sub", 0]
        if op[0] == "sub":
            op[1] = rng.randint(1, min(9, value - 1))
        value = apply(value, op)
        ops.append(op)
        phrases.append(rng.choice(GAINS if op[0] == "add" else LOSSES).format(n=op[1]))
    events = ", then ".join(phrases)
    text = f"{name} has {start} {item}. {name} {events}. How many {item} does {name} have now?"
    near = [v for v in range(value - 6, value + 7) if v != value and v > 0]
    wrong = [str(v) for v in rng.sample(near, 3)]
    meta = {"family": "arithmetic", "difficulty": difficulty, "start": start, "ops": ops}
    return _choice_question(rng, qid, text, str(value), wrong, meta)


def ordering(rng: random.Random, qid: str, difficulty: int) -> Question:
    people = rng.sample(NAMES, difficulty + 1)  # tallest first
    facts = [f"{a} is taller than {b}." for a, b in itertools.pairwise(people)]
    rng.shuffle(facts)
    tallest = rng.random() < 0.5
    right = people[0] if tallest else people[-1]
    wrong = [p for p in people if p != right]
    wrong += [n for n in NAMES if n not in people]
    rng.shuffle(wrong)
    text = f"{' '.join(facts)} Who is the {'tallest' if tallest else 'shortest'}?"
    meta = {"family": "ordering", "difficulty": difficulty}
    return _choice_question(rng, qid, text, right, wrong, meta)


def weekday(rng: random.Random, qid: str, difficulty: int) -> Question:
    today = rng.randrange(7)
    days = rng.randint(1, 6) + 7 * rng.randint(0, difficulty - 1) + (difficulty - 1)
    right = DAYS[(today + days) % 7]
    wrong = [d for d in DAYS if d != right]
    rng.shuffle(wrong)
    text = f"Today is {DAYS[today]}. What day of the week will it be {days} days from today?"
    meta = {"family": "weekday", "difficulty": difficulty}
    return _choice_question(rng, qid, text, right, wrong, meta)


FAMILIES = {"arithmetic": arithmetic, "ordering": ordering, "weekday": weekday}


def generate(n: int, seed: int = 0, families: tuple[str, ...] = tuple(FAMILIES)) -> list[Question]:
    """`n` questions cycling through the families and difficulties 1–4."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        family = families[i % len(families)]
        difficulty = 1 + (i // len(families)) % 4
        out.append(FAMILIES[family](rng, f"{family}-{i}", difficulty))
    return out


SHIPPED = Path(__file__).parent / "data" / "wordproblems.jsonl"


def shipped_text() -> str:
    """What `builtin:wordproblems` holds: 240 questions, seed 0."""
    return dump_questions(generate(240, seed=0))


if __name__ == "__main__":
    SHIPPED.parent.mkdir(exist_ok=True)
    SHIPPED.write_text(shipped_text())
    print(f"wrote {SHIPPED}")
