"""Experiment grids: results layout, failed cells reported as failed, re-runs skip."""

from __future__ import annotations

import pytest

from overt.errors import UsageError
from overt.lab import preset_names
from overt.lab.experiment import (
    PRESETS,
    ExperimentConfig,
    cell_id,
    longest_first,
    run_experiment,
)
from overt.lab.headline import headline
from overt.lab.results import CellResult, Results
from overt.train.config import ConfigError, load_config
from overt.train.rundir import prepare_run_dir

TINY_TRAIN = {
    "steps": 4,
    "batch_size": 8,
    "eval_examples": 40,
    "log_every": 2,
    "model": {"d_model": 16, "heads": 2},
}


def test_grid_runs_reports_failures_and_skips_finished(tmp_path):
    config = ExperimentConfig.model_validate(
        {
            "name": "tiny",
            "grids": [
                {
                    "tasks": [{"name": "state", "params": {"K": 2, "m": 10}}],
                    "regimes": ["no_cot", "cot"],
                    "sizes": [{"layers": 1, "d_model": 16}],
                },
                {
                    "name": "five",
                    "tasks": [{"name": "state", "params": {"K": 1, "m": 5}}],
                    "regimes": ["cot"],
                    "sizes": [{"layers": 1, "d_model": 16}],
                    "train": {"steps": 3},
                },
            ],
            "train": TINY_TRAIN,
            "workers": 2,
        }
    )
    # the third cell's directory is blocked by a file: that cell must fail
    blocked = tmp_path / "cells" / cell_id(config.cells()[2])
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a directory")
    rows = run_experiment(config, tmp_path, progress=False)
    saved = Results.model_validate_json((tmp_path / "results.json").read_text()).rows
    assert saved == rows and len(rows) == 3
    assert {r.variant for r in rows} == {"", "five"}
    ok = [r for r in rows if r.status == "ok"]
    failed = [r for r in rows if r.status == "failed"]
    assert len(ok) == 2 and len(failed) == 1
    assert failed[0].accuracy is None and "FileExistsError" in (failed[0].error or "")
    for r in ok:
        accuracy = r.metrics["accuracy"]
        assert accuracy.value is not None and accuracy.ci_low is not None
        assert accuracy.ci_low <= accuracy.value <= 1.0 and accuracy.n == r.eval_n
        assert (tmp_path / str(r.model_dir) / "model.safetensors").is_file()
        assert r.train_seconds is not None and r.train_seconds > 0
    assert (tmp_path / "accuracy.png").stat().st_size > 1000
    assert "FAILED" in (tmp_path / "report.html").read_text()

    finished = tmp_path / "cells" / cell_id(config.cells()[0]) / "result.json"
    stamp = finished.stat().st_mtime_ns
    rows2 = run_experiment(config, tmp_path, progress=False)
    assert finished.stat().st_mtime_ns == stamp  # skipped
    assert [r.accuracy for r in rows2 if r.status == "ok"] == [r.accuracy for r in ok]
    assert sum(r.status == "failed" for r in rows2) == 1  # retried, failed again


@pytest.mark.parametrize("preset", preset_names())
def test_presets_are_valid(preset):
    from overt.lab.pressure import is_rl_preset, load_rl_experiment

    if is_rl_preset(PRESETS / f"{preset}.yaml"):  # validated by its own schema
        assert load_rl_experiment(PRESETS / f"{preset}.yaml", [])
        return
    config = load_config(ExperimentConfig, PRESETS / f"{preset}.yaml")
    cells = config.cells()
    assert len({cell_id(c) for c in cells}) == len(cells)


def test_controls_preset_names_every_control_with_three_seeds():
    config = load_config(ExperimentConfig, PRESETS / "controls.yaml")
    labels: dict[str, set[int]] = {}
    for c in config.cells():
        labels.setdefault(c.variant or c.regime, set()).add(c.seed)
    assert labels == {
        name: {0, 1, 2}
        for name in ("cot", "decorative", "hint_verbalized", "hint_silent", "no_cot")
    }
    assert {p.metric for p in config.controls} >= {"early_answering_aoc", "hint_faithfulness"}


def test_repeated_cells_are_rejected():
    grid = {"tasks": [{"name": "state"}], "regimes": ["cot"], "sizes": [{"layers": 1}]}
    with pytest.raises(ValueError, match="repeat cells"):
        ExperimentConfig.model_validate({"grids": [grid, grid]})


def test_bad_grid_names_the_field(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(
        "grids:\n  - tasks: [{name: state}]\n    regimes: [cot]\n    sizes: [{layers: 0}]\n"
    )
    with pytest.raises(ConfigError, match=r"grids\.0\.sizes\.0\.layers"):
        load_config(ExperimentConfig, path)


def test_headline_marks_where_text_reasoning_is_needed():
    base = {"task": "state(K=6,m=10)", "layers": 2, "chance": 0.1, "status": "ok"}
    rows = [
        CellResult.model_validate(base | row)
        for row in (
            {"regime": "cot", "accuracy": 1.0},
            {"regime": "no_cot", "accuracy": 0.1},
            {"regime": "filler", "accuracy": None, "status": "failed"},
        )
    ]
    (line,) = headline(rows)
    assert "cot 1.000" in line and "no_cot 0.100" in line and "filler FAILED" in line
    assert "reasoning in text needed" in line


def test_longest_cells_start_first() -> None:
    cells = load_config(ExperimentConfig, PRESETS / "quickstart.yaml").cells()
    order = [(c.variant, c.model.layers) for c in longest_first(cells)]
    assert order[:2] == [("grokking recipe", 2)] * 2  # 3,000 steps
    assert order[2:5] == [("", 4)] * 3 and order[-3:] == [("", 1)] * 3
    assert sorted(map(cell_id, cells)) == sorted(map(cell_id, longest_first(cells)))


def test_headline_says_which_runs_stopped_early() -> None:
    base = {"task": "state(K=6,m=10)", "layers": 2, "chance": 0.1, "status": "ok"}
    rows = [
        CellResult.model_validate(base | row)
        for row in (
            {"regime": "cot", "accuracy": 1.0, "steps": 500, "stopped_early": True},
            {"regime": "no_cot", "accuracy": 0.1, "steps": 1000},
        )
    ]
    (line,) = headline(rows)
    assert "cot 1.000 (stopped early at step 500) | no_cot 0.100 (chance" in line


def test_cell_with_another_config_is_refused_until_force(tmp_path):
    grid = {
        "tasks": [{"name": "state", "params": {"K": 1, "m": 5}}],
        "regimes": ["cot"],
        "sizes": [{"layers": 1, "d_model": 16}],
    }
    base = {"grids": [grid], "train": TINY_TRAIN, "workers": 1, "audit": []}
    first = ExperimentConfig.model_validate(base).cells()[0]
    cell = tmp_path / "cells" / cell_id(first)
    prepare_run_dir(first, cell)  # a cell an earlier run finished
    (cell / "result.json").write_text("{}")
    (tmp_path / "results.json").write_text("earlier results")
    changed = ExperimentConfig.model_validate({**base, "train": {**TINY_TRAIN, "steps": 2}})
    with pytest.raises(UsageError, match=r"steps: 4 → 2.*--force"):
        run_experiment(changed, tmp_path, progress=False)
    assert (tmp_path / "results.json").read_text() == "earlier results"  # nothing overwritten
    assert (cell / "result.json").read_text() == "{}"
    rows = run_experiment(changed, tmp_path, progress=False, force=True)
    assert rows[0].status == "ok" and rows[0].steps == 2
