"""What a study runs: one frozen, validated, serialisable configuration.

A study is the grid strategies x datasets x seeds, each cell a *trial* that
searches one benchmark table under a query and/or cost budget. The config is
stored in the run's journal, so ``naslab resume`` needs nothing but the folder.
Every setting is checked up front and a bad one raises a one-line
:class:`~naslab.errors.ConfigError` (or :class:`~naslab.errors.UnknownNameError`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naslab.benchmarks import (
    BENCHMARKS,
    FUNCTION_PREFIX,
    TRAINING_BENCHMARK,
    canonical_dataset,
    is_table,
)
from naslab.benchmarks.table import canonical_noise
from naslab.errors import ConfigError
from naslab.files import read_mapping
from naslab.observation import table_metric
from naslab.spaces import SPACES, is_space_file, resolve_space
from naslab.strategies import STRATEGIES, Strategy

#: Arguments the runner passes to every strategy itself; ``strategy_params`` may not set them.
RUNNER_ARGUMENTS = ("space", "rng", "max_queries")
#: Largest accepted count per setting: beyond these a study is a typo, not a plan.
COUNT_LIMITS = {"seeds": 1_000_000, "batch_size": 100_000, "workers": 1_024}
#: Seeds are journaled as SQLite INTEGERs (signed 64-bit), so the last one must fit.
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class StudyConfig:
    """A study: every strategy on every dataset with every seed, under one budget.

    A trial stops after ``max_queries`` evaluations or once its cumulative cost
    (simulated GPU-seconds) reaches ``max_cost``, whichever comes first; either
    budget may be ``None`` but not both. ``batch_size`` architectures are asked
    per ``ask()``; ``workers`` trials run in parallel processes (results do not
    depend on it). ``strategy_params`` maps a strategy name to extra keyword
    arguments of its constructor.

    ``space`` is a registered name, a TOML / YAML space file, or a space
    definition; a validated config holds a file's definition itself, so a run
    reopens without the file. ``metric`` names a table's searched column
    (default: ``valid`` accuracy, shown as validation error) and ``goal`` says
    whether lower ('min') or higher ('max') is better.

    ``stop_at_optimum`` also ends a trial with its first query of a globally
    optimal architecture (the table's best seed mean), the protocol of
    samples-to-optimum studies (seed 002, section 4.2); it needs a benchmark table.

    Where evaluations run: ``executor`` is ``inline``, ``process`` (a pool of
    ``workers`` processes) or ``ray`` (``workers`` evaluations at a time on a Ray
    cluster: a local one, or the one at ``ray_address``, each evaluation holding
    ``resources`` such as ``{num_gpus = 1}``); by default inline for one worker and
    a process pool for more. Table lookups take microseconds, so table studies run
    whole trials per worker; other objectives (training, Python functions) run
    single evaluations per worker, ``batch_size`` of them in parallel per trial.
    ``asynchronous`` keeps ``batch_size`` evaluations of a trial in flight and
    asks for a new architecture whenever one finishes, instead of waiting for
    the whole batch. Results never depend on the executor or the worker count.

    ``benchmark = "train"`` trains every architecture for real on the data sets
    named in ``datasets``; ``training`` holds its settings
    (:mod:`naslab.training.settings`).
    """

    space: str | Mapping[str, Any] = "nb201"
    benchmark: str = "nb201"
    datasets: tuple[str, ...] = ("cifar10",)
    strategies: tuple[str, ...] = ("rs", "anasod-rs", "anasod-biased-rs", "re", "ls", "anasod-ls")
    seeds: int = 10
    first_seed: int = 0
    max_queries: int | None = 300
    max_cost: float | None = None
    noise: str = "sample"
    batch_size: int = 1
    workers: int = 1
    strategy_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    metric: str | None = None
    goal: str | None = None
    stop_at_optimum: bool = False
    asynchronous: bool = False
    executor: str | None = None
    ray_address: str | None = None
    resources: Mapping[str, float] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    @property
    def trials(self) -> list[tuple[str, str, int]]:
        """Every (strategy, dataset, seed), in config order."""
        return [
            (s, d, seed) for s in self.strategies for d in self.datasets for seed in self.seed_list
        ]

    # --- validation ----------------------------------------------------------------------
    def validated(self) -> StudyConfig:
        """This config with canonical names, or a one-line error naming the bad setting.

        Benchmarks are not loaded here (that is slow); the runner does it before
        it creates anything on disk.
        """
        values = {name: check(name, getattr(self, name)) for name, check in _CHECKS.items()}
        values["space"] = _canonical_space(values["space"])
        table_metric(values["metric"], values["goal"])  # refuses a metric without its goal
        spec = values["benchmark"].strip()
        if not spec:
            raise ConfigError("benchmark must not be empty; give a registered name or a path")
        if spec in BENCHMARKS:
            values["benchmark"] = BENCHMARKS.canonical(spec)
        elif spec.startswith(FUNCTION_PREFIX) or spec == TRAINING_BENCHMARK:
            values["benchmark"] = spec
        else:  # an absolute path, so a resume may start from another folder
            values["benchmark"] = str(Path(spec).expanduser().resolve())
        values["datasets"] = _unique("datasets", [canonical_dataset(d) for d in values["datasets"]])
        values["strategies"] = _unique(
            "strategies", [STRATEGIES.canonical(s) for s in values["strategies"]]
        )
        _check_counts(values)
        if values["max_queries"] is None and values["max_cost"] is None:
            raise ConfigError("the study needs a budget: set max_queries and/or max_cost")
        if values["max_queries"] is not None and values["max_queries"] < 1:
            raise ConfigError(f"max_queries must be at least 1, got {values['max_queries']}")
        cost = values["max_cost"]
        if cost is not None and not (cost > 0 and math.isfinite(cost)):
            raise ConfigError(f"max_cost must be a positive finite number, got {cost}")
        values["noise"] = canonical_noise(values["noise"])
        values["strategy_params"] = _validated_params(
            values["strategy_params"], values["strategies"]
        )
        _check_needs(values["strategies"], values["max_queries"])
        if values["stop_at_optimum"] and not is_table(values["benchmark"]):
            raise ConfigError(
                "stop_at_optimum needs a benchmark table: a Python objective or a training "
                "study has no known optimum"
            )
        _check_execution(values)
        values["training"] = _checked_training(values["benchmark"], values["training"])
        return StudyConfig(**values)

    @property
    def executor_name(self) -> str:
        """The executor this study uses: the configured one, else by the worker count."""
        return self.executor or ("inline" if self.workers == 1 else "process")

    # --- (de)serialisation ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values: tuples as lists, nested dicts."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["datasets"], out["strategies"] = list(self.datasets), list(self.strategies)
        out["strategy_params"] = {k: dict(v) for k, v in self.strategy_params.items()}
        out["resources"], out["training"] = dict(self.resources), dict(self.training)
        if isinstance(self.space, Mapping):
            out["space"] = dict(self.space)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyConfig:
        """A config from plain values; missing keys take their defaults.

        Unknown keys and values of the wrong type raise :class:`ConfigError`;
        names and ranges are checked by :meth:`validated`.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"a study config must be a mapping of settings, got {data!r}")
        unknown = sorted(set(data) - set(_CHECKS))
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise ConfigError(f"unknown config key(s) {names}; valid: {', '.join(_CHECKS)}")
        return cls(**{key: _CHECKS[key](key, value) for key, value in data.items()})

    @classmethod
    def from_file(cls, path: str | Path) -> StudyConfig:
        """Read a ``.toml`` or ``.yaml``/``.yml`` file of settings.

        TOML has no null: write ``max_queries = "none"`` to lift the query budget.
        """
        return cls.from_dict(read_mapping(Path(path), "config file"))


