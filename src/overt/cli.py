"""The `overt` command line.

    overt lab quickstart [--out DIR]          the built-in headline grid
    overt lab run GRID.yaml [--out DIR]        any grid (re-runs skip finished cells)
    overt lab train [CONFIG.yaml] --out DIR [key=value ...]   one training run
    overt lab config                           every training field with its help
    overt tasks show NAME [key=value ...]      print example problems

Errors in input (bad config, unknown task, missing files) print one clear
message naming what is wrong and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import yaml
from rich.console import Console

from overt.tasks import TaskParamError

console = Console()


class UsageError(Exception):
    """Bad input from the command line; printed without a traceback."""


def _kv(items: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise UsageError(f"expected key=value, got {item!r}")
        out[key] = yaml.safe_load(raw)
    return out


def cmd_lab_train(args: argparse.Namespace) -> None:
    from overt.train.config import TrainConfig, load_config
    from overt.train.sft import train

    cfg = load_config(TrainConfig, args.config, args.overrides)
    result = train(cfg, args.out, progress=True)
    assert result is not None
    console.print(
        f"accuracy {result.accuracy:.3f} on {result.eval_n} held-out examples; "
        f"model saved to {Path(args.out) / result.model_dir}"
    )


def cmd_lab_config(args: argparse.Namespace) -> None:
    from overt.lab.experiment import ExperimentConfig
    from overt.train.config import TrainConfig

    for cls in (TrainConfig, ExperimentConfig):
        console.print(f"[bold]{cls.__name__}[/bold]: {cls.__doc__}")
        for name, field in cls.model_fields.items():
            default = field.default if field.default_factory is None else "(see section)"
            console.print(f"  {name:18} {field.description}  [dim]default: {default}[/dim]")


def _run_grid(path: Path, out: Path, overrides: Sequence[str]) -> list[dict]:
    from overt.lab.experiment import ExperimentConfig, run_experiment
    from overt.train.config import load_config

    return run_experiment(load_config(ExperimentConfig, path, overrides), out)


def cmd_lab_run(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    _run_grid(Path(args.config), Path(args.out), args.overrides)
    console.print(
        f"wrote {args.out}/results.json, accuracy.png, report.html "
        f"in {time.perf_counter() - start:.0f} s"
    )


def cmd_lab_quickstart(args: argparse.Namespace) -> None:
    from overt.lab.experiment import PRESETS
    from overt.lab.headline import headline

    start = time.perf_counter()
    rows = _run_grid(PRESETS / "quickstart.yaml", Path(args.out), args.overrides)
    for line in headline(rows):
        console.print(line)
    console.print(
        f"wrote {args.out}/results.json, accuracy.png, report.html "
        f"in {time.perf_counter() - start:.0f} s"
    )


def cmd_tasks_show(args: argparse.Namespace) -> None:
    from overt.tasks import get_task

    task = get_task(args.name, **_kv(args.params))
    for ex in task.examples(args.n, seed=args.seed):
        console.print(f"[bold]prompt[/bold]    {ex.prompt}")
        console.print(f"[bold]reasoning[/bold] {task.render_reasoning(ex.steps)}")
        console.print(f"[bold]answer[/bold]    {ex.answer}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="overt", description="Reasoning in the open.")
    sub = parser.add_subparsers(dest="group", required=True)

    lab = sub.add_parser("lab", help="model organisms: train and compare regimes").add_subparsers(
        dest="cmd", required=True
    )
    p = lab.add_parser("quickstart", help="the built-in headline grid (≤10 min on 2 cores)")
    p.add_argument("--out", default="runs/quickstart", help="output directory")
    p.add_argument("overrides", nargs="*", help="experiment overrides, e.g. train.steps=500")
    p.set_defaults(func=cmd_lab_quickstart)
    p = lab.add_parser("run", help="run a grid from a YAML file")
    p.add_argument("config", help="ExperimentConfig YAML")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("overrides", nargs="*", help="key=value overrides")
    p.set_defaults(func=cmd_lab_run)
    p = lab.add_parser("train", help="train one model")
    p.add_argument("config", nargs="?", help="TrainConfig YAML (optional)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. model.layers=4")
    p.set_defaults(func=cmd_lab_train)
    p = lab.add_parser("config", help="list every config field with its help")
    p.set_defaults(func=cmd_lab_config)

    tasks = sub.add_parser("tasks", help="inspect task families").add_subparsers(
        dest="cmd", required=True
    )
    p = tasks.add_parser("show", help="print example problems")
    p.add_argument("name")
    p.add_argument("params", nargs="*", help="knobs, e.g. K=6 m=10")
    p.add_argument("-n", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_tasks_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from overt.train.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (UsageError, ConfigError, TaskParamError, FileNotFoundError, ValueError) as err:
        console.print(f"[red]error:[/red] {err}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
