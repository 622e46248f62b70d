"""The DARTS / NASNet cell space (seed 004, NASNet and DARTS slides; Liu et al., ICLR 2019).

A network stacks a *normal* and a *reduction* cell. Each cell has ``steps``
intermediate nodes; inputs 0 and 1 are the outputs of the two previous cells
and intermediate node ``n`` (2, 3, ...) sums two operations applied to two
*distinct* earlier nodes; the cell outputs the concatenation of every
intermediate node. DARTS and NAS-Bench-301 use 4 nodes and 7 operations;
ANASOD's open-domain search (seed 000, appendix A.2) enlarges it to 5 nodes
(20 possible edges) and all 8 DARTS candidates, ``none`` included.

Each node is three positions: its input pair (``"0+2"``, lower input first) and
the operation on its lower and on its higher input. A genotype that lists a
node's two edges in either order is therefore one architecture. The canonical
string is DARTS's ``str(Genotype(...))``; NASLib's compact form (the keys of
its NB301 data) is read by :meth:`DartsSpace.from_naslib`.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Sequence
from typing import Any

from naslab.errors import ConfigError, InvalidArchitectureError, excerpt
from naslab.spaces.base import Architecture
from naslab.spaces.categorical import CategoricalSpace, Position

#: The 8 DARTS candidates (``PRIMITIVES`` of DARTS's ``cnn/genotypes.py``).
DARTS_PRIMITIVES = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
#: The 7 operations of DARTS's derived cells and of NB301, in NASLib's compact-form order
#: (``OPS`` of ``naslib/search_spaces/nasbench301/conversions.py``).
DARTS_OPS = DARTS_PRIMITIVES[1:]
NASLIB_OPS = DARTS_OPS
#: The two cells of a genotype, in its field order.
CELLS = ("normal", "reduce")
_FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")

Edge = tuple[str, int]


class DartsSpace(CategoricalSpace):
    """A normal and a reduction cell of ``steps`` nodes, each node two edges over ``ops``.

    Positions per cell and node ``n``: ``normal.n.inputs`` (``"a+b"``, a < b),
    ``normal.n.op_low`` (the op on input a) and ``normal.n.op_high`` (on b).
    Groups ``normal`` and ``reduce`` hold each cell's op positions, which the
    operation-distribution encoding counts over.
    """

    def __init__(
        self, steps: int = 4, ops: Sequence[str] = DARTS_OPS, name: str = "darts"
    ) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ConfigError(f"space {name!r}: steps must be a positive integer, got {steps!r}")
        unknown = [op for op in ops if op not in DARTS_PRIMITIVES]
        if unknown or not ops:
            raise ConfigError(
                f"space {name!r}: unknown DARTS operation {unknown[0] if unknown else None!r}; "
                f"allowed: {', '.join(DARTS_PRIMITIVES)}"
            )
        self.steps = steps
        self.ops = tuple(ops)
        positions = []
        groups: dict[str, list[str]] = {cell: [] for cell in CELLS}
        for cell in CELLS:
            for node in range(2, steps + 2):
                pairs = tuple(f"{a}+{b}" for b in range(node) for a in range(b))
                positions.append(Position(f"{cell}.{node}.inputs", pairs))
                for side in ("low", "high"):
                    positions.append(Position(f"{cell}.{node}.op_{side}", self.ops))
                    groups[cell].append(f"{cell}.{node}.op_{side}")
        super().__init__(name, positions, groups=groups)

    def definition(self) -> None:
        """None: rebuilt by its registered name (its genotype string is its own format)."""
        return None

    @property
    def concat(self) -> list[int]:
        """The nodes a cell concatenates: every intermediate node, as DARTS does."""
        return list(range(2, self.steps + 2))

    # --- cells ---------------------------------------------------------------------------
    def cell(self, arch: Architecture, kind: str) -> list[Edge]:
        """The ``(op, input)`` edges of ``arch``'s ``kind`` cell ("normal" or "reduce"),
        two per node in node order, lower input first: what a network builder reads."""
        if kind not in CELLS:
            raise ConfigError(f"unknown cell {kind!r}; cells: {', '.join(CELLS)}")
        start = CELLS.index(kind) * 3 * self.steps
        edges: list[Edge] = []
        for i in range(self.steps):
            pair, low, high = arch.ops[start + 3 * i : start + 3 * i + 3]
            a, b = (int(x) for x in self.position_choices[start + 3 * i][pair].split("+"))
            edges += [(self.ops[low], a), (self.ops[high], b)]
        return edges

    def from_genotype(self, normal: Sequence[Any], reduce: Sequence[Any]) -> Architecture:
        """The architecture of DARTS edge lists ``[(op, input), ...]`` (two per node, either
        order within a node); errors name the cell and node at fault."""
        ops: list[int] = []
        for kind, edges in zip(CELLS, (normal, reduce), strict=True):
            if isinstance(edges, str | bytes) or not isinstance(edges, Sequence):
                raise InvalidArchitectureError(
                    f"{kind} cell: expected a list of (op, input) edges, got {excerpt(edges)}"
                )
            if len(edges) != 2 * self.steps:
                raise InvalidArchitectureError(
                    f"{kind} cell: {self.name} cells have {self.steps} nodes of 2 edges "
                    f"({2 * self.steps} (op, input) pairs), got {len(edges)}"
                )
            for i in range(self.steps):
                ops += self._node(kind, i + 2, edges[2 * i : 2 * i + 2])
        return self.make(ops)

    def _node(self, kind: str, node: int, edges: Sequence[Any]) -> list[int]:
        where = f"{kind} cell node {node}"
        pairs = []
        for edge in edges:
            if (
                not isinstance(edge, Sequence)
                or isinstance(edge, str)
                or len(edge) != 2
                or not isinstance(edge[0], str)
                or isinstance(edge[1], bool)
                or not isinstance(edge[1], int)
            ):
                raise InvalidArchitectureError(
                    f"{where}: an edge is (op name, input node), got {excerpt(edge)}"
                )
            if edge[0] not in self.ops:
                raise InvalidArchitectureError(
                    f"{where}: unknown operation {edge[0]!r}; allowed: {', '.join(self.ops)}"
                )
            pairs.append((edge[1], self.ops.index(edge[0])))
        (a, op_a), (b, op_b) = sorted(pairs)
        if a == b or not 0 <= a < node or not 0 <= b < node:
            raise InvalidArchitectureError(
                f"{where}: inputs must be two distinct nodes among 0..{node - 1}, got {a} and {b}"
            )
        position = CELLS.index(kind) * 3 * self.steps + 3 * (node - 2)
        return [self._choice_index[position][f"{a}+{b}"], op_a, op_b]

    # --- text ------------------------------------------------------------------------------
    def format(self, arch: Architecture) -> str:
        """DARTS's ``str(Genotype(...))``, e.g. ``Genotype(normal=[('sep_conv_3x3', 0), ...],
        normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])``."""
        normal, reduce = self.cell(arch, "normal"), self.cell(arch, "reduce")
        return (
            f"Genotype(normal={normal!r}, normal_concat={self.concat!r}, "
            f"reduce={reduce!r}, reduce_concat={self.concat!r})"
        )

    def parse(self, text: str) -> Architecture:
        """Read a DARTS genotype string (keyword or positional fields; concat as a list or
        ``range(2, 6)``, as DARTS prints a searched genotype)."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(
                f"a {self.name} genotype must be text, got {type(text).__name__}"
            )
        shown = excerpt(text)
        try:
            call = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            call = None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "Genotype"
        ):
            raise InvalidArchitectureError(
                f"{shown} is no DARTS genotype; expected Genotype(normal=[(op, input), ...], "
                "normal_concat=[...], reduce=[...], reduce_concat=[...])"
            )
        fields = dict(zip(_FIELDS, call.args, strict=False))
        for keyword in call.keywords:
            if keyword.arg not in _FIELDS or keyword.arg in fields:
                raise InvalidArchitectureError(
                    f"{shown}: unexpected or repeated field {keyword.arg!r}; "
                    f"fields: {', '.join(_FIELDS)}"
                )
            fields[keyword.arg] = keyword.value
        if len(call.args) > len(_FIELDS) or len(fields) < len(_FIELDS):
            raise InvalidArchitectureError(
                f"{shown}: a genotype has exactly the fields {', '.join(_FIELDS)}"
            )
        for kind in CELLS:
            concat = _concat(fields[f"{kind}_concat"])
            if concat != self.concat:
                raise InvalidArchitectureError(
                    f"{shown}: {kind}_concat must be {self.concat} (every intermediate node), "
                    f"got {excerpt(concat, 40)}"
                )
        normal, reduce = (_literal(fields[kind], f"{shown}: {kind}") for kind in CELLS)
        return self.from_genotype(normal, reduce)

    # --- NASLib ----------------------------------------------------------------------------
    def from_naslib(self, compact: Any) -> Architecture:
        """The architecture of NASLib's compact form ``[[(input, op index), ...], [...]]``
        (normal, then reduce; op indices into :data:`NASLIB_OPS`), or of its string."""
        if isinstance(compact, str):
            try:
                compact = ast.literal_eval(compact.strip())
            except (SyntaxError, ValueError, TypeError, RecursionError):
                raise InvalidArchitectureError(
                    f"{excerpt(compact)} is no NASLib compact DARTS architecture"
                ) from None
        if (
            not isinstance(compact, Sequence)
            or len(compact) != 2
            or not all(isinstance(cell, Sequence) for cell in compact)
        ):
            raise InvalidArchitectureError(
                f"a NASLib compact architecture is [normal pairs, reduce pairs], "
                f"got {excerpt(compact)}"
            )
        cells = []
        for kind, pairs in zip(CELLS, compact, strict=True):
            edges = []
            for pair in pairs:
                if not (isinstance(pair, Sequence) and len(pair) == 2 and isinstance(pair[1], int)
                        and 0 <= pair[1] < len(NASLIB_OPS)):
                    raise InvalidArchitectureError(
                        f"{kind} cell: a NASLib pair is (input, op index 0..{len(NASLIB_OPS) - 1}),"
                        f" got {excerpt(pair)}"
                    )
                edges.append((NASLIB_OPS[pair[1]], pair[0]))
            cells.append(edges)
        return self.from_genotype(*cells)

    def to_naslib(self, arch: Architecture) -> tuple[tuple[tuple[int, int], ...], ...]:
        """NASLib's compact form of ``arch`` (each node's lower input first)."""
        out = []
        for kind in CELLS:
            edges = self.cell(arch, kind)
            if any(op not in NASLIB_OPS for op, _ in edges):
                raise InvalidArchitectureError(
                    f"{self.format(arch)} uses an operation NASLib's compact form lacks"
                )
            out.append(tuple((node, NASLIB_OPS.index(op)) for op, node in edges))
        return tuple(out)


class DartsOpenSpace(DartsSpace):
    """ANASOD's open-domain space (seed 000, appendix A.2): 5 nodes (20 possible edges) and
    all 8 DARTS candidates, ``none`` included."""

    def __init__(self) -> None:
        super().__init__(steps=5, ops=DARTS_PRIMITIVES, name="darts-open")


def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, RecursionError):
        raise InvalidArchitectureError(
            f"{where} must be a literal list of (op, input) edges"
        ) from None


def _concat(node: ast.expr) -> Any:
    """A concat field: a literal list, or ``range(a, b)`` as DARTS's searched genotypes print."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        bounds = [
            a.value for a in node.args if isinstance(a, ast.Constant) and type(a.value) is int
        ]
        if len(bounds) == len(node.args) and 1 <= len(bounds) <= 3 and not node.keywords:
            with contextlib.suppress(ValueError):  # a step of 0
                return list(range(*bounds))
        return ast.unparse(node)
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)
    return list(value) if isinstance(value, list | tuple) else value
