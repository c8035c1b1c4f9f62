"""Metrics against hand-computed values."""

from __future__ import annotations

import pytest

from overt.audit import metrics as M


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
