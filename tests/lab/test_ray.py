"""Sweeps on Ray: a two-cell grid on a local Ray instance gives the process pool's rows."""

from __future__ import annotations

import pytest

from overt.lab.experiment import ExperimentConfig, cell_id, run_experiment
from overt.lab.results import CellResult, Results

pytest.importorskip("ray", reason="Ray is not installed (pip install 'overt[ray]')")

GRID = {
    "name": "two cells",
    "grids": [
        {
            "tasks": [{"name": "state", "params": {"K": 2, "m": 10}}],
            "regimes": ["no_cot", "cot"],
            "sizes": [{"layers": 1, "d_model": 16}],
        }
    ],
    "train": {
        "steps": 4,
        "batch_size": 8,
        "eval_examples": 20,
        "log_every": 2,
        "model": {"d_model": 16, "heads": 2},
    },
    "workers": 2,
    "audit": [],
}


def _comparable(rows: list[CellResult]) -> list[dict]:
    """Rows without wall-clock timings (train_seconds, seconds_per_answer, ...)."""
    return [{k: v for k, v in r.model_dump().items() if "seconds" not in k} for r in rows]


def test_two_cells_on_local_ray_match_the_process_pool(tmp_path):
    config = ExperimentConfig.model_validate(GRID)
    pool_rows = run_experiment(config, tmp_path / "pool", progress=False)
    ray_rows = run_experiment(
        config, tmp_path / "ray", progress=False, ray_address="local", cpus_per_cell=1
    )
    assert [r.status for r in ray_rows] == ["ok", "ok"]
    assert _comparable(ray_rows) == _comparable(pool_rows)
    saved = Results.model_validate_json((tmp_path / "ray" / "results.json").read_text()).rows
    assert saved == ray_rows

    finished = tmp_path / "ray" / "cells" / cell_id(config.cells()[0]) / "result.json"
    stamp = finished.stat().st_mtime_ns
    again = run_experiment(config, tmp_path / "ray", progress=False, ray_address="local")
    assert finished.stat().st_mtime_ns == stamp  # finished cells are skipped on Ray too
    assert _comparable(again) == _comparable(ray_rows)
