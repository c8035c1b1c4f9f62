"""Regimes: one registration is enough to configure, train, plot and head-line a new one."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from overt.lab.experiment import ExperimentConfig, cell_id, run_experiment
from overt.lab.headline import headline
from overt.models.lab import LabModel, ModelMeta
from overt.report.plots import _style
from overt.tasks import Example, Task, get_task
from overt.train.config import ConfigError, TrainConfig, load_config
from overt.train.data import target_text
from overt.train.plan import TextPlan
from overt.train.regimes import REGISTRY, Style, WrittenRegime, register, written
from overt.train.sft import plan_for


@register
class Backwards(WrittenRegime):
    name = "backwards"
    help = "prompt → steps in reverse order → answer"
    style = Style("#8c564b", "*", "--")

    def target(self, task: Task, example: Example) -> str:
        return written(task.render_reasoning(example.steps[::-1]), example)


TINY_TRAIN = {
    "steps": 40,
    "batch_size": 16,
    "eval_examples": 20,
    "log_every": 5,
    "checkpoint_every": 0,
    "model": {"d_model": 32, "heads": 2},
}


def test_a_regime_registered_once_trains_through_the_experiment_path(tmp_path):
    config = ExperimentConfig.model_validate(
        {
            "name": "toy",
            "grids": [
                {
                    "tasks": [{"name": "state", "params": {"K": 3, "m": 10}}],
                    "regimes": ["backwards"],
                    "sizes": [{"layers": 1, "d_model": 32}],
                }
            ],
            "train": TINY_TRAIN,
            "workers": 1,
            "audit": [],
        }
    )
    (cfg,) = config.cells()
    task = cfg.task.build()
    torch.manual_seed(cfg.seed)
    before = plan_for(cfg, task).create(ModelMeta())
    (row,) = run_experiment(config, tmp_path, progress=False)
    assert row.status == "ok", row.error
    assert row.regime == "backwards"
    assert row.first_loss is not None and row.final_loss is not None
    assert row.final_loss < 0.7 * row.first_loss
    after = LabModel.load(tmp_path / str(row.model_dir))
    for (name, p0), (_, p1) in zip(
        before.model.named_parameters(), after.model.named_parameters(), strict=True
    ):
        assert not torch.equal(p0, p1), f"{name} did not change"
    assert after.meta.regime == "backwards"
    saved = yaml.safe_load((tmp_path / "cells" / cell_id(cfg) / "config.yaml").read_text())
    assert saved["regime"] == "backwards"
    assert "backwards" in headline([row])[0]


def test_the_registration_is_what_every_part_reads():
    task = get_task("state", K=3, m=10)
    ex = task.examples(1, seed="toy")[0]
    assert target_text(task, ex, "backwards") == f"{' '.join(ex.steps[::-1])} <answer> {ex.answer}"
    assert _style("backwards") == ("#8c564b", "*", "--")
    cfg = load_config(TrainConfig, None, ["regime=backwards"])
    assert isinstance(plan_for(cfg, task), TextPlan)
    assert list(REGISTRY)[:2] == ["no_cot", "cot"]


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register(Backwards)


def test_unknown_regime_is_named_with_a_suggestion_and_the_registered_ones(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(TrainConfig, None, ["regime=backward"])
    message = str(err.value)
    assert message.startswith("regime: unknown regime 'backward'; did you mean 'backwards'?")
    assert "no_cot, cot, filler" in message
    grid = {"tasks": [{"name": "state"}], "regimes": ["cto"], "sizes": [{"layers": 1}]}
    path = tmp_path / "grid.yaml"
    path.write_text(json.dumps({"grids": [grid]}))
    with pytest.raises(
        ConfigError, match=r"grids\.0\.regimes\.0: unknown regime 'cto'; did you mean 'cot'"
    ):
        load_config(ExperimentConfig, path)
