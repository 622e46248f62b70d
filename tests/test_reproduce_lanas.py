"""`naslab reproduce lanas-samples-to-optimum` end to end, shrunk (seed 002, section 4.2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from naslab.analysis.samples_to_optimum import Bounded
from naslab.reproduce import REPRODUCTIONS, Options
from naslab.reproduce.lanas_samples import (
    CLAIMS,
    MAIN_BUDGET,
    NAME,
    STUDIES,
    TPE_BUDGET,
    LanasSamplesToOptimum,
    Study,
    goal_met,
)
from naslab.strategies import STRATEGIES

#: Tests only: rs and ls to 3,000 queries (rs is censored), re in its own study to 40.
TINY = (Study("main", 3_000, ("rs", "ls")), Study("small", 40, ("re",)))
OPTIONS = Options(seeds=2, datasets=("cifar10",), progress=False)


def journal_rows(out: Path) -> dict[str, int]:
    counts = {}
    for study in TINY:
        with sqlite3.connect(out / study.folder / "journal.sqlite") as conn:
            counts[study.folder] = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    return counts


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("lanas") / "samples"
    result = LanasSamplesToOptimum(studies=TINY, focus="ls").run(out, OPTIONS)
    return out, result.text


def test_the_command_is_registered_with_the_papers_protocol() -> None:
    assert NAME in REPRODUCTIONS
    assert [(s.max_queries, len(s.strategies)) for s in STUDIES] == [(MAIN_BUDGET, 7),
                                                                    (TPE_BUDGET, 1)]
    assert MAIN_BUDGET == 2 * 15_625
    assert {c.strategy for c in CLAIMS} - {None} <= {s for st in STUDIES for s in st.strategies}
    default = LanasSamplesToOptimum()
    assert (default.seeds, default.focus, default.baseline) == (100, "lanas", "rs")


@pytest.mark.skipif(not all(s in STRATEGIES for st in STUDIES for s in st.strategies),
                    reason="the LaNAS / MCTS strategies are not registered yet")
def test_the_papers_configs_validate() -> None:
    configs = LanasSamplesToOptimum().configs(Options())
    main = configs["main"]
    assert main.stop_at_optimum and main.noise == "mean" and main.seeds == 100
    assert main.strategy_params["rs"] == {"replacement": False}
    assert configs["tpe"].max_queries == TPE_BUDGET and "rs" not in configs["tpe"].strategy_params


def test_runs_end_to_end_and_writes_the_markdown_and_figures(reproduced) -> None:
    out, text = reproduced
    markdown = (out / "samples_to_optimum.md").read_text()
    assert "**2 seeds** (**a reduced run: the paper used 100**)" in markdown
    assert "## cifar10" in markdown and "## cifar100" not in markdown
    rows = {line.split(" | ")[0].lstrip("| "): line for line in markdown.splitlines()
            if line.startswith("| ") and (" | 3,000 | " in line or " | 40 | " in line)}
    assert "| rs | 3,000 | 0/2 | >= 3,000 | >= 3,000 |" in rows["rs"]  # censored
    assert "| ls | 3,000 | 2/2 |" in rows["ls"] and rows["ls"].endswith("| - | - |")
    assert "| re | 40 | " in rows["re"]
    assert "(N+1)/(k+1) = 7,813.0" in markdown and "2 censored: not checked" in markdown
    assert "Goal: ls needs at least 20x fewer samples than rs by median on cifar10: >= " in text
    assert "| Random Search | NASBench-101 | 37x | rs | >= " in text
    assert "| TPE | ConvNet-60K | 12.3x | optuna:tpe | not run | not run |" in text
    assert all(line in markdown for line in text.splitlines())  # the tables, as written
    for name in ("best_so_far.png", "samples_to_optimum.png"):
        assert (out / name).stat().st_size > 10_000 and f"]({name})" in markdown


def test_rerunning_resumes_without_redoing_work(reproduced) -> None:
    out, text = reproduced
    before = journal_rows(out)
    assert before["small"] == 40 * 2  # re never reaches the optimum in 40 queries
    assert before["main"] < 3_000 * 2 * 2  # ls stopped at the optimum
    again = LanasSamplesToOptimum(studies=TINY, focus="ls").run(out, OPTIONS)
    assert journal_rows(out) == before and again.text == text


def test_the_goal_is_judged_with_its_bound() -> None:
    assert goal_met(Bounded(37.0)) == "met" and goal_met(Bounded(21.0, "lower")) == "met"
    assert goal_met(Bounded(12.0)) == "not met"
    assert goal_met(Bounded(12.0, "lower")) == "not determined (lower bound)"
    assert goal_met(Bounded(float("nan"))) == "not measured"
