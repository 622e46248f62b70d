"""The adjacency one-hot encoding (naszilla / NASLib layout for NB201: 6 edges x 5 ops)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naslab.encodings import ENCODINGS, AdjacencyEncoding, Encoding, get_encoding, op_matrix
from naslab.errors import InvalidArchitectureError, UnknownNameError
from naslab.spaces import CategoricalSpace, NB201Space

NB201 = AdjacencyEncoding(NB201Space())
nb201_ops = st.lists(st.integers(0, 4), min_size=6, max_size=6).map(tuple)
FEW = settings(max_examples=200, deadline=None)


def test_dim_is_positions_times_choices():
    assert isinstance(NB201, Encoding)
    assert NB201.dim == 30
    toy = CategoricalSpace("toy", ["a", "b", "c"], ["w", "x", "y", "z"])
    assert AdjacencyEncoding(toy).dim == 12
    assert AdjacencyEncoding(toy).encode(toy.parse("z,w,y")).nonzero()[0].tolist() == [3, 4, 10]


def test_hand_worked_example():
    # '333132': edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 carry ops 3, 3, 3, 1, 3, 2,
    # so block e (columns 5e..5e+4) has its 1 in column 5e + op.
    vector = NB201.encode(NB201.space.from_op_key("333132"))
    assert vector.shape == (30,) and vector.dtype == np.float64
    assert vector.nonzero()[0].tolist() == [3, 8, 13, 16, 23, 27]
    assert vector.sum() == 6


@FEW
@given(nb201_ops)
def test_one_hot_per_edge_and_deterministic(ops):
    arch = NB201.space.make(ops)
    vector = NB201.encode(arch)
    blocks = vector.reshape(6, 5)
    assert set(np.unique(vector)) <= {0.0, 1.0}
    assert (blocks.sum(axis=1) == 1).all()
    assert tuple(blocks.argmax(axis=1)) == ops
    np.testing.assert_array_equal(vector, NB201.encode(arch))


def test_encode_many_matches_encode_and_is_injective_on_nb201():
    space = NB201.space
    archs = [space.from_index(i) for i in range(len(space))]
    matrix = NB201.encode_many(archs)
    assert matrix.shape == (15_625, 30)
    assert len({row.tobytes() for row in matrix}) == 15_625
    for i in (0, 1, 777, 15_624):
        np.testing.assert_array_equal(matrix[i], NB201.encode(archs[i]))
    assert NB201.encode_many([]).shape == (0, 30)


def test_op_matrix_is_the_categorical_form():
    space = NB201.space
    archs = [space.from_op_key("333132"), space.from_op_key("040210")]
    assert op_matrix(space, archs).tolist() == [[3, 3, 3, 1, 3, 2], [0, 4, 0, 2, 1, 0]]


def test_foreign_architectures_are_rejected():
    toy = CategoricalSpace("toy", [f"e{i}" for i in range(6)], NB201.space.choices)
    with pytest.raises(InvalidArchitectureError, match="space 'nb201'"):
        NB201.encode(toy.make([0] * 6))


def test_registry_builds_encodings_by_name():
    assert {"opdist", "adjacency", "path"} <= set(ENCODINGS.names())
    assert isinstance(get_encoding("adj", NB201.space), AdjacencyEncoding)
    with pytest.raises(UnknownNameError, match="valid: adjacency, opdist, path"):
        get_encoding("graph", NB201.space)
