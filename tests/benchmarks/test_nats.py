"""Official NATS-Bench tss 'simple' files: the per-file reader, the assembly, the errors."""

from __future__ import annotations

import bz2
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from naslab.benchmarks import DATASETS, load_benchmark, nats
from naslab.benchmarks.assemble import benchmark_from_records
from naslab.benchmarks.nats import load_nats_tss, read_nats_records
from naslab.errors import BenchmarkDataError

SAMPLE = [0, 11, 284]
SEEDS = [777, 888, 999]


def test_records_hold_the_numbers_in_the_files(nats_sample):
    records = read_nats_records(nats_sample, "cifar10")
    assert records["nats_index"].tolist() == [i for i in SAMPLE for _ in SEEDS]
    assert records["seed"].tolist() == SEEDS * 3
    arch11 = records[records["nats_index"] == 11].iloc[0]  # cifar10-valid, seed 777
    assert arch11["arch_str"] == (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    )
    assert arch11["op_key"] == "334034"
    assert arch11["val_acc"] == 87.74800000488281  # x-valid@199
    assert arch11["test_acc"] == 87.6  # ori-test@199
    assert arch11["train_time"] == pytest.approx(2492.411359151204, rel=1e-12)  # 200 x 12.46
    assert arch11["params_mb"] == 0.802426
    assert arch11["flops"] == 113.95137
    assert arch11["latency"] == 0.016163252947623268

    c100 = read_nats_records(nats_sample, "c100", indices=[0])
    assert c100["test_acc"].tolist() == [51.97999997558594, 53.67999995727539, 53.07999995117188]
    assert c100["val_acc"].tolist() == [51.87999996948242, 53.07999993286133, 53.13999993896484]
    in16 = read_nats_records(nats_sample, "imagenet16-120", indices=[284])
    assert in16["val_acc"].iloc[2] == 33.199999928792316
    assert in16["test_acc"].iloc[2] == 32.86666650390625  # x-test@199


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_records_equal_the_embedded_table(nats_sample, embedded, nb201, dataset):
    bench = embedded[dataset]
    records = read_nats_records(nats_sample, dataset)
    for key, group in records.groupby("op_key"):
        i = nb201.index(nb201.from_op_key(key))
        np.testing.assert_array_equal(group["val_acc"], bench.scores[i])
        np.testing.assert_allclose(group["train_time"], bench.cost[i], rtol=1e-12)
        np.testing.assert_array_equal(group["params_mb"], bench.extra["params_mb"][i])
        np.testing.assert_array_equal(group["latency"], bench.extra["latency"][i])


@pytest.mark.parametrize(
    ("dataset", "prefix"), [("cifar10", "c10v"), ("cifar100", "c100"), ("imagenet16-120", "in16")]
)
def test_seed_mean_test_accuracy_equals_the_merged_csv(nats_sample, csv_frame, dataset, prefix):
    means = read_nats_records(nats_sample, dataset).groupby("op_key")["test_acc"].mean()
    table = csv_frame.set_index("op_key").loc[means.index, f"{prefix}_test"]
    np.testing.assert_allclose(means, table, rtol=0, atol=1e-3)


def test_incomplete_folder_names_the_missing_files(nats_sample):
    with pytest.raises(BenchmarkDataError) as info:
        load_benchmark(str(nats_sample), "cifar10")
    message = str(info.value)
    assert "lacks 15622 of 15625 architecture files" in message
    assert str(nats_sample / "000001.pickle.pbz2") in message
    assert "\n" not in message


def test_unknown_or_absent_index(nats_sample):
    with pytest.raises(BenchmarkDataError, match=r"has no record file 000001\.pickle\.pbz2$"):
        read_nats_records(nats_sample, "cifar10", indices=[0, 1])
    with pytest.raises(BenchmarkDataError, match=r"NATS index 15625 is out of range 0\.\.15624"):
        read_nats_records(nats_sample, "cifar10", indices=[15625])


