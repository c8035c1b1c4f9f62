"""The `overt` command line (click); `overt --help` and `overt COMMAND --help` say everything.

    overt lab quickstart [--out DIR] [KEY=VALUE ...]        the built-in headline grid
    overt lab run GRID.yaml|PRESET --out DIR [--ray [ADDRESS]] [KEY=VALUE ...]
    overt lab train [CONFIG.yaml] --out DIR [--force] [KEY=VALUE ...]
    overt lab config                                         every config field, nested
    overt tasks show NAME [KNOB=V ...] [-n N]                print example problems
    overt audit MODEL --task T [KNOB=V ...] --out DIR        faithfulness audit of any model
    overt serve MODEL_DIR --port N                           OpenAI-compatible endpoint
    overt agent run|show|answer|demo|redteam                 the reviewed agent (overt.agent.cli)

A user error (bad config, unknown task, missing or truncated model, folder that
cannot be written, port in use) prints one line, `error: what is wrong; what to
do`, and exits with status 2; Ctrl-C prints one line and exits with 130. Any
other exception is a bug and keeps its traceback. Heavy modules are imported
inside the commands, so `--help` answers at once.
"""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from overt import __version__
from overt.cliutil import console, load_model_arg, parse_knobs
from overt.errors import UsageError
from overt.lab import PRESETS, preset_names

if TYPE_CHECKING:
    from overt.lab.results import CellResult

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True, "max_content_width": 100}
OVERRIDES = click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")


@click.group(context_settings=CONTEXT, no_args_is_help=True)
@click.version_option(__version__, "--version", prog_name="overt")
def cli() -> None:
    """Reasoning in the open: model organisms, faithfulness audits, a reviewed agent."""


# ---- lab ------------------------------------------------------------------------------------


@cli.group(no_args_is_help=True)
def lab() -> None:
    """Model organisms: train and compare reasoning regimes."""


def _sweep_options(f: Any) -> Any:
    f = click.option(
        "--cpus-per-cell",
        type=click.IntRange(min=1),
        default=1,
        help="CPUs each Ray task declares (and torch threads it uses); with --ray only.",
    )(f)
    f = click.option(
        "--ray",
        "ray_address",
        is_flag=False,
        flag_value="local",
        default=None,
        metavar="[ADDRESS]",
        help="Run each cell as a Ray task: alone, on a Ray started here; with an address "
        "('auto', 'ray://head:10001'), on that cluster. Default: a local process pool.",
    )(f)
    return click.option(
        "--force",
        is_flag=True,
        help="Retrain cells whose folder holds a run of a different config.",
    )(f)


def _run_grid(
    path: Path, out: str, overrides: Sequence[str], force: bool, ray: str | None, cpus: int
) -> list[CellResult]:
    from overt.lab.experiment import ExperimentConfig, run_experiment
    from overt.train.config import load_config

    if ray and "=" in ray:  # `--ray KEY=VALUE`: the flag had no address
        overrides, ray = (ray, *overrides), "local"
    config = load_config(ExperimentConfig, path, overrides)
    return run_experiment(config, out, force=force, ray_address=ray, cpus_per_cell=cpus)


def _wrote(out: str, figure: str, start: float) -> None:
    console().print(
        f"wrote {out}/results.json, {figure}, report.html in {time.perf_counter() - start:.0f} s"
    )


@lab.command("quickstart", short_help="The built-in headline grid.")
@click.option("--out", default="runs/quickstart", help="Output folder.")
@_sweep_options
@OVERRIDES
def lab_quickstart(
    out: str, force: bool, ray_address: str | None, cpus_per_cell: int, overrides: tuple[str, ...]
) -> None:
    """The built-in headline grid (≤ 5 min alone on 2 cores); reruns skip finished cells.

    KEY=VALUE overrides (before or after options) change the grid, e.g. train.steps=500.
    """
    from rich.markup import escape

    from overt.lab.headline import headline

    start = time.perf_counter()
    rows = _run_grid(PRESETS / "quickstart.yaml", out, overrides, force, ray_address, cpus_per_cell)
    for line in headline(rows):
        console().print(escape(line))
    _wrote(out, "accuracy.png", start)


