"""Spaces beyond NB201: options per position, conditions, templates, restriction, files."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from naslab.encodings import AdjacencyEncoding, OpDistEncoding
from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces import (
    INACTIVE,
    CategoricalSpace,
    Position,
    RestrictedSpace,
    SearchSpace,
    load_space_file,
    resolve_space,
    space_from_definition,
)


def test_per_position_options_and_conditions_follow_the_protocol(chain, graph):
    for space in (chain, graph):
        assert isinstance(space, SearchSpace)
        archs = space.all()
        assert len(archs) == len(set(archs)) == len(space)
        assert all(space.contains(a) and space.parse(str(a)) == a for a in archs)
    assert len(chain) == 6 + 36 + 216  # depth 1, 2, 3: (2 kernels x 3 widths) per active layer
    assert len(graph) == 1 * 2 * 3 * 4 * 4**4


def test_inactive_positions_do_not_distinguish_architectures(chain):
    shallow = chain.make([0, 1, 2, 0, 1, 1, 2])  # depth 1: layers 2 and 3 ignored
    assert shallow.ops == (0, 1, 2, INACTIVE, INACTIVE, INACTIVE, INACTIVE)
    assert chain.make([0, 1, 2, 1, 0, 0, 0]) == shallow
    assert str(shallow) == "1:5x64|-x-|-x-"
    assert shallow.as_dict() == {"depth": "1", "k1": "5", "w1": "64", "k2": None, "w2": None,
                                 "k3": None, "w3": None}
    with pytest.raises(InvalidArchitectureError, match="position k2 is inactive here"):
        chain.parse("1:5x64|3x16|-x-")
    with pytest.raises(InvalidArchitectureError, match="position k2 is active here"):
        chain.parse("2:5x64|-x-|-x-")


def test_sampling_is_uniform_over_distinct_architectures(chain):
    rng = np.random.default_rng(0)
    counts = Counter(chain.sample(rng) for _ in range(60_000))
    assert len(counts) == len(chain)
    assert chisquare(list(counts.values())).pvalue > 1e-3
    depth = Counter(a.ops[0] for a in counts.elements())
    assert depth[2] / 60_000 == pytest.approx(216 / 258, abs=0.01)


def test_moves_change_one_active_position(chain):
    rng = np.random.default_rng(1)
    for _ in range(200):
        arch = chain.sample(rng)
        near = chain.neighbours(arch)
        active = [i for i, o in enumerate(arch.ops) if o != INACTIVE]
        moves = sum(len(chain.position_choices[i]) - 1 for i in active)
        assert len(near) == len(set(near)) == moves
        for other in [*near, chain.mutate(arch, rng)]:
            both = [i for i in active if other.ops[i] != INACTIVE]
            assert sum(other.ops[i] != arch.ops[i] for i in both) == 1  # switched layers aside
            assert chain.contains(other) and other != arch


def test_template_errors_and_comma_default(graph):
    arch = graph.sample(np.random.default_rng(2))
    assert str(arch).count(",") == 7 and graph.parse(str(arch)) == arch
    with pytest.raises(InvalidArchitectureError, match="position in2: unknown choice '2'"):
        graph.parse("0,conv3,2,conv3,0,conv3,0,conv3")
    with pytest.raises(ConfigError, match="must name every position exactly once"):
        CategoricalSpace("t", ["a", "b"], ["x", "y"], template="{a}-{a}")
    with pytest.raises(ConfigError, match="names 'c', which is no position"):
        CategoricalSpace("t", ["a", "b"], ["x", "y"], template="{a}{b}{c}")
    with pytest.raises(InvalidArchitectureError, match="does not match"):
        CategoricalSpace("t", ["a", "b"], ["x", "y"], template="<{a}|{b}>").parse("<x|z>")
    with pytest.raises(InvalidArchitectureError, match="must be text, got int"):
        graph.parse(7)


def test_conditions_must_name_an_earlier_position_and_its_options():
    with pytest.raises(ConfigError, match="depends on 'depth', which must be an earlier"):
        CategoricalSpace("t", [Position("k", ("3", "5"), ("depth", ("2",))),
                               Position("depth", ("1", "2"))])
    with pytest.raises(ConfigError, match=r"active when depth is \['7'\]"):
        CategoricalSpace("t", [Position("depth", ("1", "2")),
                               Position("k", ("3",), ("depth", "7"))])


def test_a_restricted_space_stays_inside_its_members(graph):
    rng = np.random.default_rng(3)
    members = list(dict.fromkeys(graph.sample(rng) for _ in range(300)))
    space = RestrictedSpace(graph, members)
    assert len(space) == len(members) and space.name == graph.name
    assert {space.sample(rng) for _ in range(3000)} == set(members)
    for arch in members[:50]:
        assert set(space.neighbours(arch)) <= set(members)
        assert space.mutate(arch, rng) in set(members)
    outside = next(a for a in graph.all() if a not in set(members))
    with pytest.raises(InvalidArchitectureError, match=f"not one of the {len(members)} arch"):
        space.parse(str(outside))


def test_opdist_counts_over_a_group_and_keeps_the_wiring_random(graph, chain):
    enc = OpDistEncoding(graph)
    assert enc.group == "ops" and enc.n_blocks == 4 and enc.dim == 4
    rng = np.random.default_rng(4)
    archs = [enc.decode_counts(np.array([2, 0, 1, 1]), rng) for _ in range(200)]
    assert all(enc.counts(a).tolist() == [2, 0, 1, 1] for a in archs)
    assert len({a.ops[4] for a in archs}) == 3  # node 3's input is drawn, not fixed
    with pytest.raises(ConfigError, match="only conditionally active"):
        OpDistEncoding(chain, "kernels")
    with pytest.raises(ConfigError, match="no group of positions that share one option list"):
        OpDistEncoding(chain)


def test_opdist_on_a_restricted_space_decodes_to_members(graph):
    rng = np.random.default_rng(5)
    members = list(dict.fromkeys(graph.sample(rng) for _ in range(40)))
    enc = OpDistEncoding(RestrictedSpace(graph, members))
    counts = {tuple(enc.counts(a).tolist()) for a in members}
    for _ in range(100):
        arch = enc.decode_rounding(rng.dirichlet(np.ones(4)), rng)
        assert arch in set(members)
    missing = next(c for c in ([4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0]) if tuple(c) not in counts)
    assert not enc.has_counts(missing)
    with pytest.raises(InvalidArchitectureError, match="no architecture of this graph table"):
        enc.decode_counts(np.array(missing), rng)


def test_adjacency_has_a_block_per_position_and_zeros_where_inactive(chain):
    enc = AdjacencyEncoding(chain)
    assert enc.dim == 3 + 3 * (2 + 3)
    shallow = chain.parse("1:5x64|-x-|-x-")
    vector = enc.encode(shallow)
    assert vector.sum() == 3 and vector[[0, 4, 7]].tolist() == [1, 1, 1]


CHAIN_TOML = """
name = "mini-chain"
template = "{depth}:{k1}/{k2}"
[[positions]]
name = "depth"
choices = [1, 2]
[[positions]]
name = "k1"
choices = [3, 5]
[[positions]]
name = "k2"
choices = [3, 5]
active_when = { depth = [2] }
"""

GRID_YAML = """
name: grid
choices: [a, b, c]
positions: [p1, p2, p3]
groups: {cells: [p1, p2, p3]}
"""


def test_spaces_from_files_rebuild_from_their_definition(tmp_path):
    (tmp_path / "chain.toml").write_text(CHAIN_TOML)
    (tmp_path / "grid.yaml").write_text(GRID_YAML)
    chain = load_space_file(tmp_path / "chain.toml")
    assert len(chain) == 2 + 4 and str(chain.parse("2:3/5")) == "2:3/5"
    grid = resolve_space(str(tmp_path / "grid.yaml"))
    assert len(grid) == 27 and OpDistEncoding(grid).group == "cells"
    for space in (chain, grid):
        again = space_from_definition(space.definition())
        assert again == space and again.all() == space.all()


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("name = 'x'", "needs a list of positions"),
        ("positions = ['a']\nchoices = [1, 2]", "needs a name"),
        ("name = 'x'\npositions = ['a']", "position 'a' has no choices"),
        ("name = 'x'\ncolour = 1\npositions = ['a']", "unknown key(s) colour"),
        ("name = 'x'\n[[positions]]\nname = 'a'\nchoices = [1, 2]\nwhen = 3",
         "position 'a' has unknown key(s) when"),
        ("name = 'x'\nchoices = [1, 2]\npositions = ['a']\n[groups]\ng = ['b']",
         "group 'g' names 'b', which is no position"),
        ("name = 'x'\nchoices = [1, true]\npositions = ['a']", "must be a list of option names"),
        ("name = [", "is not valid toml"),
    ],
)
def test_bad_space_files_are_one_line_errors(tmp_path, text, fault):
    path = tmp_path / "space.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_space_file(path)
    assert fault in str(caught.value) and "\n" not in str(caught.value)
