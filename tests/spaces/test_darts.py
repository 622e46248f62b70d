"""The DARTS / NASNet cell space: genotype strings, canonical edges, NASLib's compact form."""

from __future__ import annotations

import ast
import json
import pickle
from math import comb, prod

import numpy as np
import pytest

from naslab.encodings import OpDistEncoding
from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces import (
    DARTS_OPS,
    DARTS_PRIMITIVES,
    SPACES,
    DartsOpenSpace,
    DartsSpace,
    SearchSpace,
    get_space,
)

DARTS = DartsSpace()
OPEN = DartsOpenSpace()

# DARTS_V2 of DARTS's cnn/genotypes.py, as DARTS prints it (edges in order of strength).
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))"
)


def genotype(normal, reduce, concat="[2, 3, 4, 5]") -> str:
    return (f"Genotype(normal={normal!r}, normal_concat={concat}, reduce={reduce!r}, "
            f"reduce_concat={concat})")


def possible_edges(space: DartsSpace) -> int:
    """How many (node, input) edges a normal cell can use."""
    return len({
        (name, source)
        for name, choices in zip(space.positions, space.position_choices, strict=True)
        if name.startswith("normal.") and name.endswith(".inputs")
        for pair in choices
        for source in pair.split("+")
    })


def test_spaces_are_registered_with_their_sizes():
    assert isinstance(DARTS, SearchSpace)
    assert type(get_space("darts")) is DartsSpace and get_space("darts-open") == OPEN
    assert {"darts", "darts-open"} <= set(SPACES.names())
    per_cell = prod(comb(n, 2) for n in range(2, 6)) * 7**8  # input pairs x ops
    assert len(DARTS) == per_cell**2
    assert (DARTS.steps, DARTS.ops) == (4, DARTS_OPS) and len(DARTS.positions) == 24
    assert (OPEN.steps, OPEN.ops, len(OPEN.positions)) == (5, DARTS_PRIMITIVES, 30)
    assert (possible_edges(DARTS), possible_edges(OPEN)) == (14, 20)  # seed 000, appendix A.2
    assert DARTS.definition() is None and OPEN.definition() is None


@pytest.mark.parametrize("space", [DARTS, OPEN], ids=["darts", "darts-open"])
def test_genotype_strings_round_trip(space):
    rng = np.random.default_rng(0)
    for _ in range(200):
        arch = space.sample(rng)
        text = str(arch)
        assert text.startswith("Genotype(normal=[(") and space.contains(arch)
        assert space.parse(text) == arch
        assert pickle.loads(pickle.dumps(arch)) == arch
        for kind in ("normal", "reduce"):
            edges = space.cell(arch, kind)
            assert len(edges) == 2 * space.steps
            for i in range(space.steps):
                (_, a), (_, b) = edges[2 * i : 2 * i + 2]
                assert 0 <= a < b < i + 2


def test_a_nodes_edges_in_either_order_are_one_architecture():
    arch = DARTS.parse(DARTS_V2)  # DARTS's own string, range() concat, strongest edge first
    normal = DARTS.cell(arch, "normal")
    assert normal[4:6] == [("skip_connect", 0), ("sep_conv_3x3", 1)]
    assert str(arch).endswith("reduce_concat=[2, 3, 4, 5])")
    assert DARTS.parse(str(arch)) == arch
    swapped = genotype(normal[:4] + [normal[5], normal[4]] + normal[6:], DARTS.cell(arch, "reduce"))
    assert DARTS.parse(swapped) == arch


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normal=[]", "is no DARTS genotype"),
        (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 0)] * 4, [("skip_connect", 0)] * 8),
         "normal cell node 2: inputs must be two distinct nodes among 0..1, got 0 and 0"),
        (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 3 + [("none", 0), ("none", 1)],
                  [("skip_connect", 0), ("skip_connect", 1)] * 4),
         "normal cell node 5: unknown operation 'none'"),
        (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 4,
                  [("skip_connect", 0), ("skip_connect", 1)] * 3 + [("skip_connect", 5),
                                                                  ("skip_connect", 1)]),
         "reduce cell node 5: inputs must be two distinct nodes among 0..4, got 1 and 5"),
        (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 3, []),
         "normal cell: darts cells have 4 nodes of 2 edges"),
        (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 4,
                  [("skip_connect", 0), ("skip_connect", 1)] * 4, concat="[5]"),
         "normal_concat must be \\[2, 3, 4, 5\\]"),
    ],
)
def test_bad_genotypes_name_the_cell_and_node(text, message):
    with pytest.raises(InvalidArchitectureError, match=message) as info:
        DARTS.parse(text)
    assert "\n" not in str(info.value)


