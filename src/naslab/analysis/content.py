"""What a report says, gathered once, so the terminal, Markdown and HTML renderings agree."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

Table = tuple[str, pd.DataFrame]  # title, string cells (rows: strategies, columns: datasets)


@dataclass(frozen=True)
class Content:
    """A report's parts in reading order; every value already in the metric's units."""

    header: list[str]
    settings: list[tuple[str, str]]
    progress: Table | None
    tables: list[Table]
    notes: list[str]
    #: dataset -> its rank-test matrix between strategies
    matrices: dict[str, Table]
    #: dataset -> (figure name, PNG bytes) in display order
    figures: dict[str, list[tuple[str, bytes]]]


def rows(table: pd.DataFrame) -> list[list[str]]:
    """Header and body rows of a table as strings, its index first."""
    header = [str(table.index.name or "strategy"), *map(str, table.columns)]
    body = [[str(i), *map(str, row)]
            for i, row in zip(table.index, table.to_numpy().tolist(), strict=True)]
    return [header, *body]
