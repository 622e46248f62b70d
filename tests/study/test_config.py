"""StudyConfig: canonical names, one-line errors for every bad setting, files and round trips."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from naslab.cli import main
from naslab.errors import ConfigError, UnknownNameError
from naslab.registry import Entry
from naslab.strategies import STRATEGIES
from naslab.study.config import StudyConfig


def test_validated_makes_names_canonical(tmp_path: Path) -> None:
    config = StudyConfig(
        space="NB201", benchmark="NB201", datasets=("C10", "imagenet"), strategies=("RS", " ls "),
        strategy_params={"LS": {"n_init": 5}},
    ).validated()
    assert config.space == "nb201" and config.benchmark == "nb201"
    assert config.datasets == ("cifar10", "imagenet16-120")
    assert config.strategies == ("rs", "ls")
    assert config.strategy_params == {"ls": {"n_init": 5}}
    assert config.validated() == config  # idempotent
    relative = StudyConfig(benchmark="tables/mine.csv", strategies=("rs",)).validated()
    assert Path(relative.benchmark).is_absolute()
    assert relative.benchmark.endswith("tables/mine.csv")


def test_seed_list_and_trials() -> None:
    config = StudyConfig(strategies=("rs", "ls"), datasets=("cifar10", "cifar100"), seeds=2,
                         first_seed=5)
    assert config.seed_list == [5, 6]
    assert config.trials[:3] == [("rs", "cifar10", 5), ("rs", "cifar10", 6), ("rs", "cifar100", 5)]
    assert len(config.trials) == 8


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seeds": 0}, "seeds must be between 1 and 1,000,000, got 0"),
        ({"seeds": 2**32}, "seeds must be between 1 and 1,000,000, got 4294967296"),
        ({"first_seed": -1}, "first_seed must be between 0 and 9223372036854775798 for 10 seed"),
        ({"first_seed": 2**63}, "every seed must fit a 64-bit integer), got 9223372036854775808"),
        ({"first_seed": 2**63 - 5}, "between 0 and 9223372036854775798"),
        ({"max_queries": 0}, "max_queries must be at least 1"),
        ({"max_queries": None}, "needs a budget"),
        ({"max_cost": -3.0}, "max_cost must be a positive finite number"),
        ({"max_cost": float("inf")}, "max_cost must be a positive finite number"),
        ({"batch_size": 0}, "batch_size must be between 1 and 100,000, got 0"),
        ({"batch_size": 10**6}, "batch_size must be between 1 and 100,000, got 1000000"),
        ({"workers": 0}, "workers must be between 1 and 1,024, got 0"),
        ({"workers": 2**32}, "workers must be between 1 and 1,024"),
        ({"noise": "median"}, "unknown noise mode 'median'; valid: sample, mean"),
        ({"datasets": ("cifar10", "c10")}, "datasets lists 'cifar10' twice"),
        ({"strategies": ("rs", "RS")}, "strategies lists 'rs' twice"),
        ({"strategies": ()}, "must name at least one entry"),
        ({"seeds": "10"}, "config key 'seeds' must be an integer, got '10'"),
        ({"benchmark": " "}, "benchmark must not be empty"),
        ({"strategy_params": {"re": {}}}, "strategy_params for 're', which is not in the study"),
        ({"strategy_params": {"ls": {"n_inti": 3}}},
         "strategy 'ls' takes no argument(s) 'n_inti'; valid: n_init"),
        ({"strategy_params": {"rs": {"beta": 1}}},
         "takes no argument(s) 'beta'; valid: replacement"),
        ({"strategy_params": {"ls": {"rng": 1}}}, "may not set rng"),
        ({"strategy_params": {"ls": {"f": object()}}}, "must be plain JSON values"),
    ],
)
def test_bad_settings_raise_one_line_config_errors(changes: dict, message: str) -> None:
    config = dataclasses.replace(StudyConfig(strategies=("rs", "ls")), **changes)
    with pytest.raises(ConfigError) as info:
        config.validated()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("changes", "kind"),
    [({"strategies": ("rs", "bogo")}, "strategy"), ({"space": "darts9"}, "search space")],
)
def test_unknown_names_list_the_valid_ones(changes: dict, kind: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        dataclasses.replace(StudyConfig(strategies=("rs",)), **changes).validated()
    assert str(info.value).startswith(f"unknown {kind} ")
    assert "valid: " in str(info.value)


def test_only_a_cost_budget_is_fine() -> None:
    config = StudyConfig(strategies=("rs",), max_queries=None, max_cost=1e5).validated()
    assert config.max_queries is None and config.max_cost == 1e5


def test_dict_round_trip_and_key_errors() -> None:
    config = StudyConfig(strategies=("rs", "re"), seeds=3, max_cost=5000.0,
                         strategy_params={"re": {"population_size": 20}}).validated()
    data = config.to_dict()
    assert data["strategies"] == ["rs", "re"] and data["max_cost"] == 5000.0
    assert StudyConfig.from_dict(data) == config
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) 'seed'; valid: space, "):
        StudyConfig.from_dict({"seed": 3})
    with pytest.raises(ConfigError, match="config key 'max_cost' must be a number, got 'lots'"):
        StudyConfig.from_dict({"max_cost": "lots"})
    with pytest.raises(ConfigError, match="'batch_size' must be an integer, got True"):
        StudyConfig.from_dict({"batch_size": True})
    # a single name is accepted for a list, "none" lifts a budget (TOML has no null)
    assert StudyConfig.from_dict({"strategies": "rs", "max_queries": "None"}).strategies == ("rs",)
    assert StudyConfig.from_dict({"max_queries": "none"}).max_queries is None


def test_from_toml_and_yaml_files(tmp_path: Path) -> None:
    toml = tmp_path / "study.toml"
    toml.write_text(
        'strategies = ["rs", "ls"]\nseeds = 4\nmax_queries = "none"\nmax_cost = 2e4\n'
        "[strategy_params.ls]\nn_init = 3\n"
    )
    config = StudyConfig.from_file(toml).validated()
    assert (config.strategies, config.seeds, config.max_queries, config.max_cost) == (
        ("rs", "ls"), 4, None, 2e4)
    assert config.strategy_params == {"ls": {"n_init": 3}}
    yaml = tmp_path / "study.yml"
    yaml.write_text("datasets: [cifar100]\nstrategies: rs\nmax_queries: null\nmax_cost: 100\n")
    config = StudyConfig.from_file(yaml).validated()
    assert config.datasets == ("cifar100",) and config.max_cost == 100.0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.toml", None, "cannot read config file"),
        ("bad.toml", "seeds = = 3", "is not valid toml"),
        ("bad.yaml", "seeds: [1, 2", "is not valid yaml"),
        ("list.yaml", "- 1\n- 2\n", "must hold a mapping"),
        ("study.json", "{}", "must end in .toml, .yaml or .yml"),
        ("typo.toml", "seeds = 3\nbudget = 5\n", "unknown config key(s) 'budget'"),
    ],
)
def test_bad_files_raise_one_line_errors(tmp_path: Path, name: str, text: str | None,
                                          message: str) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as info:
        StudyConfig.from_file(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_every_field_has_a_type_check() -> None:
    fields = [f.name for f in dataclasses.fields(StudyConfig)]
    assert list(StudyConfig().to_dict()) == fields
    assert StudyConfig.from_dict(StudyConfig().to_dict()) == StudyConfig()


# --- strategy parameters and needs: checked before anything is written ----------------------
BAD_STRATEGY_PARAMS = [
    ("re", "population_size = -5",
     "strategy 're': population_size must be an integer >= 1 (NB201 uses 10), got -5"),
    ("re", 'population_size = "x"',
     "strategy 're': population_size must be an integer >= 1 (NB201 uses 10), got 'x'"),
    ("re", "population_size = [1, 2]",
     "strategy 're': population_size must be an integer >= 1 (NB201 uses 10), got [1, 2]"),
    ("re", "sample_size = true",
     "strategy 're': sample_size must be an integer >= 1 (NB201 uses 3), got True"),
    ("anasod-biased-rs", 'beta_max = "big"',
     "strategy 'anasod-biased-rs': beta_max must be a finite number >= 0 (the paper uses 2.0), "
     "got 'big'"),
    ("anasod-biased-rs", "n_init = 2.5",
     "strategy 'anasod-biased-rs': n_init must be an integer >= 0 (the paper uses 10), got 2.5"),
    ("ls", "n_init = 0",
     "strategy 'ls': n_init must be an integer >= 1 (the paper uses 10), got 0"),
    ("anasod-rs", "beta_max = 1",
     "strategy 'anasod-rs' takes no argument(s) 'beta_max'; valid: none"),
]


def _params_toml(strategy: str, assignment: str) -> str:
    return (f'strategies = ["rs", "{strategy}"]\nseeds = 1\nmax_queries = 5\n'
            f"[strategy_params.{strategy}]\n{assignment}\n")


@pytest.mark.parametrize(("strategy", "assignment", "message"), BAD_STRATEGY_PARAMS)
def test_bad_strategy_params_name_strategy_parameter_value_and_what_is_allowed(
    tmp_path: Path, strategy: str, assignment: str, message: str
) -> None:
    path = tmp_path / "study.toml"
    path.write_text(_params_toml(strategy, assignment))
    with pytest.raises(ConfigError) as info:
        StudyConfig.from_file(path).validated()
    assert str(info.value) == message


def test_strategy_params_are_stored_as_their_declared_type() -> None:
    config = StudyConfig(strategies=("anasod-biased-rs",),
                         strategy_params={"anasod-biased-rs": {"beta_max": 3}}).validated()
    assert config.strategy_params == {"anasod-biased-rs": {"beta_max": 3.0}}
    assert type(config.strategy_params["anasod-biased-rs"]["beta_max"]) is float
    assert config.validated() == config


def test_a_study_a_strategy_cannot_run_is_refused_naming_strategy_and_fix() -> None:
    cost_only = StudyConfig(strategies=("rs", "anasod-biased-rs"), max_queries=None,
                            max_cost=300000.0)
    with pytest.raises(ConfigError) as info:
        cost_only.validated()
    assert str(info.value) == (
        "strategy 'anasod-biased-rs' needs a query budget (biased RS anneals beta linearly up "
        "to beta_max at max_queries); set max_queries (--queries N), or leave the strategy out"
    )
    dataclasses.replace(cost_only, max_queries=300).validated()
    dataclasses.replace(cost_only, strategies=("rs", "anasod-rs")).validated()


def _assert_refused_before_writing(result, folder: Path, before: set[Path], start: str) -> None:
    """Exit status 2, one ``error:`` line, and nothing new in ``folder`` (no run, no temp)."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {start}"), result.output
    assert set(folder.iterdir()) == before


