"""Build a benchmark table of one's own: train every architecture of a space, then tabulate it.

:func:`tabulate` runs a training study with the ``exhaustive`` strategy (every
architecture once, the same ones for every seed; a trial per dataset and seed,
so seed ``i`` is training seed ``i`` of every architecture) and writes its
journal as a table in the wide user-table format
(:mod:`naslab.benchmarks.user_table`), which ``load_benchmark`` and table
studies read back (``naslab run --benchmark TABLE.csv --space SPACE``). This is
seed 001's ground truth (section 4.3: every architecture of a small space
trained stand-alone with several seeds) for any space and data set.

The run folder is an ordinary study: every evaluation is journaled as it
finishes, a killed tabulation resumes where it stopped (calling
:func:`tabulate` again with the same ``run_dir`` and settings), and
``naslab report`` reads it.

Columns, one row per architecture (and per dataset: a ``dataset`` column when
there are several):

- ``arch``: the canonical string;
- ``valid_seed<i>``: validation accuracy (%) of training seed ``i``, empty
  where that training failed;
- ``test``: test accuracy (%), the mean over the seeds that trained;
- ``train_time``: training seconds, the mean over every seed (a failed one
  counts the seconds until it failed): what querying the table costs;
- ``params``, ``flops``: the network's size;
- ``val_loss``, ``test_loss``, ``train_acc``, ``train_loss``: means over the
  seeds that trained (a table study carries them into its tidy table).

An architecture whose every training failed has no value a table can hold:
it gets no row (the table then covers part of the space, which table studies
accept) and :func:`tabulate` warns how many; the journal keeps the reasons.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naslab.benchmarks import TRAINING_BENCHMARK
from naslab.benchmarks.user_table import DATASET_COLUMN, PARQUET_SUFFIXES
from naslab.errors import ConfigError, require_module
from naslab.files import read_mapping
from naslab.spaces import SearchSpace, resolve_space
from naslab.study.config import StudyConfig
from naslab.study.journal import JOURNAL_FILE, Journal, read_config, read_evaluations
from naslab.study.lock import run_folder_lock
from naslab.study.runner import resume_study, run_study

#: The strategy a tabulation runs.
STRATEGY = "exhaustive"
#: Settings that say where and how fast evaluations run, not what the table holds: a
#: resumed tabulation may change them.
EXECUTION_KEYS = ("workers", "executor", "ray_address", "resources")
#: Training settings that do not change what is trained (where it runs).
EXECUTION_TRAINING_KEYS = ("device",)
#: Per-architecture means of these journaled metrics become columns of the same name.
MEAN_COLUMNS = ("val_loss", "test_loss", "train_acc", "train_loss")


#: The keys of a tabulation file (TOML / YAML): :func:`tabulate`'s arguments.
FILE_KEYS = ("space", "datasets", "training", "seeds", "sample", "out", "run_dir", "workers",
             "executor", "ray_address", "resources", "asynchronous")


class TabulateWarning(UserWarning):
    """Something the table leaves out (architectures whose every training failed)."""


def tabulate(
    space: str | Mapping[str, Any] | SearchSpace,
    datasets: str | Sequence[str],
    training: Mapping[str, Any],
    *,
    seeds: int = 1,
    sample: int | None = None,
    run_dir: str | Path,
    out: str | Path,
    workers: int = 1,
    executor: str | None = None,
    ray_address: str | None = None,
    resources: Mapping[str, float] | None = None,
    asynchronous: bool = True,
    progress: bool = True,
) -> Path:
    """Train every architecture of ``space`` (or a uniform ``sample`` of them) on each of
    ``datasets`` with ``seeds`` training seeds, and write the table to ``out``.

    ``space`` is a registered name, a TOML / YAML space file, a space definition
    or a space object; ``training`` holds the training settings
    (:mod:`naslab.training.settings`). Runs the study into ``run_dir``, or
    resumes it where ``run_dir`` already holds this tabulation (then the
    execution settings may differ; anything that changes the table may not).
    ``out`` ends in ``.csv``, or ``.parquet`` / ``.pq`` (needs pyarrow). With
    ``workers`` > 1, each trial keeps ``workers`` trainings in flight. Returns
    ``out``'s resolved path.
    """
    out = Path(out).expanduser().resolve()
    run_dir = Path(run_dir).expanduser().resolve()
    _check_out(out, run_dir)
    config = tabulation_config(
        space, datasets, training, seeds=seeds, sample=sample, workers=workers,
        executor=executor, ray_address=ray_address, resources=resources,
        asynchronous=asynchronous,
    )
    if (run_dir / JOURNAL_FILE).exists():
        _adopt_execution(run_dir, config)
        resume_study(run_dir, progress=progress)
    else:
        run_study(config, run_dir, progress=progress)
    table, dropped = table_of_run(run_dir)
    if dropped:
        warnings.warn(
            f"{dropped} architecture(s) failed to train with every seed and have no row in "
            f"{out.name}; their reasons are in the failure column of the run's evaluations",
            TabulateWarning, stacklevel=2,
        )
    _write(table, out)
    return out


def read_tabulation_file(path: str | Path) -> dict[str, Any]:
    """The settings a ``.toml`` / ``.yaml`` tabulation file holds, as :func:`tabulate`'s
    keyword arguments (paths in it are relative to the current folder, as on the command
    line). Unknown keys are refused; values are checked by :func:`tabulate`."""
    data = read_mapping(Path(path), "tabulation file")
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(
            f"tabulation file {path}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(FILE_KEYS)}"
        )
    for key in ("out", "run_dir"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise ConfigError(f"tabulation file {path}: {key} must name a file or folder, "
                              f"got {data[key]!r}")
    return data


def tabulation_config(
    space: str | Mapping[str, Any] | SearchSpace,
    datasets: str | Sequence[str],
    training: Mapping[str, Any],
    *,
    seeds: int = 1,
    sample: int | None = None,
    workers: int = 1,
    executor: str | None = None,
    ray_address: str | None = None,
    resources: Mapping[str, float] | None = None,
    asynchronous: bool = True,
) -> StudyConfig:
    """The validated study config :func:`tabulate` runs (its arguments: see there)."""
    spec = _space_spec(space)
    if isinstance(sample, bool) or not (sample is None or isinstance(sample, int)):
        raise ConfigError(f"sample must be a whole number of architectures, got {sample!r}")
    if sample is not None and sample < 1:
        raise ConfigError(f"sample must be at least 1 architecture, got {sample}")
    names = (datasets,) if isinstance(datasets, str) else tuple(datasets)
    size = len(resolve_space(spec))
    if sample is not None and sample > size:
        raise ConfigError(
            f"sample {sample:,} is more than the {size:,} architectures of the space"
        )
    params = {STRATEGY: {"sample": sample}} if sample is not None else {}
    return StudyConfig(
        space=spec, benchmark=TRAINING_BENCHMARK, datasets=names, strategies=(STRATEGY,),
        seeds=seeds, max_queries=sample or size, batch_size=workers, workers=workers,
        strategy_params=params, asynchronous=asynchronous, executor=executor,
        ray_address=ray_address, resources=dict(resources or {}), training=dict(training),
    ).validated()


def _space_spec(space: str | Mapping[str, Any] | SearchSpace) -> str | Mapping[str, Any]:
    """What a study config holds for ``space``: a name, a file or a definition."""
    if isinstance(space, (str, Mapping)):
        return space
    return space.definition() or space.name


def table_of_run(run_dir: str | Path) -> tuple[pd.DataFrame, int]:
    """The table of a tabulation's run folder and how many architectures it leaves out
    (module doc: the columns). Evaluations not journaled yet leave their cells empty."""
    config = read_config(Path(run_dir))
    evals = read_evaluations(Path(run_dir))
    evals = evals[evals["strategy"] == STRATEGY]
    if evals.empty:
        raise ConfigError(f"run {run_dir} has no evaluations to tabulate yet")
    trained = evals["value"].notna()
    for column in ("val_acc", "test_acc", "params", "flops", *MEAN_COLUMNS):
        if column not in evals.columns:  # no evaluation reported it (e.g. all failed)
            evals = evals.assign(**{column: np.nan})
    # Only a trained evaluation's metrics count (a failed one reports its sizes alone).
    evals = evals.assign(**{c: evals[c].where(trained)
                            for c in ("val_acc", "test_acc", *MEAN_COLUMNS)})
    frames = []
    dropped = 0
    for dataset in config.datasets:
        rows = evals[evals["dataset"] == dataset]
        order = list(dict.fromkeys(rows.sort_values(["seed", "step"])["arch"]))
        table = pd.DataFrame(index=pd.Index(order, name="arch"))
        for seed in config.seed_list:
            of_seed = rows[rows["seed"] == seed].groupby("arch", sort=False)["val_acc"]
            table[f"valid_seed{seed}"] = of_seed.mean().reindex(order)
        per_arch = rows.groupby("arch", sort=False)
        table["test"] = per_arch["test_acc"].mean().reindex(order)
        table["train_time"] = per_arch["cost"].mean().reindex(order)
        for column in ("params", "flops"):  # the same for every seed
            table[column] = per_arch[column].first().reindex(order)
        for column in MEAN_COLUMNS:
            table[column] = per_arch[column].mean().reindex(order)
        keep = table.filter(regex=r"^valid_seed\d+$").notna().any(axis=1)
        dropped += int((~keep).sum())
        table = table[keep].reset_index()
        if len(config.datasets) > 1:
            table.insert(0, DATASET_COLUMN, dataset)
        frames.append(table)
    return pd.concat(frames, ignore_index=True), dropped


def _check_out(out: Path, run_dir: Path) -> None:
    """Refuse an output the table cannot be written to, before anything trains."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", *PARQUET_SUFFIXES):
        raise ConfigError(f"the table {out} must end in .csv, .parquet or .pq")
    if suffix in PARQUET_SUFFIXES:
        require_module("pyarrow", f"writing {out.name}", "parquet")
    if out.is_dir():
        raise ConfigError(f"the table {out} is a folder; name a file")
    if out == run_dir or run_dir in out.parents:
        raise ConfigError(f"write the table {out} outside its run folder {run_dir}")


