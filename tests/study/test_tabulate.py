"""naslab tabulate: train every architecture of a small space, write the table, search it."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
import warnings
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from naslab.benchmarks.user_table import load_user_table  # noqa: E402
from naslab.cli import main  # noqa: E402
from naslab.errors import ConfigError  # noqa: E402
from naslab.spaces import ChainSpace, resolve_space  # noqa: E402
from naslab.study import StudyConfig, read_config, read_evaluations, run_study  # noqa: E402
from naslab.study.tabulate import (  # noqa: E402
    TabulateWarning,
    read_tabulation_file,
    table_of_run,
    tabulate,
    tabulation_config,
)
from naslab.training.chain_net import ChainNetwork  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))  # so a study can import this file's builder

#: 1 + 1 networks of depth 1 and 2 x 2 of depth 2: six architectures.
TINY = ChainSpace(depths=(1, 2), kernels=(3,), channels=(4, 8), name="tiny-chain")
TRAINING = {"epochs": 1, "limit": 120, "batch_size": 16, "lr": 0.1}


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tabulate")
    out = tabulate(TINY, "digits", TRAINING, seeds=2, run_dir=folder / "run",
                   out=folder / "tiny.csv", progress=False)
    return out, folder / "run"


def test_the_table_has_every_architecture_once_with_a_column_per_seed(tiny_table) -> None:
    out, run_dir = tiny_table
    table = pd.read_csv(out)
    assert list(table["arch"]) == [str(a) for a in TINY.all()]  # the exhaustive order
    assert list(table.columns) == ["arch", "valid_seed0", "valid_seed1", "test", "train_time",
                                   "params", "flops", "val_loss", "test_loss", "train_acc",
                                   "train_loss"]
    evals = read_evaluations(run_dir)
    assert len(evals) == 2 * 6 and evals["failure"].isna().all()
    for seed in (0, 1):
        of_seed = evals[evals["seed"] == seed].set_index("arch")
        assert np.allclose(table[f"valid_seed{seed}"], of_seed.loc[table["arch"], "val_acc"])
    assert table[["valid_seed0", "valid_seed1", "test"]].stack().between(0, 100).all()
    assert (table["train_time"] > 0).all() and (table["params"] > 0).all()
    mean_test = evals.groupby("arch")["test_acc"].mean()
    assert np.allclose(table["test"], mean_test.loc[table["arch"]])
    assert table["valid_seed0"].ne(table["valid_seed1"]).any()  # two training seeds


def test_the_table_loads_and_a_table_study_searches_it(tiny_table, tmp_path) -> None:
    out, _ = tiny_table
    benchmark = load_user_table(out, "digits", TINY)
    assert len(benchmark.space) == 6
    config = StudyConfig(benchmark=str(out), space=TINY.definition(), datasets=("digits",),
                         strategies=("rs",), seeds=2, max_queries=5)
    run_dir = run_study(config, tmp_path / "search", progress=False)
    evals = read_evaluations(run_dir)
    assert len(evals) == 2 * 5 and evals["value"].between(0, 100).all()
    assert {"params", "flops", "val_loss", "train_acc"} <= set(evals.columns)


def test_calling_it_again_resumes_and_writes_the_same_table(tiny_table, tmp_path) -> None:
    out, run_dir = tiny_table
    before = read_evaluations(run_dir)
    again = tabulate(TINY, ["digits"], TRAINING, seeds=2, run_dir=run_dir,
                     out=tmp_path / "again.csv", progress=False)
    assert again.read_bytes() == out.read_bytes()
    pd.testing.assert_frame_equal(read_evaluations(run_dir), before)  # nothing retrained
    with pytest.raises(ConfigError, match=r"other settings \(training differ\)"):
        tabulate(TINY, "digits", {**TRAINING, "epochs": 2}, seeds=2, run_dir=run_dir,
                 out=tmp_path / "other.csv", progress=False)
    with pytest.raises(ConfigError, match=r"seeds, max_queries, strategy_params differ"):
        tabulate(TINY, "digits", TRAINING, seeds=1, sample=3, run_dir=run_dir,
                 out=tmp_path / "other.csv", progress=False)
    assert not (tmp_path / "other.csv").exists()
    tabulate(TINY, "digits", {**TRAINING, "device": "cpu"}, seeds=2, run_dir=run_dir,
             out=tmp_path / "moved.csv", workers=2, progress=False)  # where it runs may change
    assert read_config(run_dir).workers == 2 and read_config(run_dir).batch_size == 1
    assert (tmp_path / "moved.csv").read_bytes() == out.read_bytes()
    if importlib.util.find_spec("pyarrow") is not None:
        parquet = tabulate(TINY, "digits", TRAINING, seeds=2, run_dir=run_dir,
                           out=tmp_path / "t.parquet", workers=2, progress=False)
        pd.testing.assert_frame_equal(pd.read_parquet(parquet), pd.read_csv(out))
        assert len(load_user_table(parquet, "digits", TINY).space) == 6


def test_a_killed_tabulation_resumes_to_the_uninterrupted_table(tiny_table, tmp_path) -> None:
    """A run folder holding only part of the evaluations (what a kill leaves) is finished."""
    out, _ = tiny_table
    partial = tmp_path / "partial"
    run_study(tabulation_config(TINY, "digits", TRAINING, seeds=2), partial, progress=False)
    with closing(sqlite3.connect(partial / "journal.sqlite")) as conn, conn:
        conn.execute("DELETE FROM evaluations WHERE seed = 1 AND step >= 2")
        conn.execute("UPDATE trials SET status = 'running' WHERE seed = 1")
    assert table_of_run(partial)[0]["valid_seed1"].isna().sum() == 4  # not trained yet: empty
    tabulate(TINY, "digits", TRAINING, seeds=2, run_dir=partial, out=tmp_path / "t.csv",
             progress=False)
    resumed, whole = (pd.read_csv(p).drop(columns="train_time") for p in (tmp_path / "t.csv", out))
    pd.testing.assert_frame_equal(resumed, whole)  # all but the seconds training took


class _Exploding(nn.Module):
    """A chain network whose outputs are NaN: its training fails."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x) * float("nan")


