"""Open-domain ANASOD (seed 000, appendix A.2): encodings over both DARTS cells, and the
objective that trains a network of fresh cells drawn from the asked encoding."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from naslab.encodings import OpDistEncoding
from naslab.errors import ConfigError
from naslab.spaces import resolve_space
from naslab.study import StudyConfig, run_study
from naslab.study.journal import Journal
from naslab.training.data import load_data
from naslab.training.open_domain import EncodingTrainingObjective, SampledDartsNetwork
from naslab.training.settings import check_training_settings, training_objective
from naslab.training.trainer import TrainSettings

pytest.importorskip("torch")

DARTS = resolve_space("darts")
OPEN = resolve_space("darts-open")


@pytest.fixture(scope="module")
def digits():
    return load_data("digits", limit=150)


def objective(space=OPEN, **network) -> EncodingTrainingObjective:
    return EncodingTrainingObjective(space, network={"channels": 4, "layers": 6, **network},
                                     settings=TrainSettings(epochs=1))


def test_the_network_has_fresh_cells_per_layer_with_the_asked_counts(digits) -> None:
    enc = OpDistEncoding(OPEN)
    rng = np.random.default_rng(2)
    arch = enc.decode_rounding(rng.dirichlet(np.ones(enc.dim)), rng)
    counts = enc.counts(arch).tolist()
    model = objective().build(arch, digits, np.random.default_rng(7))
    assert isinstance(model, SampledDartsNetwork) and len(model.cells) == 6
    cells = [OPEN.parse(g) for g in model.genotypes]
    assert all(enc.cell_counts(c).tolist() == [counts] * 2 for c in cells)
    assert len(set(cells)) == 6  # every layer its own cell
    reductions = {6 // 3, 2 * 6 // 3}
    for i, (cell, module) in enumerate(zip(cells, model.cells, strict=True)):
        kind = "reduce" if i in reductions else "normal"
        assert len(module.ops) == 10 and module.inputs == [n for _, n in OPEN.cell(cell, kind)]
    # the same evaluation rng, the same network; another, other cells
    again = objective().build(arch, digits, np.random.default_rng(7))
    assert again.genotypes == model.genotypes  # (its weights: torch's seed, set by evaluate)
    other = objective().build(arch, digits, np.random.default_rng(8))
    assert other.genotypes != model.genotypes


def test_an_evaluation_records_its_cells_and_replays(digits) -> None:
    enc = OpDistEncoding(DARTS)
    rng = np.random.default_rng(3)
    arch = enc.decode_rounding(rng.dirichlet(np.ones(enc.dim)), rng)
    trainer = EncodingTrainingObjective(DARTS, digits, TrainSettings(epochs=1),
                                        {"channels": 4, "layers": 3})
    first = trainer.evaluate(arch, np.random.default_rng(11))
    second = trainer.evaluate(arch, np.random.default_rng(11))
    assert first.failure is None and math.isfinite(first.value)
    assert first.details["encoding"] == enc.counts(arch).tolist()
    assert len(first.details["cells"]) == 3 and first.details["cells"] == second.details["cells"]
    assert first.value == second.value and first.metrics["params"] == second.metrics["params"]


def test_settings_pick_the_objective_and_check_the_mode() -> None:
    training = {"epochs": 1, "limit": 150, "cells": "per-layer",
                "network": {"channels": 4, "layers": 3}}
    assert check_training_settings(training)["cells"] == "per-layer"
    assert isinstance(training_objective(DARTS, "digits", training), EncodingTrainingObjective)
    repeat = training_objective(DARTS, "digits", {**training, "cells": "repeat"})
    assert not isinstance(repeat, EncodingTrainingObjective)
    with pytest.raises(ConfigError, match="cells must be one of repeat, per-layer"):
        check_training_settings({"cells": "shuffled"})
    with pytest.raises(ConfigError, match="no DARTS space"):
        training_objective(resolve_space("nb201"), "digits", {**training, "network": {}})
    with pytest.raises(ConfigError, match="unknown network option 'cells'"):
        objective(cells=3)


def test_anasod_bo_drives_an_open_domain_study(tmp_path: Path) -> None:
    config = StudyConfig(
        benchmark="train", space="darts", datasets=("digits",), strategies=("anasod-bo",),
        seeds=1, max_queries=8, batch_size=4,
        training={"epochs": 1, "limit": 150, "cells": "per-layer",
                  "network": {"channels": 4, "layers": 3}},
    )
    run_dir = run_study(config, tmp_path / "run", progress=False)
    with Journal(run_dir, read_only=True) as journal:
        rows = journal.evaluations("anasod-bo", "digits", 0)
        details = {step: json.loads(text) for *_, step, text in journal.details()}
    enc = OpDistEncoding(DARTS)
    assert [r.step for r in rows] == list(range(8))  # two batches of 4
    for row in rows:
        assert row.failure is None and math.isfinite(row.value)
        arch = DARTS.parse(row.arch)
        counts = enc.cell_counts(arch).tolist()
        assert counts[0] == counts[1]  # ANASOD asks one distribution for both cells
        cells = [DARTS.parse(g) for g in details[row.step]["cells"]]
        assert len(cells) == 3 and all(enc.cell_counts(c).tolist() == counts for c in cells)
