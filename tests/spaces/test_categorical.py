"""A user's own categorical space goes through the same protocol as NB201."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naslab.errors import ConfigError, InvalidArchitectureError, NaslabError
from naslab.spaces import Architecture, CategoricalSpace, SearchSpace

TOY = CategoricalSpace("toy", ["stem", "body", "head"], ["conv3", "conv5", "pool", "skip"])
toy_ops = st.lists(st.integers(0, 3), min_size=3, max_size=3).map(tuple)
FEW = settings(max_examples=200, deadline=None)


def test_user_space_follows_the_protocol():
    assert isinstance(TOY, SearchSpace)
    assert len(TOY) == 4**3
    assert repr(TOY) == "CategoricalSpace('toy', 3 x 4)"
    archs = TOY.all()
    assert len(set(archs)) == 64
    assert [TOY.index(a) for a in archs] == list(range(64))
    assert TOY.from_index(6).ops == (0, 1, 2)


@FEW
@given(toy_ops)
def test_parse_format_round_trip(ops):
    arch = TOY.make(ops)
    text = TOY.format(arch)
    assert text == ",".join(TOY.choices[o] for o in ops)
    assert TOY.parse(text) == arch
    assert TOY.from_index(TOY.index(arch)) == arch


def test_parse_tolerates_spaces_around_names():
    assert TOY.parse(" pool, conv3 ,skip ").ops == (2, 0, 3)


@FEW
@given(toy_ops, st.integers(0, 2**32 - 1))
def test_moves_change_one_position(ops, seed):
    arch = TOY.make(ops)
    near = TOY.neighbours(arch)
    assert len(near) == 3 * 3 == len(set(near))
    assert all(sum(x != y for x, y in zip(arch.ops, n.ops, strict=True)) == 1 for n in near)
    assert TOY.mutate(arch, np.random.default_rng(seed)) in near


def test_sample_uses_only_the_given_generator():
    first = [TOY.sample(np.random.default_rng(3)).ops for _ in range(5)]
    assert first == [TOY.sample(np.random.default_rng(3)).ops for _ in range(5)]
    rng = np.random.default_rng(3)
    assert len({TOY.sample(rng) for _ in range(2000)}) == 64


def test_architectures_are_values_tied_to_their_space():
    arch = TOY.parse("pool,conv3,skip")
    assert arch == TOY.make([2, 0, 3]) and hash(arch) == hash(TOY.make([2, 0, 3]))
    assert arch.op_names() == ("pool", "conv3", "skip")
    back = pickle.loads(pickle.dumps(arch))
    assert back == arch and back.space == TOY
    twin = CategoricalSpace("twin", TOY.positions, TOY.choices)
    assert twin.make(arch.ops) != arch
    assert isinstance(arch, Architecture) and str(arch) == "pool,conv3,skip"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("pool,conv3", "expected 3 comma-separated choices, got 2"),
        ("pool,conv3,skip,skip", "expected 3 comma-separated choices, got 4"),
        ("pool,conv7,skip", "position body: unknown choice 'conv7'; allowed: conv3, conv5, pool"),
        ("", "expected 3 comma-separated choices, got 1"),
    ],
)
def test_parse_errors_say_what_is_wrong(text, fault):
    with pytest.raises(InvalidArchitectureError) as caught:
        TOY.parse(text)
    assert fault in str(caught.value)


@pytest.mark.parametrize(
    ("ops", "fault"),
    [
        ([0, 1], "toy architectures have 3 positions, got 2"),
        ([0, 1, 4], "position head: choice index 4 is out of range 0..3"),
        ([-1, 0, 0], "position stem: choice index -1 is out of range 0..3"),
        ([3.7, 0, 0], "position stem: a choice index must be an integer, got 3.7"),
        ([True, 0, 0], "a choice index must be an integer, got True"),
        ("abc", "ops must be a sequence of choice indices, got 'abc'"),
    ],
)
def test_make_validates(ops, fault):
    with pytest.raises(InvalidArchitectureError) as caught:
        TOY.make(ops)
    assert fault in str(caught.value)


@pytest.mark.parametrize(
    ("positions", "choices", "fault"),
    [
        ([], ["a", "b"], "needs a list of at least one position"),
        (["p"], ["a"], "has 1 architecture; a search needs two"),
        (["p", "p"], ["a", "b"], "position names must be unique"),
        (["p"], ["a", "a"], "position 'p' lists an option twice"),
        (["p"], ["a", "-"], "'-' is reserved for inactive positions"),
        (["p"], None, "position 'p' has no options"),
    ],
)
def test_bad_space_definitions_are_user_errors(positions, choices, fault):
    with pytest.raises(ConfigError) as caught:
        CategoricalSpace("bad", positions, choices)
    assert isinstance(caught.value, NaslabError) and fault in str(caught.value)
