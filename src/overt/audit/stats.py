"""Interval estimates for the audit's metrics: cluster bootstrap, Wilson, Student t.

Pure functions, no scipy. `bootstrap` resamples whole clusters (e.g. all
mistake episodes of one example) so correlated rows do not narrow the
interval; `proportion` falls back to a Wilson interval where a percentile
bootstrap would collapse (observed 0 or 1); `across_seeds` gives a t interval
over independent training seeds; `separated` tests two intervals for overlap.
Run the doctests with `pytest src/overt/audit/stats.py`.

    >>> [round(x, 4) for x in wilson(0, 10)]
    [0.0, 0.2775]
    >>> across_seeds([0.8, 0.85, 0.9]).method
    't'
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from statistics import NormalDist
from typing import Any, Literal

from pydantic import BaseModel, Field

Method = Literal["bootstrap", "wilson", "exact", "t"]


class Estimate(BaseModel):
    """A metric's point value with its confidence interval and how it was made."""

    value: float = Field(description="The metric on the full data.")
    ci_low: float = Field(description="Lower end of the confidence interval.")
    ci_high: float = Field(description="Upper end of the confidence interval.")
    n: int = Field(description="Rows (episodes, examples or seeds) the value rests on.")
    undefined: int = Field(
        0, description="Bootstrap resamples on which the metric was undefined (left out)."
    )
    samples: int = Field(0, description="Bootstrap resamples attempted (0: no bootstrap).")
    method: Method = Field(
        "bootstrap",
        description="bootstrap: percentile over resamples; wilson: Wilson score interval; "
        "t: Student t across seeds; exact: a single value, no spread measured.",
    )
    n_clusters: int | None = Field(
        None, description="Independent clusters resampled; None when rows were resampled."
    )


def mean(xs: Sequence[float]) -> float:
    """Arithmetic mean; ValueError on an empty sequence.

    >>> mean([True, False, True, True])
    0.75
    """
    if not xs:
        raise ValueError("mean of nothing")
    return sum(xs) / len(xs)


def _groups(n: int, clusters: Sequence[Hashable] | None) -> list[list[int]]:
    """Row indices grouped by cluster id, in order of first appearance
    (one group per row when `clusters` is None)."""
    if clusters is None:
        return [[i] for i in range(n)]
    if len(clusters) != n:
        raise ValueError(f"clusters has {len(clusters)} entries but the columns have {n} rows")
    groups: dict[Hashable, list[int]] = {}
    for i, c in enumerate(clusters):
        groups.setdefault(c, []).append(i)
    return list(groups.values())


