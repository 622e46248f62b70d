"""The ANASOD operation-distribution encoding (seed 000, section 3.1 and appendix A.1)."""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations_with_replacement

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from naslab.encodings import Encoding, OpDistEncoding
from naslab.errors import InvalidArchitectureError
from naslab.spaces import CategoricalSpace, NB201Space

NB201 = OpDistEncoding(NB201Space())
nb201_ops = st.lists(st.integers(0, 4), min_size=6, max_size=6).map(tuple)
seeds = st.integers(0, 2**32 - 1)
FEW = settings(max_examples=200, deadline=None)


@lru_cache
def grid_encoding(n_blocks: int, k: int) -> OpDistEncoding:
    space = CategoricalSpace(f"grid{n_blocks}x{k}", [f"b{i}" for i in range(n_blocks)],
                             [f"op{j}" for j in range(k)])
    return OpDistEncoding(space)


@lru_cache
def all_grid_points(n_blocks: int, k: int) -> np.ndarray:
    """Every integer count vector of length k summing to n_blocks (brute force)."""
    combos = combinations_with_replacement(range(k), n_blocks)
    return np.array([np.bincount(c, minlength=k) for c in combos])


@st.composite
def simplex_points(draw):
    n_blocks, k = draw(st.integers(1, 7)), draw(st.integers(2, 4))
    raw = draw(st.lists(st.floats(0, 1), min_size=k, max_size=k).filter(lambda v: sum(v) > 0))
    point = np.array(raw) / sum(raw)
    return n_blocks, k, point


def test_is_an_encoding_of_dim_k():
    assert isinstance(NB201, Encoding)
    assert NB201.dim == 5 and NB201.n_blocks == 6


@FEW
@given(nb201_ops)
def test_encode_is_a_grid_point_on_the_simplex(ops):
    arch = NB201.space.make(ops)
    p = NB201.encode(arch)
    counts = NB201.counts(arch)
    assert p.shape == (5,) and p.sum() == pytest.approx(1.0) and (p >= 0).all()
    assert counts.dtype.kind == "i" and counts.sum() == 6
    np.testing.assert_allclose(p * 6, counts)
    assert counts.tolist() == [ops.count(o) for o in range(5)]


@FEW
@given(simplex_points())
def test_round_to_grid_is_the_closest_grid_point(case):
    n_blocks, k, point = case
    counts = grid_encoding(n_blocks, k).round_to_grid(point)
    assert counts.dtype.kind == "i" and counts.sum() == n_blocks and (counts >= 0).all()
    target = n_blocks * point
    grid = all_grid_points(n_blocks, k)
    for order in (1, 2):
        best = np.linalg.norm(grid - target, ord=order, axis=1).min()
        assert np.linalg.norm(counts - target, ord=order) <= best + 1e-9


def test_round_to_grid_rounds_the_largest_fractions_up():
    # m = 6 * p = [2.4, 1.8, 1.2, 0.6, 0.0]: floors sum to 4, so the two largest
    # fractional parts (0.8 and 0.6) are rounded up, eq. (1).
    assert NB201.round_to_grid(np.array([0.4, 0.3, 0.2, 0.1, 0.0])).tolist() == [2, 2, 1, 1, 0]
    # ties go to the lower op index
    assert NB201.round_to_grid(np.full(5, 0.2)).tolist() == [2, 1, 1, 1, 1]


@pytest.mark.parametrize(("n_blocks", "k"), [(1, 2), (5, 3), (6, 5), (7, 4)])
def test_round_to_grid_fixes_every_grid_point(n_blocks, k):
    encoding = grid_encoding(n_blocks, k)
    for counts in all_grid_points(n_blocks, k):
        assert encoding.round_to_grid(counts / n_blocks).tolist() == counts.tolist()


@FEW
@given(nb201_ops)
def test_round_to_grid_of_an_encoding_is_its_counts(ops):
    arch = NB201.space.make(ops)
    assert NB201.round_to_grid(NB201.encode(arch)).tolist() == NB201.counts(arch).tolist()


