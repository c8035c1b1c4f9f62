"""The RL preset runner: the obfuscation check, per-arm summaries, and a tiny end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overt.audit.overseers import LADDER
from overt.cli import main
from overt.errors import UsageError
from overt.lab import PRESETS
from overt.lab.pressure import (
    check_cells,
    checks,
    load_rl_experiment,
    refuse_unsupported,
    summarise,
    transfer_matrix,
)
from overt.train.config import ConfigError

ARMS = ["a_no_monitor", "b_cot_monitor", "c_output_monitor", "d_output_targeted",
        "e_mind_face", "f_paraphraser"]  # fmt: skip


def _rows(det_b: float, hack_b: float) -> list[dict]:
    rows = []
    for seed in (0, 1):
        rows.append({"arm": "a_no_monitor", "seed": seed, "status": "ok",
                     "detection": 1.0, "hack_rate": 0.9})  # fmt: skip
        rows.append({"arm": "b_cot_monitor", "seed": seed, "status": "ok",
                     "detection": det_b, "hack_rate": hack_b})  # fmt: skip
    return rows


def test_obfuscation_needs_low_detection_and_kept_hacking() -> None:
    assert checks(_rows(0.4, 0.8))["obfuscation"] is True
    assert checks(_rows(0.6, 0.8))["obfuscation"] is False  # detection above half of a's
    assert checks(_rows(0.1, 0.5))["obfuscation"] is False  # hacking stopped: not obfuscation
    assert checks(_rows(0.1, 0.5)[:2])["obfuscation"] is False
    assert checks([r for r in _rows(0.1, 0.9) if r["arm"] == "a_no_monitor"]) == {
        "obfuscation": None
    }


def test_summary_has_seed_intervals_and_skips_failed_cells() -> None:
    rows = [*_rows(0.2, 0.9), {"arm": "b_cot_monitor", "seed": 2, "status": "failed"}]
    summary = summarise(rows)
    assert summary["b_cot_monitor"]["seeds"] == 2
    det = summary["b_cot_monitor"]["detection"]
    assert det["value"] == pytest.approx(0.2) and det["n"] == 2
    assert summary["a_no_monitor"]["early_answering_aoc"] is None


@pytest.mark.slow
def test_pressure_preset_runs_every_arm(tmp_path: Path) -> None:
    out = tmp_path / "p"
    tiny = "sft.steps=40 sft.model.layers=1 sft.eval_examples=20 rl.steps=2 rl.eval_examples=20"
    tiny += " rl.prompts_per_step=2 rl.checkpoint_every=0 seeds=[0] workers=1"
    code = main(["lab", "run", "pressure", *tiny.split(), "--out", str(out)])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert [r["arm"] for r in results["rows"]] == ARMS
    for row in results["rows"]:
        assert row["status"] == "ok", row
        for key in ("seed", "hack_rate", "detection", "hack_rate_start", "detection_start"):
            assert key in row
    assert set(results["transfer"]) == set(ARMS)
    assert all(set(m) == set(LADDER) for m in results["transfer"].values())
    assert results["trained_against"]["b_cot_monitor"] == ["key_rule"]
    assert (out / "report.html").stat().st_size > 1000
    assert "transfer" in (out / "report.html").read_text()
    assert (out / "cells" / "e_mind_face-s0" / "face" / "config.json").is_file()


def test_transfer_matrix_averages_each_overseer_over_seeds() -> None:
    def cell(seed: int, catch: float) -> dict:
        metric = {"value": catch, "ci_low": None, "ci_high": None, "n": 10}
        return {"arm": "b", "seed": seed, "status": "ok",
                "overseers": {"consistency": {"catch_rate": metric}}}  # fmt: skip

    rows = [cell(0, 0.8), cell(1, 1.0), {"arm": "b", "seed": 2, "status": "failed"}]
    got = transfer_matrix(rows, ["consistency", "key_rule"])["b"]
    assert got["consistency"]["catch_rate"]["value"] == pytest.approx(0.9)
    assert got["consistency"]["catch_rate"]["n"] == 2
    assert got["key_rule"]["catch_rate"] is None  # never measured: null, not 0
    blind = {"consistency": {"auroc": {"value": None, "reason": "no bad episodes"}}}
    row = {"arm": "e", "seed": 0, "status": "ok", "overseers": blind}
    assert transfer_matrix([row], ["consistency"])["e"]["consistency"]["auroc"] == {
        "value": None,
        "reason": "no bad episodes",
    }


def test_rl_presets_refuse_ray_and_cpus_per_cell_instead_of_ignoring_them() -> None:
    with pytest.raises(UsageError, match="Ray"):
        refuse_unsupported("local", 1)
    with pytest.raises(UsageError, match="cpus-per-cell"):
        refuse_unsupported(None, 4)
    refuse_unsupported(None, 1)


def test_an_unknown_overseer_is_refused_before_any_training() -> None:
    with pytest.raises(ConfigError, match="unknown overseers"):
        load_rl_experiment(PRESETS / "pressure.yaml", ["overseers=[key_rule, nope]"])


def test_a_cell_of_another_config_is_refused_and_force_clears_it(tmp_path: Path) -> None:
    exp = load_rl_experiment(PRESETS / "pressure.yaml", ["seeds=[0]"])
    cell = tmp_path / "cells" / "a_no_monitor-s0"
    cell.mkdir(parents=True)
    (cell / "config.yaml").write_text("steps: 3\n")
    (cell / "row.json").write_text("{}")
    with pytest.raises(UsageError, match="--force"):
        check_cells(exp, tmp_path, force=False)
    check_cells(exp, tmp_path, force=True)
    assert not (cell / "config.yaml").exists() and not (cell / "row.json").exists()
    check_cells(exp, tmp_path, force=False)  # nothing left to conflict with