@lab.command(
    "run",
    short_help="Run a grid from a YAML file or a preset.",
    help=f"""Run a grid: GRID is an ExperimentConfig YAML file or a preset name
    ({", ".join(preset_names())}); reruns skip finished cells.

    KEY=VALUE overrides (before or after options) change the grid, e.g. train.steps=500;
    `overt lab config` lists every field.""",
)
@click.argument("grid")
@click.option("--out", required=True, help="Output folder (results.json, report.html, cells/).")
@_sweep_options
@OVERRIDES
def lab_run(
    grid: str,
    out: str,
    force: bool,
    ray_address: str | None,
    cpus_per_cell: int,
    overrides: tuple[str, ...],
) -> None:
    start = time.perf_counter()
    path = Path(grid)
    if not path.exists():
        if not (PRESETS / f"{grid}.yaml").is_file():
            raise UsageError(
                f"no grid file or preset {grid!r}; presets: {', '.join(preset_names())}"
            )
        path = PRESETS / f"{grid}.yaml"
    from overt.files import check_writable
    from overt.lab.pressure import is_rl_preset

    check_writable(out)

    if is_rl_preset(path):
        from overt.lab.pressure import load_rl_experiment, run_rl_experiment

        run_rl_experiment(
            load_rl_experiment(path, list(overrides)),
            out,
            force=force,
            ray_address=ray_address,
            cpus_per_cell=cpus_per_cell,
        )
        _wrote(out, "curves.png", start)
        return
    _run_grid(path, out, overrides, force, ray_address, cpus_per_cell)
    _wrote(out, "accuracy.png", start)


@lab.command("train", short_help="Train one model.")
@click.argument("args", nargs=-1, metavar="[CONFIG.yaml] [KEY=VALUE]...")
@click.option("--out", required=True, help="Run folder (config.yaml, metrics.jsonl, model/).")
@click.option("--force", is_flag=True, help="Replace a run of a different config in --out.")
def lab_train(args: tuple[str, ...], out: str, force: bool) -> None:
    """Train one model: a TrainConfig YAML and/or KEY=VALUE overrides (see `overt lab config`).

    Rerunning the same command resumes from the last checkpoint, or does nothing
    when the run finished.
    """
    from overt.train.config import TrainConfig, load_config
    from overt.train.sft import train

    path = args[0] if args and "=" not in args[0] else None
    cfg = load_config(TrainConfig, path, args[1:] if path else args)
    result = train(cfg, out, progress=True, force=force, log=console().print)
    assert result is not None
    console().print(
        f"accuracy {result.accuracy:.3f} on {result.eval_n} held-out examples; "
        f"model saved to {Path(out) / result.model_dir}"
    )


@lab.command("config", short_help="Every config field, nested ones too, with help.")
def lab_config() -> None:
    """Every training and experiment field, nested ones included, with default and help."""
    from overt.lab.experiment import ExperimentConfig
    from overt.tasks import TASKS
    from overt.train.config import TrainConfig
    from overt.train.fields import field_rows

    for cls, where in ((TrainConfig, "overt lab train"), (ExperimentConfig, "overt lab run")):
        click.echo(f"{cls.__name__} ({where} KEY=VALUE): {cls.__doc__}")
        for row in field_rows(cls):
            click.echo(f"  {row.path} = {row.default}  [{row.type}]")
            click.echo(
                textwrap.fill(row.help, 100, initial_indent=" " * 6, subsequent_indent=" " * 6)
            )
        if cls is TrainConfig:
            click.echo("  task.params knobs per task family (default [range]):")
            for name, task in sorted(TASKS.items()):
                knobs = ", ".join(
                    f"{k}={task.defaults.get(k)} [{lo}..{hi}]"
                    for k, (lo, hi) in task.params.items()
                )
                click.echo(f"    {name:10} {knobs}")
        click.echo("")


# ---- tasks ----------------------------------------------------------------------------------


