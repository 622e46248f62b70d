"""GP-BO over three encodings (seed 000, Algorithm 2 and Figure 3): what each part does."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.observation import Observation
from naslab.strategies import STRATEGIES
from naslab.strategies.bayesopt import AnasodBO
from naslab.study import StudyConfig, run_study
from naslab.study.reporting import report_run


def anasod(nb201, seed: int = 0, **params) -> AnasodBO:
    return AnasodBO(nb201, np.random.default_rng(seed), max_queries=150, **params)


def test_trust_region_halves_beta_on_successes_and_doubles_it_on_failures(nb201) -> None:
    bo = anasod(nb201)
    archs = [nb201.sample(np.random.default_rng(i)) for i in range(40)]
    bo.tell([Observation(a, 20.0 - i) for i, a in enumerate(archs[:10])])
    assert bo.beta == 0  # the uniform Dirichlet during the initial samples
    bo.tell([Observation(archs[10], 30.0)])
    assert bo.beta == bo.beta_init == 1.0
    bo.tell([Observation(a, 40.0) for a in archs[11:15]])  # 5 failures in all: max(4, k=5)
    assert bo.beta == 2.0
    bo.tell([Observation(a, 40.0) for a in archs[15:20]])
    assert bo.beta == bo.beta_max == 2.0  # capped
    bo.tell([Observation(a, 5.0 - i) for i, a in enumerate(archs[20:23])])  # 3 successes
    assert bo.beta == 1.0
    for start in range(23, 35, 3):
        bo.tell([Observation(a, -10.0 * start - i) for i, a in enumerate(archs[start:start + 3])])
    assert bo.beta == bo.beta_min == 0.1  # halved down to the floor


def test_candidates_concentrate_on_the_best_encoding(nb201) -> None:
    bo = anasod(nb201, beta_init=2.0)
    best = nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
                       "nor_conv_3x3~1|nor_conv_3x3~2|")
    others = [nb201.sample(np.random.default_rng(i)) for i in range(10)]
    bo.tell([Observation(a, 30.0) for a in others] + [Observation(best, 8.4)])
    pool = bo.candidates(1).X
    assert pool.shape == (100_000, 5)
    mode = bo.encoding.encode(best)
    alpha = 5 * 2.0 * mode + 1
    np.testing.assert_allclose(pool.mean(axis=0), alpha / alpha.sum(), atol=0.01)


def test_whole_space_is_the_pool_of_adj_and_path_bo(nb201, c10_mean, drive) -> None:
    for name in ("adj-bo", "path-bo"):
        bo = STRATEGIES.get(name)(nb201, np.random.default_rng(0), max_queries=40)
        assert bo.candidates(1).X.shape[0] == 15_625
        archs = drive(bo, c10_mean, 40, batch=4)
        assert len(set(archs)) == 40  # never re-proposes an evaluated or pending architecture


@pytest.mark.parametrize("params", [{"acq": "pi"}, {"acq": "ucb"}, {"acq": "ucb", "kappa": 2.0},
                                    {"optimizer": "mirror-descent"}, {"ard": True}])
def test_options_search_well(params, nb201, cifar10, c10_mean, drive) -> None:
    bo = anasod(nb201, seed=3, n_candidates=5_000, **params)
    drive(bo, c10_mean, 30)
    assert cifar10.percentile(bo.recommend()) < 10.0


def test_fully_bayesian_gp_integrates_the_acquisition_over_hyperparameter_samples(
    nb201, c10_mean, drive
) -> None:
    bo = anasod(nb201, seed=2, fully_bayesian=True, n_candidates=2_000)
    archs = drive(bo, c10_mean, 13)
    assert len(set(archs)) == 13
    prediction = bo.predict(archs[:4])
    assert prediction.mean.shape == (10, 4)  # one row per slice-sampled hyperparameter set
    assert np.ptp(prediction.mean, axis=0).max() > 0  # the samples differ


def test_mirror_descent_climbs_the_acquisition(nb201, c10_mean, drive) -> None:
    bo = anasod(nb201, seed=1, optimizer="mirror-descent", md_starts=5)
    drive(bo, c10_mean, 20)
    model = bo._fit(fresh=True)
    acquisition = bo.acquisition()
    from naslab.acquisition import AcquisitionContext
    context = AcquisitionContext(bo._incumbent(model), 1, 5, np.random.default_rng(0))
    starts = np.random.default_rng(2).dirichlet(np.ones(5), size=5)
    before = acquisition(model.predict(starts), context)
    moved = AnasodBO._mirror_descent(bo, starts)
    after = acquisition(model.predict(moved), context)
    np.testing.assert_allclose(moved.sum(axis=1), 1.0)
    assert (moved >= 0).all() and after.max() >= before.max()


def test_recommend_is_the_evaluated_architecture_with_the_best_posterior_mean(
    nb201, c10_mean, drive
) -> None:
    bo = STRATEGIES.get("adj-bo")(nb201, np.random.default_rng(4), max_queries=30)
    drive(bo, c10_mean, 30)
    evaluated = list(dict.fromkeys(o.arch for o in bo.history))
    means = bo.predict(evaluated).marginal_mean()
    assert bo.recommend() == evaluated[int(np.argmin(means))]


def test_the_report_shows_the_encoding_anasod_bo_returns(tmp_path) -> None:
    run_dir = run_study(StudyConfig(strategies=("rs", "anasod-bo"), seeds=2, max_queries=14),
                        tmp_path / "run", progress=False)
    text = report_run(run_dir).text
    section = text[text.index("Encoding returned"):]
    row = next(line for line in section.splitlines() if line.startswith("anasod-bo"))
    counts = [int(word.strip("x,")) for word in row.split() if word.startswith("x")]
    assert sum(counts) == 6 and "/2 seeds)" in row  # the six NB201 edges
    assert not any(line.startswith("rs ") for line in section.splitlines()[:4])
