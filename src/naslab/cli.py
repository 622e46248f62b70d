"""The ``naslab`` command: run, resume and report studies; list what is available.

User errors (bad names, budgets, files, folders) print one ``error:`` line and
exit with status 2; nothing already journaled is lost.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from naslab.benchmarks.table import NOISE_MODES
from naslab.errors import ConfigError, NaslabError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USER_ERROR = 2


def _user_errors(command: F) -> F:
    """Turn NaslabError into one line on stderr and exit status 2, Ctrl-C into a resume hint."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NaslabError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted: every finished evaluation is journaled; "
                       "continue with `naslab resume RUN_DIR`", err=True)
            sys.exit(130)

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


_table_format = click.option(
    "--format", "table_format", type=click.Choice(["csv", "parquet"]), default="csv",
    show_default=True, help="Format of the tidy evaluations table.",
)
_progress = click.option("--progress/--no-progress", default=True, show_default=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="naslab")
def main() -> None:
    """naslab: compare neural architecture search strategies on real benchmarks, honestly."""


@main.command()
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="TOML or YAML file with study settings; flags override it.")
@click.option("--space", help="Search space (see `naslab list`). [default: nb201]")
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
@click.option("--batch-size", type=int, help="Architectures asked per step. [default: 1]")
@click.option("--workers", type=int, help="Trials run in parallel processes. [default: 1]")
@click.option("-o", "--out", type=click.Path(path_type=Path),
              help="Run folder to create. [default: runs/<date>-<time>]")
@click.option("--overwrite", is_flag=True, help="Replace an existing run folder.")
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
    config = dataclasses.replace(config, **overrides).validated()
    run_dir = out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    run_study(config, run_dir, overwrite=overwrite, progress=progress)
    _report(run_dir, table_format)


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@_table_format
@_progress
@_user_errors
def resume(run_dir: Path, table_format: str, progress: bool) -> None:
    """Continue a killed or interrupted run: nothing journaled is lost or repeated."""
    from naslab.study.runner import resume_study

    resume_study(run_dir, progress=progress)
    _report(run_dir, table_format)


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@_table_format
@_user_errors
def report(run_dir: Path, table_format: str) -> None:
    """Print a run's comparison table and (re)write its tables and plots."""
    _report(run_dir, table_format)


def _report(run_dir: Path, table_format: str) -> None:
    """Report the run as its journal records it: its own settings and how far each trial got."""
    from naslab.analysis import RunInfo, build_report
    from naslab.benchmarks import FUNCTION_PREFIX
    from naslab.observation import table_metric
    from naslab.study.journal import Journal, read_evaluations
    from naslab.study.trial import cached_objective

    with Journal(run_dir, read_only=True) as journal:
        config, statuses = journal.config(), journal.statuses()
    function = config.benchmark.startswith(FUNCTION_PREFIX)  # a Python function: no table
    run = RunInfo(config.strategies, config.datasets, tuple(config.seed_list), statuses,
                  config.max_queries, config.max_cost, None if function else config.noise)
    evaluations = read_evaluations(run_dir)
    benchmarks = {} if function else {
        d: cached_objective(config, d).benchmark for d in config.datasets
    }
    result = build_report(evaluations, benchmarks, run_dir, run=run, table_format=table_format,
                          metric=table_metric(config.metric, config.goal))
    click.echo(result.text)
    click.echo(f"\nresults: {run_dir}")


@main.command(name="list")
def list_() -> None:
    """List search spaces, benchmarks, datasets and strategies."""
    from naslab.benchmarks import BENCHMARKS, DATASETS
    from naslab.spaces import SPACES
    from naslab.strategies import STRATEGIES

    sections = {
        "search spaces": [(e.name, e.summary) for e in SPACES],
        "benchmarks": [(e.name, e.summary) for e in BENCHMARKS]
        + [("PATH", "a folder of NATS-Bench topology 'simple' files, or a .csv/.parquet table")],
        "datasets": list(DATASETS.items()),
        "strategies": [(e.name, e.summary) for e in STRATEGIES],
        "noise modes": list(NOISE_MODES.items()),
    }
    for title, rows in sections.items():
        click.echo(f"{title}:")
        width = max(len(name) for name, _ in rows)
        for name, summary in rows:
            click.echo(f"  {name:<{width}}  {summary}".rstrip())
