"""The operation-distribution encoding over several twin groups: DARTS's normal and reduction
cells share one distribution (seed 000, Figure 7: "we sample the normal and reduction cells
from the same encoding")."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.encodings import OpDistEncoding
from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces import CategoricalSpace, resolve_space
from naslab.spaces.restricted import RestrictedSpace

DARTS = resolve_space("darts")
OPEN = resolve_space("darts-open")


@pytest.mark.parametrize("space", [DARTS, OPEN], ids=["darts", "darts-open"])
def test_one_encoding_spans_both_cells_and_round_trips(space) -> None:
    enc = OpDistEncoding(space)
    steps = space.steps
    assert enc.groups == ("normal", "reduce") and enc.n_blocks == 2 * steps
    assert enc.dim == len(space.ops) and len(enc.blocks) == 4 * steps
    rng = np.random.default_rng(0)
    for _ in range(20):
        point = rng.dirichlet(np.ones(enc.dim))
        arch = enc.decode_rounding(point, rng)
        counts = enc.round_to_grid(point)
        assert enc.cell_counts(arch).tolist() == [counts.tolist()] * 2  # both cells, eq. (1)
        assert enc.counts(arch).tolist() == counts.tolist()
        np.testing.assert_allclose(enc.encode(arch), counts / enc.n_blocks)
        np.testing.assert_allclose(enc.encode_many([arch])[0], enc.encode(arch))
        again = enc.decode_counts(enc.counts(arch), rng)
        assert enc.counts(again).tolist() == counts.tolist() and space.contains(again)


def test_cells_are_placed_and_wired_independently() -> None:
    enc = OpDistEncoding(OPEN)
    rng = np.random.default_rng(1)
    counts = np.array([0, 1, 0, 6, 0, 1, 2, 0])  # seed 000 Figure 7's best encoding
    archs = [enc.decode_counts(counts, rng) for _ in range(50)]
    normal = {tuple(OPEN.cell(a, "normal")) for a in archs}
    reduce = {tuple(OPEN.cell(a, "reduce")) for a in archs}
    assert len(normal) > 40 and len(reduce) > 40  # wiring (input pairs) drawn at random too
    assert sum(OPEN.cell(a, "normal") != OPEN.cell(a, "reduce") for a in archs) > 40
    # the categorical decoder draws every block of both cells from Cat(p~), eq. (2)
    drawn = [enc.decode_categorical(counts / 10, rng) for _ in range(200)]
    totals = sum(enc.cell_counts(a) for a in drawn)
    assert totals[:, [0, 2, 4, 7]].sum() == 0 and abs(totals[:, 3].mean() / 2000 - 0.6) < 0.05


def test_an_architecture_with_differing_cells_encodes_as_their_mean() -> None:
    enc = OpDistEncoding(DARTS)
    arch = DARTS.parse(
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
        "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
        "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
        "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
        "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
        "reduce_concat=[2, 3, 4, 5])"
    )
    ops = DARTS.ops
    mean = np.zeros(len(ops))
    for cell in ("normal", "reduce"):
        for op, _ in DARTS.cell(arch, cell):
            mean[ops.index(op)] += 1 / 16
    np.testing.assert_allclose(enc.encode(arch), mean)
    assert enc.counts(arch).sum() == 8
    assert enc.counts(arch).tolist() == enc.round_to_grid(mean).tolist()
    single = OpDistEncoding(DARTS, "normal")  # one cell, as before
    assert single.groups == ("normal",) and single.counts(arch).sum() == 8


def test_groups_that_cannot_share_a_distribution_are_refused() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        OpDistEncoding(DARTS, ("normal", "normal"))


def twin_space() -> CategoricalSpace:
    """Two cells of 3 blocks over ops a, b, c, a wiring position, and a smaller group."""
    return CategoricalSpace(
        "twins", ["x0", "x1", "x2", "wire", "y0", "y1", "y2", "z0"], ["a", "b", "c"],
        groups={"x": ["x0", "x1", "x2"], "y": ["y0", "y1", "y2"], "z": ["z0"]},
    )


def test_twin_groups_are_found_by_size_and_options() -> None:
    space = twin_space()
    enc = OpDistEncoding(space)
    assert enc.groups == ("x", "y") and enc.n_blocks == 3 and enc.dim == 3
    assert OpDistEncoding(space, "x").groups == ("x",)  # one group, as before
    with pytest.raises(ConfigError, match="same number of positions"):
        OpDistEncoding(space, ("x", "z"))
    nb201 = OpDistEncoding(resolve_space("nb201"))
    assert nb201.groups == ("ops",) and nb201.n_blocks == 6 and nb201.dim == 5
    rng = np.random.default_rng(0)
    archs = [enc.decode_counts(np.array([2, 1, 0]), rng) for _ in range(300)]
    assert all(enc.cell_counts(a).tolist() == [[2, 1, 0]] * 2 for a in archs)
    assert {a.ops[3] for a in archs} == {0, 1, 2} and {a.ops[7] for a in archs} == {0, 1, 2}
    with pytest.raises(InvalidArchitectureError, match="summing to the cell's 3 blocks"):
        enc.decode_counts(np.array([2, 2, 2]), rng)


def test_twin_groups_on_a_restricted_space_decode_to_members() -> None:
    space = twin_space()
    rng = np.random.default_rng(1)
    members = list(dict.fromkeys(space.sample(rng) for _ in range(60)))
    enc = OpDistEncoding(RestrictedSpace(space, members))
    assert enc.groups == ("x", "y")
    for _ in range(50):
        point = rng.dirichlet(np.ones(3))
        assert enc.decode_rounding(point, rng) in set(members)
        assert enc.decode_categorical(point, rng) in set(members)
