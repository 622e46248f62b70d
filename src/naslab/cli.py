"""The ``naslab`` command: run, resume and report studies; list what is available.

User errors (bad names, budgets, files, folders, full disks, and click's own
usage errors) print one ``error:`` line and exit with status 2; nothing already
journaled is lost. Ctrl-C prints one ``interrupted`` line and exits with 130.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from naslab.benchmarks.table import NOISE_MODES
from naslab.errors import ConfigError, NaslabError, StudyInterrupted, require_module

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def _fail(message: str, status: int = EXIT_USER_ERROR) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(status)


def _user_errors(command: F) -> F:
    """Turn NaslabError into one line on stderr and exit status 2, Ctrl-C into one line too.

    A study's Ctrl-C (:class:`~naslab.errors.StudyInterrupted`) says which folder to resume.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NaslabError as exc:
            _fail(f"error: {exc}")
        except KeyboardInterrupt as exc:
            _fail(f"interrupted: {exc}" if str(exc) else "interrupted", EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """Accept both repeated options and comma-separated lists: ``-s rs -s ls`` or ``-s rs,ls``."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _query_budget(value: str | None) -> int | None | str:
    if value is None:
        return "unset"
    if value.lower() == "none":
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(
            f"--queries takes a positive whole number or 'none', got {value!r}"
        ) from None


def _resources(value: str | None) -> dict[str, float] | None:
    """``num_gpus=1,num_cpus=4`` as a mapping (None when not given)."""
    if value is None:
        return None
    out = {}
    for item in _split((value,)):
        name, _, amount = item.partition("=")
        try:
            out[name.strip()] = float(amount)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: write resource=amount, e.g. num_gpus=1,num_cpus=4"
            ) from None
    return out


def _folder(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """A folder named on the command line; an empty name would quietly mean the current one."""
    if value is not None and not value.strip():
        raise click.BadParameter("must name a folder (. for the current one), not be empty")
    return None if value is None else Path(value)


def _writable_format(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse parquet without pyarrow before anything runs, not after a whole study."""
    if value == "parquet":
        try:
            require_module("pyarrow", "writing parquet", "parquet")
        except ConfigError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


_table_format = click.option(
    "--format", "table_format", type=click.Choice(["csv", "parquet"]), default="csv",
    show_default=True, callback=_writable_format, help="Format of the tidy evaluations table.",
)
_progress = click.option("--progress/--no-progress", default=True, show_default=True)
_run_dir = click.argument("run_dir", type=click.Path(), callback=_folder)


class _OneLineErrors(click.Group):
    """naslab's command group: click's usage errors, too, are one ``error:`` line, status 2."""

    def main(
        self, args: Sequence[str] | None = None, prog_name: str | None = None,
        complete_var: str | None = None, standalone_mode: bool = True, **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            status = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `naslab`: the help, as click does
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)  # usage errors know their command
            hint = f" (see `{ctx.command_path} --help`)" if ctx else ""
            _fail(f"error: {exc.format_message().rstrip('.')}{hint}")
        except click.Abort:  # Ctrl-C outside a command, e.g. while parsing
            _fail("interrupted", EXIT_INTERRUPTED)
        sys.exit(status if isinstance(status, int) else 0)  # ints come from --help, --version


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="naslab")
def main() -> None:
    """naslab: compare neural architecture search strategies on real benchmarks, honestly."""


@main.command()
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="TOML or YAML file with study settings; flags override it.")
@click.option("--space", help="Search space: a registered name (see `naslab list`) or a "
              "TOML/YAML space file. [default: nb201]")
@click.option("--benchmark", help="Registered benchmark name, a folder of NATS-Bench topology "
              "'simple' files, or a .csv/.parquet table. [default: nb201]")
@click.option("-d", "--dataset", "datasets", multiple=True,
              help="Dataset(s), repeat or comma-separate. [default: cifar10]")
@click.option("-s", "--strategy", "strategies", multiple=True,
              help="Strategies, repeat or comma-separate. [default: rs, anasod-rs, "
              "anasod-biased-rs, re, ls, anasod-ls]")
