"""`mult`: n×n multiplication in the implicit-CoT papers' digit-reversed format.

All numbers are written least-significant digit first. For digit i of b the step
is the partial product a·b_i·10^i, reversed and zero-padded to n+1+i digits;
steps i >= 1 are introduced by "+" (the separator) and steps 1 <= i <= n-2 are
followed by "( running sum )" padded likewise. The answer is padded to 2n
digits. For 3×3 the reasoning is 24 tokens, as in Deng et al.:

    prompt     5 6 2 * 3 1 4          (265 * 413)
    reasoning  5 9 7 0 + 0 5 6 2 0 ( 5 4 4 3 0 ) + 0 0 0 6 0 1
    answer     5 4 4 9 0 1            (109445)

A step's value is its partial product's digits; changing it changes the running
sums and the answer, which stay the sum of the partial products as written.
Knob: n (1..9).

    >>> from overt.tasks import get_task
    >>> t = get_task("mult", n=3)
    >>> ex = t.examples(1, seed=0)[0]
    >>> len(t.render_reasoning(ex.steps).split())
    24
"""

from __future__ import annotations

import random

from overt.tasks.base import Example, Task


def _rev(value: int, width: int) -> str:
    """`value` as `width` digits, least significant first, space-separated."""
    return " ".join(reversed(str(value).zfill(width)[-width:]))


def _unrev(digits: str) -> int:
    return int("".join(reversed(digits.split())))


class MultTask(Task):
    name = "mult"
    params = {"n": (1, 9)}
    defaults = {"n": 4}
    sep = "+"

    def num_answers(self) -> int:
        return 10 ** (2 * self.p["n"])

    def prompt_space(self) -> int:
        n = self.p["n"]
        return 100 if n == 1 else (9 * 10 ** (n - 1)) ** 2

    def _generate(self, rng: random.Random) -> Example:
        n = self.p["n"]
        a, b = (rng.randrange(10 ** (n - 1) if n > 1 else 0, 10**n) for _ in range(2))
        b_digits = [int(d) for d in reversed(str(b).zfill(n))]
        partials = [a * d * 10**i for i, d in enumerate(b_digits)]
        prompt = f"{_rev(a, n)} * {_rev(b, n)}"
        values = [_rev(p, n + 1 + i) for i, p in enumerate(partials)]
        return self._build(prompt, values, {"a": a, "b": b})

    def _build(self, prompt: str, values: list[str], state: dict) -> Example:
        n = self.p["n"]
        steps, total = [], 0
        for i, value in enumerate(values):
            total += _unrev(value)
            step = value
            if 1 <= i <= n - 2:
                step += f" ( {_rev(total, n + 1 + i)} )"
            steps.append(step)
        return Example(
            task=self.name,
            prompt=prompt,
            steps=steps,
            values=values,
            answer=_rev(total % 10 ** (2 * n), 2 * n),
            state=state,
        )

    def _recompute(self, example: Example, index: int, value: str) -> Example:
        width = self.p["n"] + 1 + index
        digits = value.split()
        if len(digits) != width or not all(d.isdigit() for d in digits):
            raise ValueError(f"step {index} value must be {width} digits, got {value!r}")
        values = [*example.values[:index], value, *example.values[index + 1 :]]
        return self._build(example.prompt, values, example.state)

    def alternatives(self, example: Example, index: int) -> list[str]:
        """The partial product with one digit changed (each position, +1 mod 10)."""
        digits = example.values[index].split()
        out = []
        for j, d in enumerate(digits):
            changed = [*digits[:j], str((int(d) + 1) % 10), *digits[j + 1 :]]
            out.append(" ".join(changed))
        return out

    def step_value(self, step: str) -> str | None:
        words = step.split("(")[0].split()
        return " ".join(words) if words else None

    def _vocab(self) -> set[str]:
        return {str(d) for d in range(10)} | {"*", "(", ")"}
