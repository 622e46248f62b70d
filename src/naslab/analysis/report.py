"""The report of a study: tidy table, summary, plots and Markdown, plus the text the CLI prints.

The tables follow seed 000, Table 2 (rows: strategies, columns: datasets, cells:
mean ± 1 SE over seeds at the budget), with the incumbent's true error beside
the best observed error, and a rank test of every strategy against random search
(seed 001, section 3.1.1). Every file is written to a temporary name and renamed,
so an interrupted report never leaves a half-written file.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from naslab.analysis.plots import plot_trajectories
from naslab.analysis.statistics import TESTED, summarise
from naslab.analysis.trajectories import add_trajectories
from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import ConfigError

TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")
DPI = 120
#: (title, summary column stem) of every mean ± SE table, in report order.
ERROR_TABLES: tuple[tuple[str, str], ...] = (
    ("Best observed validation error (%), the papers' metric", "best_observed"),
    ("Incumbent true validation error (%), seed-mean error of the returned architecture",
     "incumbent_true_error"),
    ("Incumbent regret (percentage points above the global optimum)", "incumbent_regret"),
    ("Incumbent test error (%)", "incumbent_test_error"),
)

Table = tuple[str, pd.DataFrame]  # title, cells (rows: strategies, columns: datasets)


@dataclass(frozen=True)
class Report:
    """What :func:`build_report` made: the summary, the CLI text, the files written."""

    summary: pd.DataFrame
    text: str
    files: list[Path]


def build_report(
    evals: pd.DataFrame,
    benchmarks: Mapping[str, TabularBenchmark],
    out_dir: Path,
    *,
    baseline: str = "rs",
    table_format: str = "csv",
) -> Report:
    """Analyse ``evals`` against ``benchmarks`` and write the report into ``out_dir``.

    Writes ``evaluations.csv`` (or ``.parquet``: the tidy table with the trajectory
    columns), ``summary.csv``, ``plots/<dataset>_{query,cost}.png`` and ``report.md``.
    """
    if table_format not in TABLE_FORMATS:
        raise ConfigError(
            f"unknown table format {table_format!r}; valid: {', '.join(TABLE_FORMATS)}"
        )
    if table_format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ConfigError("writing parquet needs pyarrow: pip install 'naslab[parquet]'")
    out_dir = Path(out_dir)
    traj = add_trajectories(evals, benchmarks)
    summary = summarise(traj, baseline)
    tables = _tables(summary, baseline)
    text = _header(summary, baseline) + "\n\n" + "\n\n".join(_text_table(t) for t in tables)
    notes = _notes(summary, benchmarks)
    text += "\n\n" + "\n".join(notes)

    evaluations = out_dir / f"evaluations.{table_format}"
    files = [
        _write_atomic(evaluations, lambda p: _write_table(traj, p, table_format)),
        _write_atomic(out_dir / "summary.csv", lambda p: summary.to_csv(p, index=False)),
    ]
    plots = []
    for name, fig in plot_trajectories(traj, benchmarks).items():
        path = out_dir / "plots" / f"{name}.png"
        plots.append(_write_atomic(path, functools.partial(_save_png, fig)))
    files += plots
    markdown = _markdown(summary, baseline, tables, notes, [p.relative_to(out_dir) for p in plots])
    files.append(_write_atomic(out_dir / "report.md", lambda p: p.write_text(markdown, "utf-8")))
    return Report(summary, text, files)


def _write_table(traj: pd.DataFrame, path: Path, table_format: str) -> None:
    if table_format == "parquet":
        traj.to_parquet(path, index=False)
    else:
        traj.to_csv(path, index=False)


def _save_png(figure: Figure, path: Path) -> None:
    figure.savefig(path, dpi=DPI, format="png")


def _write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` via a temporary sibling renamed over it, so it is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# --- cells -----------------------------------------------------------------------------
def format_error(mean: float, se: float) -> str:
    """``'8.67 ± 0.03'``; the SE reads ``n/a`` for a single seed, the cell ``-`` if no value."""
    if not np.isfinite(mean):
        return "-"
    return f"{mean:.2f} ± {se:.2f}" if np.isfinite(se) else f"{mean:.2f} ± n/a"


def format_p(p: float) -> str:
    """A p-value to 3 significant digits, ``-`` where there is none."""
    return f"{p:.3g}" if np.isfinite(p) else "-"


def _pivot(summary: pd.DataFrame, cells: pd.Series) -> pd.DataFrame:
    """Cells laid out as strategies x datasets in input order, ``-`` where not run."""
    frame = summary[["strategy", "dataset"]].assign(cell=cells.to_numpy())
    table = frame.pivot(index="strategy", columns="dataset", values="cell")
    table = table.reindex(index=pd.unique(summary["strategy"]),
                          columns=pd.unique(summary["dataset"]))
    return table.fillna("-")


def _tables(summary: pd.DataFrame, baseline: str) -> list[Table]:
    tables = []
    for title, stem in ERROR_TABLES:
        if summary[f"{stem}_mean"].notna().any():
            cells = summary.apply(
                lambda r, s=stem: format_error(r[f"{s}_mean"], r[f"{s}_se"]), axis=1
            )
            tables.append((title, _pivot(summary, cells)))
    tested = " / ".join(t.replace("_", " ") for t in TESTED)
    p_cells = summary.apply(lambda r: " / ".join(format_p(r[f"p_{t}"]) for t in TESTED), axis=1)
    p_table = _pivot(summary, p_cells).drop(index=baseline, errors="ignore")
    if len(p_table):
        tables.append((
            f"p-value vs {baseline}, one-sided Mann-Whitney U over seeds ({tested})", p_table
        ))
    reach = summary.apply(
        lambda r: (f"{r['queries_to_optimum']:.1f}" if r["n_reached_optimum"] else "-")
        + f" ({r['n_reached_optimum']}/{r['n_seeds']})",
        axis=1,
    )
    tables.append((
        "Queries until the incumbent is the global optimum (mean over seeds that did; did/seeds)",
        _pivot(summary, reach),
    ))
    return tables


def _span(column: pd.Series) -> str:
    low, high = column.min(), column.max()
    return f"{low}" if low == high else f"{low}-{high}"


def _header(summary: pd.DataFrame, baseline: str) -> str:
    return (
        f"naslab report: {summary['strategy'].nunique()} strategies x "
        f"{summary['dataset'].nunique()} datasets, {_span(summary['n_seeds'])} seeds, "
        f"budget {_span(summary['queries'])} queries\n"
        f"cells: mean ± 1 standard error over seeds at the end of the budget; "
        f"baseline: {baseline}"
    )


def _notes(summary: pd.DataFrame, benchmarks: Mapping[str, TabularBenchmark]) -> list[str]:
    optima = ", ".join(
        f"{d} {benchmarks[d].optimum_value:.2f}" for d in pd.unique(summary["dataset"])
    )
    notes = [f"Global optimum (seed-mean validation error %): {optima}"]
    notes += [f"Note: {n}" for n in pd.unique(summary["note"]) if n]
    return notes


# --- rendering -------------------------------------------------------------------------
def _rows(table: pd.DataFrame) -> list[list[str]]:
    header = ["strategy", *map(str, table.columns)]
    return [header] + [[str(s), *row] for s, row in zip(table.index, table.to_numpy().tolist(),
                                                        strict=True)]


def _text_table(table: Table) -> str:
    """Aligned plain-text columns under a title and a rule, readable in a terminal."""
    title, cells = table
    rows = _rows(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([title, *lines])


def _markdown_table(table: Table) -> str:
    title, cells = table
    rows = _rows(cells)
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("---" for _ in rows[0]) + "|")
    return "\n".join([f"### {title}", "", *lines])


def _markdown(
    summary: pd.DataFrame, baseline: str, tables: list[Table], notes: list[str],
    plots: list[Path],
) -> str:
    parts = ["# naslab report", "", _header(summary, baseline).replace("\n", "  \n"), ""]
    parts += [_markdown_table(t) + "\n" for t in tables]
    parts += [*(f"- {n}" for n in notes), ""]
    parts += [
        "Under 'sample' noise a re-queried architecture can draw a luckier training seed, so the",
        "best observed error can fall below the global optimum; the incumbent's true error is",
        "the honest measure of what the search found. Full numbers: `summary.csv`.",
        "",
        "## Plots",
        "",
    ]
    parts += [f"![{p.stem}]({p.as_posix()})\n" for p in plots]
    return "\n".join(parts)
