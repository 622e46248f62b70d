"""`naslab reproduce lanas-ablations` end to end, shrunk (seed 002, sections 4.1 and 4.5)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from naslab.reproduce import REPRODUCTIONS, Options
from naslab.reproduce.lanas_ablations import (
    BUDGET,
    GRID,
    NAME,
    Grid,
    LanasAblations,
    Setting,
)

#: Tests only: two values per axis, shallow trees, short trials.
TINY = Grid(heights=(2, 3), selects=(10, 50), cps=(0.0, 0.1, 1.0), inits=(0, 10))
OPTIONS = Options(seeds=2, progress=False)
SMALL = LanasAblations(grid=TINY, budget=300, dynamics_seeds=2, dynamics_queries=200,
                       checkpoints=(50, 100, 200), shown=(50, 200))


def journal_rows(out: Path) -> int:
    total = 0
    for path in sorted(out.rglob("journal.sqlite")):
        with sqlite3.connect(path) as conn:
            total += conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    return total


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("ablations") / "out"
    return out, SMALL.run(out, OPTIONS).text


def test_the_command_is_registered_with_the_full_grid() -> None:
    assert NAME in REPRODUCTIONS
    default = LanasAblations()
    assert (default.seeds, default.budget, default.grid) == (30, 2 * 15_625, GRID)
    assert BUDGET == 31_250
    # 9 height x #select cells, 7 Cp, 5 #init; the defaults' setting is shared: 19 studies
    assert len(GRID.settings()) == 9 + 7 + 5 - 2
    configs = default.configs(Options())
    assert len(configs) == 19 + 1 and configs["dynamics"].max_queries == 3_000
    assert not configs["dynamics"].stop_at_optimum and configs["dynamics"].seeds == 5
    study = configs["settings/h7-s100-cp0.1-i10"]
    assert study.stop_at_optimum and study.noise == "mean" and study.seeds == 30
    assert study.strategy_params["lanas"] == {"height": 7, "select": 100, "cp": 0.1,
                                              "n_init": 10}
    assert Setting().folder == "h5-s10-cp0.1-i10"


def test_runs_end_to_end_and_writes_the_markdown_and_figures(reproduced) -> None:
    out, text = reproduced
    markdown = (out / "ablations.md").read_text()
    assert "**2 seeds** per setting (**the paper used 100**)" in markdown
    assert "| height \\ #select | 10 | 50 |" in text
    assert "| 0.1 | " in text and "| 1 | " in text and "| 0 | " in text
    assert "| Deeper trees need fewer samples (Fig. 7a) | height 3 vs 2: " in markdown
    assert "| c in 0.1-0.5 beats c = 0 and c = 1 (Fig. 7c) | best in 0.1-0.5: " in markdown
    assert "| init > 0 beats init = 0 (Fig. 7d) | best init > 0: " in markdown
    assert text in markdown
    for name in ("height_select.png", "cp.png", "init.png", "dynamics.png",
                 "distributions.png"):
        assert (out / name).stat().st_size > 5_000 and f"({name})" in markdown
    assert len(list((out / "settings").iterdir())) == len(TINY.settings()) == 4 + 3 + 1


def test_rerunning_resumes_without_redoing_work(reproduced) -> None:
    out, text = reproduced
    before = journal_rows(out)
    assert before > 200 * 2  # at least the dynamics study
    again = SMALL.run(out, OPTIONS)
    assert journal_rows(out) == before and again.text == text


def test_other_datasets_are_refused() -> None:
    with pytest.raises(Exception, match="cifar10 only"):
        SMALL.configs(Options(datasets=("cifar100",)))
