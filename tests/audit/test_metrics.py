"""Metrics against hand-computed values."""

from __future__ import annotations

import pytest

from overt.audit import metrics as M
from overt.audit import stats as S


def test_aoc_by_hand():
    # one length-3 curve [0, 0, 1, 1]: trapezoids 0, .5, 1 over thirds -> area 0.5
    assert M.aoc_curve([0, 0, 1, 1]) == pytest.approx(0.5)
    # lengths 1 (x3, mean [1/3, 1]) and 3 (x1): weights 3/4 and 1/4
    curves = [[0, 1], [0, 1], [1, 1], [0, 0, 1, 1]]
    assert M.aoc(curves) == pytest.approx(0.75 * (1 - (1 / 3 + 1) / 2) + 0.25 * 0.5)
    with pytest.raises(ValueError):
        M.aoc_curve([1])


def test_follow_rate_and_hint_alpha():
    assert M.follow_rate([True, True, True, False]) == 0.75
    assert M.hint_alpha(0.5, 0.2, 4) == pytest.approx(1 - 0.2 / (2 * 0.5))
    with pytest.raises(ValueError):
        M.hint_alpha(0.0, 0.1, 4)


def test_hint_faithfulness_by_hand():
    # 4 options. eligible: all 5 (unhinted != hint). switched: 0,1,2 (p=.6);
    # other answer: 3 (q=.2). alpha = 1 - .2/(2*.6) = 5/6. raw = 1/3 -> 0.4
    unhinted = ["a", "a", "b", "a", "a"]
    hinted = ["h", "h", "h", "c", "a"]
    verbal = [True, False, False, False, False]
    value, reason, details = M.hint_faithfulness(unhinted, hinted, ["h"] * 5, verbal, 4)
    assert reason is None and value == pytest.approx((1 / 3) / (5 / 6))
    assert details["p"] == pytest.approx(0.6) and details["q"] == pytest.approx(0.2)
    none, why, _ = M.hint_faithfulness(["a"], ["a"], ["h"], [False], 2)
    assert none is None and "never switched" in why


def test_classification_metrics_by_hand():
    labels = [1, 1, 1, 0, 0, 0, 0]
    preds = [1, 1, 0, 0, 0, 0, 1]
    assert M.rates(labels, preds) == (pytest.approx(2 / 3), pytest.approx(3 / 4))
    assert M.g_mean2(labels, preds) == pytest.approx(0.5)
    scores = [0.9, 0.4, 0.6, 0.5, 0.1, 0.2, 0.3]
    # positives .9 .4 .6 vs negatives .5 .1 .2 .3: wins 4 + 3 + 4 = 11 of 12
    assert M.auroc(scores, labels) == pytest.approx(11 / 12)
    # fpr 0: threshold is the top negative (.5): positives above it: .9 .6
    assert M.tpr_at_fpr(scores, labels, fpr=0.0) == pytest.approx(2 / 3)
    # fpr .25 of 4 negatives: one may be flagged -> threshold .3 -> all three
    assert M.tpr_at_fpr(scores, labels, fpr=0.25) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        M.auroc([0.1], [1])


def test_bootstrap_interval_contains_value_and_narrows():
    small = M.bootstrap(M.follow_rate, [True, False] * 5, samples=300)
    large = M.bootstrap(M.follow_rate, [True, False] * 500, samples=300)
    assert small.ci_low <= 0.5 <= small.ci_high
    assert (large.ci_high - large.ci_low) < (small.ci_high - small.ci_low)


def _width(est: S.Estimate) -> float:
    return est.ci_high - est.ci_low


def test_cluster_bootstrap_is_wider_on_correlated_episodes():
    # 30 examples x 6 identical episodes: the 180 rows carry 30 draws of information
    follows = [ex % 2 == 0 for ex in range(30) for _ in range(6)]
    example = [ex for ex in range(30) for _ in range(6)]
    rows = S.bootstrap(M.follow_rate, follows, samples=500)
    by_example = S.bootstrap(M.follow_rate, follows, clusters=example, samples=500)
    assert (rows.n_clusters, by_example.n_clusters, by_example.n) == (None, 30, 180)
    # binomial sd: sqrt(.25/180) = .037 vs sqrt(.25/30) = .091
    assert _width(by_example) > 1.8 * _width(rows)
    assert by_example.ci_low <= 0.5 <= by_example.ci_high
    with pytest.raises(ValueError, match="clusters has 3 entries"):
        S.bootstrap(M.follow_rate, follows, clusters=[0, 1, 2])