@cli.group(no_args_is_help=True)
def tasks() -> None:
    """Inspect task families."""


@tasks.command("show")
@click.argument("name")
@click.argument("knobs", nargs=-1, metavar="[KNOB=V]...")
@click.option("-n", type=click.IntRange(min=1), default=3, help="Examples to print.")
@click.option("--seed", type=int, default=0, help="Seed of the examples.")
def tasks_show(name: str, knobs: tuple[str, ...], n: int, seed: int) -> None:
    """Print example problems of task NAME (state, khop, prosqa, mult, ...) with knobs K=6 m=10."""
    from overt.tasks import get_task

    task = get_task(name, **parse_knobs(knobs))
    for ex in task.examples(n, seed=seed):
        console().print(f"[bold]prompt[/bold]    {ex.prompt}")
        console().print(f"[bold]reasoning[/bold] {task.render_reasoning(ex.steps)}")
        console().print(f"[bold]answer[/bold]    {ex.answer}\n")


# ---- audit (overt.audit.cli) ----------------------------------------------------------------


def _audit_command() -> click.Command:
    from overt.audit.cli import audit_cmd

    return audit_cmd


cli.add_command(_audit_command())


# ---- serve ----------------------------------------------------------------------------------


@cli.command("serve", short_help="Serve a model as an OpenAI-compatible endpoint.")
@click.argument("model")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, help="TCP port (0: any).")
@click.option("--host", default="127.0.0.1", help="Interface to listen on.")
@click.option("--name", default="overt", help="Model id the endpoint reports.")
def serve_cmd(model: str, port: int, host: str, name: str) -> None:
    """Serve MODEL (a lab or local HF model folder) as an OpenAI-compatible endpoint."""
    import errno

    from overt.models.serve import make_server

    loaded = load_model_arg(model)
    try:
        server = make_server(loaded, host, port, name=name)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use; pick another --port") from None
        raise UsageError(
            f"cannot listen on {host}:{port} ({err.strerror or err}); check --host and --port"
        ) from None
    console().print(
        f"serving {model} as '{name}' on http://{host}:{server.server_address[1]}/v1 (Ctrl-C stops)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.shutdown()


# ---- agent (argparse subcommands in overt.agent.cli) -----------------------------------------


@cli.command(
    "agent",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def agent_cmd(args: tuple[str, ...]) -> int:
    """The reviewed agent: run, show, answer, demo, redteam (`overt agent -h`)."""
    from overt.agent.cli import parse_agent_args

    try:
        ns = parse_agent_args(list(args) or ["--help"])
    except SystemExit as done:  # argparse printed the help
        return int(done.code or 0)
    return int(ns.func(ns) or 0)


# ---- entry point ----------------------------------------------------------------------------


def _user_error(err: BaseException) -> bool:
    """Whether `err` is bad input (printed in one line) rather than a bug (traceback)."""
    if isinstance(err, UsageError):
        return True
    named = (
        ("overt.train.config", "ConfigError"),
        ("overt.tasks.base", "TaskParamError"),
        ("overt.audit.run", "AuditInputError"),
        ("overt.models.openai", "EndpointError"),
    )
    for module, name in named:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(err, cls):
            return True
    return False


def _say_error(message: str) -> None:
    for line in message.splitlines() or [""]:
        click.echo(f"error: {line}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 a run ended badly, 2 bad input, 130 Ctrl-C)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=args, prog_name="overt", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as err:
        click.echo(err.ctx.get_help() if err.ctx else "")
        return 0
    except click.UsageError as err:
        where = f" (see `{err.ctx.command_path} --help`)" if err.ctx else ""
        _say_error(f"{err.format_message()}{where}")
        return 2
    except click.Abort:
        _say_error("interrupted; rerun the same command to resume")
        return 130
    except Exception as err:
        from overt.train.rundir import TrainingStopped

        if isinstance(err, TrainingStopped):
            click.echo(str(err), err=True)
            return 130
        if not _user_error(err):
            raise
        _say_error(str(err))
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