@click.option("--seeds", type=int, help="Number of seeds per strategy and dataset. [default: 10]")
@click.option("--first-seed", type=int, help="First seed; seeds are consecutive. [default: 0]")
@click.option("--queries", help="Query budget per trial, or 'none'. [default: 300]")
@click.option("--cost", "max_cost", type=float,
              help="Budget in simulated GPU-seconds per trial "
              "(with --queries: whichever ends first).")
@click.option("--noise", type=click.Choice(list(NOISE_MODES)),
              help="'sample': each query reports one training seed's accuracy (the ANASOD "
              "protocol); 'mean': the seed mean. [default: sample]")
@click.option("--metric", help="A table's searched column (per-seed <metric>_seed<i> or the "
              "seed mean <metric>). [default: valid, accuracy % shown as validation error]")
@click.option("--goal", type=click.Choice(["min", "max"]),
              help="Whether a lower or a higher --metric is better (needed with --metric).")
@click.option("--stop-at-optimum", is_flag=True, default=None,
              help="End each trial at its first query of a global optimum of the table "
              "(samples-to-optimum studies; use --noise mean).")
@click.option("--batch-size", type=int, help="Architectures asked per step; a training "
              "study evaluates them in parallel. [default: 1]")
@click.option("--async", "asynchronous", is_flag=True, default=None,
              help="Keep --batch-size evaluations per trial in flight and ask for a new "
              "architecture whenever one finishes, instead of waiting for the whole batch.")
@click.option("--workers", type=int, help="Parallel workers: whole trials of a table study, "
              "single evaluations otherwise. [default: 1]")
@click.option("--executor", type=click.Choice(["inline", "process", "ray"]),
              help="Where evaluations run. [default: inline for 1 worker, else process]")
@click.option("--ray-address", help="Join the Ray cluster at this address (e.g. auto) instead "
              "of starting a local one.")
@click.option("--resources", callback=lambda ctx, param, value: _resources(value),
              help="Ray resources per evaluation, e.g. num_gpus=1,num_cpus=4.")
@click.option("--device", help="Training studies: the device to train on, e.g. cuda.")
@click.option("-o", "--out", type=click.Path(), callback=_folder,
              help="Run folder to create, or an empty folder to fill (. for the current one). "
              "[default: runs/<date>-<time>]")
@click.option("--overwrite", is_flag=True, help="Replace an existing run folder (never the "
              "current folder or one holding it, nor one another naslab process uses).")
@_table_format
@_progress
@_user_errors
def run(config_file: Path | None, queries: str | None, out: Path | None, overwrite: bool,
        table_format: str, progress: bool, **flags: Any) -> None:
    """Run a study: strategies x datasets x seeds on a benchmark, then report.

    With no options this is naslab's main job: NB201 cifar10, six strategies, 10 seeds,
    300 queries each, 'sample' noise.
    """
    from naslab.study.config import StudyConfig
    from naslab.study.runner import run_study

    config = StudyConfig.from_file(config_file) if config_file else StudyConfig()
    overrides = {k: v for k, v in flags.items() if v not in (None, ())}
    for key in ("datasets", "strategies"):
        if key in overrides:
            overrides[key] = _split(overrides[key])
    budget = _query_budget(queries)
    if budget != "unset":
        overrides["max_queries"] = budget
    if "device" in overrides:
        overrides["training"] = {**config.training, "device": overrides.pop("device")}
    config = dataclasses.replace(config, **overrides).validated()
    run_dir = out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    _write_report(run_study(config, run_dir, overwrite=overwrite, progress=progress),
                  table_format)


_repoint = click.option(
    "--benchmark", help="The run's table file or folder at its new place, if it moved "
    "(it must be the same table: its fingerprint is checked).",
)


@main.command()
@_run_dir
@_repoint
@_table_format
@_progress
@_user_errors
def resume(run_dir: Path, benchmark: str | None, table_format: str, progress: bool) -> None:
    """Continue a killed or interrupted run: nothing journaled is lost or repeated."""
    from naslab.study.runner import resume_study

    _write_report(resume_study(run_dir, progress=progress, benchmark=benchmark), table_format)


@main.command()
@_run_dir
@_repoint
@_table_format
@_user_errors
def report(run_dir: Path, benchmark: str | None, table_format: str) -> None:
    """Print a run's comparison table and (re)write its tables and plots.

    Refused while another naslab process runs or resumes the folder: its report
    is written when it ends.
    """
    _write_report(run_dir, table_format, benchmark)


