"""The report of a study: tidy table, summary, plots, Markdown and HTML, and the CLI's text.

The tables follow seed 000, Table 2 (rows: strategies, columns: datasets, cells:
mean ± 1 SE over seeds at the budget), with the incumbent's true value beside
the best observed value, and rank tests of every strategy against random search
(seed 001, section 3.1.1) and against each other. Values are in the searched
metric's units. An unfinished run is reported from its finished trials only,
with how far every other trial got. Every file is written to a temporary name
and renamed, so an interrupted report never leaves a half-written file.
"""

from __future__ import annotations

import importlib.util
import io
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from naslab.analysis.content import Content, Table, rows
from naslab.analysis.files import remove_stale_parts, write_atomic
from naslab.analysis.html import render_html
from naslab.analysis.plots import panels, plot_final_values, plot_trajectories, strategy_colors
from naslab.analysis.progress import RunInfo, progress_table
from naslab.analysis.statistics import TESTED, final_rows, pairwise_p, summarise
from naslab.analysis.trajectories import GroundTruth, add_trajectories, study_metric
from naslab.encodings import get_encoding
from naslab.errors import ConfigError
from naslab.observation import Metric
from naslab.strategies import STRATEGIES

TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")
#: Files a report writes into the run folder (besides ``plots/*.png``).
REPORT_FILES: tuple[str, ...] = (
    *(f"evaluations.{f}" for f in TABLE_FORMATS), "summary.csv", "report.md", "report.html"
)
DPI = 120

@dataclass(frozen=True)
class Report:
    """What :func:`build_report` made: the summary, the CLI text, the files written."""

    summary: pd.DataFrame
    text: str
    files: list[Path]


def build_report(
    evals: pd.DataFrame,
    benchmarks: Mapping[str, GroundTruth],
    out_dir: Path,
    *,
    metric: Metric | None = None,
    run: RunInfo | None = None,
    baseline: str = "rs",
    table_format: str = "csv",
) -> Report:
    """Analyse ``evals`` and write the report into ``out_dir``.

    ``benchmarks`` gives the ground truth of the datasets that have a table; a
    dataset without one (a Python-function objective) is reported on observed
    values only. ``metric`` names what was searched where no benchmark says it.
    ``run`` is the run's plan and trial statuses (default: every trial in
    ``evals`` finished, budgets unknown). Writes ``evaluations.csv`` (or
    ``.parquet``: the tidy table with the trajectory columns; the other format's
    old table is removed), ``summary.csv``, ``plots/<dataset>_{query,cost,final}.png``,
    ``report.md`` and the self-contained ``report.html``.
    """
    if table_format not in TABLE_FORMATS:
        raise ConfigError(
            f"unknown table format {table_format!r}; valid: {', '.join(TABLE_FORMATS)}"
        )
    if table_format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ConfigError("writing parquet needs pyarrow: pip install 'naslab[parquet]'")
    out_dir = Path(out_dir)
    metric = study_metric(benchmarks, metric)
    if evals.empty and run is not None:
        raise ConfigError(f"nothing to report yet: none of the run's "
                          f"{plural(len(run.statuses), 'trial')} has a journaled evaluation")
    run = run or RunInfo.of_evaluations(evals)
    traj = add_trajectories(evals, benchmarks, metric)
    done = traj[run.is_done(traj)]
    summary = summarise(done, baseline, metric.goal) if len(done) else pd.DataFrame()
    content = _content(done, summary, benchmarks, metric, run, evals, baseline)

    remove_stale_parts(out_dir, lambda name: name in REPORT_FILES)
    remove_stale_parts(out_dir / "plots", lambda name: name.endswith(".png"))
    evaluations = out_dir / f"evaluations.{table_format}"
    files = [
        write_atomic(evaluations, lambda p: _write_table(traj, p, table_format)),
        write_atomic(out_dir / "summary.csv", lambda p: summary.to_csv(p, index=False)),
    ]
    for other in TABLE_FORMATS:
        if other != table_format:
            (out_dir / f"evaluations.{other}").unlink(missing_ok=True)
    for figures in content.figures.values():
        for name, png in figures:
            files.append(write_atomic(out_dir / "plots" / f"{name}.png", _writer(png)))
    files.append(write_atomic(out_dir / "report.md", _writer(_markdown(content).encode())))
    files.append(write_atomic(out_dir / "report.html", _writer(render_html(content).encode())))
    return Report(summary, _text(content), files)


