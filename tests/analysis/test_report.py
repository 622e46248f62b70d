from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from naslab.analysis import Report, RunInfo, build_report
from naslab.analysis.files import write_atomic
from naslab.errors import ConfigError, NaslabError
from naslab.observation import Metric

HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None
DEAD_PID = 2**22 + 12345  # above Linux's pid_max default: no such process


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


def run_info(evals: pd.DataFrame, **changes: object) -> RunInfo:
    """The plan of ``evals`` (every trial done) with ``changes``."""
    plan = RunInfo.of_evaluations(evals)
    return RunInfo(**{**plan.__dict__, "max_queries": 2, "noise": "sample", **changes})


@pytest.fixture(scope="module")
def report(evals, cifar10, tmp_path_factory) -> tuple[Report, Path]:
    out = tmp_path_factory.mktemp("report")
    return build_report(evals, {"cifar10": cifar10}, out, run=run_info(evals)), out


def test_files_exist_and_are_not_empty(report, evals) -> None:
    result, out = report
    names = sorted(p.relative_to(out).as_posix() for p in result.files)
    assert names == ["evaluations.csv", "plots/cifar10_cost.png", "plots/cifar10_final.png",
                     "plots/cifar10_query.png", "report.html", "report.md", "summary.csv"]
    assert all(p.stat().st_size > 0 for p in result.files)
    assert not list(out.rglob("*.part"))
    table = pd.read_csv(out / "evaluations.csv")
    assert len(table) == len(evals)
    assert {"query", "cum_cost", "best_observed", "incumbent", "incumbent_true",
            "incumbent_regret", "incumbent_test"} <= set(table)
    assert not [c for c in table if "error" in c]
    assert pd.read_csv(out / "summary.csv")["strategy"].tolist() == ["rs", "ls"]
    markdown = (out / "report.md").read_text()
    assert "| rs | 10.00 ± 1.00 |" in markdown
    assert "![cifar10_query](plots/cifar10_query.png)" in markdown
    assert "| strategy | vs rs | vs ls |" in markdown  # the rank-test matrix


def test_text_holds_the_table_cells(report, cifar10) -> None:
    result, _ = report
    text = result.text
    lines = text.splitlines()
    assert lines[0] == ("naslab report: 2 strategies x 1 dataset, 2 seeds, "
                        "budget 2 queries per trial")
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
    assert "Incumbent regret" in text and "Incumbent test" not in text  # no test accuracy
    p_best = result.summary.set_index("strategy").loc["ls", "p_best_observed"]
    assert p_best == pytest.approx(1 / 6)  # exact Mann-Whitney: 1 of 6 orderings as extreme
    assert "ls        0.167 / " in text
    assert "rs        - (0/2)" in text and "ls        1.0 (1/2)" in text
    assert "cifar10 8.39" in text
    assert "Noise 'sample'" in text and "UNFINISHED" not in text


def test_html_is_one_self_contained_page(report, cifar10) -> None:
    _, out = report
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "href=" not in page  # nothing outside the file
    assert "<td>10.00 ± 1.00</td>" in page  # the Markdown's tables
    for setting in ("noise", "budget per trial", "strategies", "seeds", "15,625 architectures",
                    "global optimum 8.39"):
        assert setting in page
    # rs spent 100+200, 300+400 and ls 500+600, 700+800 simulated GPU-seconds
    assert "2 queries, 900 simulated GPU-seconds (mean over finished trials)" in page
    matrix = page[page.index("p-value that the row"):]
    assert "<th>vs rs</th><th>vs ls</th>" in matrix
    true_a, true_b, true_c = (cifar10.true_value(cifar10.space.from_op_key(k))
                              for k in ("333133", "113102", "333132"))
    rs_over_ls = mannwhitneyu([true_b, true_a], [true_c, true_a], alternative="less").pvalue
    ls_over_rs = mannwhitneyu([true_c, true_a], [true_b, true_a], alternative="less").pvalue
    assert (f"<tr><th>rs</th><td>-</td><td>{rs_over_ls:.3g}</td></tr>"
            f"<tr><th>ls</th><td>{ls_over_rs:.3g}</td><td>-</td></tr>") in matrix


def test_a_metric_to_maximise_is_reported_as_itself(evals, cifar10, accuracy, report,
                                                    tmp_path) -> None:
    by_error, _ = report
    result = build_report(evals.assign(value=evals["value"] - 100.0), {"cifar10": accuracy},
                          tmp_path, run=run_info(evals))
    text = result.text
    assert "Best observed validation accuracy (%), the papers' metric" in text
    assert "rs        90.00 ± 1.00" in text and "ls        91.75 ± 0.25" in text
    assert "highest validation accuracy (%) is best" in text and "cifar10 91.61" in text
    assert "validation error" not in text
    same = ["p_best_observed", "p_incumbent_true", "incumbent_regret_mean", "n_reached_optimum"]
    pd.testing.assert_frame_equal(result.summary[same], by_error.summary[same])
    np.testing.assert_allclose(result.summary["incumbent_true_mean"],
                               100 - by_error.summary["incumbent_true_mean"])


def test_without_a_benchmark_only_observed_values(evals, tmp_path) -> None:
    result = build_report(evals, {}, tmp_path, metric=Metric("loss"))
    text = result.text
    assert "Best observed loss" in text and "Incumbent mean observed loss" in text
    assert "rs        10.00 ± 1.00" in text
    for absent in ("Incumbent true", "Incumbent regret", "optimum 8.39", "Queries until",
                   "Noise"):
        assert absent not in text
    assert "No benchmark table for cifar10" in text and "no true value" in text
    assert "over seeds (best observed)\nstrategy  cifar10" in text  # no '/ -' for missing truth
    assert result.summary["incumbent_true_mean"].isna().all()
    assert "global optimum" not in (tmp_path / "report.html").read_text()