@FEW
@given(simplex_points(), seeds)
def test_decode_rounding_has_exactly_the_rounded_counts(case, seed):
    n_blocks, k, point = case
    encoding = grid_encoding(n_blocks, k)
    arch = encoding.decode_rounding(point, np.random.default_rng(seed))
    assert encoding.counts(arch).tolist() == encoding.round_to_grid(point).tolist()
    assert arch == encoding.decode_rounding(point, np.random.default_rng(seed))


@pytest.mark.parametrize("op", range(5))
def test_decode_categorical_of_a_vertex_uses_that_op_everywhere(op):
    rng = np.random.default_rng(op)
    for _ in range(20):
        assert NB201.decode_categorical(np.eye(5)[op], rng).ops == (op,) * 6


def test_decode_categorical_draws_ops_with_frequencies_p():
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    rng = np.random.default_rng(11)
    ops = np.array([NB201.decode_categorical(p, rng).ops for _ in range(3000)]).ravel()
    counts = np.bincount(ops, minlength=5)
    assert counts[4] == 0
    assert chisquare(counts[:4], p[:4] * ops.size).pvalue > 1e-3
    np.testing.assert_allclose(counts / ops.size, p, atol=0.01)


def test_decode_counts_places_ops_uniformly_over_positions():
    rng = np.random.default_rng(5)
    draws = np.array([NB201.decode_counts(np.array([1, 2, 3, 0, 0]), rng).ops
                      for _ in range(6000)])
    assert (np.apply_along_axis(np.bincount, 1, draws, minlength=5) == [1, 2, 3, 0, 0]).all()
    for position in range(6):
        counts = np.bincount(draws[:, position], minlength=5)[:3]
        assert chisquare(counts, np.array([1, 2, 3]) / 6 * len(draws)).pvalue > 1e-3
    lone = np.argmax(draws == 0, axis=1)  # where the single 'none' went
    assert chisquare(np.bincount(lone, minlength=6)).pvalue > 1e-3


@pytest.mark.parametrize(
    "counts", [[1, 2, 3, 0], [1, 2, 3, 0, 1], [7, -1, 0, 0, 0], [1, 1, 1, 1, 1]]
)
def test_decode_counts_rejects_counts_off_the_grid(counts):
    with pytest.raises(InvalidArchitectureError, match="summing to the cell's 6 blocks"):
        NB201.decode_counts(np.array(counts), np.random.default_rng(0))


@pytest.mark.parametrize(
    "point", [[0.5, 0.5], [0.2, 0.2, 0.2, 0.2, -0.2], [np.nan, 1, 0, 0, 0], [0, 0, 0, 0, 0]]
)
def test_points_off_the_simplex_are_rejected(point):
    with pytest.raises(InvalidArchitectureError, match="5 non-negative entries"):
        NB201.round_to_grid(np.array(point, dtype=float))
    with pytest.raises(InvalidArchitectureError):
        NB201.decode_categorical(np.array(point, dtype=float), np.random.default_rng(0))


def test_grid_neighbours_match_the_paper_example():
    # seed 000, appendix A.1 (ANASOD-LS): N = 5, k = 3
    found = grid_encoding(5, 3).grid_neighbours(np.array([1, 1, 3]))
    expected = {(0, 1, 4), (1, 0, 4), (0, 2, 3), (2, 0, 3), (1, 2, 2), (2, 1, 2)}
    assert len(found) == 6 and {tuple(c.tolist()) for c in found} == expected


@FEW
@given(nb201_ops)
def test_grid_neighbours_move_one_block(ops):
    counts = NB201.counts(NB201.space.make(ops))
    near = NB201.grid_neighbours(counts)
    assert len(near) == np.count_nonzero(counts) * 4
    assert len({tuple(c.tolist()) for c in near}) == len(near)
    for c in near:
        assert c.sum() == 6 and (c >= 0).all() and np.abs(c - counts).sum() == 2


def test_n_encodings_counts_the_distinct_encodings_of_nb201():
    space = NB201.space
    distinct = {tuple(NB201.counts(space.from_index(i))) for i in range(len(space))}
    assert NB201.n_encodings == len(distinct) == 210
    assert grid_encoding(5, 3).n_encodings == len(all_grid_points(5, 3)) == 21
