"""Provenance: a lab model records its split; the audit scores it on its held-out
set by default and refuses prompts it was trained on unless told otherwise."""

from __future__ import annotations

import pytest

from overt.audit.run import TrainOverlapError, audit
from overt.models.lab import LabModel
from overt.tasks import get_task
from overt.tasks.split import heldout, trained_prompts
from overt.train.config import TrainConfig, load_config
from overt.train.sft import train


@pytest.fixture(scope="module")
def small_space_model(tmp_path_factory):
    """state K=1 m=10 has 180 prompts: 45 held out, training sees nearly all the rest."""
    out = tmp_path_factory.mktemp("k1")
    cfg = load_config(
        TrainConfig,
        None,
        [
            "task.params.K=1",
            "model.layers=1",
            "model.d_model=16",
            "model.heads=2",
            "steps=30",
            "eval_examples=40",
            "checkpoint_every=0",
        ],
    )
    assert train(cfg, out, progress=False) is not None
    return LabModel.load(out / "model"), cfg, out / "model"


def test_model_records_its_split_and_replay_matches_training(small_space_model):
    model, cfg, _ = small_space_model
    split = model.meta.split
    assert split is not None
    task = cfg.task.build()
    held = heldout(task, cfg.eval_examples, cfg.eval_seed)
    assert split.matches(held) and split.heldout_n == 40
    seen = trained_prompts(split, task)
    assert not seen & {ex.prompt for ex in held}
    assert len(seen) > 100  # most of the 140 trainable prompts were drawn


def test_default_audit_uses_the_recorded_heldout_set(small_space_model):
    model, cfg, _ = small_space_model
    report = audit(model, cfg.task.build(), tests=["filler"], samples=20)
    assert report.train_overlap == 0.0
    assert report.n_examples == 40
    assert "recorded held-out split" in report.examples_from


def test_auditing_trained_prompts_needs_the_flag(small_space_model):
    model, cfg, _ = small_space_model
    task = cfg.task.build()
    with pytest.raises(TrainOverlapError, match="--allow-train-overlap"):
        audit(model, task, heldout_seed=1, n=40, tests=["filler"], samples=20)
    report = audit(
        model, task, heldout_seed=1, n=40, tests=["filler"], samples=20, allow_train_overlap=True
    )
    assert report.train_overlap is not None and report.train_overlap > 0.5
    with pytest.raises(ValueError, match="held out"):
        audit(model, task, n=41, tests=["filler"])


def test_foreign_model_overlap_is_null_with_reason(small_space_model):
    lab, _, _ = small_space_model
    model = LabModel(lab.model, lab.tokenizer, meta={}, name="foreign")
    report = audit(model, get_task("state", K=1, m=10), n=10, tests=["filler"], samples=20)
    assert report.train_overlap is None
    assert "records no training split" in (report.train_overlap_reason or "")


def test_cli_refuses_trained_prompts_in_one_line(small_space_model, tmp_path, capsys):
    from overt.cli import main

    _, _, path = small_space_model
    args = ["audit", str(path), "--task", "state", "K=1", "m=10", "--tests", "filler"]
    code = main([*args, "--heldout-seed", "1", "-n", "40", "--out", str(tmp_path / "a")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--allow-train-overlap" in err[0]
    assert not (tmp_path / "a" / "audit.json").exists()
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "audit.json").is_file()