# --- per-key type checks (shared by from_dict and validated) --------------------------------
def _type_error(key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"config key {key!r} must be {expected}, got {value!r}")


def _as_str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(key, "a string", value)
    return value


def _as_names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _type_error(key, "a name or a list of names", value)
    if not value:
        raise ConfigError(f"config key {key!r} must name at least one entry")
    return tuple(value)


def _as_space(key: str, value: Any) -> str | dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    return _as_str(key, value)


def _as_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(key, "an integer", value)
    return int(value)


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type_error(key, "a number", value)
    return float(value)


def _as_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _type_error(key, "true or false", value)
    return value


def _optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """``check`` that also accepts None (or the string "none", since TOML has no null)."""

    def checked(key: str, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
            return None
        return check(key, value)

    return checked


def _as_params(key: str, value: Any) -> dict[str, dict[str, Any]]:
    expected = "a mapping of strategy name -> mapping of constructor arguments"
    if not isinstance(value, Mapping):
        raise _type_error(key, expected, value)
    out = {}
    for name, kwargs in value.items():
        if not isinstance(name, str) or not isinstance(kwargs, Mapping):
            raise _type_error(key, expected, value)
        if not all(isinstance(k, str) for k in kwargs):
            raise _type_error(key, expected, value)
        out[name] = _json_values(key, kwargs, f"arguments of {name!r}")
    return out


def _json_values(key: str, values: Mapping[str, Any], what: str) -> dict[str, Any]:
    """``values`` as a dict, once they are plain JSON values (the journal stores them)."""
    try:
        json.dumps(dict(values), allow_nan=False)
    except (TypeError, ValueError):
        raise ConfigError(
            f"config key {key!r}: {what} must be plain JSON values "
            f"(numbers, strings, lists, mappings), got {dict(values)!r}"
        ) from None
    return dict(values)


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "space": _as_space,
    "benchmark": _as_str,
    "datasets": _as_names,
    "strategies": _as_names,
    "seeds": _as_int,
    "first_seed": _as_int,
    "max_queries": _optional(_as_int),
    "max_cost": _optional(_as_float),
    "noise": _as_str,
    "batch_size": _as_int,
    "workers": _as_int,
    "strategy_params": _as_params,
    "metric": _optional(_as_str),
    "goal": _optional(_as_str),
    "stop_at_optimum": _as_bool,
    "asynchronous": _as_bool,
    "executor": _optional(_as_str),
    "ray_address": _optional(_as_str),
    "resources": lambda key, value: _as_mapping(key, value, "a mapping of resource -> amount"),
    "training": lambda key, value: _as_mapping(key, value, "a mapping of training settings"),
}
#: Where a study's evaluations may run.
EXECUTORS = ("inline", "process", "ray")