def test_missing_meta_file(tmp_path):
    with pytest.raises(BenchmarkDataError, match="no meta.pickle.pbz2") as info:
        load_nats_tss(tmp_path, "cifar10")
    assert "\n" not in str(info.value)


@pytest.fixture
def folder(tmp_path: Path, nats_sample: Path) -> Path:
    """A scratch 'simple' folder whose meta file links to the real one."""
    (tmp_path / nats.META_FILE).symlink_to(nats_sample / nats.META_FILE)
    return tmp_path


@pytest.mark.parametrize(
    "content",
    [b"not a bz2 stream", b"half", bz2.compress(b"not a pickle")],
    ids=["garbage", "truncated", "not-a-pickle"],
)
def test_corrupt_record_file(folder, nats_sample, content):
    if content == b"half":
        content = (nats_sample / "000011.pickle.pbz2").read_bytes()[:20_000]
    (folder / "000011.pickle.pbz2").write_bytes(content)
    with pytest.raises(BenchmarkDataError, match=r"cannot read .*000011\.pickle\.pbz2") as info:
        read_nats_records(folder, "cifar10")
    assert "re-download" in str(info.value)
    assert "\n" not in str(info.value)


def test_corrupt_meta_file(tmp_path):
    (tmp_path / nats.META_FILE).write_bytes(bz2.compress(pickle.dumps({"archs": []})))
    with pytest.raises(BenchmarkDataError, match="has no 'meta_archs' list"):
        read_nats_records(tmp_path, "cifar10")
    (tmp_path / nats.META_FILE).write_bytes(b"\x00" * 10)
    with pytest.raises(BenchmarkDataError, match="cannot read .*meta.pickle.pbz2"):
        read_nats_records(tmp_path, "cifar10")


