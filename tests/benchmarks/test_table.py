"""TabularBenchmark ground truth and TableObjective queries on the embedded and shared tables."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.benchmarks import TableObjective, TabularBenchmark
from naslab.errors import BenchmarkDataError, ConfigError

THREE_SEEDS = "333132"  # the cifar10 optimum, 3 recorded seeds
TWO_SEEDS = "000102"


def _recorded(bench: TabularBenchmark, arch) -> list[float]:
    row = bench.scores[bench.space.index(arch)]
    return row[np.isfinite(row)].tolist()


@pytest.mark.parametrize(("key", "n_seeds"), [(THREE_SEEDS, 3), (TWO_SEEDS, 2)])
def test_sample_mode_draws_each_recorded_seed_equally_often(cifar10, nb201, key, n_seeds):
    arch = nb201.from_op_key(key)
    seeds = _recorded(cifar10, arch)
    assert len(seeds) == n_seeds and len(set(seeds)) == n_seeds
    objective = TableObjective(cifar10, noise="sample")
    rng = np.random.default_rng(7)
    draws = 3000
    values = [objective.evaluate(arch, rng).value for _ in range(draws)]
    counts = {100 - acc: 0 for acc in seeds}
    for v in values:
        counts[v] += 1  # KeyError if a value is not one of the recorded seeds
    for count in counts.values():
        assert count / draws == pytest.approx(1 / n_seeds, abs=0.04)


def test_sample_observation_carries_the_drawn_seed_and_recorded_metrics(cifar10, nb201, rng):
    arch = nb201.from_op_key(THREE_SEEDS)
    i = nb201.index(arch)
    obs = TableObjective(cifar10).evaluate(arch, rng)
    assert obs.arch == arch
    assert obs.value == 100 - obs.metrics["val_acc"]
    assert obs.metrics["val_acc"] in _recorded(cifar10, arch)
    assert obs.cost == cifar10.cost[i]
    assert obs.metrics["params_mb"] == cifar10.extra["params_mb"][i]
    assert obs.metrics["latency"] == cifar10.extra["latency"][i]


def test_mean_mode_reports_the_seed_mean(cifar10, nb201, rng):
    objective = TableObjective(cifar10, noise="mean")
    for key in (THREE_SEEDS, TWO_SEEDS, "421211"):
        arch = nb201.from_op_key(key)
        obs = objective.evaluate(arch, rng)
        assert obs.value == pytest.approx(100 - np.mean(_recorded(cifar10, arch)), abs=1e-9)
        assert obs.value == pytest.approx(cifar10.true_value(arch), abs=1e-12)
        assert obs.cost == cifar10.cost[nb201.index(arch)]
    optimum = objective.evaluate(cifar10.optimum, rng)
    assert optimum.value == pytest.approx(8.3933, abs=1e-4)


def test_same_seed_same_values(cifar10, nb201):
    objective = TableObjective(cifar10)

    def run(seed: int) -> list[float]:
        rng = np.random.default_rng(seed)
        archs = [nb201.sample(rng) for _ in range(200)]
        return [objective.evaluate(a, rng).value for a in archs]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_regret_and_percentile(cifar10, nb201):
    optimum = cifar10.optimum
    assert cifar10.regret(optimum) == 0.0
    assert cifar10.percentile(optimum) == 0.0
    worst = nb201.from_index(int(np.argmax(cifar10.mean_value)))
    # The 38 architectures that never learn (10% accuracy) tie exactly for worst.
    n_tied_worst = int((cifar10.mean_value == cifar10.mean_value.max()).sum())
    assert n_tied_worst == 38
    assert cifar10.percentile(worst) == pytest.approx(100 * (1 - n_tied_worst / len(nb201)))
    assert cifar10.regret(worst) == pytest.approx(cifar10.mean_value.max() - 8.3933, abs=1e-4)
    median = nb201.from_index(int(np.argsort(cifar10.mean_value)[len(nb201) // 2]))
    assert cifar10.percentile(median) == pytest.approx(50, abs=0.1)


def test_test_error_only_where_the_table_records_test_accuracy(cifar10, user_tables, nb201):
    assert cifar10.test_value(cifar10.optimum) is None
    for dataset, best in [("cifar100", 73.51), ("imagenet16-120", 47.31), ("cifar10", 91.52)]:
        table = user_tables[dataset]
        assert table.has_test
        assert table.test_scores.max() == pytest.approx(best, abs=5e-3)
        top = table.archs[int(np.argmax(table.test_scores))]
        assert table.test_value(top) == pytest.approx(100 - best, abs=5e-3)


def test_test_accuracy_stays_out_of_the_observation(user_tables, rng):
    table = user_tables["cifar100"]
    obs = TableObjective(table).evaluate(table.optimum, rng)
    assert "test_acc" not in obs.metrics
    assert set(obs.metrics) == {"val_acc", "nseeds", "params_mb", "latency"}


def test_bad_noise_mode(cifar10):
    with pytest.raises(ConfigError, match="unknown noise mode 'median'; valid: sample, mean"):
        TableObjective(cifar10, noise="median")


def test_benchmark_rejects_rows_without_scores_bad_shapes_and_costs(cifar10):
    space, archs = cifar10.space, cifar10.archs
    scores = cifar10.scores.copy()
    scores[[5, 9]] = np.nan
    with pytest.raises(BenchmarkDataError, match="2 architectures have no finite val_acc"):
        TabularBenchmark("t", "cifar10", space, archs, scores, cifar10.cost)
    with pytest.raises(BenchmarkDataError, match="one row per architecture"):
        TabularBenchmark("t", "cifar10", space, archs, scores[:10], cifar10.cost)
    with pytest.raises(BenchmarkDataError, match="latency must have shape"):
        TabularBenchmark("t", "cifar10", space, archs, cifar10.scores, cifar10.cost,
                         {"latency": np.zeros(3)})
    with pytest.raises(BenchmarkDataError, match="every cost must be a number >= 0"):
        TabularBenchmark("t", "cifar10", space, archs, cifar10.scores, -cifar10.cost)
    with pytest.raises(BenchmarkDataError, match="has two rows"):
        TabularBenchmark("t", "cifar10", space, archs[:3] + archs[:1], cifar10.scores[:4])
