"""Experiments: grids of task × regime × size × seed, trained and scored in one directory.

    overt lab run my_grid.yaml --out runs/grid
    overt lab run my_grid.yaml --out runs/grid --ray            # cells as tasks on local Ray
    overt lab run my_grid.yaml --out /shared/grid --ray auto    # on a running Ray cluster
    overt lab quickstart --out runs/quickstart

Each cell trains in its own process into `cells/<cell id>/`: by default in a
local process pool (as many at once as `workers`, torch threads split between
them), or with `ray_address` as one Ray task per cell declaring
`cpus_per_cell` CPUs (the output folder must then be on a filesystem every
node sees). Both give the same results. A cell that finished leaves
`result.json` and is skipped on a re-run; a cell that failed leaves
`error.json` with its traceback, is reported as failed (never as a zero) and is
tried again on the next run. A cell folder holding a run of another config is
refused before anything starts, unless `force` replaces it. The output
directory gets:

    experiment.yaml   the resolved ExperimentConfig
    cells/<id>/audit/ each trained model's audit (audit.json, report.html)
    results.json      {"rows": [{task, regime, layers, d_model, seed, status,
                                 train_seconds, model_dir, metrics: {accuracy,
                                 early_answering_aoc, mistake_follow_rate, ...}}],
                       "summary": [...], "separations": [...]}  (overt.lab.results)
    accuracy.png      accuracy against depth, one line per regime, one panel per task
    report.html       the table and the plot
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from itertools import product
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from overt.audit.stats import wilson
from overt.errors import UsageError
from overt.files import atomic_write_text, check_writable
from overt.lab import PRESETS
from overt.lab.results import CellResult, ControlPair, Results
from overt.lab.summary import separations, summarize
from overt.tasks.split import heldout
from overt.train.config import TaskSpec, TrainConfig
from overt.train.regimes import RegimeName, get_regime
from overt.train.rundir import clear_run_dir, config_conflict

__all__ = ["PRESETS", "ExperimentConfig", "cell_id", "longest_first", "run_experiment"]


class Size(BaseModel):
    model_config = ConfigDict(extra="forbid")

    layers: int = Field(ge=1, le=48, description="Transformer blocks.")
    d_model: int = Field(64, ge=8, le=2048, description="Residual width.")


class Grid(BaseModel):
    """One cross product of settings."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[TaskSpec] = Field(min_length=1, description="Task settings.")
    regimes: list[RegimeName] = Field(
        min_length=1, description="Training regimes (registered in overt.train.regimes)."
    )
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
    reports: list[Literal["latent"]] = Field(
        default_factory=list,
        description="Extra report sections: latent (a Coconut-style table with the published "
        "numbers beside, accuracy against what an overseer can read, per-stage curves).",
    )
    controls: list[ControlPair] = Field(
        default_factory=list,
        description="Metric / positive / negative control triples; results.json says for each "
        "whether the two settings' across-seed intervals separate.",
    )

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
    cfg_json: str, cell_dir: str, threads: int, tests: list[str], audit_n: int, registrar: str
) -> dict[str, Any]:
    """Worker process: train one cell (unless done) and audit it; failures are written down.

    `registrar` is the module that registers the cell's regime: a fresh worker
    imports it first, so a regime registered outside overt trains there too.
    """
    import importlib

    import torch

    from overt.audit.run import audit
    from overt.models.lab import LabModel
    from overt.report.audit_html import write_audit
    from overt.train.sft import TrainResult, train

    torch.set_num_threads(threads)
    importlib.import_module(registrar)
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
            task, split = cfg.task.build(), model.meta.split
            # a task with few prompts holds out fewer than audit_n: audit all it holds out
            held = len(heldout(task, split.eval_examples, split.eval_seed)) if split else audit_n
            report = audit(
                model, task, n=min(audit_n, held), tests=tests, seed=cfg.eval_seed, samples=200
            )
            write_audit(report, directory / "audit")
            outcome["audit"] = {k: m.model_dump(mode="json") for k, m in report.metrics.items()}
        except Exception as err:  # the model stands; its audit is reported as failed
            outcome["audit_error"] = f"{type(err).__name__}: {err}"
    return outcome


