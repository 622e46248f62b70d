"""The ask-tell contract, checked for every registered strategy (future ones included)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from naslab.benchmarks import TableObjective
from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces import CategoricalSpace, RestrictedSpace
from naslab.strategies import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Choice, Flag, Integer, Real
from naslab.study.config import RUNNER_ARGUMENTS, StudyConfig

NAMES = STRATEGIES.names()
BUDGET = 150


#: Strategies built on an encoding that exists for one kind of space only, and their refusal.
NB201_ONLY = {"path-bo": "the path encoding needs the NB201 cell"}
#: Strategies that count operations (the ANASOD encoding), so need a group of positions.
COUNTS_OPS = {name for name in NAMES if "anasod" in name} | {"mcts-global"}


#: Strategies that ask the same architectures whatever the seed, by design (exhaustive
#: tabulates one plan, trained once per seed).
SEED_INDEPENDENT = {name for name in NAMES
                    if getattr(STRATEGIES.get(name), "seed_independent", False)}


def make_or_refused(name: str, space, seed: int, budget: int = BUDGET) -> Strategy | None:
    """``make``, or None where the strategy refuses a non-NB201 space in one line, as it must."""
    if name not in NB201_ONLY:
        return make(name, space, seed, budget)
    with pytest.raises(ConfigError, match=NB201_ONLY[name]) as info:
        make(name, space, seed, budget)
    assert "\n" not in str(info.value) and repr(space.name) in str(info.value)
    return None


def make(name: str, space, seed: int, budget: int = BUDGET, **params) -> Strategy:
    return STRATEGIES.get(name)(space, np.random.default_rng(seed), max_queries=budget, **params)


def test_the_paper_strategies_are_registered() -> None:
    assert {"rs", "anasod-rs", "anasod-biased-rs", "re", "ls", "anasod-ls"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 3])
def test_ask_returns_n_valid_architectures(name, n, nb201, c10_mean) -> None:
    strategy = make(name, nb201, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(40):
        archs = strategy.ask(n)
        assert len(archs) == n
        for arch in archs:
            assert arch.space == nb201 and nb201.make(arch.ops) == arch
        strategy.tell([c10_mean.evaluate(a, rng) for a in archs])


@pytest.mark.parametrize("name", NAMES)
def test_repeated_asks_before_tell(name, nb201, c10_mean, drive) -> None:
    strategy = make(name, nb201, seed=1)
    drive(strategy, c10_mean, 12)
    pending = strategy.ask(4) + strategy.ask(4) + strategy.ask(4)
    assert len(pending) == 12
    assert all(nb201.make(a.ops) == a for a in pending)
    rng = np.random.default_rng(1)
    strategy.tell([c10_mean.evaluate(a, rng) for a in reversed(pending)])
    later = drive(strategy, c10_mean, 40)
    assert len(later) == 40 and all(nb201.make(a.ops) == a for a in later)
    assert len(strategy.history) == 12 + 12 + 40


def _sequence(name: str, space, objective, drive, seed: int) -> list[str]:
    strategy = make(name, space, seed)
    archs = drive(strategy, objective, 30) + drive(strategy, objective, 30, batch=3)
    return [str(a) for a in archs]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_sequence_different_seed_differs(name, nb201, c10_mean, drive) -> None:
    first = _sequence(name, nb201, c10_mean, drive, seed=7)
    assert len(first) == 60
    assert _sequence(name, nb201, c10_mean, drive, seed=7) == first
    other_seed = _sequence(name, nb201, c10_mean, drive, seed=8)
    assert (other_seed == first) if name in SEED_INDEPENDENT else (other_seed != first)


@pytest.mark.parametrize("name", NAMES)
def test_replaying_the_journal_resumes_the_search(name, nb201, cifar10, drive) -> None:
    """A fresh strategy fed the journal's asks and tells proposes what the original would."""
    objective = TableObjective(cifar10, noise="sample")
    original = make(name, nb201, seed=3)
    rng = np.random.default_rng(3)
    journal: list[tuple[str, object]] = []
    for step, sizes in enumerate([(1,), (3,), (2, 2), (1,), (4,), (1, 1, 1)] * 6):
        asked = []
        for n in sizes:  # several asks before the results come back
            archs = original.ask(n)
            journal.append(("ask", archs))
            asked += archs
        if step % 2:  # results arrive in another order than asked
            asked = asked[::-1]
        observations = [objective.evaluate(a, rng) for a in asked]
        original.tell(observations)
        journal.append(("tell", observations))

    resumed = make(name, nb201, seed=3)
    for kind, payload in journal:
        if kind == "ask":
            assert resumed.ask(len(payload)) == payload
        else:
            resumed.tell(payload)
    assert resumed.ask(5) == original.ask(5)
    assert resumed.best == original.best