def test_noise_and_budgets_are_the_runs_own(evals, cifar10, tmp_path) -> None:
    mean = build_report(evals, {"cifar10": cifar10}, tmp_path,
                        run=run_info(evals, noise="mean", max_queries=None, max_cost=250.0))
    assert "Noise 'mean'" in mean.text and "'sample'" not in mean.text
    assert "budget 250 simulated GPU-seconds per trial" in mean.text
    assert "queries per trial" not in mean.text
    both = build_report(evals, {"cifar10": cifar10}, tmp_path,
                        run=run_info(evals, max_cost=250.0))
    assert "budget 2 queries or 250 simulated GPU-seconds per trial, whichever" in both.text


def test_one_of_each_is_singular(evals, cifar10, tmp_path) -> None:
    alone = evals[(evals.strategy == "rs") & (evals.seed == 0)]
    text = build_report(alone, {"cifar10": cifar10}, tmp_path).text
    assert text.startswith("naslab report: 1 strategy x 1 dataset, 1 seed, 2 queries per trial")
    assert "p-value" not in text  # nothing to test against


def test_without_the_baseline_no_p_values_but_a_note(evals, cifar10, tmp_path) -> None:
    text = build_report(evals, {"cifar10": cifar10}, tmp_path, baseline="re").text
    assert "better than re" not in text
    assert "Note: baseline 're' not run on cifar10" in text
    assert "vs rs" in (tmp_path / "report.md").read_text()  # the pairwise matrix still is


def test_an_unfinished_run_reports_finished_trials_and_progress(evals, cifar10, tmp_path) -> None:
    """ls seed 1 was killed after one query, 're' never started: neither passes as final."""
    partial = evals.drop(index=evals.index[-1])
    statuses = {("rs", "cifar10", 0): "done", ("rs", "cifar10", 1): "done",
                ("ls", "cifar10", 0): "done", ("ls", "cifar10", 1): "pending",
                ("re", "cifar10", 0): "pending", ("re", "cifar10", 1): "pending"}
    run = RunInfo(("rs", "ls", "re"), ("cifar10",), (0, 1), statuses, max_queries=2,
                  noise="sample")
    result = build_report(partial, {"cifar10": cifar10}, tmp_path, run=run)
    text = result.text
    assert "UNFINISHED RUN: 3 of 6 trials done" in text
    assert "rs        2/2 done, 0 started, 0 not started; 4/4 queries" in text
    assert "ls        1/2 done, 1 started, 0 not started; 3/4 queries" in text
    assert "re        0/2 done, 0 started, 2 not started; 0/4 queries" in text
    assert "ls        8.00 ± n/a [1/2 seeds]" in text  # seed 0 only; seed 1's 8.5 is partial
    assert "re        -" in text
    assert result.summary.set_index("strategy").loc["ls", "n_seeds"] == 1
    assert len(pd.read_csv(tmp_path / "evaluations.csv")) == len(partial)  # the tidy table: all
    assert "Progress" in (tmp_path / "report.html").read_text()


def test_a_run_without_evaluations_has_nothing_to_report(evals, cifar10, tmp_path) -> None:
    run = RunInfo(("rs",), ("cifar10",), (0, 1), {("rs", "cifar10", 0): "pending",
                                                  ("rs", "cifar10", 1): "pending"})
    with pytest.raises(ConfigError, match="none of the run's 2 trials has a journaled evaluation"):
        build_report(evals.iloc[:0], {"cifar10": cifar10}, tmp_path / "out", run=run)
    assert not (tmp_path / "out").exists()


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
def test_parquet_round_trips_and_replaces_the_csv(evals, cifar10, tmp_path) -> None:
    build_report(evals, {"cifar10": cifar10}, tmp_path)
    (tmp_path / "mine.csv").write_text("keep\n")
    build_report(evals, {"cifar10": cifar10}, tmp_path, table_format="parquet")
    assert len(pd.read_parquet(tmp_path / "evaluations.parquet")) == len(evals)
    assert not (tmp_path / "evaluations.csv").exists()
    assert (tmp_path / "mine.csv").exists()
    build_report(evals, {"cifar10": cifar10}, tmp_path)
    assert not (tmp_path / "evaluations.parquet").exists()


def test_stale_parts_of_killed_reports_are_removed(evals, cifar10, tmp_path) -> None:
    (tmp_path / "plots").mkdir()
    stale = [tmp_path / f".report.md.{DEAD_PID}.part",
             tmp_path / f".evaluations.parquet.{DEAD_PID}.part",
             tmp_path / "plots" / f".cifar10_query.png.{DEAD_PID}.part"]
    kept = [tmp_path / f".notes.txt.{DEAD_PID}.part",  # not a file naslab writes
            tmp_path / ".report.md.part",  # not naslab's naming pattern
            tmp_path / ".report.md.1.part"]  # pid 1 is alive: a report running now
    for path in stale + kept:
        path.write_text("half a fi")
    build_report(evals, {"cifar10": cifar10}, tmp_path)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)


def test_interrupted_write_leaves_the_old_file_whole(tmp_path) -> None:
    path = tmp_path / "summary.csv"
    path.write_text("old\n")

    def crash(p: Path) -> None:
        p.write_text("half a fi")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, crash)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]
