"""The BANANAS path encoding of the NB201 cell (naszilla ``cell_201.encode_paths`` layout)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naslab.encodings import Encoding, PathEncoding, dag_paths, get_encoding
from naslab.errors import ConfigError, NaslabError
from naslab.spaces import CategoricalSpace, NB201Space
from naslab.spaces.nb201 import NB201_EDGES

SPACE = NB201Space()
FULL = PathEncoding(SPACE)
nb201_ops = st.lists(st.integers(0, 4), min_size=6, max_size=6).map(tuple)
FEW = settings(max_examples=200, deadline=None)


def all_archs():
    return [SPACE.from_index(i) for i in range(len(SPACE))]


def feature_of(ops: tuple[int, ...]) -> int:
    """Independent restatement of the layout: length groups, first op least significant."""
    start = sum(5**length for length in range(1, len(ops)))
    return start + sum(op * 5**j for j, op in enumerate(ops))


def test_paths_of_the_nb201_cell():
    # 0->3, 0->1->3, 0->2->3, 0->1->2->3 as edge positions (naszilla's path blueprints)
    assert dag_paths(NB201_EDGES) == ((3,), (0, 4), (1, 5), (0, 2, 5))
    assert FULL.paths == dag_paths(NB201_EDGES)
    assert dag_paths(((1, 0), (2, 1), (2, 0))) == ((2,), (0, 1))


def test_dim_counts_every_op_sequence_up_to_length_three():
    assert isinstance(FULL, Encoding)
    assert FULL.dim == FULL.n_features == 5 + 25 + 125
    assert PathEncoding(SPACE, cutoff=30).dim == 30
    assert isinstance(get_encoding("path", SPACE), PathEncoding)


def test_hand_worked_example():
    arch = SPACE.from_op_key("333132")  # ops 3,3,3,1,3,2 on edges 1<-0 ... 3<-2
    assert FULL.path_ops(arch) == [
        ("skip_connect",),  # 0->3: op 1 -> feature 1
        ("nor_conv_3x3", "nor_conv_3x3"),  # 0->1->3: 5 + 3 + 3*5 = 23
        ("nor_conv_3x3", "nor_conv_1x1"),  # 0->2->3: 5 + 3 + 2*5 = 18
        ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_1x1"),  # 30 + 3 + 3*5 + 2*25 = 98
    ]
    vector = FULL.encode(arch)
    assert vector.shape == (155,) and vector.nonzero()[0].tolist() == [1, 18, 23, 98]
    assert PathEncoding(SPACE, cutoff=30).encode(arch).nonzero()[0].tolist() == [1, 18, 23]


def test_none_and_skip_are_ops_on_a_path():
    # all-'none' cell: every path still exists and reads none, none, ...
    assert FULL.encode(SPACE.from_op_key("000000")).nonzero()[0].tolist() == [0, 5, 30]
    assert FULL.encode(SPACE.from_op_key("111111")).nonzero()[0].tolist() == [1, 11, 61]


@FEW
@given(nb201_ops)
def test_each_path_sets_the_feature_of_its_op_sequence(ops):
    arch = SPACE.make(ops)
    vector = FULL.encode(arch)
    expected = {feature_of(tuple(ops[p] for p in path)) for path in FULL.paths}
    assert set(vector.nonzero()[0].tolist()) == expected
    assert set(np.unique(vector)) <= {0.0, 1.0}
    # four paths; the two length-2 paths share a feature when they carry the same ops
    same_pair = (ops[0], ops[4]) == (ops[1], ops[5])
    assert vector.sum() == (3 if same_pair else 4)
    np.testing.assert_array_equal(vector, FULL.encode(arch))


def test_encode_many_matches_encode_and_is_injective_on_nb201():
    archs = all_archs()
    matrix = FULL.encode_many(archs)
    assert matrix.shape == (15_625, 155)
    for i in (0, 4, 3_001, 15_624):
        np.testing.assert_array_equal(matrix[i], FULL.encode(archs[i]))
    # every edge lies on some input->output path and the length-1 and length-3 paths
    # pin down which length-2 path is which, so no two cells share an encoding
    assert len({row.tobytes() for row in matrix}) == 15_625


def test_truncated_encoding_collides():
    truncated = PathEncoding(SPACE, cutoff=30)
    # edge 2<-1 (position 2) lies only on the length-3 path, which cutoff 30 drops
    a, b = SPACE.from_op_key("330132"), SPACE.from_op_key("334132")
    np.testing.assert_array_equal(truncated.encode(a), truncated.encode(b))
    assert not np.array_equal(FULL.encode(a), FULL.encode(b))
    # swapping the two length-2 paths (edges 1<-0,3<-1 with 2<-0,3<-2) also collides
    c, d = SPACE.from_op_key("120134"), SPACE.from_op_key("210143")
    np.testing.assert_array_equal(truncated.encode(c), truncated.encode(d))
    # 5 ops on 0->3 times unordered pairs of length-2 sequences: 5 * (25 * 26 / 2)
    distinct = {row.tobytes() for row in truncated.encode_many(all_archs())}
    assert len(distinct) == 5 * 325


def test_only_the_nb201_cell_has_paths():
    toy = CategoricalSpace("toy", ["a", "b"], ["x", "y"])
    with pytest.raises(ConfigError, match="needs the NB201 cell.*'toy'") as caught:
        PathEncoding(toy)
    assert isinstance(caught.value, NaslabError)


@pytest.mark.parametrize("cutoff", [0, -3, 156])
def test_cutoff_must_be_in_range(cutoff):
    with pytest.raises(ConfigError, match="allowed: 1..155"):
        PathEncoding(SPACE, cutoff=cutoff)