@pytest.mark.parametrize("name", NAMES)
def test_finds_good_architectures_on_cifar10(name, nb201, cifar10, c10_mean, drive) -> None:
    strategy = make(name, nb201, seed=11)
    drive(strategy, c10_mean, BUDGET)
    best = strategy.best.arch
    median = float(np.median(cifar10.mean_value))
    assert cifar10.true_value(best) < median - 2.5  # median 12.69
    assert cifar10.percentile(best) < 5.0


@pytest.mark.parametrize("name", NAMES)
def test_works_on_a_user_space(name, toy_space, toy_objective, drive) -> None:
    strategy = make_or_refused(name, toy_space, seed=5)
    if strategy is None:
        return
    archs = drive(strategy, toy_objective, BUDGET)
    assert all(toy_space.make(a.ops) == a for a in archs)
    values = [toy_objective.distance(a) for a in archs]
    assert np.median([toy_objective.distance(a) for a in toy_space.all()]) == 5
    assert strategy.best.value == min(values) <= 3


@pytest.mark.parametrize("name", NAMES)
def test_keeps_answering_once_a_tiny_space_is_exhausted(name, drive, hamming) -> None:
    tiny = CategoricalSpace("tiny", ["x", "y"], ["a", "b"])
    strategy = make_or_refused(name, tiny, seed=2, budget=20)
    if strategy is None:
        return
    archs = drive(strategy, hamming(tiny, (1, 1)), 20)
    assert len(archs) == 20 and all(tiny.make(a.ops) == a for a in archs)
    assert strategy.best.value == 0


def _restricted_graph(graph):
    rng = np.random.default_rng(8)
    return RestrictedSpace(graph, [a for a in graph.all() if rng.random() < 0.4])