def _write_table(traj: pd.DataFrame, path: Path, table_format: str) -> None:
    if table_format == "parquet":
        traj.to_parquet(path, index=False)
    else:
        traj.to_csv(path, index=False)


def _writer(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    return buffer.getvalue()


def png_writer(figure: Figure) -> Callable[[Path], None]:
    """What :func:`~naslab.analysis.files.write_atomic` calls to save ``figure`` as a report PNG."""
    return lambda path: figure.savefig(path, dpi=DPI, format="png")


# --- content ---------------------------------------------------------------------------
def _content(
    done: pd.DataFrame, summary: pd.DataFrame, benchmarks: Mapping[str, GroundTruth],
    metric: Metric, run: RunInfo, evals: pd.DataFrame, baseline: str,
) -> Content:
    truth = {d: benchmarks[d] for d in run.datasets if d in benchmarks}
    progress = None
    if not run.finished:
        progress = ("Progress of the unfinished run (trials done / started / not started; "
                    "spent of the budget)", _progress_cells(run, evals))
    colors = strategy_colors(run.strategies)
    figures: dict[str, list[tuple[str, bytes]]] = {}
    valued = done.groupby("dataset")["value"].transform(lambda v: v.notna().any())
    plotted = done[valued.astype(bool)]  # a dataset whose every evaluation failed has no curve
    if len(plotted):
        named = {**plot_trajectories(plotted, benchmarks, metric, colors),
                 **plot_final_values(plotted, benchmarks, metric, colors)}
        for name, figure in named.items():
            dataset = name.rsplit("_", 1)[0]
            figures.setdefault(dataset, []).append((name, _png(figure)))
    return Content(
        header=_header(summary, run, metric, baseline),
        settings=_settings(run, truth, metric, done),
        progress=progress,
        tables=[*_tables(summary, run, metric, baseline, bool(truth)),
                *_returned_encodings(done, truth, run)] if len(summary) else [],
        notes=_notes(summary, run, truth, metric) + _failures(evals),
        matrices=_matrices(done, truth, metric) if len(done) else {},
        figures=figures,
    )


def format_value(mean: float, se: float) -> str:
    """``'8.67 ± 0.03'``; the SE reads ``n/a`` for a single seed, the cell ``-`` if no value."""
    if not np.isfinite(mean):
        return "-"
    return f"{mean:.2f} ± {se:.2f}" if np.isfinite(se) else f"{mean:.2f} ± n/a"


def format_p(p: float) -> str:
    """A p-value to 3 significant digits, ``-`` where there is none."""
    return f"{p:.3g}" if np.isfinite(p) else "-"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``'1 strategy'``, ``'2 strategies'``: ``many`` defaults to ``word + 's'``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def _pivot(summary: pd.DataFrame, cells: pd.Series, run: RunInfo) -> pd.DataFrame:
    """Cells laid out as the run's strategies x datasets, ``-`` where no trial finished.

    In an unfinished run a cell over fewer seeds than planned says so.
    """
    marks = summary["n_seeds"].map(
        lambda n: "" if n == len(run.seeds) else f" [{n}/{len(run.seeds)} seeds]")
    frame = summary[["strategy", "dataset"]].assign(cell=(cells + marks).to_numpy())
    table = frame.pivot(index="strategy", columns="dataset", values="cell")
    return table.reindex(index=list(run.strategies), columns=list(run.datasets)).fillna("-")


def _tables(
    summary: pd.DataFrame, run: RunInfo, metric: Metric, baseline: str, has_truth: bool
) -> list[Table]:
    name = metric.name
    stems = [
        (f"Best observed {name}, the papers' metric", "best_observed"),
        (f"Incumbent true {name}, seed-mean value of the returned architecture",
         "incumbent_true"),
        (f"Incumbent regret: gap between the returned architecture's true {name} and the "
         "global optimum", "incumbent_regret"),
        (f"Incumbent test value ({name} on the test split)", "incumbent_test"),
    ]
    if summary["incumbent_true_mean"].isna().any():  # some dataset has no ground truth
        stems.insert(1, (f"Incumbent mean observed {name} (datasets without ground truth)",
                         "incumbent_observed"))
    tables = []
    for title, stem in stems:
        mean, se = summary[f"{stem}_mean"], summary[f"{stem}_se"]
        if stem == "incumbent_observed":
            mean = mean.where(summary["incumbent_true_mean"].isna())
        if mean.notna().any():
            cells = pd.Series([format_value(m, s) for m, s in zip(mean, se, strict=True)])
            tables.append((title, _pivot(summary, cells, run)))
    tests = [t for t in TESTED if summary[f"p_{t}"].notna().any()]  # none: no baseline
    if tests:
        tested = " / ".join(t.replace("_", " ") for t in tests)
        p_cells = summary.apply(lambda r: " / ".join(format_p(r[f"p_{t}"]) for t in tests),
                                axis=1)
        p_table = _pivot(summary, p_cells, run).drop(index=baseline, errors="ignore")
        tables.append((
            f"p-value that a strategy is better than {baseline} ({metric.best_word} {name} is "
            f"best), one-sided Mann-Whitney U over seeds ({tested})", p_table
        ))
    if has_truth:
        reach = summary.apply(
            lambda r: "-" if np.isnan(r["incumbent_regret_mean"]) else
            (f"{r['queries_to_optimum']:.1f}" if r["n_reached_optimum"] else "-")
            + f" ({r['n_reached_optimum']}/{r['n_seeds']})",
            axis=1,
        )
        tables.append((
            "Queries until the incumbent is the global optimum (mean over seeds that did; "
            "did/seeds)", _pivot(summary, reach, run),
        ))
    return tables


def _returned_encodings(
    done: pd.DataFrame, truth: Mapping[str, GroundTruth], run: RunInfo
) -> list[Table]:
    """The encoding strategies that search encodings return (e.g. ANASOD-BO's best p*).

    Per strategy and dataset: the commonest encoding of the final answer over seeds.
    """
    shown = [s for s in run.strategies
             if s in STRATEGIES and STRATEGIES.get(s).answer_encoding is not None]
    final = done[done["strategy"].isin(shown) & done["dataset"].isin(list(truth))]
    if final.empty:
        return []
    final = final.groupby(["strategy", "dataset", "seed"], sort=False).tail(1)
    table = pd.DataFrame("-", index=shown, columns=list(run.datasets))
    for (strategy, dataset), trials in final.groupby(["strategy", "dataset"], sort=False):
        space, name = truth[dataset].space, STRATEGIES.get(strategy).answer_encoding
        assert name is not None  # only such strategies are shown
        encoding = get_encoding(name, space)
        answers = Counter(encoding.describe(space.parse(a))  # type: ignore[attr-defined]
                          for a in trials["incumbent"].dropna())
        if answers:
            words, seeds = answers.most_common(1)[0]
            table.loc[strategy, dataset] = f"{words} ({seeds}/{len(trials)} seeds)"
    return [("Encoding returned (op counts of the final answer; the commonest over seeds)",
             table)]


def _matrices(done: pd.DataFrame, truth: Mapping[str, GroundTruth], metric: Metric
              ) -> dict[str, Table]:
    """Per dataset, every strategy against every other on the final incumbent's value."""
    out = {}
    for dataset, finals in final_rows(done).groupby("dataset", sort=False):
        column, label = panels(dataset in truth, metric)[1]
        matrix = pairwise_p(finals, column, metric.goal).map(format_p)
        matrix.columns = [f"vs {c}" for c in matrix.columns]
        out[str(dataset)] = (
            f"{dataset}: p-value that the row's final {label} is better than the column's "
            f"({metric.best_word} is best; one-sided Mann-Whitney U over seeds)", matrix
        )
    return out


def _progress_cells(run: RunInfo, evals: pd.DataFrame) -> pd.DataFrame:
    progress = progress_table(run, evals)

    def cell(r: pd.Series) -> str:
        text = f"{r['done']}/{r['done'] + r['started'] + r['not_started']} done, " \
               f"{r['started']} started, {r['not_started']} not started; {r['queries']}"
        text += f"/{r['query_budget']:.0f} queries" if np.isfinite(r["query_budget"]) \
            else " queries"
        if np.isfinite(r["cost_budget"]):
            text += f", {r['cost']:.0f}/{r['cost_budget']:.0f} GPU-s"
        return text

    cells = progress.apply(cell, axis=1)
    frame = progress[["strategy", "dataset"]].assign(cell=cells.to_numpy())
    table = frame.pivot(index="strategy", columns="dataset", values="cell")
    return table.reindex(index=list(run.strategies), columns=list(run.datasets))


def _budget(summary: pd.DataFrame, run: RunInfo) -> str:
    stated = run.budget()
    if stated is not None or not len(summary):
        return f"budget {stated or 'not known'}"
    low, high = summary["queries"].min(), summary["queries"].max()
    return f"{low if low == high else f'{low}-{high}'} queries per trial"


def _header(summary: pd.DataFrame, run: RunInfo, metric: Metric, baseline: str) -> list[str]:
    lines = [
        f"naslab report: {plural(len(run.strategies), 'strategy', 'strategies')} x "
        f"{plural(len(run.datasets), 'dataset')}, {plural(len(run.seeds), 'seed')}, "
        f"{_budget(summary, run)}",
        f"metric: {metric.name}, {metric.best_word} is best; cells: mean ± 1 standard error "
        f"over seeds at the end of the budget; baseline: {baseline}",
    ]
    if not run.finished:
        n_done = sum(status == "done" for status in run.statuses.values())
        lines.append(
            f"UNFINISHED RUN: {n_done} of {plural(len(run.statuses), 'trial')} done. Tables "
            "and plots use finished trials only (a cell over fewer seeds than planned says "
            "[done/seeds]); partial trials are not final numbers. `naslab resume` finishes it."
        )
    return lines


NOISE: dict[str, str] = {
    "sample": "'sample': each query reports one recorded training seed, drawn at random, so a "
              "re-queried architecture can draw a luckier seed and the best observed value can "
              "beat the global optimum; the incumbent's true value is the honest measure of "
              "what the search found.",
    "mean": "'mean': each query reports the architecture's seed mean, so observed values are "
            "true values and the best observed value is the incumbent's true value.",
}


def _spent(done: pd.DataFrame) -> str:
    """What a finished trial spent on average: queries, and GPU-seconds where queries differ."""
    final = final_rows(done)
    text = f"{final['query'].mean():,.0f} queries"
    if done["cost"].nunique() > 1:
        text += f", {final['cum_cost'].mean():,.0f} simulated GPU-seconds"
    return text + " (mean over finished trials)"


def _settings(run: RunInfo, truth: Mapping[str, GroundTruth], metric: Metric,
              done: pd.DataFrame) -> list[tuple[str, str]]:
    seeds = run.seeds
    span = f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f"{seeds[0]}" if seeds else "none"
    settings = [
        ("metric", f"{metric.name} ({metric.best_word} is best)"),
        ("budget per trial", run.budget() or "not known"),
        ("strategies", ", ".join(run.strategies)),
        ("seeds", f"{len(seeds)} ({span})"),
    ]
    if len(done):
        settings.insert(2, ("spent per trial", _spent(done)))
    if truth:
        settings.insert(1, ("noise", run.noise or "not known"))
    for dataset in run.datasets:
        bench = truth.get(dataset)
        if bench is None:
            settings.append((dataset, "no benchmark table: no ground truth"))
            continue
        optimum = float(metric.display(bench.optimum_value))
        size = f"{bench.n_archs:,} architectures"
        if bench.space_size != bench.n_archs:
            size += f" of a space of {bench.space_size:,.0f}"
        settings.append((dataset, f"{bench.name}: {size}; global optimum {optimum:.2f} "
                                  f"({bench.space.format(bench.optimum)})"))
    return settings


def _notes(summary: pd.DataFrame, run: RunInfo, truth: Mapping[str, GroundTruth],
           metric: Metric) -> list[str]:
    notes = []
    if truth:
        optima = ", ".join(f"{d} {float(metric.display(b.optimum_value)):.2f}"
                           for d, b in truth.items())
        notes.append(f"Global optimum ({metric.best_word} seed-mean {metric.name}): {optima}")
        if run.noise in NOISE:
            notes.append(f"Noise {NOISE[run.noise]}")
    missing = [d for d in run.datasets if d not in truth]
    if missing:
        notes.append(
            f"No benchmark table for {', '.join(missing)}: the objective (a Python function "
            "or real training) reports observed values only, so there is no true value, "
            "regret, test value or optimum; the incumbent is the architecture with the "
            f"{metric.best_word} mean observed value."
        )
    if not len(summary):
        notes.append("No trial has finished yet, so there are no final numbers to compare.")
    else:
        notes += [f"Note: {n}" for n in pd.unique(summary["note"]) if n]
    return notes


def _failures(evals: pd.DataFrame) -> list[str]:
    """How many evaluations failed (training diverged, a worker died), and the commonest why."""
    failed = evals["value"].isna()
    if not failed.any():
        return []
    reasons = evals.loc[failed, "failure"] if "failure" in evals else pd.Series(dtype=object)
    common = reasons.dropna().str.extract(r"^([A-Za-z ,']+)")[0].str.strip().value_counts()
    why = f"; commonest reason: {common.index[0]} ({common.iloc[0]}x)" if len(common) else ""
    return [f"{plural(int(failed.sum()), 'evaluation')} of {len(evals):,} failed and count as "
            f"no result (the failure column says why){why}."]


# --- rendering -------------------------------------------------------------------------
def _text_table(table: Table) -> str:
    """Aligned plain-text columns under a title and a rule, readable in a terminal."""
    title, cells = table
    lines_ = rows(cells)
    widths = [max(len(r[i]) for r in lines_) for i in range(len(lines_[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in lines_]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([title, *lines])


def _text(content: Content) -> str:
    """What the CLI prints: header, progress, comparison tables and notes."""
    blocks = ["\n".join(content.header)]
    blocks += [_text_table(t) for t in ([content.progress] if content.progress else [])]
    blocks += [_text_table(t) for t in content.tables]
    blocks.append("\n".join(content.notes))
    return "\n\n".join(blocks)


def _markdown_table(table: Table) -> str:
    title, cells = table
    lines_ = rows(cells)
    lines = ["| " + " | ".join(r) + " |" for r in lines_]
    lines.insert(1, "|" + "|".join("---" for _ in lines_[0]) + "|")
    return "\n".join([f"### {title}", "", *lines])


def _markdown(content: Content) -> str:
    parts = ["# naslab report", "", "  \n".join(content.header), "", "## Settings", ""]
    parts += [f"- {key}: {value}" for key, value in content.settings] + [""]
    if content.progress:
        parts += [_markdown_table(content.progress), ""]
    parts += ["## Comparison", ""] + [_markdown_table(t) + "\n" for t in content.tables]
    parts += [*(f"- {n}" for n in content.notes), "", "Full numbers: `summary.csv`.", ""]
    if content.matrices:
        parts += ["## Rank tests between strategies", ""]
        parts += [_markdown_table(t) + "\n" for t in content.matrices.values()]
    if content.figures:
        parts += ["## Plots", ""]
        parts += [f"![{name}](plots/{name}.png)\n"
                  for figures in content.figures.values() for name, _ in figures]
    return "\n".join(parts)
