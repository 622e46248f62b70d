from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from naslab.analysis import Report, build_report
from naslab.analysis.report import _write_atomic
from naslab.errors import ConfigError, NaslabError

HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None


@pytest.fixture(scope="module")
def evals(cifar10) -> pd.DataFrame:
    """rs: final best 9.0 and 11.0 (-> '10.00 ± 1.00'); ls: 8.0 and 8.5 over two seeds each."""
    a, b, c = (str(cifar10.space.from_op_key(k)) for k in ("333133", "113102", "333132"))
    rows = [("rs", 0, a, 12.0), ("rs", 0, b, 9.0), ("rs", 1, a, 11.0), ("rs", 1, b, 13.0),
            ("ls", 0, c, 8.0), ("ls", 0, a, 9.5), ("ls", 1, a, 8.5), ("ls", 1, c, 9.0)]
    return pd.DataFrame([
        {"strategy": s, "dataset": "cifar10", "seed": seed, "step": i % 2, "batch": i % 2,
         "arch": arch, "value": v, "cost": 100.0 * (i + 1), "wall_time": 0.0, "val_acc": 100 - v}
        for i, (s, seed, arch, v) in enumerate(rows)
    ])


@pytest.fixture(scope="module")
def report(evals, cifar10, tmp_path_factory) -> tuple[Report, Path]:
    out = tmp_path_factory.mktemp("report")
    return build_report(evals, {"cifar10": cifar10}, out), out


def test_files_exist_and_are_not_empty(report, evals) -> None:
    result, out = report
    names = sorted(p.relative_to(out).as_posix() for p in result.files)
    assert names == ["evaluations.csv", "plots/cifar10_cost.png", "plots/cifar10_query.png",
                     "report.md", "summary.csv"]
    assert all(p.stat().st_size > 0 for p in result.files)
    assert not list(out.rglob("*.part"))
    table = pd.read_csv(out / "evaluations.csv")
    assert len(table) == len(evals)
    assert {"query", "cum_cost", "best_observed", "incumbent", "incumbent_regret"} <= set(table)
    assert pd.read_csv(out / "summary.csv")["strategy"].tolist() == ["rs", "ls"]
    markdown = (out / "report.md").read_text()
    assert "| rs | 10.00 ± 1.00 |" in markdown
    assert "![cifar10_query](plots/cifar10_query.png)" in markdown


def test_text_holds_the_table_cells(report, cifar10) -> None:
    result, _ = report
    text = result.text
    lines = text.splitlines()
    start = lines.index("Best observed validation error (%), the papers' metric")
    header, rule, rs, ls = lines[start + 1 : start + 5]
    assert header.split() == ["strategy", "cifar10"]
    assert rs == "rs        10.00 ± 1.00" and ls == "ls        8.25 ± 0.25"
    assert rule.split() == ["--------", "------------"]
    # the incumbents at the budget: rs seeds B (mean 9.0) and A (11.0); ls seeds C and A
    space = cifar10.space
    true_a, true_b, true_c = (cifar10.true_value(space.from_op_key(k))
                              for k in ("333133", "113102", "333132"))
    rs_true, ls_true = np.array([true_b, true_a]), np.array([true_c, true_a])
    assert f"{rs_true.mean():.2f} ± {rs_true.std(ddof=1) / np.sqrt(2):.2f}" in text
    assert f"{ls_true.mean():.2f} ± {ls_true.std(ddof=1) / np.sqrt(2):.2f}" in text
    assert "Incumbent regret" in text and "Incumbent test error" not in text  # no test acc
    p_best = result.summary.set_index("strategy").loc["ls", "p_best_observed"]
    assert p_best == pytest.approx(1 / 6)  # exact Mann-Whitney: 1 of 6 orderings as extreme
    assert "ls        0.167 / " in text
    assert "rs        - (0/2)" in text and "ls        1.0 (1/2)" in text
    assert "cifar10 8.39" in text


def test_bad_table_format_is_refused_before_writing(evals, cifar10, tmp_path) -> None:
    with pytest.raises(ConfigError, match="unknown table format 'xlsx'; valid: csv, parquet"):
        build_report(evals, {"cifar10": cifar10}, tmp_path / "out", table_format="xlsx")
    assert not (tmp_path / "out").exists()


def test_parquet_without_pyarrow_says_what_to_install(evals, cifar10, tmp_path,
                                                      monkeypatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real_find_spec(name, *a))
    with pytest.raises(NaslabError, match=r"pip install 'naslab\[parquet\]'"):
        build_report(evals, {"cifar10": cifar10}, tmp_path / "out", table_format="parquet")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not HAS_PYARROW, reason="needs pyarrow")
def test_parquet_round_trips(evals, cifar10, tmp_path) -> None:
    build_report(evals, {"cifar10": cifar10}, tmp_path, table_format="parquet")
    assert len(pd.read_parquet(tmp_path / "evaluations.parquet")) == len(evals)


def test_interrupted_write_leaves_the_old_file_whole(tmp_path) -> None:
    path = tmp_path / "summary.csv"
    path.write_text("old\n")

    def crash(p: Path) -> None:
        p.write_text("half a fi")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _write_atomic(path, crash)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]