def test_bad_spaces_are_config_errors():
    with pytest.raises(ConfigError, match="steps must be a positive integer"):
        DartsSpace(steps=0)
    with pytest.raises(ConfigError, match="unknown DARTS operation 'conv_7x7'"):
        DartsSpace(ops=("conv_7x7",))


def test_naslib_compact_form_uses_naslibs_op_order():
    # NASLib's OPS (nasbench301/conversions.py): max_pool, avg_pool, skip, sep3, sep5, dil3, dil5
    compact = [[(0, 0), (1, 1), (1, 2), (0, 3), (2, 4), (0, 5), (3, 6), (1, 0)]] * 2
    arch = DARTS.from_naslib(str(compact))
    assert DARTS.cell(arch, "normal") == [
        ("max_pool_3x3", 0), ("avg_pool_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 1),
        ("dil_conv_3x3", 0), ("sep_conv_5x5", 2), ("max_pool_3x3", 1), ("dil_conv_5x5", 3),
    ]
    assert DARTS.from_naslib(DARTS.to_naslib(arch)) == arch
    with pytest.raises(InvalidArchitectureError, match="a NASLib pair is"):
        DARTS.from_naslib([[(0, 7)] * 8, [(0, 0)] * 8])


def test_nb301_data_keys_parse(shared_data):
    keys = list(json.loads((shared_data / "naslib_zc" / "zc_nasbench301.json").read_text())
                ["cifar10"])
    archs = [DARTS.from_naslib(key) for key in keys]
    assert len(set(archs)) == len(keys) == 725
    for key, arch in zip(keys[:50], archs[:50], strict=True):
        pairs = ast.literal_eval(key)  # canonical: each node's pairs sorted by input
        canonical = tuple(tuple(p for i in range(0, 8, 2) for p in sorted(cell[i : i + 2]))
                          for cell in pairs)
        assert DARTS.to_naslib(arch) == canonical


def test_anasod_counts_each_cells_operations():
    arch = DARTS.parse(DARTS_V2)
    normal, reduce = OpDistEncoding(DARTS, "normal"), OpDistEncoding(DARTS, "reduce")
    assert normal.describe(arch) == "sep_conv_3x3 x5, skip_connect x2, dil_conv_3x3 x1"
    assert reduce.describe(arch) == "max_pool_3x3 x5, skip_connect x3"
    assert normal.n_encodings == comb(8 + 7 - 1, 7 - 1)
    rng = np.random.default_rng(1)
    point = np.array([0, 0, 0, 6, 0, 2, 0]) / 8
    decoded = normal.decode_rounding(point, rng)
    assert DARTS.contains(decoded) and list(normal.counts(decoded)) == [0, 0, 0, 6, 0, 2, 0]


def test_moves_stay_in_the_space():
    rng = np.random.default_rng(2)
    arch = OPEN.sample(rng)
    near = OPEN.neighbours(arch)
    assert len(near) == len(set(near)) == sum(len(c) - 1 for c in OPEN.position_choices)
    assert all(OPEN.contains(a) for a in near)
    mutated = OPEN.mutate(arch, rng)
    changed = sum(x != y for x, y in zip(arch.ops, mutated.ops, strict=True))
    assert OPEN.contains(mutated) and changed == 1