@pytest.mark.parametrize(("strategy", "assignment", "message"), BAD_STRATEGY_PARAMS)
def test_cli_refuses_bad_strategy_params_before_writing(
    tmp_path: Path, strategy: str, assignment: str, message: str
) -> None:
    path = tmp_path / "study.toml"
    path.write_text(_params_toml(strategy, assignment))
    result = CliRunner().invoke(
        main, ["run", "--config", str(path), "--out", str(tmp_path / "run"), "--no-progress"]
    )
    _assert_refused_before_writing(result, tmp_path, {path}, message)


def test_cli_refuses_a_study_a_strategy_cannot_run_before_writing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "run", "-s", "rs,anasod-biased-rs", "--queries", "none", "--cost", "300000",
        "--out", str(tmp_path / "run"), "--no-progress",
    ])
    _assert_refused_before_writing(
        result, tmp_path, set(), "strategy 'anasod-biased-rs' needs a query budget"
    )


def test_a_strategy_plugin_that_is_no_strategy_class_is_refused(monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise AssertionError("never called: refused before any trial")

    entry = Entry("broken", broken, "(failed to load: ImportError: no module 'x')")
    monkeypatch.setitem(STRATEGIES._entries, "broken", entry)
    with pytest.raises(ConfigError) as info:
        StudyConfig(strategies=("rs", "broken")).validated()
    assert str(info.value) == ("strategy 'broken' is not a subclass of naslab.strategies.Strategy: "
                               "(failed to load: ImportError: no module 'x')")


def test_a_space_file_is_held_as_its_definition(tmp_path) -> None:
    (tmp_path / "grid.yaml").write_text("name: grid\nchoices: [a, b]\npositions: [p, q]\n")
    config = StudyConfig(strategies=("rs",), space=str(tmp_path / "grid.yaml")).validated()
    assert config.space == {"name": "grid", "positions": [{"name": "p", "choices": ["a", "b"]},
                            {"name": "q", "choices": ["a", "b"]}],
                            "groups": {"positions": ["p", "q"]}}
    again = StudyConfig.from_dict(json.loads(json.dumps(config.to_dict()))).validated()
    assert again == config
    (tmp_path / "grid.yaml").unlink()  # the run no longer needs the file
    assert again.validated() == config


def test_a_metric_needs_its_goal() -> None:
    with pytest.raises(ConfigError, match="say whether a lower or a higher val_loss is better"):
        StudyConfig(strategies=("rs",), metric="val_loss").validated()
    assert StudyConfig(strategies=("rs",), metric="val_loss", goal="min").validated().goal == "min"