def _finished(cell: Path) -> dict[str, Any]:
    """The outcome of a cell finished by an earlier run."""
    outcome = {"status": "ok", **json.loads((cell / "result.json").read_text())}
    audit_path = cell / "audit" / "audit.json"
    if audit_path.is_file():
        outcome["audit"] = json.loads(audit_path.read_text())["metrics"]
    return outcome


def audit_columns(tests: list[str]) -> list[str]:
    """The metric columns of the configured audit tests, from the intervention registry."""
    from overt.audit.run import REGISTRY

    return [spec.name for t in tests for spec in REGISTRY[t].specs]


TRAINED = (
    *("first_loss", "final_loss", "unanswered", "eval_n", "steps", "stopped_early"),
    *("train_seconds", "tokens_per_answer", "thoughts_per_answer", "seconds_per_answer"),
    "stages",
)
"""What a results row keeps of a cell's `TrainResult`."""


def _row(cfg: TrainConfig, outcome: dict[str, Any], cell_dir: Path, out: Path) -> CellResult:
    row: dict[str, Any] = {
        "task": cfg.task.label(),
        "task_name": cfg.task.name,
        "variant": cfg.variant,
        "regime": cfg.regime,
        "layers": cfg.model.layers,
        "d_model": cfg.model.d_model,
        "seed": cfg.seed,
        "status": outcome["status"],
        "chance": cfg.task.build().chance,
        "cell_dir": str(cell_dir.relative_to(out)),
        "error": outcome.get("error"),
        "metrics": {},
    }
    if outcome["status"] == "ok":
        n = outcome["eval_n"]
        low, high = wilson(outcome["accuracy"] * n, n)
        accuracy = {"value": outcome["accuracy"], "ci_low": low, "ci_high": high, "n": n}
        audited = {k: m for k, m in outcome.get("audit", {}).items() if k != "accuracy"}
        row |= {k: outcome[k] for k in TRAINED if k in outcome}
        row |= {
            "model_dir": str((cell_dir / outcome["model_dir"]).relative_to(out)),
            "metrics": {"accuracy": accuracy | {"method": "wilson"}, **audited},
            "audit_error": outcome.get("audit_error"),
        }
    return CellResult.model_validate(row)


Job = tuple[str, str, int, list[str], int, str]


def _died(err: BaseException) -> dict[str, Any]:
    return {"status": "failed", "error": f"{type(err).__name__}: {err}"}