def _write_report(run_dir: Path, table_format: str, benchmark: str | None = None) -> None:
    """Report ``run_dir`` (see :func:`naslab.study.reporting.report_run`) and print its tables."""
    from naslab.study.reporting import report_run

    try:
        result = report_run(run_dir, table_format=table_format, benchmark=benchmark)
    except KeyboardInterrupt:  # its files are written whole or not at all
        raise StudyInterrupted(
            "the journal is whole but the report unfinished; "
            f"`naslab report {shlex.quote(str(run_dir))}` writes it"
        ) from None
    click.echo(result.text)
    click.echo(f"\nresults: {run_dir}")


@main.command()
@click.argument("name")
@click.option("-o", "--out", type=click.Path(), callback=_folder,
              help="Output folder; an existing one is resumed, never deleted. "
              "[default: runs/<name>]")
@click.option("--seeds", type=int, help="Seeds per method and dataset (fewer than the "
              "paper's for a smaller version). [default: the paper's]")
@click.option("-d", "--dataset", "datasets", multiple=True,
              help="Dataset(s) to run, repeat or comma-separate. [default: the paper's]")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Trials run in parallel processes (results do not depend on it).")
@_progress
@_user_errors
def reproduce(name: str, out: Path | None, seeds: int | None, datasets: tuple[str, ...],
              workers: int, progress: bool) -> None:
    """Reproduce a published experiment (see `naslab list`) and compare it with the paper.

    Runs the paper's studies into subfolders of --out, then writes the comparison
    there; re-running the same command resumes unfinished studies and reports again.
    """
    from naslab.reproduce import REPRODUCTIONS, Options

    reproduction = REPRODUCTIONS.get(name)()
    folder = out or Path("runs") / REPRODUCTIONS.canonical(name)
    options = Options(seeds=seeds, datasets=_split(datasets) or None, workers=workers,
                      progress=progress)
    result = reproduction.run(folder, options)
    click.echo(result.text)
    click.echo(f"results: {folder}")


@main.command()
@click.argument("space", required=False)
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="TOML or YAML file of tabulation settings (space, datasets, seeds, out, "
              "[training], ...); flags override it.")
@click.option("-d", "--data", "datasets", multiple=True,
              help="Data set(s) to train on, repeat or comma-separate. [default: digits]")
@click.option("--epochs", type=int, help="Training epochs per architecture. [default: the "
              "preset's]")
@click.option("--seeds", type=int, help="Training seeds per architecture: columns "
              "valid_seed0, valid_seed1, ... [default: 1]")
@click.option("--sample", type=int, help="Train N architectures drawn uniformly (the same "
              "for every seed) instead of all of them.")
@click.option("--limit", type=int, help="Keep this many training images (quick tables).")
@click.option("--preset", help="Training preset: nb201, darts, anasod-search, quick. "
              "[default: quick]")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Any training setting, repeatable: --set lr=0.1 --set batch_size=16 "
              "--set network.channels=8.")
@click.option("--device", help="Where to train: cpu, cuda, cuda:1, ... [default: cpu]")
@click.option("-o", "--out", type=click.Path(), callback=_folder,
              help="The table to write: .csv, or .parquet / .pq (needs pyarrow).")
@click.option("--run-dir", type=click.Path(), callback=_folder,
              help="The training study's run folder; an existing one is resumed. "
              "[default: runs/tabulate-<table name>]")
@click.option("--workers", type=int, help="Trainings run in parallel. [default: 1]")
@click.option("--executor", type=click.Choice(["inline", "process", "ray"]),
              help="Where trainings run. [default: inline for 1 worker, else process]")
@click.option("--ray-address", help="The Ray cluster to run on (with --executor ray).")
@click.option("--resources", callback=lambda ctx, param, value: _resources(value),
              help="Ray resources per training, e.g. num_gpus=1,num_cpus=4.")
