"""Tables of any space: per-position columns, long layout, metrics to maximise, nonsense refused."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from naslab.benchmarks import TableObjective, load_benchmark
from naslab.errors import BenchmarkDataError
from naslab.observation import table_metric

sys.path.insert(0, str(Path(__file__).parents[1] / "study"))
from macro import write_macro  # noqa: E402

from naslab.spaces import load_space_file  # noqa: E402


@pytest.fixture(scope="module")
def macro(tmp_path_factory):
    space_file, table = write_macro(tmp_path_factory.mktemp("macro"))
    return load_space_file(space_file), pd.read_csv(table, dtype=str)


def _load(frame: pd.DataFrame, space, tmp_path: Path, dataset="mnist", metric=("acc", "max")):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    return load_benchmark(str(path), dataset, space=space, metric=table_metric(*metric))


def _error(frame, space, tmp_path, **kwargs) -> str:
    with pytest.raises(BenchmarkDataError) as caught:
        _load(frame, space, tmp_path, **kwargs)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_per_position_columns_and_a_metric_to_maximise(macro, tmp_path, rng):
    space, frame = macro
    table = _load(frame, space, tmp_path)
    assert table.n_archs == len(frame) and table.space_size == 1152 and not table.has_cost
    acc = frame[["mnist_acc_seed0", "mnist_acc_seed1"]].astype(float).mean(axis=1)
    assert table.metric.display(table.optimum_value) == pytest.approx(acc.max())
    obs = TableObjective(table, noise="mean").evaluate(table.optimum, rng)
    assert obs.value == pytest.approx(-acc.max()) and obs.metrics["acc"] == pytest.approx(acc.max())
    assert set(obs.metrics) == {"acc", "latency"}


def test_the_long_layout_reads_one_dataset_per_row_group(macro, tmp_path):
    space, frame = macro
    wide = frame.rename(columns=lambda c: c.removeprefix("mnist_"))
    other = wide.assign(acc_seed0="50", acc_seed1="51")
    long = pd.concat([wide.assign(dataset="mnist"), other.assign(dataset="fashion")])
    table = _load(long, space, tmp_path, dataset="fashion")
    assert table.metric.display(table.optimum_value) == pytest.approx(50.5)
    assert _load(long, space, tmp_path).n_archs == len(frame)
    assert "has no rows for dataset 'cifar'; its dataset column holds mnist, fashion" in \
        _error(long, space, tmp_path, dataset="cifar")


@pytest.mark.parametrize(
    ("column", "value", "fault"),
    [
        ("mnist_valid_seed0", "250", "row 4, column 'mnist_valid_seed0': 250 is out of range; "
                                     "percentages lie in 0..100"),
        ("mnist_test", "-30", "row 4, column 'mnist_test': -30 is out of range"),
        ("op2", "conv7", "row 4: position op2: unknown choice 'conv7'; allowed: conv3, conv5"),
        ("width3", "", "row 4: position width3 is active here and needs one of 16, 32"),
        ("mnist_latency", "fast", "row 4, column 'mnist_latency': must hold a number, got 'fast'"),
    ],
)
def test_nonsense_values_name_row_and_column(macro, tmp_path, column, value, fault):
    """The macro table with the default metric: accuracies in % (columns mnist_valid_seed<i>)."""
    space, frame = macro
    frame = frame.rename(columns=lambda c: c.replace("_acc_", "_valid_"))
    deep = int(np.flatnonzero(frame["depth"] == "3")[0])
    frame.loc[deep, column] = value
    order = [i for i in range(len(frame)) if i != deep]
    frame = frame.iloc[[*order[:3], deep, *order[3:]]]  # the bad row becomes row 4
    assert fault in _error(frame, space, tmp_path, metric=(None, None))


def test_accuracy_tables_refuse_negative_costs_and_impossible_accuracies(tmp_path, nb201):
    archs = [str(nb201.from_index(i)) for i in range(3)]
    path = tmp_path / "t.csv"
    pd.DataFrame({"arch_str": archs, "valid": [90, 91, 92], "train_time": [1, -5, 2]}).to_csv(
        path, index=False)
    with pytest.raises(BenchmarkDataError, match="row 2, column 'train_time': a cost must be >= 0"):
        load_benchmark(str(path), "cifar10")
    pd.DataFrame({"arch_str": archs, "valid": [90, 250, -30]}).to_csv(path, index=False)
    with pytest.raises(BenchmarkDataError, match="row 2, column 'valid': 250 is out of range"):
        load_benchmark(str(path), "cifar10")


def test_duplicates_and_text_columns_for_no_position(macro, tmp_path):
    space, frame = macro
    twice = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    assert f"appears in rows 6 and {len(frame) + 1}" in _error(twice, space, tmp_path)
    stray = frame.assign(op4="conv3")
    message = _error(stray, space, tmp_path)
    assert "column 'op4': holds text (row 1: 'conv3') but is no position of space 'macro'" \
        in message
    missing = frame.drop(columns="in3")
    assert "missing position column(s): in3" in _error(missing, space, tmp_path)


def test_a_single_seed_mean_column_and_nan_seeds(macro, tmp_path):
    space, frame = macro
    mean = frame.drop(columns=["mnist_acc_seed1"]).rename(columns={"mnist_acc_seed0": "mnist_acc"})
    assert _load(mean, space, tmp_path).scores.shape == (len(frame), 1)
    gaps = frame.copy()
    gaps.loc[0, "mnist_acc_seed1"] = np.nan
    table = _load(gaps, space, tmp_path)
    assert np.isnan(table.scores).sum() == 1