def failing_builder(arch, input_shape, num_classes):
    """Depth-2 networks whose second layer has 8 channels never train; depth-1 networks
    fail for odd training seeds; the rest train."""
    network = ChainNetwork(arch, num_classes, in_channels=input_shape[0])
    names = arch.op_names()
    if (names[0] == "2" and names[4] == "8") or (names[0] == "1" and torch.initial_seed() % 2):
        return _Exploding(network)
    return network


def test_failed_trainings_leave_empty_cells_and_never_trained_architectures_no_row(
    tmp_path,
) -> None:
    training = {**TRAINING, "builder": "test_tabulate:failing_builder"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = tabulate(TINY, "digits", training, seeds=2, run_dir=tmp_path / "run",
                       out=tmp_path / "t.csv", progress=False)
    evals = read_evaluations(tmp_path / "run")
    failed = evals[evals["failure"].notna()]
    never = [a for a, rows in evals.groupby("arch") if rows["failure"].notna().all()]
    assert len(never) == 2 and len(failed) >= 4
    table = pd.read_csv(out).set_index("arch")
    assert sorted(table.index) == sorted(set(evals["arch"]) - set(never))
    for row in failed.itertuples():
        if row.arch in table.index:
            assert np.isnan(table.loc[row.arch, f"valid_seed{row.seed}"])
    ok = evals[evals["failure"].isna()]
    for row in ok.itertuples():
        assert table.loc[row.arch, f"valid_seed{row.seed}"] == pytest.approx(row.val_acc)
    messages = [str(w.message) for w in caught if issubclass(w.category, TabulateWarning)]
    assert len(messages) == 1 and messages[0].startswith("2 architecture(s) failed")
    load_user_table(out, "digits", TINY)  # the table still loads


def test_several_datasets_make_a_long_table(tmp_path, monkeypatch) -> None:
    """Two data sets: a dataset column, each one's rows loading on their own."""
    rng = np.random.default_rng(0)
    arrays = tmp_path / "blobs.npz"
    np.savez(arrays, x=rng.normal(size=(160, 1, 4, 4)).astype(np.float32),
             y=rng.integers(0, 3, size=160))
    out = tabulate(TINY.definition(), ["digits", str(arrays)], TRAINING, sample=3,
                   run_dir=tmp_path / "run", out=tmp_path / "long.csv", progress=False)
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["dataset", "arch", "valid_seed0"] and len(table) == 6
    assert table.groupby("dataset")["arch"].apply(tuple).nunique() == 1  # same 3 per dataset
    for dataset in table["dataset"].unique():
        assert len(load_user_table(out, dataset, resolve_space(TINY.definition())).space) == 3


def test_bad_outputs_are_refused_before_anything_trains(tmp_path) -> None:
    for out, message in ((tmp_path / "t.txt", "must end in .csv"),
                         (tmp_path / "run" / "t.csv", "outside its run folder")):
        with pytest.raises(ConfigError, match=message):
            tabulate(TINY, "digits", TRAINING, run_dir=tmp_path / "run", out=out)
    with pytest.raises(ConfigError, match="sample 9 is more than the 6 architectures"):
        tabulate(TINY, "digits", TRAINING, sample=9, run_dir=tmp_path / "run",
                 out=tmp_path / "t.csv")
    assert not (tmp_path / "run").exists()


def invoke(*args: str):
    return CliRunner().invoke(main, ["tabulate", *args])


def test_the_command_tabulates_and_resumes(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    common = ["lanas-chain", "--data", "digits", "--seeds", "2", "--sample", "3", "--limit",
              "120", "--set", "lr=0.1", "--set", "batch_size=16", "--out", "chain.csv",
              "--no-progress"]
    args = [*common, "--epochs", "1"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    run_dir = tmp_path / "runs" / "tabulate-chain"
    assert f"table: {tmp_path / 'chain.csv'}" in result.output and str(run_dir) in result.output
    config = read_config(run_dir)
    assert config.training == {"epochs": 1, "limit": 120, "lr": 0.1, "batch_size": 16}
    assert config.strategy_params == {"exhaustive": {"sample": 3}} and config.seeds == 2
    table = pd.read_csv("chain.csv")
    assert len(table) == 3 and {"valid_seed0", "valid_seed1"} <= set(table.columns)
    first = Path("chain.csv").read_bytes()
    assert invoke(*args).exit_code == 0 and Path("chain.csv").read_bytes() == first
    result = invoke(*common, "--epochs", "2")
    assert result.exit_code == 2 and result.output.startswith("error:")
    assert "training differ" in result.output and result.output.count("\n") == 1


def test_the_command_reads_a_config_file_and_flags_override_it(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tab.toml").write_text(
        'space = "lanas-chain"\ndatasets = ["digits"]\nsample = 2\nout = "from-file.csv"\n'
        'run_dir = "tab-run"\n[training]\nepochs = 1\nlimit = 100\nnetwork = {}\n'
    )
    result = invoke("--config", "tab.toml", "--set", "lr=0.1", "--no-progress")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv("from-file.csv")) == 2
    assert read_config(tmp_path / "tab-run").training == {
        "epochs": 1, "limit": 100, "network": {}, "lr": 0.1}
    Path("bad.toml").write_text('space = "lanas-chain"\nouts = "x.csv"\n')
    result = invoke("--config", "bad.toml")
    assert result.exit_code == 2 and "unknown key(s) 'outs'" in result.output
    assert invoke("--config", "tab.toml", "--set", "lr").output.startswith(
        "error: --set takes KEY=VALUE")
    assert "name the table" in invoke("lanas-chain").output
    result = invoke("lanas-chain", "--out", "x.csv", "--resources", "num_gpus=1")
    assert "resources applies to the Ray executor only" in result.output  # checked up front


def test_the_shipped_example_is_a_valid_tabulation(tmp_path) -> None:
    example = Path(__file__).parents[2] / "examples" / "tabulate_chain_digits.toml"
    settings = read_tabulation_file(example)
    for key in ("out", "run_dir"):
        settings.pop(key)
    config = tabulation_config(**settings)
    assert config.space == "lanas-chain" and config.max_queries == 1364
    assert config.strategies == ("exhaustive",) and config.datasets == ("digits",)
