"""Run folders never lose work: config remembered, --force, Ctrl-C then resume, atomic files."""

from __future__ import annotations

import os
import signal
import stat

import pytest

from overt.errors import UsageError
from overt.train.config import TrainConfig, load_config
from overt.train.rundir import TrainingStopped
from overt.train.sft import train

TINY = [
    "model.layers=1",
    "model.d_model=16",
    "model.heads=2",
    "eval_examples=10",
    "batch_size=8",
    "log_every=2",
    "task.params.K=2",
    "steps=12",
]


def _cfg(*extra: str) -> TrainConfig:
    return load_config(TrainConfig, None, [*TINY, *extra])


def test_different_config_is_refused_until_force(tmp_path):
    first = train(_cfg("regime=cot"), tmp_path, progress=False)
    weights = tmp_path / "model" / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    with pytest.raises(UsageError) as err:
        train(_cfg("regime=no_cot", "steps=6"), tmp_path, progress=False)
    message = str(err.value)
    assert "regime: 'cot' → 'no_cot'" in message and "--force" in message and "--out" in message
    assert weights.stat().st_mtime_ns == stamp  # nothing touched
    assert "regime: cot" in (tmp_path / "config.yaml").read_text()

    said: list[str] = []
    again = train(_cfg("regime=cot"), tmp_path, progress=False, log=said.append)
    assert again == first and weights.stat().st_mtime_ns == stamp
    assert "already holds this finished run" in said[0]

    replaced = train(_cfg("regime=no_cot", "steps=6"), tmp_path, progress=False, force=True)
    assert replaced is not None and replaced.steps == 6
    assert "regime: no_cot" in (tmp_path / "config.yaml").read_text()


def test_ctrl_c_stops_at_a_step_then_resume_says_so(tmp_path):
    cfg = _cfg("checkpoint_every=0")
    full = train(cfg, tmp_path / "full", progress=False)

    def interrupt(done: int, loss: float) -> None:
        if done == 5:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingStopped) as stopped:
        train(cfg, tmp_path / "run", progress=False, on_step=interrupt)
    assert stopped.value.step == 5
    assert str(stopped.value) == "stopped at step 5 of 12; rerun the same command to resume"
    assert (tmp_path / "run" / "checkpoint.pt").is_file()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    said: list[str] = []
    resumed = train(cfg, tmp_path / "run", progress=False, log=said.append)
    assert said == [f"resumed {tmp_path / 'run'} from step 5 of 12 (checkpoint.pt)"]
    assert full is not None and resumed is not None
    assert resumed.final_loss == full.final_loss and resumed.accuracy == full.accuracy


def test_model_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        train(_cfg(), tmp_path, progress=False)
    finally:
        os.umask(old)
    for path in [*(tmp_path / "model").iterdir(), tmp_path / "result.json"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


def test_unwritable_out_fails_before_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match=r"cannot write to .*file/run .*choose another --out"):
        train(_cfg(), blocker / "run", progress=False)


def test_a_failed_attempt_does_not_block_the_retry(tmp_path):
    (tmp_path / "error.json").write_text("{}")  # an earlier attempt failed before training
    assert train(_cfg("steps=2"), tmp_path, progress=False) is not None
