"""naslab as a library: strategies by name, function-objective studies that resume and report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import naslab
from naslab.cli import main
from naslab.errors import NaslabError, RunFolderError

README = Path(__file__).resolve().parents[1] / "README.md"
SPACE = naslab.CategoricalSpace("mine", ["l1", "l2", "l3"], ["conv3", "conv5", "pool", "skip"])


def error(arch) -> float:
    return sum(op != "conv3" for op in arch.op_names()) + 0.1 * str(arch).count("5")


def test_the_readme_library_section_runs_as_written(tmp_path, monkeypatch, capsys):
    text = README.read_text()
    section = text.split("## naslab as a library", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(section.strip().splitlines()) <= 20  # the limit for the whole section
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("conv3,conv3,conv3\n") and "3 strategies x 1 dataset" in out
    assert (tmp_path / "runs" / "mine" / "report.html").is_file()


def test_strategy_by_name_validates_its_hyperparameters():
    search = naslab.strategy("re", SPACE, seed=3, population_size=5)
    assert search.population_size == 5
    with pytest.raises(NaslabError, match="population_size must be an integer >= 1"):
        naslab.strategy("re", SPACE, population_size=0)


def test_an_interrupted_function_study_resumes_to_the_uninterrupted_one(tmp_path):
    args = dict(seeds=2, max_queries=20, strategies=["rs", "ls", "re"])
    whole = naslab.optimize(error, SPACE, run_dir=tmp_path / "whole", **args)
    calls = 0

    def failing(arch):
        nonlocal calls
        calls += 1
        if calls == 50:
            raise RuntimeError("the machine went away")
        return error(arch)

    failing.__qualname__ = error.__qualname__  # the same objective, as a user's rerun would be
    with pytest.raises(RuntimeError):
        naslab.optimize(failing, SPACE, run_dir=tmp_path / "cut", **args)
    resumed = naslab.optimize(error, SPACE, run_dir=tmp_path / "cut", **args)
    columns = ["strategy", "seed", "step", "arch", "value", "recommended"]
    assert resumed.evaluations[columns].equals(whole.evaluations[columns])
    assert len(whole.evaluations) == 3 * 2 * 20
    final = whole.recommended()
    assert set(final["recommended"][final["strategy"] == "ls"]) == {"conv3,conv3,conv3"}


def test_another_study_in_the_same_folder_is_refused(tmp_path):
    naslab.optimize(error, SPACE, run_dir=tmp_path / "r", max_queries=5)
    with pytest.raises(RunFolderError, match="holds another study"):
        naslab.optimize(error, SPACE, run_dir=tmp_path / "r", max_queries=6)


def test_a_function_study_reports_from_the_cli_but_resumes_only_from_python(tmp_path):
    run_dir = tmp_path / "r"
    naslab.optimize(lambda arch: -error(arch), SPACE, ["rs"], run_dir=run_dir, goal="max",
                    metric="score", max_queries=8)
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0 and "score, highest is best" in result.output
    with naslab.study.journal.Journal(run_dir) as journal:
        journal._conn.execute("UPDATE trials SET status = 'pending'")
    result = CliRunner().invoke(main, ["resume", str(run_dir)])
    assert result.exit_code == 2 and "calling naslab.optimize(...) again" in result.output


def test_what_a_function_returns_is_checked(tmp_path):
    with pytest.raises(NaslabError, match="returned 'bad' as the searched value"):
        naslab.optimize(lambda arch: "bad", SPACE, run_dir=tmp_path / "r", max_queries=3)
    result = naslab.optimize(lambda arch: {"value": 1.0, "cost": 2.5, "latency": 3},
                             SPACE, run_dir=tmp_path / "ok", max_queries=3)
    assert result.evaluations["cost"].tolist() == [2.5] * 3
    assert result.evaluations["latency"].tolist() == [3.0] * 3
