"""What a reproduction is, the registry of them, and running its studies resumably.

A reproduction re-runs a published experiment in one command: it plans one or
more studies (subfolders of its output folder), runs or resumes each with the
study runner, and writes a comparison with the paper's numbers. It never
deletes anything: re-running it on the same folder resumes the unfinished
studies (see :func:`run_or_resume`) and then reports again.

A new reproduction is a class with ``run(out, options)`` plus one
``@REPRODUCTIONS.register(...)`` line (one made of studies subclasses
:class:`StudiesReproduction`: it plans them and reports on them, the base runs
them); its constructor's defaults are the
paper's protocol, so tests may build a smaller one (shorter budgets) directly
while the command always runs the paper's.
"""

from __future__ import annotations

import dataclasses
import shlex
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from naslab.errors import ConfigError, StudyInterrupted, os_errors_as
from naslab.registry import Registry
from naslab.study.config import StudyConfig
from naslab.study.journal import JOURNAL_FILE, Journal
from naslab.study.lock import run_folder_lock
from naslab.study.runner import reopen, resume_study, run_study


@dataclass(frozen=True)
class Options:
    """What a user may change of a reproduction from the command line.

    ``seeds`` and ``datasets`` of None mean the paper's; fewer make a smaller
    version, which the written report says. ``workers`` (parallel trial
    processes) changes nothing in the results.
    """

    seeds: int | None = None
    datasets: tuple[str, ...] | None = None
    workers: int = 1
    progress: bool = True


@dataclass(frozen=True)
class Study:
    """One of the reproduction's studies: its subfolder, query budget and strategies."""

    folder: str
    max_queries: int
    strategies: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    """What a reproduction made: the text the CLI prints and the files it wrote."""

    text: str
    files: list[Path]


class Reproduction(Protocol):
    """Runs (or resumes) a published experiment into ``out`` and reports it against the paper."""

    def run(self, out: Path, options: Options) -> Result: ...


class StudiesReproduction(ABC):
    """A reproduction made of studies: ``configs`` plans them, ``run`` runs or resumes them
    all (every setting checked before anything runs), then ``report`` compares them with
    the paper. ``name`` is its registered name, which the resume command repeats."""

    name: ClassVar[str]

    @abstractmethod
    def configs(self, options: Options) -> dict[str, StudyConfig]:
        """Every study's config by folder (a subfolder of the output folder)."""

    @abstractmethod
    def report(self, out: Path, configs: Mapping[str, StudyConfig]) -> Result:
        """Write the comparison with the paper into ``out`` from the studies of ``configs``."""

    def run(self, out: Path, options: Options) -> Result:
        out = Path(out).resolve()
        configs = self.configs(options)
        run_studies(self.name, configs, out, options)
        with os_errors_as(f"cannot write the report of {out}"):
            return self.report(out, configs)


REPRODUCTIONS: Registry[type[Reproduction]] = Registry("reproduction")


def run_or_resume(config: StudyConfig, run_dir: Path, *, progress: bool, command: str) -> Path:
    """Run ``config`` into ``run_dir``, or resume the study already there; return its path.

    A study already in ``run_dir`` must have the same plan as ``config`` (all but
    ``workers``, which is updated since it changes nothing in the results);
    another plan is refused in one line rather than mixed in. ``command`` is what
    the user re-runs to continue after Ctrl-C.
    """
    config = config.validated()
    run_dir = Path(run_dir).resolve()
    try:
        if not (run_dir / JOURNAL_FILE).exists():
            return run_study(config, run_dir, progress=progress)
        journaled = reopen(run_dir)
        if _plan(journaled) != _plan(config):
            raise ConfigError(
                f"{run_dir} holds a study of {_describe(journaled)}, not the requested "
                f"{_describe(config)}; re-run with the options it was started with "
                "or choose another --out"
            )
        if journaled.workers != config.workers:
            with run_folder_lock(run_dir), Journal(run_dir) as journal:
                journal.replace_config(dataclasses.replace(journaled, workers=config.workers))
        return resume_study(run_dir, progress=progress)
    except StudyInterrupted:
        raise StudyInterrupted(
            f"every finished evaluation is journaled; `{command}` continues it"
        ) from None


def study_config(study: Study, options: Options, *, datasets: tuple[str, ...], seeds: int,
                 **settings: object) -> StudyConfig:
    """``study``'s validated NB201 config: the paper's ``datasets`` and ``seeds`` unless the
    user's ``options`` name fewer, the user's workers, and the reproduction's other settings."""
    return StudyConfig(
        benchmark="nb201",
        datasets=datasets if options.datasets is None else options.datasets,
        strategies=study.strategies,
        seeds=seeds if options.seeds is None else options.seeds,
        max_queries=study.max_queries,
        workers=options.workers,
        **settings,  # type: ignore[arg-type]
    ).validated()


def run_studies(name: str, configs: Mapping[str, StudyConfig], out: Path, options: Options
                ) -> None:
    """Run or resume every study of reproduction ``name``, each in its subfolder of ``out``."""
    command = reproduce_command(name, out, options)
    for folder, config in configs.items():
        run_or_resume(config, out / folder, progress=options.progress, command=command)


def reproduce_command(name: str, out: Path, options: Options) -> str:
    """The command line that runs (or continues) reproduction ``name`` with ``options``."""
    words = ["naslab", "reproduce", name, "--out", quoted(out)]
    if options.seeds is not None:
        words += ["--seeds", str(options.seeds)]
    if options.datasets is not None:
        words += ["-d", shlex.quote(",".join(options.datasets))]
    return " ".join(words)


def quoted(path: Path) -> str:
    return shlex.quote(str(path))


def _plan(config: StudyConfig) -> dict[str, object]:
    plan = config.to_dict()
    plan.pop("workers")
    return plan


def _describe(config: StudyConfig) -> str:
    seeds = f"{config.seeds} seed{'' if config.seeds == 1 else 's'}"
    return (f"{seeds} on {', '.join(config.datasets)} at {config.max_queries} queries "
            f"({', '.join(config.strategies)})")