def _as_mapping(key: str, value: Any, expected: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _type_error(key, expected, value)
    return _json_values(key, value, "its values")


def _check_execution(values: Mapping[str, Any]) -> None:
    """The executor and its settings: a known name, Ray's settings only with Ray."""
    executor = values["executor"]
    if executor is not None and executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}")
    if executor == "inline" and values["workers"] != 1:
        raise ConfigError(
            f"the inline executor runs one evaluation at a time: workers must be 1, "
            f"got {values['workers']}; use executor 'process' or 'ray'"
        )
    if executor != "ray":
        for key in ("ray_address", "resources"):
            if values[key]:
                raise ConfigError(f"{key} applies to the Ray executor only: set executor 'ray'")
    for name, amount in values["resources"].items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise ConfigError(
                f"resource {name!r} must be a non-negative amount (e.g. num_gpus = 1), "
                f"got {amount!r}"
            )


def _checked_training(benchmark: str, training: Mapping[str, Any]) -> dict[str, Any]:
    """Training settings, checked, only for a training study."""
    if benchmark != TRAINING_BENCHMARK:
        if training:
            raise ConfigError(
                f"training settings apply to training studies only (benchmark "
                f"{TRAINING_BENCHMARK!r}), but the benchmark is {benchmark!r}"
            )
        return {}
    from naslab.training.settings import check_training_settings

    return check_training_settings(training)


def _canonical_space(spec: str | Mapping[str, Any]) -> str | dict[str, Any]:
    """A registered space's canonical name; a file's or mapping's definition, checked."""
    if isinstance(spec, str) and not is_space_file(spec):
        return SPACES.canonical(spec)
    space = resolve_space(spec)
    return space.definition() or space.name


def _check_counts(values: Mapping[str, Any]) -> None:
    """Seeds, batch size and workers within what a study can run and journal."""
    for name, limit in COUNT_LIMITS.items():
        if not 1 <= values[name] <= limit:
            raise ConfigError(f"{name} must be between 1 and {limit:,}, got {values[name]}")
    highest = MAX_SEED - values["seeds"] + 1
    if not 0 <= values["first_seed"] <= highest:
        raise ConfigError(
            f"first_seed must be between 0 and {highest} for {values['seeds']} seed(s) "
            f"(every seed must fit a 64-bit integer), got {values['first_seed']}"
        )


def _unique(key: str, names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{key} lists {name!r} twice (names are compared after aliases)")
        seen.add(name)
    return tuple(names)


def _validated_params(
    params: Mapping[str, Mapping[str, Any]], strategies: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Canonical strategy names, each with its arguments checked and converted.

    The checks are the strategy's own declarations, the ones its constructor runs,
    so a bad value is refused here, before the run folder exists.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, kwargs in params.items():
        canonical = STRATEGIES.canonical(name)
        if canonical not in strategies:
            raise ConfigError(
                f"strategy_params for {name!r}, which is not in the study's strategies "
                f"({', '.join(strategies)})"
            )
        if canonical in out:
            raise ConfigError(f"strategy_params lists {canonical!r} twice")
        reserved = sorted(set(kwargs) & set(RUNNER_ARGUMENTS))
        if reserved:
            raise ConfigError(
                f"strategy_params for {canonical!r} may not set {', '.join(reserved)}: "
                "the runner passes those itself"
            )
        checked = _strategy_class(canonical).checked_hyperparameters(kwargs)
        out[canonical] = {key: checked[key] for key in kwargs}
    return out


def _check_needs(strategies: tuple[str, ...], max_queries: int | None) -> None:
    """Refuse a study one of its strategies cannot run in (e.g. one without a query budget)."""
    for name in strategies:
        _strategy_class(name).check_needs(max_queries)


def _strategy_class(name: str) -> type[Strategy]:
    """The class registered as ``name``; a plugin's object that is not one is refused here."""
    factory = STRATEGIES.get(name)
    if not (isinstance(factory, type) and issubclass(factory, Strategy)):
        summary = next(entry.summary for entry in STRATEGIES if entry.name == name)
        raise ConfigError(
            f"strategy {name!r} is not a subclass of naslab.strategies.Strategy: {summary}"
        )
    return factory
