"""`naslab reproduce`: the ANASOD Table 2 reproduction end to end, shrunk, and its registry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from naslab.cli import main
from naslab.errors import ConfigError
from naslab.reproduce import REPRODUCTIONS, Options
from naslab.reproduce.anasod_table2 import FIGURE3, PAPER, STUDIES, AnasodTable2, agrees
from naslab.strategies import STRATEGIES

pytest.importorskip("torch")
pytest.importorskip("optuna")

#: Tests only: each study stops after 12 queries (10 random, then 2 model-based).
TINY = {study.folder: 12 for study in STUDIES}
OPTIONS = Options(seeds=1, datasets=("cifar10",), progress=False)


def journal_rows(out: Path) -> dict[str, int]:
    counts = {}
    for study in STUDIES:
        with sqlite3.connect(out / study.folder / "journal.sqlite") as conn:
            counts[study.folder] = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    return counts


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("repro") / "table2"
    result = AnasodTable2(budgets=TINY).run(out, OPTIONS)
    return out, result.text


def test_the_study_lists_and_paper_numbers_are_registered_names() -> None:
    names = {s for study in STUDIES for s in study.strategies}
    assert all(name in STRATEGIES for name in names | set(PAPER))
    assert set(PAPER) <= names
    for panel in FIGURE3:
        study = next(s for s in STUDIES if s.folder == panel.study)
        assert set(panel.strategies) <= set(study.strategies)
    assert PAPER["anasod-bo"].values["cifar100"] == (26.41, 0.02)  # Table 2, typed in
    assert [s.max_queries for s in STUDIES] == [300, 150]  # the paper's budgets by default
    assert AnasodTable2().configs(Options())["queries-150"].seeds == 10


def test_runs_end_to_end_and_writes_the_table_and_figure_3(reproduced) -> None:
    out, text = reproduced
    table = (out / "table2.md").read_text()
    assert table == text
    assert "**1 seed** (**a reduced run: the paper used 10**)" in table
    assert "## cifar10" in table and "## cifar100" not in table
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| method")}
    assert "| anasod-bo | 12 | 8.41 ± 0.05 | " in rows["anasod-bo"]
    assert "| adj-bo | 12 | - | " in rows["adj-bo"]
    assert " ± n/a | n/a | " in rows["rs"]  # one seed: no SE, no verdict
    assert table.count("| optuna:tpe | 12 | 8.57 ± 0.04 |") == 2  # at both budgets
    assert len(rows) == sum(len(s.strategies) for s in STUDIES) - 1  # tpe's key repeats
    for panel in FIGURE3:
        for axis in ("query", "cost"):
            name = f"figure3_cifar10_{panel.key}_{axis}.png"
            assert (out / name).stat().st_size > 10_000 and f"]({name})" in table
    for study in STUDIES:
        assert (out / study.folder / "report.md").exists()


def test_rerunning_resumes_without_recomputing(reproduced) -> None:
    out, text = reproduced
    before = journal_rows(out)
    assert before == {study.folder: 12 * len(study.strategies) for study in STUDIES}
    again = AnasodTable2(budgets=TINY).run(out, OPTIONS)
    assert journal_rows(out) == before and again.text == text


def test_a_different_plan_in_the_same_folder_is_refused(reproduced) -> None:
    out, _ = reproduced
    with pytest.raises(ConfigError, match="holds a study of 1 seed on cifar10 at 12 queries"):
        AnasodTable2(budgets=TINY).run(out, Options(seeds=2, datasets=("cifar10",)))


def test_agreement_uses_the_se_of_the_difference() -> None:
    assert agrees((8.60, 0.04), (8.67, 0.03))  # 0.07 <= 2 * 0.05
    assert not agrees((8.37, 0.04), (8.86, 0.05))
    assert agrees((8.6, float("nan")), (8.67, 0.03)) is None


def test_unknown_reproduction_is_one_error_line_naming_the_valid_ones() -> None:
    result = CliRunner().invoke(main, ["reproduce", "nope"])
    assert result.exit_code == 2
    valid = ", ".join(sorted(REPRODUCTIONS.names()))
    assert "lanas-samples-to-optimum" in valid
    assert result.output == f"error: unknown reproduction 'nope'; valid: {valid}\n"
    assert "anasod-table2" in [name for name, _ in REPRODUCTIONS.listing()]


def test_bad_options_fail_before_anything_is_written(tmp_path) -> None:
    out = tmp_path / "none"
    result = CliRunner().invoke(main, ["reproduce", "anasod-table2", "-o", str(out),
                                       "-d", "mnist", "--no-progress"])
    assert result.exit_code == 2 and result.output.startswith("error: unknown dataset")
    assert not out.exists()
