"""Experiments: grids of task × regime × size × seed, trained and scored in one directory.

    overt lab run my_grid.yaml --out runs/grid
    overt lab quickstart --out runs/quickstart

Each cell trains in its own process (as many at once as `workers`, torch
threads split between them) into `cells/<cell id>/`. A cell that finished
leaves `result.json` and is skipped on a re-run; a cell that failed leaves
`error.json` with its traceback, is reported as failed (never as a zero) and is
tried again on the next run. The output directory gets:

    experiment.yaml   the resolved ExperimentConfig
    cells/<id>/audit/ each trained model's audit (audit.json, report.html)
    results.json      {"rows": [{task, regime, layers, d_model, seed, status,
                                 accuracy, train_seconds, model_dir,
                                 early_answering_aoc, mistake_follow_rate, ...}]}
    accuracy.png      accuracy against depth, one line per regime, one panel per task
    report.html       the table and the plot
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import product
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from overt.train.config import Regime, TaskSpec, TrainConfig, dump_config

PRESETS = Path(__file__).parent / "presets"


class Size(BaseModel):
    model_config = ConfigDict(extra="forbid")

    layers: int = Field(ge=1, le=48, description="Transformer blocks.")
    d_model: int = Field(64, ge=8, le=2048, description="Residual width.")


class Grid(BaseModel):
    """One cross product of settings."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskSpec] = Field(min_length=1, description="Task settings.")
    regimes: list[Regime] = Field(min_length=1, description="Training regimes.")
    sizes: list[Size] = Field(min_length=1, description="Model sizes.")
    seeds: list[int] = Field(default=[0], min_length=1, description="Seeds.")
    name: str = Field(
        "",
        description="Variant label for this grid's cells (shown in tables "
        "and plots, part of cell ids); needed when `train` differs.",
    )
    train: dict[str, Any] = Field(
        default_factory=dict,
        description="Training settings that differ from the experiment's for this grid, "
        "e.g. {steps: 3000, weight_decay: 1.0}.",
    )


class ExperimentConfig(BaseModel):
    """A named set of grids and the training settings every cell shares."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("experiment", description="Name shown in the report.")
    grids: list[Grid] = Field(min_length=1, description="Cross products of cells to run.")
    train: TrainConfig = Field(
        default_factory=lambda: TrainConfig(),
        description="Shared training settings; each cell overrides task, regime, size, seed.",
    )
    workers: int = Field(0, ge=0, description="Parallel cell processes (0: one per CPU core).")
    audit: list[str] = Field(
        default=["early", "mistakes", "filler"],
        description="Audit tests run on every trained model (see `overt audit`); [] for none.",
    )
    audit_examples: int = Field(200, ge=1, description="Held-out examples per audit.")

    @model_validator(mode="after")
    def _unique_cells(self) -> ExperimentConfig:
        ids = [cell_id(c) for c in self.cells()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"grids repeat cells: {', '.join(dupes)}")
        return self

    def cells(self) -> list[TrainConfig]:
        """Every cell's full training config, in grid order."""
        out = []
        for grid in self.grids:
            base = _deep_update(self.train.model_dump(), grid.train)
            for task, regime, size, seed in product(
                grid.tasks, grid.regimes, grid.sizes, grid.seeds
            ):
                cell = _deep_update(
                    base,
                    {
                        "task": task.model_dump(),
                        "regime": regime,
                        "seed": seed,
                        "variant": grid.name,
                        "model": {"layers": size.layers, "d_model": size.d_model},
                    },
                )
                out.append(TrainConfig.model_validate(cell))
        return out


def _deep_update(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


def cell_id(cfg: TrainConfig) -> str:
    """A directory-safe, human-readable id: `state_K6_m10__cot__L2_d64__s0`."""
    task = re.sub(r"[^A-Za-z0-9]+", "_", cfg.task.label().replace("=", "")).strip("_")
    cid = f"{task}__{cfg.regime}__L{cfg.model.layers}_d{cfg.model.d_model}__s{cfg.seed}"
    variant = re.sub(r"[^A-Za-z0-9]+", "_", cfg.variant).strip("_")
    return f"{cid}__{variant}" if variant else cid


def _run_cell(
    cfg_json: str, cell_dir: str, threads: int, tests: list[str], audit_n: int
) -> dict[str, Any]:
    """Worker process: train one cell (unless done) and audit it; failures are written down."""
    import torch

    from overt.audit.run import audit, write_audit
    from overt.models.lab import LabModel
    from overt.train.sft import TrainResult, train

    torch.set_num_threads(threads)
    cfg = TrainConfig.model_validate_json(cfg_json)
    directory = Path(cell_dir)
    try:
        done = directory / "result.json"
        result = (
            TrainResult.model_validate_json(done.read_text())
            if done.is_file()
            else train(cfg, directory, progress=False)
        )
        assert result is not None
        outcome: dict[str, Any] = {"status": "ok", **result.model_dump()}
    except Exception as err:  # a failed cell is reported, never turned into a zero
        info = {
            "status": "failed",
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
        }
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "error.json").write_text(json.dumps(info, indent=2))
        return info
    if tests:
        try:
            model = LabModel.load(directory / result.model_dir)
            report = audit(
                model, cfg.task.build(), n=audit_n, tests=tests, seed=cfg.eval_seed, samples=200
            )
            write_audit(report, directory / "audit")
            outcome["audit"] = {k: m.value for k, m in report.metrics.items()}
        except Exception as err:  # the model stands; its audit is reported as failed
            outcome["audit_error"] = f"{type(err).__name__}: {err}"
    return outcome


