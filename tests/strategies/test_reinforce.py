"""REINFORCE: the NB201 defaults, the EMA baseline, conditional positions, and that it learns."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.strategies import STRATEGIES
from naslab.strategies.reinforce import Reinforce


def make(space, seed: int = 0, **params) -> Reinforce:
    return Reinforce(space, np.random.default_rng(seed), max_queries=150, **params)


def test_registered_with_the_nb201_script_defaults(nb201) -> None:
    assert STRATEGIES.get("reinforce") is Reinforce
    assert Reinforce.hyperparameters["learning_rate"].default == 0.001
    assert Reinforce.hyperparameters["ema_momentum"].default == 0.9
    strategy = make(nb201)
    assert strategy._optimizer.param_groups[0]["lr"] == 0.001
    assert np.allclose(strategy.probabilities(), 0.2, atol=1e-3)  # logits start at 1e-3 * N(0, 1)


def test_baseline_is_the_bias_corrected_ema_updated_before_the_advantage(nb201) -> None:
    strategy = make(nb201)
    a, b = nb201.sample(np.random.default_rng(0)), nb201.sample(np.random.default_rng(1))
    strategy.tell(a, 10.0)
    assert strategy.baseline == pytest.approx(-10.0)  # the first reward: no advantage, no step
    assert np.allclose(strategy.probabilities(), make(nb201).probabilities())
    strategy.tell(b, 20.0)
    assert strategy.baseline == pytest.approx((0.9 * 0.1 * -10 + 0.1 * -20) / (0.9 * 0.1 + 0.1))
    strategy.tell(a, float("nan"))  # a failed evaluation teaches nothing
    assert strategy.baseline == pytest.approx((0.9 * 0.1 * -10 + 0.1 * -20) / (0.9 * 0.1 + 0.1))


def test_a_worse_than_average_architecture_loses_probability(nb201) -> None:
    strategy = make(nb201)
    good, bad = nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                            "|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"), nb201.make([0] * 6)
    before = strategy.probabilities()
    strategy.tell([(good, 6.0), (bad, 90.0)])  # neither was asked: scored under the policy
    after = strategy.probabilities()
    assert (after[:, 0] < before[:, 0]).all()  # 'none' everywhere: worse than the baseline


def test_inactive_positions_get_no_gradient(chain) -> None:
    strategy = make(chain)
    shallow, deep = chain.parse("1:3x16|-x-|-x-"), chain.parse("3:5x64|5x64|3x16")
    strategy.tell(deep, 5.0)
    before = strategy.logits.detach().clone()
    strategy.tell(shallow, 1.0)
    moved = (strategy.logits.detach() != before).any(dim=1).tolist()
    assert moved == [True, True, True, False, False, False, False]  # depth, k1, w1 only


def test_policy_concentrates_on_the_target_of_a_synthetic_objective(toy_space, toy_objective,
                                                                    drive) -> None:
    strategy = make(toy_space, seed=3, learning_rate=0.1)
    drive(strategy, toy_objective, 400)
    probabilities = strategy.probabilities()
    assert probabilities.argmax(axis=1).tolist() == list(toy_objective.target)
    assert probabilities.max(axis=1).min() > 0.6


def _proposals(name: str, space, objective, seed: int, queries: int) -> list[float]:
    strategy = STRATEGIES.get(name)(space, np.random.default_rng(seed), max_queries=queries)
    values = []
    for _ in range(queries):
        (arch,) = strategy.ask()
        observation = objective.evaluate(arch, None)
        strategy.tell([observation])
        values.append(observation.value)
    return values


def test_learns_better_architectures_than_random_search_on_cifar10(nb201, c10_mean) -> None:
    """With the NB201 defaults Adam moves a logit by about lr = 0.001 per result, so over a
    150-query budget the policy stays within 10 % of uniform and REINFORCE searches like
    random search (measured over 20 seeds: best 8.87 +- 0.06 vs RS 8.87 +- 0.05). It does
    learn: a longer run's proposals are clearly better than random search's."""
    tail = slice(1200, 1500)
    learned = [np.mean(_proposals("reinforce", nb201, c10_mean, s, 1500)[tail]) for s in range(3)]
    uniform = [np.mean(_proposals("rs", nb201, c10_mean, s, 1500)[tail]) for s in range(3)]
    assert np.mean(learned) < np.mean(uniform) - 1.0


def test_without_torch_it_says_what_to_install(nb201, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ConfigError, match=r"^strategy 'reinforce' needs torch: pip install "
                                          r"'naslab\[bo\]'$"):
        make(nb201)
