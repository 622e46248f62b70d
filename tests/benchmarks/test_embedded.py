"""The embedded NB201 tables, cross-checked against the independently merged nb201_table.csv."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.benchmarks import DATASETS, load_benchmark
from naslab.errors import BenchmarkDataError, UnknownNameError

CSV_PREFIX = {"cifar10": "c10v", "cifar100": "c100", "imagenet16-120": "in16"}


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_architecture_has_two_or_three_seeds(embedded, dataset):
    bench = embedded[dataset]
    assert bench.dataset == dataset
    assert bench.scores.shape == (15_625, 3)
    seeds = np.isfinite(bench.scores).sum(axis=1)
    assert np.bincount(seeds).tolist() == [0, 0, 7456, 8169]
    assert np.isfinite(bench.cost).all() and (bench.cost > 0).all()
    assert set(bench.extra) == {"params_mb", "latency"}
    assert not bench.has_test


def test_cifar10_optimum(cifar10, nb201):
    assert nb201.op_key(cifar10.optimum) == "333132"
    assert 100 - cifar10.optimum_value == pytest.approx(91.607, abs=5e-4)
    assert cifar10.optimum_value == pytest.approx(8.393, abs=5e-4)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_seed_means_match_the_merged_csv(embedded, csv_frame, nb201, dataset):
    bench, prefix = embedded[dataset], CSV_PREFIX[dataset]
    rows = [nb201.index(nb201.from_op_key(k)) for k in csv_frame["op_key"]]
    assert sorted(rows) == list(range(15_625))
    mean_acc = 100 - bench.mean_value[rows]
    np.testing.assert_allclose(mean_acc, csv_frame[f"{prefix}_valid"], rtol=0, atol=1e-3)
    np.testing.assert_array_equal(
        np.isfinite(bench.scores[rows]).sum(axis=1), csv_frame[f"{prefix}_nseeds"]
    )
    np.testing.assert_allclose(
        bench.cost[rows], csv_frame[f"{prefix}_train_time"], rtol=0, atol=0.01
    )
    np.testing.assert_allclose(
        bench.extra["params_mb"][rows], csv_frame[f"{prefix}_params_mb"], rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("alias", ["C10", "cifar10-valid", "c10v", " CIFAR10 "])
def test_dataset_aliases_load_the_cifar10_table(cifar10, alias):
    bench = load_benchmark("nb201", alias)
    assert bench.dataset == "cifar10"
    np.testing.assert_array_equal(bench.scores, cifar10.scores)


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="unknown dataset of the embedded NB201 tables "
                       "'mnist'; valid: cifar10, "
                       "cifar100, imagenet16-120"):
        load_benchmark("nb201", "mnist")


def test_unknown_benchmark_spec(tmp_path):
    with pytest.raises(BenchmarkDataError, match=r"unknown benchmark 'nb301'.*nb201"):
        load_benchmark("nb301", "cifar10")
    text = tmp_path / "table.txt"
    text.write_text("arch_str,valid\n")
    with pytest.raises(BenchmarkDataError, match="unknown benchmark"):
        load_benchmark(str(text), "cifar10")
    with pytest.raises(BenchmarkDataError, match="does not exist"):
        load_benchmark(str(tmp_path / "absent.csv"), "cifar10")
