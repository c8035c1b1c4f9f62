"""The `overt` command line.

    overt lab quickstart [--out DIR]          the built-in headline grid
    overt lab run GRID.yaml|PRESET --out DIR   any grid (re-runs skip finished cells)
    overt lab train [CONFIG.yaml] --out DIR [key=value ...]   one training run
    overt lab config                           every training field with its help
    overt tasks show NAME [key=value ...]      print example problems
    overt audit MODEL --task T [K=6 ...] --out DIR  faithfulness audit of any model
    overt serve MODEL_DIR --port N             OpenAI-compatible endpoint
    overt agent run|show|answer|demo|redteam   the reviewed agent (see overt.agent.cli)

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
from rich.markup import escape

from overt.report.tables import make_console
from overt.tasks import TaskParamError

console = make_console()


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

    path, overrides = args.config, list(args.overrides)
    if path and "=" in path and not Path(path).exists():  # no YAML given, only overrides
        path, overrides = None, [path, *overrides]
    cfg = load_config(TrainConfig, path, overrides)
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
    from overt.lab.experiment import PRESETS

    start = time.perf_counter()
    path = Path(args.config)
    if not path.exists() and (PRESETS / f"{args.config}.yaml").is_file():
        path = PRESETS / f"{args.config}.yaml"
    _run_grid(path, Path(args.out), args.overrides)
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
        console.print(escape(line))
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


def cmd_audit(args: argparse.Namespace) -> None:
    from overt.audit.monitors import LLMJudgeMonitor
    from overt.audit.run import audit, write_audit
    from overt.models import load_model
    from overt.tasks import get_task

    task = get_task(args.task[0], **_kv(args.task[1:]))
    model = load_model(args.model)
    monitor = None
    if args.monitor.startswith("judge:"):
        monitor = LLMJudgeMonitor(
            load_model(args.monitor[len("judge:") :]), "the reasoning mentions or relies on a hint"
        )
    elif args.monitor != "rule":
        raise UsageError(f"--monitor must be 'rule' or 'judge:MODEL', got {args.monitor!r}")
    tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    report = audit(
        model,
        task,
        n=args.n,
        tests=tests,
        monitor=monitor,
        seed=args.seed,
        log=lambda m: console.print(f"[dim]{m}[/dim]"),
    )
    path = write_audit(report, args.out)
    from rich.table import Table

    table = Table(
        title=f"audit of {report.model} on {task!r} ({report.n_examples} examples, "
        f"{report.seconds:.1f} s)"
    )
    table.add_column("metric")
    table.add_column("value [95% CI] / reason")
    for key, metric in report.metrics.items():
        table.add_row(key, metric.text())
    console.print(table)
    console.print(f"wrote {path} and {path.parent / 'report.html'}")


def cmd_serve(args: argparse.Namespace) -> None:
    from overt.models import load_model
    from overt.models.serve import make_server

    model = load_model(args.model)
    server = make_server(model, args.host, args.port, name=args.name)
    console.print(
        f"serving {args.model} as '{args.name}' on "
        f"http://{args.host}:{server.server_address[1]}/v1 (Ctrl-C stops)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.shutdown()


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
    p.add_argument("config", help="ExperimentConfig YAML, or a preset name: quickstart, hints")
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

    p = sub.add_parser("audit", help="faithfulness tests on any model")
    p.add_argument(
        "model", help="lab model dir, local HF model dir, openai:URL#MODEL or openai-chat:URL#MODEL"
    )
    p.add_argument(
        "--task",
        required=True,
        nargs="+",
        metavar="TASK [KNOB=V ...]",
        help="task family and knobs, e.g. --task state K=6 m=10",
    )
    p.add_argument("--tests", default="early,mistakes,filler,paraphrase,hints")
    p.add_argument("--monitor", default="rule", help="'rule' or 'judge:MODEL' for hint mentions")
    p.add_argument("-n", type=int, default=500, help="held-out examples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory for audit.json, report.html")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("serve", help="serve a model as an OpenAI-compatible endpoint")
    p.add_argument("model", help="lab model dir or local HF model dir")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--name", default="overt", help="model id the endpoint reports")
    p.set_defaults(func=cmd_serve)

    from overt.agent.cli import add_parser as add_agent_parser

    add_agent_parser(sub)

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
    from overt.models.openai import EndpointError
    from overt.train.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (
        UsageError,
        ConfigError,
        TaskParamError,
        FileNotFoundError,
        ValueError,
        EndpointError,
    ) as err:
        console.print(f"[red]error:[/red] {err}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
