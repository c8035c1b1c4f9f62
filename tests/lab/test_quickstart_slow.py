"""The quickstart's headline, reproduced end to end (slow: about 6 minutes on 2 cores)."""

from __future__ import annotations

import pytest

from overt.lab.experiment import PRESETS, ExperimentConfig, run_experiment
from overt.train.config import load_config


@pytest.mark.slow
def test_quickstart_headline(tmp_path):
    rows = run_experiment(
        load_config(ExperimentConfig, PRESETS / "quickstart.yaml"), tmp_path, progress=False
    )
    assert all(r.status == "ok" for r in rows)
    main = {
        (r.regime, r.layers): r for r in rows if r.variant == "" and r.task == "state(K=6,m=10)"
    }

    def read(regime: str, metric: str = "accuracy") -> float:
        value = main[(regime, 2)].value(metric)
        assert value is not None, f"{regime} has no {metric}"
        return value

    assert read("cot") >= 0.99
    assert read("no_cot") <= 0.2
    assert read("filler") <= 0.2
    assert read("cot", "early_answering_aoc") >= 0.5
    assert read("cot", "mistake_follow_rate") >= 0.9
