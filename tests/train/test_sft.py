"""Training: loss falls, every parameter changes, resume is exact, configs fail early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from overt.models.lab import LabModel
from overt.tasks import get_task
from overt.train.config import ConfigError, TrainConfig, load_config
from overt.train.data import encode_batch, target_text
from overt.train.sft import heldout_examples, train, train_batch

TINY = [
    "model.layers=1",
    "model.d_model=32",
    "model.heads=2",
    "eval_examples=20",
    "batch_size=16",
    "log_every=5",
    "task.params.K=3",
]


def test_loss_falls_and_every_parameter_changes(tmp_path):
    cfg = load_config(TrainConfig, None, [*TINY, "steps=60", "regime=cot"])
    torch.manual_seed(cfg.seed)
    before = LabModel.create(cfg.task.build().vocab(), cfg.model)
    result = train(cfg, tmp_path, progress=False)
    assert result is not None
    assert result.final_loss < 0.7 * result.first_loss
    after = LabModel.load(tmp_path / "model")
    for (name, p0), (_, p1) in zip(
        before.model.named_parameters(), after.model.named_parameters(), strict=True
    ):
        assert not torch.equal(p0, p1), f"{name} did not change"
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == list(range(5, 61, 5))
    assert (tmp_path / "config.yaml").is_file() and (tmp_path / "result.json").is_file()


def test_resume_gives_identical_results(tmp_path):
    overrides = [*TINY, "steps=30", "checkpoint_every=10"]
    cfg = load_config(TrainConfig, None, overrides)
    full = train(cfg, tmp_path / "full", progress=False)
    assert train(cfg, tmp_path / "resumed", progress=False, stop_at=20) is None
    assert (tmp_path / "resumed" / "checkpoint.pt").is_file()
    resumed = train(cfg, tmp_path / "resumed", progress=False)
    assert full is not None and resumed is not None
    assert resumed.final_loss == full.final_loss
    a = LabModel.load(tmp_path / "full" / "model").model.state_dict()
    b = LabModel.load(tmp_path / "resumed" / "model").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    steps = [
        json.loads(x)["step"] for x in (tmp_path / "resumed/metrics.jsonl").read_text().splitlines()
    ]
    assert steps == sorted(set(steps))


def test_run_stops_once_heldout_accuracy_reaches_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overt.train import sft
    from overt.train.evaluate import Accuracy

    scores = iter([0.2, 0.5, 1.0, 1.0])  # held-out accuracy at steps 5, 10, 15, then the end
    monkeypatch.setattr(
        sft, "evaluate", lambda *a: Accuracy(accuracy=next(scores), n=20, unanswered=0)
    )
    cfg = load_config(
        TrainConfig, None, [*TINY, "steps=40", "eval_every=5", "stop_at_accuracy=0.99"]
    )
    result = train(cfg, tmp_path, progress=False)
    assert result is not None and result.stopped_early and result.steps == 15
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 15 and rows[-1]["eval_accuracy"] == 1.0
    split = LabModel.load(tmp_path / "model").meta.split
    assert split is not None and split.steps == 15  # the model records what it trained on


def test_training_never_sees_heldout_prompts():
    cfg = load_config(TrainConfig, None, ["task.params.K=1", "task.params.m=3", "eval_examples=4"])
    task = cfg.task.build()
    held = {ex.prompt for ex in heldout_examples(cfg, task)}
    for step in range(5):
        assert not held & {ex.prompt for ex in train_batch(cfg, task, step, held)}


def test_regimes_targets():
    task = get_task("state", K=3, m=10)
    ex = task.examples(1, seed=0)[0]
    assert target_text(task, ex, "no_cot") == f"<answer> {ex.answer}"
    assert target_text(task, ex, "cot") == f"{' '.join(ex.steps)} <answer> {ex.answer}"
    assert target_text(task, ex, "filler") == f"... ... ... <answer> {ex.answer}"


def test_loss_mask_covers_target_only():
    task = get_task("state", K=2, m=10)
    model = LabModel.create(task.vocab(), load_config(TrainConfig, None, TINY).model)
    ex = task.examples(1, seed=0)[0]
    inputs, targets = encode_batch(model, task, [ex], "cot")
    labelled = [model.id_to_word[i] for i in targets[0].tolist() if i != -100]
    assert labelled == [*ex.steps, "<answer>", ex.answer, "<eos>"]
    assert inputs.shape == targets.shape


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["model.layers=0"], "model.layers"),
        (["regime=latent_magic"], "regime"),
        (["task.params.K=999"], "'K'=999"),
        (["task.name=nope"], "unknown task 'nope'"),
        (["lr=-1"], "lr"),
        (["bogus=1"], "bogus"),
        (["model.d_model=30"], "must divide"),
        (["noequals"], "key=value"),
        (["stop_at_accuracy=0.9"], "needs eval_every"),
    ],
)
def test_config_errors_name_the_field_and_write_nothing(tmp_path, overrides, needle):
    with pytest.raises(ConfigError) as err:
        load_config(TrainConfig, None, overrides)
    assert needle in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_yaml_config_with_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("regime: filler\nmodel: {layers: 3}\n")
    cfg = load_config(TrainConfig, path, ["model.layers=5"])
    assert cfg.regime == "filler" and cfg.model.layers == 5
    with pytest.raises(ConfigError, match="not found"):
        load_config(TrainConfig, tmp_path / "missing.yaml")


def test_cli_train_rejects_bad_override_and_writes_nothing(tmp_path, capsys):
    from overt.cli import main

    assert main(["lab", "train", "--out", str(tmp_path / "run"), "model.layers=0"]) == 2
    assert "model.layers" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