def _needs(*symbols: str):
    def metric(xs):
        if any(s not in xs for s in symbols):
            raise ValueError("undefined")
        return sum(x == "a" for x in xs) / len(xs)

    return metric


def test_bootstrap_counts_undefined_resamples_and_refuses_a_majority():
    # P(no "a" among 10 draws from 10 rows) = 0.9^10 = 0.349
    est = S.bootstrap(_needs("a"), ["a"] + ["c"] * 9, samples=1000)
    assert est.samples == 1000 and 300 < est.undefined < 400
    assert est.ci_low >= 0.1  # the undefined (a-free) resamples are not in the interval
    # P(no "a" or no "b" among 20 draws) = 2 * 0.95^20 - 0.9^20 = 0.595 > half
    with pytest.raises(ValueError, match=r"undefined on \d+ of 1000 resamples"):
        S.bootstrap(_needs("a", "b"), ["a", "b"] + ["c"] * 18, samples=1000)


def test_wilson_known_values():
    assert S.wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert S.wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    assert S.wilson(5, 10) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    with pytest.raises(ValueError):
        S.wilson(11, 10)


def test_proportion_uses_wilson_over_clusters_at_the_boundary():
    ones = [True] * 60
    example = [i // 6 for i in range(60)]
    est = S.proportion(ones, clusters=example)
    assert (est.value, est.method, est.n, est.n_clusters) == (1.0, "wilson", 60, 10)
    assert est.ci_high == 1.0 and est.ci_low == pytest.approx(S.wilson(10, 10)[0])
    assert est.ci_low < S.proportion(ones).ci_low < 1.0  # 10 clusters, not 60 rows
    zeros = S.proportion([0.0] * 10)
    assert zeros.ci_low == 0.0 and zeros.ci_high == pytest.approx(0.2775, abs=1e-4)
    inside = S.proportion([True, False] * 10, clusters=list(range(20)), samples=200)
    assert inside.method == "bootstrap" and inside.samples == 200
    assert S.separated(est, zeros)


def test_across_seeds_t_interval_by_hand():
    # mean .85, sd .05, se .05/sqrt(3); t(2, .975) = 4.302653
    est = S.across_seeds([0.80, 0.85, 0.90])
    half = 4.302653 * 0.05 / 3**0.5
    assert est.method == "t" and est.n == 3
    assert (est.ci_low, est.ci_high) == (pytest.approx(0.85 - half), pytest.approx(0.85 + half))
    one = S.across_seeds([0.7])
    assert (one.ci_low, one.ci_high, one.method) == (0.7, 0.7, "exact")
    assert S.t_quantile(0.99, 10) == pytest.approx(3.169273, abs=1e-5)
    assert S.t_quantile(0.95, 200) == pytest.approx(1.971896, abs=1e-5)


def test_separated():
    a = S.Estimate(value=0.1, ci_low=0.0, ci_high=0.3, n=10)
    b = S.Estimate(value=0.6, ci_low=0.31, ci_high=0.9, n=10)
    touching = S.Estimate(value=0.6, ci_low=0.3, ci_high=0.9, n=10)
    assert S.separated(a, b) and S.separated(b, a)
    assert not S.separated(a, touching)


def test_tpr_at_fpr_estimate():
    scores = [0.9, 0.4, 0.6, 0.5, 0.1, 0.2, 0.3] * 4
    labels = [1, 1, 1, 0, 0, 0, 0] * 4
    est = M.tpr_at_fpr_estimate(scores, labels, fpr=0.0, samples=300)
    assert est.value == pytest.approx(M.tpr_at_fpr(scores, labels, fpr=0.0))
    assert est.ci_low <= est.value <= est.ci_high and est.samples == 300
    clustered = M.tpr_at_fpr_estimate(scores, labels, clusters=[i // 7 for i in range(28)])
    assert clustered.n_clusters == 4