@pytest.mark.parametrize("name", NAMES)
def test_stays_inside_a_space_restricted_to_a_tables_rows(name, graph, drive, hamming) -> None:
    """A table that holds part of a space (options per position here) restricts the search."""
    space = _restricted_graph(graph)
    target = space.members[17]
    objective = hamming(space, target.ops)
    strategy = make_or_refused(name, space, seed=4)
    if strategy is None:
        return
    archs = drive(strategy, objective, BUDGET) + drive(strategy, objective, 30, batch=3)
    assert all(space.contains(a) for a in archs)
    distances = sorted(objective.distance(a) for a in space.members)
    assert strategy.best.value <= distances[len(distances) // 20]  # the best 5 % of the table


@pytest.mark.parametrize("name", NAMES)
def test_conditional_spaces_run_or_are_refused_in_one_line(name, chain, drive, hamming) -> None:
    """Strategies that count operations need a group of always-active positions: the chain of
    layers has none, and says so; every other strategy searches it."""
    target = chain.parse("3:5x64|5x64|3x16")
    objective = hamming(chain, target.ops, value=lambda a: float(a != target) + 0.1 * sum(
        x != y for x, y in zip(a.ops, target.ops, strict=True)))
    try:
        strategy = make_or_refused(name, chain, seed=6)
    except ConfigError as exc:
        assert name in COUNTS_OPS and "no group of positions" in str(exc) and "\n" not in str(exc)
        return
    if strategy is None:
        return
    archs = drive(strategy, objective, BUDGET)
    assert all(chain.contains(a) for a in archs)


#: Values each kind of hyperparameter must refuse; a new kind adds its own here.
WRONG_VALUES = {
    Integer: ["3", 2.5, True, None, [1, 2], {"k": 1}],
    Real: ["big", True, None, [1, 2], float("nan"), float("inf")],
    Flag: ["true", "false", 1, 0, None, [True]],
    Choice: ["no-such-option", "", 1, None, True, ["ei"]],
}
DECLARED = [(name, param) for name in NAMES
            for param in STRATEGIES.get(name).hyperparameters]


def test_constructors_take_only_the_runner_arguments_and_declared_hyperparameters() -> None:
    """So every argument a strategy takes is checked by its declaration (Python and configs)."""
    for name in NAMES:
        parameters = inspect.signature(STRATEGIES.get(name)).parameters.values()
        named = [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD]
        assert named == list(RUNNER_ARGUMENTS), name


@pytest.mark.parametrize(("name", "param"), DECLARED)
def test_declared_hyperparameters_accept_their_defaults(name, param, nb201) -> None:
    declaration = STRATEGIES.get(name).hyperparameters[param]
    strategy = make(name, nb201, seed=0, **{param: declaration.default})
    assert getattr(strategy, param) == declaration.default == getattr(make(name, nb201, 0), param)
    config = StudyConfig(strategies=(name,), strategy_params={name: {param: declaration.default}})
    assert config.validated().strategy_params == {name: {param: declaration.default}}


@pytest.mark.parametrize(("name", "param"), DECLARED)
def test_declared_hyperparameters_refuse_wrong_values(name, param, nb201) -> None:
    declaration = STRATEGIES.get(name).hyperparameters[param]
    assert type(declaration) in WRONG_VALUES, "add the wrong values of this kind"
    for value in WRONG_VALUES[type(declaration)]:
        with pytest.raises(ConfigError, match=f"^strategy {name!r}: {param} must be "):
            make(name, nb201, 0, **{param: value})
        config = StudyConfig(strategies=(name,), strategy_params={name: {param: value}})
        with pytest.raises(ConfigError) as info:  # nan and inf fail the config's JSON check
            config.validated()
        message = str(info.value)
        assert repr(name) in message and param in message and "\n" not in message


@pytest.mark.parametrize("name", NAMES)
def test_unknown_hyperparameters_are_refused(name, nb201) -> None:
    with pytest.raises(ConfigError, match=f"^strategy {name!r} takes no argument"):
        make(name, nb201, 0, no_such_parameter=1)


@pytest.mark.parametrize("name", NAMES)
def test_needs_are_refused_alike_by_the_constructor_and_the_config(name, nb201) -> None:
    no_budget = StudyConfig(strategies=(name,), max_queries=None, max_cost=1000.0)
    if not STRATEGIES.get(name).needs:
        STRATEGIES.get(name)(nb201, np.random.default_rng(0))
        no_budget.validated()
        return
    for attempt in (lambda: STRATEGIES.get(name)(nb201, np.random.default_rng(0)),
                    no_budget.validated):
        with pytest.raises(ConfigError, match=f"^strategy {name!r} needs a query budget"):
            attempt()


@pytest.mark.parametrize("name", NAMES)
def test_failed_evaluations_are_told_and_never_recommended(name, nb201, c10_mean) -> None:
    """A failed evaluation (value NaN, a reason) is an observation without quality: the
    strategy goes on asking valid architectures and never returns one that only failed."""
    strategy = make(name, nb201, seed=3)
    rng = np.random.default_rng(3)
    failed: set = set()
    for step in range(40):
        archs = strategy.ask(2)
        observations = []
        for k, arch in enumerate(archs):
            if (step + k) % 3 == 0:
                failed.add(arch)
                observations.append(Observation.failed(arch, "diverged"))
            else:
                observations.append(c10_mean.evaluate(arch, rng))
        strategy.tell(observations)
        assert all(nb201.make(a.ops) == a for a in archs)
    best = strategy.recommend()
    good = {o.arch for o in strategy.history if np.isfinite(o.value)}
    assert best is not None and (best in good or best not in failed)
    assert strategy.best is not None and np.isfinite(strategy.best.value)


@pytest.mark.parametrize("name", NAMES)
def test_runs_or_refuses_in_one_line_on_a_space_too_big_for_len(name) -> None:
    """darts-open has ~1e25 architectures, more than len() can return."""
    from naslab.spaces import get_space

    space = get_space("darts-open")
    try:
        strategy = make(name, space, seed=0, budget=20)
    except ConfigError as exc:
        assert "\n" not in str(exc) and repr(space.name) in str(exc) or "sample" in str(exc)
        return
    for _ in range(4):
        archs = strategy.ask(2)
        assert all(space.contains(a) for a in archs)
        strategy.tell([(a, float(sum(a.ops))) for a in archs])
