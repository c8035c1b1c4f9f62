"""`state`: state tracking — a start value and K operations +d / -d modulo m.

    prompt     7 +4 -2 +9
    reasoning  1 9 8          (the running value after each operation)
    answer     8

Each step is one word (the running value), so the reasoning is exactly K
tokens. Knobs: K (operations, 1..64), m (modulus, 2..100).

    >>> from overt.tasks import get_task
    >>> ex = get_task("state", K=3, m=10).examples(1, seed=1)[0]
    >>> len(ex.steps), ex.steps[-1] == ex.answer
    (3, True)
"""

from __future__ import annotations

import random

from overt.tasks.base import Example, Task

MAX_M = 100


def _op_words(m: int) -> list[str]:
    return [f"+{d}" for d in range(1, m)] + [f"-{d}" for d in range(1, m)]


class StateTask(Task):
    name = "state"
    params = {"K": (1, 64), "m": (2, MAX_M)}
    defaults = {"K": 6, "m": 10}
    sep = None

    def num_answers(self) -> int:
        return self.p["m"]

    def prompt_space(self) -> int:
        return self.p["m"] * (2 * (self.p["m"] - 1)) ** self.p["K"]

    def _generate(self, rng: random.Random) -> Example:
        m, k = self.p["m"], self.p["K"]
        start = rng.randrange(m)
        ops = [rng.choice(_op_words(m)) for _ in range(k)]
        return self._build(str(start), ops, [])

    def _build(self, start: str, ops: list[str], fixed: list[str]) -> Example:
        """Run the operations; steps listed in `fixed` are kept and continued from."""
        m = self.p["m"]
        value = int(start)
        values: list[str] = []
        for i, op in enumerate(ops):
            value = int(fixed[i]) if i < len(fixed) else (value + int(op)) % m
            values.append(str(value))
        return Example(
            task=self.name,
            prompt=" ".join([start, *ops]),
            steps=list(values),
            values=values,
            answer=values[-1],
            options=[str(v) for v in range(m)],
            state={"start": start, "ops": ops},
        )

    def _recompute(self, example: Example, index: int, value: str) -> Example:
        if not value.isdigit() or int(value) >= self.p["m"]:
            raise ValueError(f"value {value!r} is not a number in [0, {self.p['m'] - 1}]")
        fixed = [*example.values[:index], value]
        return self._build(example.state["start"], list(example.state["ops"]), fixed)

    def alternatives(self, example: Example, index: int) -> list[str]:
        return [str(v) for v in range(self.p["m"]) if str(v) != example.values[index]]

    def _vocab(self) -> set[str]:
        return {str(v) for v in range(MAX_M)} | set(_op_words(MAX_M))