def _local_pool(jobs: dict[str, Job], workers: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run cells in a pool of spawned processes; yield (cell id, outcome) as each ends."""
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures: dict[Future, str] = {
            pool.submit(_run_cell, *job): cid for cid, job in jobs.items()
        }
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as err:  # the worker process itself died
                outcome = _died(err)
            yield futures[fut], outcome


def _ray_tasks(
    jobs: dict[str, Job], address: str, cpus: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run cells as Ray tasks (one per cell, `cpus` CPUs each); yield outcomes as each ends.

    `address` "local" starts a Ray instance on this machine for the run; anything
    else ("auto", "ray://head:10001", "head:6379") connects to a running cluster.
    """
    if not jobs:
        return
    try:
        import ray
    except ImportError:
        raise UsageError("--ray needs Ray: pip install 'overt[ray]'") from None
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except ConnectionError as err:
            raise UsageError(f"cannot reach a Ray cluster at {address!r}: {err}") from None
    try:
        remote = ray.remote(num_cpus=cpus, max_retries=0)(_run_cell)
        refs = {remote.remote(*job): cid for cid, job in jobs.items()}
        pending = list(refs)
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            for ref in finished:
                try:
                    outcome = ray.get(ref)
                except Exception as err:  # the task's worker died or Ray lost it
                    outcome = _died(err)
                yield refs[ref], outcome
    finally:
        if started:
            ray.shutdown()


def longest_first(cells: list[TrainConfig]) -> list[TrainConfig]:
    """The cells in the order they start: the most work first (steps × layers × width²,
    a rough cost), so that no worker is left with a long cell while the others idle."""
    return sorted(cells, key=lambda c: c.steps * c.model.layers * c.model.d_model**2, reverse=True)


def _check_cells(cells: list[TrainConfig], out: Path, force: bool) -> None:
    """Refuse (or with `force`, clear) cell folders that hold a run of another config."""
    conflicts: list[tuple[Path, str]] = []
    for cfg in cells:
        cell = out / "cells" / cell_id(cfg)
        why = config_conflict(cfg, cell) if cell.is_dir() else None
        if why:
            conflicts.append((cell, why))
    if conflicts and not force:
        more = f" (and {len(conflicts) - 1} more cells)" if len(conflicts) > 1 else ""
        raise UsageError(
            f"{conflicts[0][1]}{more}; rerun with --force to retrain them, or choose a new --out"
        )
    for cell, _ in conflicts:
        clear_run_dir(cell)


def run_experiment(
    config: ExperimentConfig,
    out: str | Path,
    *,
    progress: bool = True,
    force: bool = False,
    ray_address: str | None = None,
    cpus_per_cell: int = 1,
) -> list[CellResult]:
    """Train every unfinished cell, then write results.json, accuracy.png, report.html.

    Cells run in a local process pool, or as Ray tasks when `ray_address` is
    given ("local" starts Ray here). `force` retrains cells whose saved config
    differs from the grid's; without it such a cell is a `UsageError`.
    """
    from overt.report.html import write_report
    from overt.report.plots import accuracy_plot
    from overt.report.tables import print_results, print_summary

    out = check_writable(out).resolve()
    cells = config.cells()
    _check_cells(cells, out, force)
    atomic_write_text(
        out / "experiment.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    )
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
    threads = cpus_per_cell if ray_address else max(1, cores // workers)
    jobs: dict[str, Job] = {}
    for cfg in longest_first(todo):
        cell_dir = out / "cells" / cell_id(cfg)
        if cell_dir.is_dir():
            (cell_dir / "error.json").unlink(missing_ok=True)
        jobs[cell_id(cfg)] = (
            cfg.model_dump_json(),
            str(cell_dir),
            threads,
            config.audit,
            config.audit_examples,
            type(get_regime(cfg.regime)).__module__,
        )
    runs = (
        _ray_tasks(jobs, ray_address, cpus_per_cell) if ray_address else _local_pool(jobs, workers)
    )
    resumed = [cid for cid in jobs if (out / "cells" / cid / "checkpoint.pt").is_file()]
    with _CellProgress(progress, len(cells), len(cells) - len(todo)) as bar:
        if resumed and progress:
            bar.bar.console.print(f"resuming {len(resumed)} cells from their checkpoints")
        for cid, outcome in runs:
            outcomes[cid] = outcome
            bar.advance(cid, outcome)
    rows = [_row(cfg, outcomes[cell_id(cfg)], out / "cells" / cell_id(cfg), out) for cfg in cells]
    summary = summarize(rows, audit_columns(config.audit))
    checks = separations(summary, config.controls)
    results = Results(name=config.name, rows=rows, summary=summary, separations=checks)
    atomic_write_text(out / "results.json", results.model_dump_json(indent=2))
    accuracy_plot(rows, out / "accuracy.png", title=config.name)
    write_report(config.name, rows, out, audit_columns(config.audit))
    if progress:
        print_results(rows, audit_columns(config.audit))
        print_summary(summary, audit_columns(config.audit), checks)
    if "latent" in config.reports:
        from overt.lab.latent_report import write_latent_report

        table = write_latent_report(rows, summary, out)
        if progress:
            print(table)
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
