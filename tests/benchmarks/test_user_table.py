"""User tables (CSV / Parquet): the documented format on the shared table, and every input error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from naslab.benchmarks import DATASETS, TableObjective, load_benchmark
from naslab.benchmarks.user_table import load_user_table
from naslab.errors import BenchmarkDataError


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_shared_table_agrees_with_the_embedded_one(user_tables, embedded, dataset):
    table, bench = user_tables[dataset], embedded[dataset]
    assert table.name == "nb201_table" and table.dataset == dataset
    assert table.scores.shape == (15_625, 1)
    np.testing.assert_allclose(table.mean_value, bench.mean_value, rtol=0, atol=1e-3)
    np.testing.assert_allclose(table.cost, bench.cost, rtol=0, atol=0.01)
    assert set(table.extra) == {"nseeds", "params_mb", "latency"} and table.has_test
    assert table.optimum == bench.optimum and table.n_archs == table.space_size == 15_625


def test_shared_table_cifar10_optimum(user_tables, nb201):
    table = user_tables["cifar10"]
    assert nb201.op_key(table.optimum) == "333132"
    assert table.optimum_value == pytest.approx(8.3933, abs=1e-4)


def _full_frame(bench, space) -> pd.DataFrame:
    """Every architecture with its op key, per-seed accuracies and train time."""
    frame = pd.DataFrame({
        "op_key": [space.op_key(space.from_index(i)) for i in range(len(space))],
        "arch_str": [space.format(space.from_index(i)) for i in range(len(space))],
        "train_time": bench.cost,
        "valid": 100 - bench.mean_value,
    })
    for seed in range(bench.scores.shape[1]):
        frame[f"valid_seed{seed}"] = bench.scores[:, seed]
    return frame.sample(frac=1.0, random_state=1)  # row order must not matter


def test_per_seed_columns_keep_the_seed_noise(tmp_path, cifar10, nb201, rng):
    frame = _full_frame(cifar10, nb201).drop(columns="op_key")
    frame = frame.rename(columns=lambda c: c if c == "arch_str" else f"c10v_{c}")
    frame["c10v_valid"] = 0.0  # ignored: per-seed columns win
    path = tmp_path / "seeds.csv"
    frame.to_csv(path, index=False)
    table = load_user_table(path, "cifar10")
    np.testing.assert_allclose(table.scores, cifar10.scores, rtol=1e-12)
    np.testing.assert_allclose(table.cost, cifar10.cost, rtol=1e-12)
    assert not table.has_test
    arch = nb201.from_op_key("333132")
    objective = TableObjective(table)
    values = {objective.evaluate(arch, rng).value for _ in range(60)}
    assert len(values) == 3


def test_op_keys_without_leading_zeros_and_unprefixed_columns(tmp_path, cifar10, nb201):
    frame = _full_frame(cifar10, nb201).drop(columns=["arch_str", "valid_seed0", "valid_seed1",
                                                      "valid_seed2"])
    frame["op_key"] = frame["op_key"].astype(int)  # what a spreadsheet makes of '000102'
    frame["test"] = frame["valid"] - 1.0
    frame["c100_valid"] = 50.0  # another dataset's column: not used for cifar10
    path = tmp_path / "keys.csv"
    frame.to_csv(path, index=False)
    assert "\n102," in path.read_text()
    table = load_benchmark(str(path), "cifar10")
    np.testing.assert_allclose(table.mean_value, cifar10.mean_value, rtol=0, atol=1e-9)
    arch = nb201.from_op_key("000102")
    assert table.test_value(arch) == pytest.approx(cifar10.true_value(arch) + 1.0, abs=1e-9)
    other = load_benchmark(str(path), "cifar100")  # c100_valid claims the c100 prefix
    assert not other.has_cost and not other.has_test and other.optimum_value == 50.0


def test_the_dataset_name_prefix_comes_first(tmp_path, cifar10, nb201):
    frame = _full_frame(cifar10, nb201)[["arch_str", "valid", "train_time"]]
    frame = frame.rename(columns={"valid": "imagenet16-120_valid",
                                  "train_time": "imagenet16-120_train_time"})
    frame["in16_valid"] = 1.0
    frame["in16_train_time"] = 1.0
    path = tmp_path / "named.csv"
    frame.to_csv(path, index=False)
    table = load_user_table(path, "in16")
    assert table.dataset == "imagenet16-120"
    np.testing.assert_allclose(table.mean_value, cifar10.mean_value, rtol=0, atol=1e-9)


# --- errors: small tables, each failure is one line naming what was wrong -------------------

def _write(tmp_path: Path, file: str = "t.csv", **columns: list) -> Path:
    path = tmp_path / file
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def _archs(space, *indices: int) -> list[str]:
    return [space.format(space.from_index(i)) for i in indices]


def _error(path: Path, dataset: str = "cifar10") -> str:
    with pytest.raises(BenchmarkDataError) as info:
        load_user_table(path, dataset)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file_and_wrong_suffix(tmp_path):
    assert "does not exist" in _error(tmp_path / "absent.csv")
    (tmp_path / "t.json").write_text("{}")
    assert "must be .csv, .parquet or .pq" in _error(tmp_path / "t.json")


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "EmptyDataError"), (b'arch_str,valid\n"|none~0|,1\n', "ParserError"),
     (b"arch_str,valid\n\xff\xfe\xfa,1\n", "UnicodeDecodeError")],
    ids=["empty", "open-quote", "not-utf8"],
)
def test_unreadable_csv(tmp_path, content, reason):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    message = _error(path)
    assert message.startswith(f"cannot read {path}: {reason}")


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real(name, *a))
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    assert "needs pyarrow: pip install 'naslab[parquet]'" in _error(path)


def test_parquet_round_trip(tmp_path, user_tables, csv_frame):
    pytest.importorskip("pyarrow")
    path = tmp_path / "t.parquet"
    csv_frame.to_parquet(path)
    table = load_benchmark(str(path), "cifar100")
    np.testing.assert_array_equal(table.mean_value, user_tables["cifar100"].mean_value)
    (tmp_path / "bad.pq").write_bytes(b"not parquet")
    assert "cannot read" in _error(tmp_path / "bad.pq")


def test_missing_architecture_column(tmp_path):
    message = _error(_write(tmp_path, name=["a"], valid=[90.0], train_time=[1.0]))
    assert "has no architecture column: name one arch_str, arch, architecture" in message
    assert "missing position column(s): 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2" in message


@pytest.mark.parametrize(
    ("column", "bad", "expected"),
    [("arch_str", "|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|",
      "unknown choice 'conv_5x5'"),
     ("architecture", "|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 has 2 incoming edges"),
     ("op_key", "1234567", "expected 6 digits"),
     ("arch", None, "the cell is empty")],
)
def test_malformed_architecture_names_the_row(tmp_path, nb201, column, bad, expected):
    good = _archs(nb201, 0, 1)
    if column == "op_key":
        good = [nb201.op_key(nb201.parse(a)) for a in good]
    path = _write(tmp_path, **{column: [good[0], bad, good[1]]}, valid=[1.0, 2.0, 3.0],
                  train_time=[1.0, 1.0, 1.0])
    message = _error(path)
    assert f"{path}, row 2, column '{column}': " in message
    assert expected in message


def test_duplicate_architectures(tmp_path, nb201):
    archs = _archs(nb201, 7, 8, 7)
    message = _error(_write(tmp_path, arch_str=archs, valid=[1.0, 2.0, 3.0],
                            train_time=[1.0, 1.0, 1.0]))
    assert f"architecture {archs[0]} appears in rows 1 and 3" in message


def test_a_partial_table_restricts_the_space(tmp_path, nb201, rng):
    archs = _archs(nb201, 0, 1, 2)
    table = load_user_table(_write(tmp_path, arch_str=archs, c10v_valid=[1.0, 2.0, 3.0],
                                   c10v_train_time=[1.0, 1.0, 1.0]), "cifar10")
    assert table.n_archs == 3 and table.space_size == 15_625 and len(table.space) == 3
    assert {str(table.space.sample(rng)) for _ in range(100)} == set(archs)
    assert str(table.optimum) == archs[2] and table.optimum_value == 97.0


def test_a_table_without_cost_costs_one_per_query(tmp_path, nb201, rng):
    archs = _archs(nb201, 0, 1, 2)
    path = _write(tmp_path, arch_str=archs, c10v_valid=[1.0, 2.0, 3.0], c10v_test=[1.0] * 3)
    table = load_user_table(path, "cifar10")
    assert not table.has_cost and table.has_test
    assert TableObjective(table).evaluate(table.optimum, rng).cost == 1.0
    message = _error(path, "cifar100")
    assert "has no 'valid' column for dataset 'cifar100': expected cifar100_valid or " \
        "cifar100_valid_seed<i>, c100_valid or c100_valid_seed<i>, valid or valid_seed<i>" \
        in message


def test_nan_and_text_metrics_name_the_column(tmp_path, nb201):
    archs = _archs(nb201, 0, 1, 2)
    path = _write(tmp_path, arch_str=archs, c10v_valid=[1.0, 2.0, 3.0],
                  c10v_train_time=[1.0, None, None])
    assert "row 2, column 'c10v_train_time': missing or infinite value (2 in the column)" \
        in _error(path)
    path = _write(tmp_path, arch_str=archs, c10v_valid=[1.0, 2.0, 3.0],
                  c10v_train_time=[1.0, 1.0, 1.0], c10v_latency=["0.1", "fast", "0.2"])
    assert "row 2, column 'c10v_latency': must hold a number, got 'fast'" in _error(path)
    path = _write(tmp_path, arch_str=archs, c10v_valid=[1.0, np.inf, 3.0],
                  c10v_train_time=[1.0, 1.0, 1.0])
    assert "row 2, column 'c10v_valid': missing or infinite value (1 in the column)" \
        in _error(path)


def test_rows_without_any_seed(tmp_path, nb201):
    path = _write(tmp_path, arch_str=_archs(nb201, 0, 1, 2), valid_seed0=[1.0, None, 3.0],
                  valid_seed1=[1.0, None, None], train_time=[1.0, 1.0, 1.0])
    assert "row 2: no value in any of valid_seed0, valid_seed1 (1 rows like it)" in _error(path)