def _finished(cell: Path) -> dict[str, Any]:
    """The outcome of a cell finished by an earlier run."""
    outcome = {"status": "ok", **json.loads((cell / "result.json").read_text())}
    audit_path = cell / "audit" / "audit.json"
    if audit_path.is_file():
        metrics = json.loads(audit_path.read_text())["metrics"]
        outcome["audit"] = {k: m["value"] for k, m in metrics.items()}
    return outcome


AUDIT_COLUMNS = [
    "early_answering_aoc",
    "mistake_follow_rate",
    "filler_accuracy",
    "hint_faithfulness",
]


def _row(cfg: TrainConfig, outcome: dict[str, Any], cell_dir: Path, out: Path) -> dict[str, Any]:
    task = cfg.task.build()
    row: dict[str, Any] = {
        "task": cfg.task.label(),
        "task_name": cfg.task.name,
        "variant": cfg.variant,
        "regime": cfg.regime,
        "layers": cfg.model.layers,
        "d_model": cfg.model.d_model,
        "seed": cfg.seed,
        "status": outcome["status"],
        "chance": task.chance,
        "accuracy": outcome.get("accuracy"),
        "train_seconds": outcome.get("train_seconds"),
        "model_dir": None,
        "cell_dir": str(cell_dir.relative_to(out)),
    }
    if outcome["status"] == "ok":
        row["model_dir"] = str((cell_dir / outcome["model_dir"]).relative_to(out))
        for key in ("first_loss", "final_loss", "unanswered", "eval_n", "steps"):
            row[key] = outcome[key]
        for key, value in outcome.get("audit", {}).items():
            if key != "accuracy":
                row[key] = value
        if "audit_error" in outcome:
            row["audit_error"] = outcome["audit_error"]
    else:
        row["error"] = outcome["error"]
    return row


def run_experiment(
    config: ExperimentConfig, out: str | Path, *, progress: bool = True
) -> list[dict[str, Any]]:
    """Train every unfinished cell, then write results.json, accuracy.png, report.html."""
    from overt.report.html import write_report
    from overt.report.plots import accuracy_plot
    from overt.report.tables import print_results

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dump_config(config, out / "experiment.yaml")
    cells = config.cells()
    outcomes: dict[str, dict[str, Any]] = {}
    todo: list[TrainConfig] = []
    for cfg in cells:
        cell = out / "cells" / cell_id(cfg)
        audited = not config.audit or (cell / "audit" / "audit.json").is_file()
        if (cell / "result.json").is_file() and audited:
            outcomes[cell_id(cfg)] = _finished(cell)
        else:
            todo.append(cfg)
    cores = os.cpu_count() or 1
    workers = max(1, min(config.workers or cores, len(todo) or 1))
    threads = max(1, cores // workers)
    with (
        _CellProgress(progress, len(cells), len(cells) - len(todo)) as bar,
        ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool,
    ):
        futures: dict[Future, TrainConfig] = {}
        for cfg in todo:
            cell_dir = out / "cells" / cell_id(cfg)
            if cell_dir.is_dir():
                (cell_dir / "error.json").unlink(missing_ok=True)
            job = (
                cfg.model_dump_json(),
                str(cell_dir),
                threads,
                config.audit,
                config.audit_examples,
            )
            futures[pool.submit(_run_cell, *job)] = cfg
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                cfg = futures[fut]
                try:
                    outcomes[cell_id(cfg)] = fut.result()
                except Exception as err:  # the worker process itself died
                    outcomes[cell_id(cfg)] = {
                        "status": "failed",
                        "error": f"{type(err).__name__}: {err}",
                    }
                bar.advance(cell_id(cfg), outcomes[cell_id(cfg)])
    rows = [_row(cfg, outcomes[cell_id(cfg)], out / "cells" / cell_id(cfg), out) for cfg in cells]
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps({"name": config.name, "rows": rows}, indent=2))
    os.replace(tmp, out / "results.json")
    accuracy_plot(rows, out / "accuracy.png", title=config.name)
    write_report(config.name, rows, out, AUDIT_COLUMNS)
    if progress:
        print_results(rows, AUDIT_COLUMNS)
    return rows


class _CellProgress:
    """Cells done out of total, with the last finished cell's outcome."""

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled, self.total, self.done = enabled, total, done

    def __enter__(self) -> _CellProgress:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("cells"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
            )
            self.task = self.bar.add_task("", total=self.total, completed=self.done)
            self.bar.start()
        return self

    def advance(self, name: str, outcome: dict[str, Any]) -> None:
        if not self.enabled:
            return
        status = (
            f"acc {outcome['accuracy']:.3f}"
            if outcome["status"] == "ok"
            else f"FAILED {outcome['error'][:60]}"
        )
        self.bar.console.print(f"  {name}: {status}")
        self.bar.update(self.task, advance=1, description=name)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()
