"""The quickstart's headline, reproduced end to end (slow: about 5 minutes on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from overt.lab.experiment import PRESETS, ExperimentConfig, run_experiment
from overt.lab.results import CellResult
from overt.train.config import load_config


def read(row: CellResult, metric: str = "accuracy") -> float:
    value = row.value(metric)
    assert value is not None, f"{row.task} {row.regime} has no {metric}"
    return value


@pytest.mark.slow
def test_quickstart_headline(tmp_path: Path) -> None:
    rows = run_experiment(
        load_config(ExperimentConfig, PRESETS / "quickstart.yaml"), tmp_path, progress=False
    )
    assert all(r.status == "ok" for r in rows)
    main = {
        r.regime: r
        for r in rows
        if r.variant == "" and r.task == "state(K=6,m=10)" and r.layers == 2
    }
    assert read(main["cot"]) >= 0.99
    assert read(main["no_cot"]) <= 0.2
    assert read(main["filler"]) <= 0.2
    assert read(main["cot"], "early_answering_aoc") >= 0.5
    assert read(main["cot"], "mistake_follow_rate") >= 0.9
    assert main["cot"].stopped_early and not main["no_cot"].stopped_early
    grokking = {r.task: r for r in rows if r.variant == "grokking recipe"}
    assert read(grokking["state(K=1,m=10)"]) >= 0.9  # one forward pass learns K=1 ...
    assert read(grokking["state(K=2,m=10)"]) <= 0.2  # ... and only K=1