@_progress
@_user_errors
def tabulate(space: str | None, config_file: Path | None, datasets: tuple[str, ...],
             settings: tuple[str, ...], out: Path | None, run_dir: Path | None,
             progress: bool, **flags: Any) -> None:
    """Train every architecture of SPACE and write the results as a benchmark table.

    Every architecture is trained once per seed (the same architectures for every
    seed); the table (one row per architecture: arch, valid_seed<i>, test,
    train_time, params, flops, ...) is what `naslab run --benchmark TABLE --space
    SPACE` searches. Re-running the same command resumes the run folder.
    """
    import warnings

    from naslab.study.tabulate import read_tabulation_file
    from naslab.study.tabulate import tabulate as tabulate_space

    given = read_tabulation_file(config_file) if config_file else {}
    training = dict(given.pop("training", None) or {})
    if not isinstance(training, dict):
        raise ConfigError(f"tabulation file {config_file}: [training] must map settings "
                          f"to values, got {training!r}")
    for key in ("epochs", "limit", "preset", "device"):
        if flags[key] is not None:
            training[key] = flags.pop(key)
        else:
            del flags[key]
    for setting in settings:
        _merge(training, _training_setting(setting))
    overrides = {k: v for k, v in flags.items() if v is not None}
    if space is not None:
        overrides["space"] = space
    if datasets:
        overrides["datasets"] = _split(datasets)
    if out is not None:
        overrides["out"] = out
    if run_dir is not None:
        overrides["run_dir"] = run_dir
    arguments = {"datasets": ("digits",), **given, **overrides, "training": training}
    if "space" not in arguments:
        raise ConfigError("name the SPACE to tabulate (or give --config FILE)")
    if "out" not in arguments:
        raise ConfigError("name the table to write with --out TABLE.csv")
    table = Path(arguments["out"])
    arguments.setdefault("run_dir", Path("runs") / f"tabulate-{table.stem}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = tabulate_space(progress=progress, **arguments)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    click.echo(f"table: {written}")
    click.echo(f"run: {Path(arguments['run_dir']).resolve()}")


def _training_setting(text: str) -> dict[str, Any]:
    """``key=value`` as a mapping: the value read as TOML (numbers, true, [lists]) or else as
    text; a dotted key (``network.channels=8``) makes nested mappings."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise ConfigError(f"--set takes KEY=VALUE (e.g. lr=0.1), got {text!r}")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        parsed = tomllib.loads(f"{key} = {value}")
    except tomllib.TOMLDecodeError:
        try:
            parsed = tomllib.loads(f"{key} = {json.dumps(value)}")
        except tomllib.TOMLDecodeError:
            raise ConfigError(f"--set: {key!r} is not a setting name") from None
    return parsed


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Merge ``new`` into ``into``, nested mappings key by key."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


@main.command(name="list")
@click.option("--space", "space_files", multiple=True, type=click.Path(),
              help="Also list the space a TOML/YAML file defines (repeatable).")
@_user_errors
def list_(space_files: tuple[str, ...]) -> None:
    """List search spaces (registered, plugins', files'), benchmarks, datasets, strategies, ..."""
    from naslab.benchmarks import BENCHMARKS, DATASETS, TRAINING_BENCHMARK
    from naslab.reproduce import REPRODUCTIONS
    from naslab.spaces import SPACES, describe_space, load_space_file
    from naslab.strategies import STRATEGIES

    files = [(f"{path}", describe_space(load_space_file(path))) for path in space_files]
    sections = {
        "search spaces": SPACES.listing() + files
        + [("FILE", "a TOML/YAML space definition (see naslab.spaces.definition)")],
        "benchmarks": BENCHMARKS.listing()
        + [("PATH", "a folder of NATS-Bench topology 'simple' files, or a .csv/.parquet table"),
           (TRAINING_BENCHMARK, "train every asked architecture for real ([training] settings) "
            "on digits, fashion-mnist, cifar10, cifar100 or a .npz of arrays")],
        "datasets": list(DATASETS.items()),
        "strategies": STRATEGIES.listing(),
        "noise modes": list(NOISE_MODES.items()),
        "reproductions (naslab reproduce NAME)": REPRODUCTIONS.listing(),
    }
    for title, rows in sections.items():
        click.echo(f"{title}:")
        width = max(len(name) for name, _ in rows)
        for name, summary in rows:
            click.echo(f"  {name:<{width}}  {summary}".rstrip())