def _adopt_execution(run_dir: Path, config: StudyConfig) -> None:
    """Resuming ``run_dir``: refuse other table settings, take the new execution settings."""
    journaled = read_config(run_dir).validated()
    if journaled.strategies != (STRATEGY,) or journaled.benchmark != TRAINING_BENCHMARK:
        raise ConfigError(
            f"{run_dir} is a naslab run but not a tabulation; choose another run folder"
        )
    wanted, held = _what_it_tabulates(config), _what_it_tabulates(journaled)
    changed = [key for key in wanted if wanted[key] != held[key]]
    if changed:
        raise ConfigError(
            f"{run_dir} tabulates with other settings ({', '.join(changed)} differ); "
            "give the same settings to resume it, or another run folder"
        )
    training = {k: v for k, v in journaled.training.items() if k not in EXECUTION_TRAINING_KEYS}
    training.update({k: config.training[k] for k in EXECUTION_TRAINING_KEYS
                     if k in config.training})
    new = dataclasses.replace(  # batch_size stays: it fixes the journal's order of tells
        journaled, training=training, **{k: getattr(config, k) for k in EXECUTION_KEYS}
    ).validated()
    if new != journaled:
        with run_folder_lock(run_dir), Journal(run_dir) as journal:
            journal.replace_config(new)


def _what_it_tabulates(config: StudyConfig) -> dict[str, Any]:
    """The settings of ``config`` that decide the table's values (not where they are computed)."""
    values = config.to_dict()
    for key in (*EXECUTION_KEYS, "batch_size"):
        del values[key]
    values["training"] = {k: v for k, v in values["training"].items()
                          if k not in EXECUTION_TRAINING_KEYS}
    return values


def _write(table: pd.DataFrame, out: Path) -> None:
    """Write ``table`` whole or not at all (a temporary file renamed into place)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        if out.suffix.lower() == ".csv":
            table.to_csv(partial, index=False)
        else:
            table.to_parquet(partial, index=False)
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the table {out}: {exc.strerror or exc}") from None
