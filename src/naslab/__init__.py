"""naslab: a laboratory for neural architecture search.

The main names, for use as a library (see :mod:`naslab.api`)::

    import naslab
    search = naslab.strategy("re", naslab.NB201Space(), seed=0)
    result = naslab.optimize(fn, space, ["rs", "re"], seeds=5, max_queries=100, run_dir="runs/x")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: name -> module it lives in; imported on first use so ``import naslab`` stays light.
_EXPORTS: dict[str, str] = {
    "strategy": "naslab.api",
    "optimize": "naslab.api",
    "StudyResult": "naslab.api",
    "Architecture": "naslab.spaces",
    "CategoricalSpace": "naslab.spaces",
    "NB201Space": "naslab.spaces",
    "Position": "naslab.spaces",
    "RestrictedSpace": "naslab.spaces",
    "SearchSpace": "naslab.spaces",
    "load_space_file": "naslab.spaces",
    "STRATEGIES": "naslab.strategies",
    "Strategy": "naslab.strategies",
    "Metric": "naslab.observation",
    "Observation": "naslab.observation",
    "load_benchmark": "naslab.benchmarks",
    "TableObjective": "naslab.benchmarks",
    "TabularBenchmark": "naslab.benchmarks",
    "StudyConfig": "naslab.study",
    "run_study": "naslab.study",
    "resume_study": "naslab.study",
    "read_evaluations": "naslab.study",
    "NaslabError": "naslab.errors",
}

__all__ = [
    "STRATEGIES", "Architecture", "CategoricalSpace", "Metric", "NB201Space", "NaslabError",
    "Observation", "Position", "RestrictedSpace", "SearchSpace", "Strategy", "StudyConfig",
    "StudyResult", "TableObjective", "TabularBenchmark", "__version__", "load_benchmark",
    "load_space_file", "optimize", "read_evaluations", "resume_study", "run_study", "strategy",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'naslab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # static checkers see the names directly
    from naslab.api import StudyResult, optimize, strategy
    from naslab.benchmarks import TableObjective, TabularBenchmark, load_benchmark
    from naslab.errors import NaslabError
    from naslab.observation import Metric, Observation
    from naslab.spaces import (
        Architecture,
        CategoricalSpace,
        NB201Space,
        Position,
        RestrictedSpace,
        SearchSpace,
        load_space_file,
    )
    from naslab.strategies import STRATEGIES, Strategy
    from naslab.study import StudyConfig, read_evaluations, resume_study, run_study
