"""The NB201 space: official strings, keys, indices, moves, sampling and the Architecture value."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from naslab.errors import InvalidArchitectureError, NaslabError
from naslab.spaces import NB201_OPS, CategoricalSpace, NB201Space, SearchSpace

SPACE = NB201Space()
nb201_ops = st.lists(st.integers(0, 4), min_size=6, max_size=6).map(tuple)
seeds = st.integers(0, 2**32 - 1)
FEW = settings(max_examples=200, deadline=None)

BEST = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)


def hamming(a, b) -> int:
    return sum(x != y for x, y in zip(a.ops, b.ops, strict=True))


def test_space_follows_the_protocol(nb201):
    assert isinstance(nb201, SearchSpace)
    assert len(nb201) == 15_625
    assert nb201.choices == NB201_OPS
    assert nb201.positions == ("1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2")


@FEW
@given(nb201_ops)
def test_official_string_round_trips(ops):
    arch = SPACE.make(ops)
    text = SPACE.format(arch)
    assert SPACE.parse(text) == arch
    assert str(arch) == text
    assert text.count("+") == 2 and text.count("~") == 6


@FEW
@given(nb201_ops)
def test_op_key_round_trips(ops):
    arch = SPACE.make(ops)
    key = SPACE.op_key(arch)
    assert key == "".join(map(str, ops))
    assert SPACE.from_op_key(key) == arch


def test_known_string_and_key(nb201):
    arch = nb201.from_op_key("333132")
    assert nb201.format(arch) == BEST
    assert nb201.op_key(nb201.parse(BEST)) == "333132"
    assert arch.op_names() == (
        "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3",
        "nor_conv_1x1",
    )


def test_index_is_a_bijection(nb201):
    archs = [nb201.from_index(i) for i in range(len(nb201))]
    assert len(set(archs)) == len(nb201)
    assert [nb201.index(a) for a in archs] == list(range(len(nb201)))
    assert archs[0].ops == (0,) * 6 and archs[-1].ops == (4,) * 6
    assert nb201.index(nb201.from_op_key("000010")) == 5  # first position most significant


@pytest.mark.parametrize("index", [-1, 15_625, 10**9])
def test_index_out_of_range(nb201, index):
    with pytest.raises(InvalidArchitectureError, match="out of range 0..15624"):
        nb201.from_index(index)


def test_strings_and_keys_match_the_reference_table(nb201, shared_data):
    table = pd.read_csv(
        shared_data / "nb201" / "nb201_table.csv", usecols=["arch_str", "op_key"],
        dtype={"op_key": str},
    )
    assert len(table) == 15_625
    parsed = [nb201.op_key(nb201.parse(s)) for s in table["arch_str"]]
    assert parsed == table["op_key"].tolist()
    formatted = [nb201.format(nb201.from_op_key(k)) for k in table["op_key"]]
    assert formatted == table["arch_str"].tolist()


TAIL = "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "3 '+'-separated nodes, got 2"),
        ("", "3 '+'-separated nodes, got 1"),
        (BEST + "+|none~0|", "3 '+'-separated nodes, got 4"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|" + TAIL, "node 2 has 2 incoming edges, got 1"),
        ("|none~0|none~1|+|none~0|none~1|" + TAIL, "node 1 has 1 incoming edges, got 2"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|conv_5x5~1|" + TAIL, "2<-1: unknown choice 'conv_5x5'"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~2|" + TAIL, "edge 2<-1 must be written"),
        ("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|" + TAIL, "edge 1<-0 must be written"),
        ("|nor_conv_3x3|+|nor_conv_3x3~0|nor_conv_3x3~1|" + TAIL, "edge 1<-0 must be written"),
        ("nor_conv_3x3~0+|nor_conv_3x3~0|nor_conv_3x3~1|" + TAIL, "node 1 must be written |op~0|"),
        ("|nor_conv_3x3~0|+nor_conv_3x3~0|nor_conv_3x3~1" + TAIL, "node 2 must be written |op~0|"),
        (BEST.replace("nor_conv_1x1~2", "Nor_Conv_1x1~2"), "3<-2: unknown choice 'Nor_Conv_1x1'"),
    ],
)
def test_malformed_strings_name_the_fault(nb201, text, fault):
    with pytest.raises(InvalidArchitectureError) as caught:
        nb201.parse(text)
    message = str(caught.value)
    assert fault in message
    assert "\n" not in message


def test_unknown_op_lists_the_allowed_ones(nb201):
    with pytest.raises(InvalidArchitectureError, match="allowed: none, skip_connect, nor_conv_1x1"):
        nb201.parse(BEST.replace("skip_connect", "max_pool_3x3"))


@pytest.mark.parametrize("key", ["33313", "3331322", "33313x", "33313\u00b3", "333135", ""])
def test_bad_op_keys(nb201, key):
    with pytest.raises(InvalidArchitectureError):
        nb201.from_op_key(key)


@FEW
@given(nb201_ops)
def test_neighbours_are_the_24_one_edit_moves(ops):
    arch = SPACE.make(ops)
    near = SPACE.neighbours(arch)
    assert len(near) == 24
    assert len(set(near)) == 24
    assert arch not in near
    assert all(hamming(arch, n) == 1 for n in near)


@FEW
@given(nb201_ops, seeds)
def test_mutate_changes_exactly_one_edge(ops, seed):
    arch = SPACE.make(ops)
    child = SPACE.mutate(arch, np.random.default_rng(seed))
    assert hamming(arch, child) == 1
    assert child in SPACE.neighbours(arch)


def test_mutate_reaches_every_neighbour(nb201):
    arch = nb201.from_op_key("333132")
    rng = np.random.default_rng(0)
    children = {nb201.mutate(arch, rng) for _ in range(1000)}
    assert children == set(nb201.neighbours(arch))


def test_sample_is_uniform_over_ops_on_every_edge(nb201):
    rng = np.random.default_rng(2024)
    ops = np.array([nb201.sample(rng).ops for _ in range(5000)])
    for edge in range(6):
        counts = np.bincount(ops[:, edge], minlength=5)
        assert chisquare(counts).pvalue > 1e-3, (edge, counts)


def test_sample_depends_only_on_the_seed(nb201):
    first = [nb201.sample(np.random.default_rng(7)) for _ in range(3)]
    again = [nb201.sample(np.random.default_rng(7)) for _ in range(3)]
    assert first == again
    draws = np.random.default_rng(7)
    assert len({nb201.sample(draws) for _ in range(50)}) > 45


def test_architecture_is_immutable(nb201):
    arch = nb201.parse(BEST)
    with pytest.raises(AttributeError):
        arch.ops = (0,) * 6
    with pytest.raises(AttributeError):
        del arch.ops
    with pytest.raises(AttributeError):
        arch.extra = 1
    assert arch.ops == (3, 3, 3, 1, 3, 2)


def test_architecture_is_a_value(nb201):
    a = nb201.parse(BEST)
    b = nb201.make([3, 3, 3, 1, 3, 2])
    assert a == b and a is not b
    assert hash(a) == hash(b)
    assert len({a, b, nb201.from_op_key("333132")}) == 1
    assert {a: "best"}[b] == "best"
    assert a != nb201.from_op_key("333133")
    other_space = CategoricalSpace("other", nb201.positions, nb201.choices)
    assert a != other_space.make(a.ops)
    assert a != "333132"
    assert repr(a) == f"Architecture('nb201', {BEST!r})"


@FEW
@given(nb201_ops)
def test_architecture_pickles_by_value(ops):
    arch = SPACE.make(ops)
    back = pickle.loads(pickle.dumps(arch))
    assert back == arch and hash(back) == hash(arch) and str(back) == str(arch)


def test_errors_are_naslab_errors():
    assert issubclass(InvalidArchitectureError, NaslabError)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("|none~00|+|none~0|none~1|+|none~0|none~1|none~2|", "edge 1<-0 must be written 'op~0'"),
        ("|none~\u0660|+|none~0|none~1|+|none~0|none~1|none~2|",  # Arabic-Indic zero
         "edge 1<-0 must be written 'op~0'"),
        ("|none~0|+|none~0|none~\uff11|+|none~0|none~1|none~2|",  # full-width one
         "edge 2<-1 must be written 'op~1'"),
    ],
)
def test_parse_accepts_only_the_official_ascii_digits(nb201, text, fault):
    with pytest.raises(InvalidArchitectureError, match=fault):
        nb201.parse(text)


def test_parse_and_make_refuse_wrong_types_in_one_line(nb201):
    for value in (None, 7, b"|none~0|"):
        with pytest.raises(InvalidArchitectureError, match="must be text, got"):
            nb201.parse(value)
    with pytest.raises(InvalidArchitectureError, match="choice index must be an integer, got 3.7"):
        nb201.make([3.7] * 6)


def test_a_huge_malformed_string_is_not_echoed_whole(nb201):
    huge = "|" + "x" * 10_000_000
    with pytest.raises(InvalidArchitectureError) as caught:
        nb201.parse(huge)
    message = str(caught.value)
    assert len(message) < 300 and "10,000,001 characters" in message