def bootstrap(
    metric: Callable[..., float],
    *columns: Sequence[Any],
    clusters: Sequence[Hashable] | None = None,
    samples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Estimate:
    """`metric(*columns)` with a percentile interval from resampling with replacement.

    Without `clusters` each row is resampled on its own. With `clusters` (one
    id per row) whole clusters are drawn, as many as there are, and all their
    rows go in together, so rows that share a cluster count as one draw.

    A resample on which `metric` raises ValueError is undefined: it is counted
    in `Estimate.undefined` and the interval is the percentile interval of the
    defined resamples. When more than half of the resamples are undefined the
    interval would describe a minority of worlds, so this raises ValueError
    "undefined on X of N resamples" for the caller to report the metric as
    unavailable with that reason. A metric undefined on the full data raises
    its own ValueError.

    >>> est = bootstrap(mean, [True] * 8 + [False] * 2, samples=200)
    >>> est.value, est.ci_low <= est.value <= est.ci_high, est.samples
    (0.8, True, 200)
    >>> bootstrap(mean, [1, 0, 1, 1], clusters=["a", "a", "b", "b"]).n_clusters
    2
    """
    if not columns or not len(columns[0]):
        raise ValueError("bootstrap needs at least one row")
    n = len(columns[0])
    if any(len(col) != n for col in columns):
        raise ValueError(f"bootstrap columns differ in length: {[len(c) for c in columns]}")
    if samples < 1 or not 0 < level < 1:
        raise ValueError(f"bootstrap needs samples ≥ 1 and 0 < level < 1 (got {samples}, {level})")
    groups = _groups(n, clusters)
    value = metric(*columns)
    rng = random.Random(seed)
    stats: list[float] = []
    for _ in range(samples):
        drawn = [groups[rng.randrange(len(groups))] for _ in groups]
        idx = [i for group in drawn for i in group]
        try:
            stats.append(metric(*[[col[i] for i in idx] for col in columns]))
        except ValueError:
            continue
    undefined = samples - len(stats)
    if 2 * undefined > samples:
        raise ValueError(f"undefined on {undefined} of {samples} resamples")
    stats.sort()
    return Estimate(
        value=value,
        ci_low=stats[int((1 - level) / 2 * (len(stats) - 1))],
        ci_high=stats[int((1 + level) / 2 * (len(stats) - 1))],
        n=n,
        undefined=undefined,
        samples=samples,
        n_clusters=None if clusters is None else len(groups),
    )


def wilson(successes: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; non-degenerate at 0 and n.

    >>> [round(x, 4) for x in wilson(10, 10)]
    [0.7225, 1.0]
    """
    if n < 1 or not 0 <= successes <= n or not 0 < level < 1:
        raise ValueError(
            f"wilson needs n ≥ 1, 0 ≤ successes ≤ n, 0 < level < 1 (got {successes}, {n}, {level})"
        )
    z = NormalDist().inv_cdf((1 + level) / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact 0 and 1 at the ends,
    high = 1.0 if successes == n else min(1.0, centre + half)  # free of rounding error
    return low, high


def proportion(
    values: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    samples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Estimate:
    """Mean of 0/1 (or [0, 1]) values with a (cluster) bootstrap interval, or a
    Wilson interval when the observed proportion is exactly 0 or 1, where every
    resample gives the same value and the percentile interval collapses. The
    Wilson n is the number of clusters (rows when unclustered): conservative
    when rows within a cluster are correlated.

    >>> est = proportion([True] * 20, clusters=[i // 2 for i in range(20)])
    >>> est.method, est.n, est.n_clusters, round(est.ci_low, 4)
    ('wilson', 20, 10, 0.7225)
    >>> proportion([True, False] * 10).method
    'bootstrap'
    """
    if any(not 0 <= v <= 1 for v in values):
        raise ValueError("proportion needs values in [0, 1]")
    p = mean(values)
    if 0 < p < 1:
        return bootstrap(mean, values, clusters=clusters, samples=samples, level=level, seed=seed)
    k = len(_groups(len(values), clusters))
    low, high = wilson(p * k, k, level)
    return Estimate(
        value=p,
        ci_low=low,
        ci_high=high,
        n=len(values),
        method="wilson",
        n_clusters=None if clusters is None else k,
    )


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with integer `df` (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:
        term, total = math.cos(theta), 0.0
        for k in range(3, df + 1, 2):
            total += term
            term *= c2 * (k - 1) / k
        return (2 / math.pi) * (theta + s * total) if df > 1 else 2 * theta / math.pi
    term, total = 1.0, 0.0
    for k in range(2, df + 1, 2):
        total += term
        term *= c2 * (k - 1) / k
    return s * total


def t_quantile(level: float, df: int) -> float:
    """Two-sided Student t critical value: P(|T| ≤ t) = level, by bisection on the
    exact integer-df distribution function.

    >>> [round(t_quantile(0.95, df), 3) for df in (1, 2, 5, 30)]
    [12.706, 4.303, 2.571, 2.042]
    """
    if df < 1 or not 0 < level < 1:
        raise ValueError(f"t_quantile needs df ≥ 1 and 0 < level < 1 (got {df}, {level})")
    low, high = 0.0, 1.0
    while _t_two_sided(high, df) < level:
        low, high = high, 2 * high
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if _t_two_sided(mid, df) < level else (low, mid)
    return (low + high) / 2


def across_seeds(values: Sequence[float], level: float = 0.95) -> Estimate:
    """Mean over independent seeds with a Student t interval (method "t").

    With a single seed there is no between-seed spread to measure: the interval
    is the value itself and the method "exact" says so (it is not a claim of
    zero uncertainty).

    >>> across_seeds([0.5]).model_dump(include={"ci_low", "ci_high", "method"})
    {'ci_low': 0.5, 'ci_high': 0.5, 'method': 'exact'}
    """
    m = mean(values)
    n = len(values)
    if n == 1:
        return Estimate(value=m, ci_low=m, ci_high=m, n=1, method="exact")
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    half = t_quantile(level, n - 1) * sd / math.sqrt(n)
    return Estimate(value=m, ci_low=m - half, ci_high=m + half, n=n, method="t")


def separated(a: Estimate, b: Estimate) -> bool:
    """True when the two intervals do not overlap (touching counts as overlap).

    >>> lo = Estimate(value=0.1, ci_low=0.0, ci_high=0.2, n=10)
    >>> hi = Estimate(value=0.9, ci_low=0.8, ci_high=1.0, n=10)
    >>> separated(lo, hi), separated(lo, lo)
    (True, False)
    """
    return a.ci_high < b.ci_low or b.ci_high < a.ci_low