def test_record_without_the_dataset(folder):
    record = {"200": {"arch_str": "x", "dataset_seed": {"cifar100": [777]}, "all_results": {}}}
    (folder / "000000.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(record)))
    with pytest.raises(BenchmarkDataError, match="200-epoch cifar10-valid results lack"):
        read_nats_records(folder, "cifar10")


def _crafted(arch_str: str) -> dict:
    """A 3-epoch cifar100 record with two seeds stored out of order."""
    def run(acc: float) -> dict:
        return {"epochs": 3, "train_times": {0: 1.0, 1: 2.0, 2: 3.5}, "params": 1.5,
                "flop": 10.0, "latency": [0.1, 0.3],
                "eval_acc1es": {"x-valid@1": 1.0, "x-valid@2": acc, "x-test@2": acc - 10}}
    return {"200": {"arch_str": arch_str, "arch_index": 3,
                    "dataset_seed": {"cifar100": [888, 777]},
                    "all_results": {("cifar100", 777): run(50.0), ("cifar100", 888): run(60.0)}}}


def test_reader_takes_the_last_epoch_and_sums_the_train_times(tmp_path, nb201):
    file = tmp_path / "000003.pickle.pbz2"
    arch = nb201.format(nb201.from_op_key("012340"))
    file.write_bytes(bz2.compress(pickle.dumps(_crafted(arch))))
    rows = nats.read_arch_records(file, "cifar100", expected_arch=arch)
    assert rows == [
        {"nats_index": 3, "arch_str": arch, "op_key": "012340", "seed": seed, "val_acc": acc,
         "test_acc": acc - 10, "train_time": 6.5, "params_mb": 1.5, "flops": 10.0,
         "latency": pytest.approx(0.2)}
        for seed, acc in [(777, 50.0), (888, 60.0)]
    ]
    file.write_bytes(bz2.compress(pickle.dumps(_crafted("|conv~0|+|none~0|none~1|+|x~0|"))))
    with pytest.raises(BenchmarkDataError, match=r"000003\.pickle\.pbz2: .*unknown choice 'conv'"):
        nats.read_arch_records(file, "cifar100")


def test_record_under_the_wrong_index(folder, nats_sample):
    (folder / "000001.pickle.pbz2").symlink_to(nats_sample / "000011.pickle.pbz2")
    with pytest.raises(BenchmarkDataError, match="lists .* for that index"):
        read_nats_records(folder, "cifar10")


def _embedded_records(bench, space) -> pd.DataFrame:
    """Long-form records of an embedded table: one row per (architecture, recorded seed)."""
    rows, seeds = np.nonzero(np.isfinite(bench.scores))
    return pd.DataFrame({
        "op_key": [space.op_key(space.from_index(int(i))) for i in rows],
        "seed": np.asarray(SEEDS)[seeds],
        "val_acc": bench.scores[rows, seeds],
        "train_time": bench.cost[rows],
        "latency": bench.extra["latency"][rows],
    })


def _assemble(records: pd.DataFrame, space) -> object:
    return benchmark_from_records(
        nats.as_benchmark_records(records.assign(test_acc=np.nan, params_mb=np.nan, flops=np.nan)),
        space=space, name="x", dataset="cifar10", source="test", complete=True,
    )


def test_assembly_rebuilds_a_benchmark_from_records(cifar10, nb201):
    records = _embedded_records(cifar10, nb201).sample(frac=1.0, random_state=0)
    bench = _assemble(records, nb201)
    np.testing.assert_array_equal(bench.scores, cifar10.scores)
    np.testing.assert_allclose(bench.cost, cifar10.cost, rtol=1e-12)
    np.testing.assert_allclose(bench.extra["latency"], cifar10.extra["latency"], rtol=1e-12)
    assert set(bench.extra) == {"latency"}
    assert nb201.op_key(bench.optimum) == "333132"


def test_assembly_rejects_missing_and_repeated_runs(cifar10, nb201):
    records = _embedded_records(cifar10, nb201)
    some = records[records["op_key"] != "333132"]
    with pytest.raises(BenchmarkDataError, match=r"test: 1 of 15625 nb201 architectures are "
                       r"missing \(no val_acc for cifar10\)"):
        _assemble(some, nb201)
    twice = pd.concat([records, records.iloc[[5]]])
    with pytest.raises(BenchmarkDataError,
                       match=r"architecture \|none~0\|.* has seed 999 recorded more than once"):
        _assemble(twice, nb201)


def test_complete_folder_loads_through_the_reader(tmp_path, nats_sample, cifar10, nb201,
                                                  monkeypatch):
    """The whole load path on 15,625 stand-in files; the reader yields embedded numbers."""
    folder = tmp_path / "nats"
    folder.mkdir()
    (folder / nats.META_FILE).symlink_to(nats_sample / nats.META_FILE)
    for i in range(15_625):
        os.close(os.open(folder / nats.arch_file_name(i), os.O_CREAT | os.O_WRONLY))
    records: dict[str, list[dict]] = {}
    for row in _embedded_records(cifar10, nb201).to_dict("records"):
        records.setdefault(row["op_key"], []).append(row)
    read = []

    def fake_reader(file, dataset, expected_arch):
        read.append(file.name)
        return records[nb201.op_key(nb201.parse(expected_arch))]

    monkeypatch.setattr(nats, "read_arch_records", fake_reader)
    monkeypatch.setenv("NASLAB_CACHE_DIR", str(tmp_path / "cache"))
    bench = load_benchmark(str(folder), "cifar10")
    assert len(read) == 15_625 and read[284] == "000284.pickle.pbz2"
    assert bench.name == "nats-tss"
    np.testing.assert_array_equal(bench.scores, cifar10.scores)
    assert nb201.op_key(bench.optimum) == "333132"

    again = load_benchmark(str(folder), "cifar10")  # from the cache: no file is read
    assert len(read) == 15_625
    np.testing.assert_array_equal(again.scores, cifar10.scores)
    np.testing.assert_array_equal(again.cost, bench.cost)

    os.utime(folder / nats.arch_file_name(7), ns=(0, 0))  # a changed folder is read afresh
    load_benchmark(str(folder), "cifar10")
    assert len(read) == 2 * 15_625
