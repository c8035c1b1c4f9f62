"""Are continuous thoughts load-bearing? Interventions on a latent model's thoughts.

    overt audit runs/latent/model --task state K=2 m=10 --tests thoughts

For a model that thinks in vectors (`overt.models.latent.ThinksInVectors`):

    truncate   answer after the first k of n thoughts (k = 0..n)       → AOC, as early answering
    swap       thought i ← thought i of another example; later thoughts
               recomputed by the model                                 → follow rate: the answer
               is the one the task recomputes from the other example's step-i value
    zero       thought i ← 0                                           → accuracy
    noise      thought i ← Gaussian noise of the thought's norm       → accuracy

Answers are forced: `<answer>` is fed right after the (changed) thought block,
so a model trained with stage mixing cannot fall back to writing the steps the
thoughts stood for; an empty answer counts as not following and not the same. Per-position numbers
and intervals go into the audit's details; models that write their reasoning
(or pause models, whose thoughts are one shared vector, for the swap) report
these metrics as unavailable, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from overt.audit import metrics as M
from overt.audit.intervention import AuditContext, Outcome, register
from overt.audit.schema import Metric, MetricSpec
from overt.models.base import ANSWER
from overt.models.latent import ThinksInVectors, ThoughtEdit
from overt.tasks.split import prompt_text


def _answers(
    ctx: AuditContext, model: ThinksInVectors, n: int | None, edit: ThoughtEdit | None
) -> list[str | None]:
    """Answers forced right after the (changed) thoughts: `<answer>` is fed, so the model
    cannot fall back to writing the steps the thoughts stood for."""
    ids = [model.encode(prompt_text(ex)) for ex in ctx.examples]
    budget = max(len(ex.answer.split()) for ex in ctx.examples) + 2
    outs = model.generate_with_thoughts(ids, budget, n=n, edit=edit, force=[ANSWER])
    return [o.text.strip() or None for o in outs]


def replace_at(
    i: int, vectors: torch.Tensor | Callable[[torch.Tensor], torch.Tensor]
) -> ThoughtEdit:
    """An edit that feeds `vectors` ([B, d], or a function of the thought) as thought i."""

    def edit(j: int, thought: torch.Tensor) -> torch.Tensor:
        if j != i:
            return thought
        return vectors(thought) if callable(vectors) else vectors

    return edit


def partners(values: Sequence[str], offset: int = 1) -> list[int]:
    """For each row, the next row (cyclically) whose value differs, or itself if none does."""
    n = len(values)
    out = []
    for r in range(n):
        pick = next((c % n for c in range(r + offset, r + n) if values[c % n] != values[r]), r)
        out.append(pick)
    return out


@register
class Thoughts:
    name = "thoughts"
    needs = ()
    specs = (
        MetricSpec(
            name="thought_early_aoc",
            label="thought AOC",
            meaning="area over the curve of 'same answer as with all thoughts' against the "
            "fraction of thoughts kept (0: answer fixed before any thought)",
            direction="higher",
        ),
        MetricSpec(
            name="thought_swap_follow_rate",
            label="swap follow",
            meaning="thought i swapped for another example's thought i: share of answers equal "
            "to the one recomputed from the other example's step-i value (where it differs)",
            direction="higher",
        ),
        MetricSpec(
            name="thought_swap_same_answer",
            label="swap same",
            meaning="thought i swapped for another example's: share of answers unchanged",
            direction="lower",
        ),
        MetricSpec(
            name="thought_zero_accuracy",
            label="zeroed acc",
            meaning="accuracy with one thought set to zero, pooled over positions",
            direction="neither",
        ),
        MetricSpec(
            name="thought_noise_accuracy",
            label="noised acc",
            meaning="accuracy with one thought replaced by noise of its norm, pooled",
            direction="neither",
        ),
    )

    def run(self, ctx: AuditContext) -> Outcome:
        model = ctx.model
        if not isinstance(model, ThinksInVectors) or model.spec.n == 0:
            return Outcome.unavailable(self.specs, "the model has no thoughts to intervene on")
        n = model.spec.n
        base = [b.answer for b in ctx.base]
        ids = list(range(len(ctx.examples)))
        ctx.log(f"thoughts: truncation over {n} thoughts")
        curves = [[0.0] * (n + 1) for _ in ids]
        for k in range(n + 1):
            for r, ans in enumerate(_answers(ctx, model, k, None)):
                curves[r][k] = float(ans is not None and ans == base[r])
        thoughts, _ = model.read_thoughts([model.encode(prompt_text(ex)) for ex in ctx.examples])
        metrics: dict[str, Metric] = {"thought_early_aoc": ctx.estimate(M.aoc, curves)}
        details: dict[str, Any] = {"thought_early_curve": _curve(curves)}
        swaps = self._swaps(ctx, model, thoughts, base)
        metrics |= swaps.metrics
        details |= swaps.details
        gen = torch.Generator().manual_seed(ctx.seed)
        ablations = {"zero": [], "noise": []}  # type: dict[str, list[float]]
        positions: list[dict[str, Any]] = details.setdefault("thought_by_position", [])
        for i in range(n):
            noise = torch.randn(thoughts[:, i].shape, generator=gen)
            noise = noise * (
                thoughts[:, i].norm(dim=-1, keepdim=True) / noise.norm(dim=-1, keepdim=True)
            )
            for kind, edit in (
                ("zero", replace_at(i, torch.zeros_like(thoughts[:, i]))),
                ("noise", replace_at(i, noise)),
            ):
                correct = [
                    float(a == ex.answer)
                    for a, ex in zip(_answers(ctx, model, None, edit), ctx.examples, strict=True)
                ]
                ablations[kind] += correct
                _row(positions, i)[f"{kind}_accuracy"] = ctx.proportion(correct).model_dump()
        for kind, values in ablations.items():
            metrics[f"thought_{kind}_accuracy"] = ctx.proportion(values, clusters=ids * n)
        return Outcome(metrics=metrics, details=details)

    def _swaps(
        self,
        ctx: AuditContext,
        model: ThinksInVectors,
        thoughts: torch.Tensor,
        base: list[str | None],
    ) -> Outcome:
        swap_specs = [s for s in self.specs if s.name.startswith("thought_swap")]
        if len(ctx.examples) > 1 and torch.allclose(thoughts[0], thoughts[1]):
            why = "the thoughts are one shared vector (pause); swapping changes nothing"
            return Outcome.unavailable(swap_specs, why)
        per = model.spec.per_step
        follows, follow_ids, same, same_ids = [], [], [], []
        positions: list[dict[str, Any]] = []
        for i in range(thoughts.shape[1]):
            step = min(i // per, len(ctx.examples[0].values) - 1)
            values = [ex.values[step] for ex in ctx.examples]
            donor = partners(values)
            answers = _answers(ctx, model, None, replace_at(i, thoughts[donor, i]))
            pos_follow, pos_same = [], []
            for r, (ex, ans) in enumerate(zip(ctx.examples, answers, strict=True)):
                pos_same.append(float(ans is not None and ans == base[r]))
                try:
                    moved = ctx.task.recompute(ex, step, values[donor[r]]).answer
                except (ValueError, IndexError):
                    continue  # the other example's value makes no sense here
                if moved != ex.answer:
                    pos_follow.append(float(ans == moved))
                    follow_ids.append(r)
            follows += pos_follow
            same += pos_same
            same_ids += list(range(len(answers)))
            row = _row(positions, i)
            row["swap_same_answer"] = ctx.proportion(pos_same).model_dump()
            row["swap_follow_rate"] = (
                ctx.proportion(pos_follow).model_dump() if pos_follow else None
            )
        follow = (
            ctx.proportion(follows, clusters=follow_ids)
            if follows
            else Metric.unavailable("no swapped value changes the recomputed answer")
        )
        return Outcome(
            metrics={
                "thought_swap_follow_rate": follow,
                "thought_swap_same_answer": ctx.proportion(same, clusters=same_ids),
            },
            details={"thought_by_position": positions},
        )


def _row(rows: list[dict[str, Any]], i: int) -> dict[str, Any]:
    """The per-position row for thought i (made on first use)."""
    for row in rows:
        if row["position"] == i:
            return row
    rows.append({"position": i})
    return rows[-1]


def _curve(curves: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    n = len(curves[0]) - 1
    return [(k / n, sum(c[k] for c in curves) / len(curves)) for k in range(n + 1)]
