"""Seed 002 (LaNAS), section 4.5 and Figure 7, with section 4.1's Figure 4, on NB201 cifar10.

Ablations (section 4.5): samples to the global optimum of LaNAS as one
hyperparameter moves and the others keep their defaults (height 5, #select 10,
Cp 0.1, #init 10): tree height x #select (Figure 7a), the exploration constant
Cp (Figure 7c) and the initial random samples #init (Figure 7d). The grid is
:data:`GRID`, defined once; every distinct setting is its own study
(``settings/<name>/``), since a study holds one ``strategy_params`` per
strategy. Protocol as :mod:`naslab.reproduce.lanas_samples`: 'mean' noise,
every query counts, a trial ends with its first query of the optimum, under a
cap of twice the table (:data:`BUDGET`); :data:`SEEDS` seeds where the paper
used 100.

Scaling to NB201: the paper's NASBench-101 has 420K architectures and its
Figure 7a spans #select 100-500 (at c = 0.5); NB201 has 15,625, so #select is
10-100 and #init reaches 1,000 rather than 2,000. Figure 7a here runs at the
default Cp 0.1, not the paper's 0.5, so that its center matches the other axes.

Dynamics (section 4.1): :data:`DYNAMICS_SEEDS` LaNAS trials of
:data:`DYNAMICS_QUERIES` queries without stopping at the optimum, seen through
:mod:`naslab.analysis.search_dynamics`. ``ablations.md`` puts the tables, the
paper's observations beside ours and the figures together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from naslab.analysis.files import write_atomic
from naslab.analysis.report import png_writer
from naslab.analysis.samples_to_optimum import Bounded, samples_to_optimum, trial_statistics
from naslab.analysis.search_dynamics import (
    BINS,
    CHECKPOINTS,
    SHOWN,
    SMOOTHING,
    distributions_figure,
    dynamics_figure,
    reference_partition,
    sample_leaves,
    summarise_dynamics,
    trial_dynamics,
)
from naslab.errors import ConfigError
from naslab.reproduce.base import REPRODUCTIONS, Options, Result, StudiesReproduction
from naslab.reproduce.lanas_samples import NB201_ARCHS, finished_evaluations
from naslab.strategies.lanas import LaNAS
from naslab.study.config import StudyConfig
from naslab.study.journal import read_evaluations
from naslab.study.trial import cached_objective

NAME = "lanas-ablations"
REPORT_FILE = "ablations.md"
HEATMAP_FILE = "height_select.png"
CP_FILE = "cp.png"
INIT_FILE = "init.png"
KL_FILE = "dynamics.png"
DISTRIBUTIONS_FILE = "distributions.png"
DATASET = "cifar10"
#: Seeds per setting; the paper used 100 (section 4.5), fewer here to keep 20 settings affordable.
SEEDS = 30
PAPER_SEEDS = 100
#: Query cap per trial: twice the table, so a trial essentially always reaches the optimum.
BUDGET = 2 * NB201_ARCHS
DYNAMICS_SEEDS = 5
DYNAMICS_QUERIES = 3_000
SETTINGS_DIR, DYNAMICS_DIR = "settings", "dynamics"


@dataclass(frozen=True)
class Setting:
    """One LaNAS configuration of the grid; its folder name says all four values."""

    height: int = LaNAS.height.default
    select: int = LaNAS.select.default
    cp: float = LaNAS.cp.default
    n_init: int = LaNAS.n_init.default

    @property
    def folder(self) -> str:
        return f"h{self.height}-s{self.select}-cp{self.cp:g}-i{self.n_init}"

    def params(self) -> dict[str, object]:
        return {"height": self.height, "select": self.select, "cp": self.cp,
                "n_init": self.n_init}


@dataclass(frozen=True)
class Grid:
    """The ablation grid (Figure 7a, 7c, 7d): each axis moves around :class:`Setting`'s defaults."""

    heights: tuple[int, ...] = (3, 5, 7)
    selects: tuple[int, ...] = (10, 50, 100)
    cps: tuple[float, ...] = (0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 1.0)
    inits: tuple[int, ...] = (0, 10, 50, 200, 1_000)

    def height_select(self) -> dict[tuple[int, int], Setting]:
        return {(h, s): Setting(height=h, select=s) for h in self.heights for s in self.selects}

    def cp_axis(self) -> dict[float, Setting]:
        return {c: Setting(cp=c) for c in self.cps}

    def init_axis(self) -> dict[float, Setting]:
        return {i: Setting(n_init=i) for i in self.inits}

    def settings(self) -> list[Setting]:
        """Every distinct setting, in axis order (the defaults appear on every axis, run once)."""
        every = [*self.height_select().values(), *self.cp_axis().values(),
                 *self.init_axis().values()]
        return list(dict.fromkeys(every))


#: The one config of the command: the full grid.
GRID = Grid()


@dataclass(frozen=True)
class Observation:
    """One of section 4.5's observations and the test naslab applies to its own medians."""

    text: str
    verdict: str


@REPRODUCTIONS.register(
    NAME, "seed 002 (LaNAS) section 4.5 / Figure 7 ablations (height x #select, Cp, #init) and "
    "section 4.1 / Figure 4 search dynamics, on NB201 cifar10",
)
@dataclass(frozen=True)
class LanasAblations(StudiesReproduction):
    """The reproduction; tests pass a smaller ``grid``, ``seeds`` and budgets."""

    name: ClassVar[str] = NAME
    grid: Grid = GRID
    seeds: int = SEEDS
    budget: int = BUDGET
    dynamics_seeds: int = DYNAMICS_SEEDS
    dynamics_queries: int = DYNAMICS_QUERIES
    checkpoints: tuple[int, ...] = CHECKPOINTS
    shown: tuple[int, ...] = SHOWN
    dataset: str = DATASET
    paper_seeds: int = field(default=PAPER_SEEDS, repr=False)

    def configs(self, options: Options) -> dict[str, StudyConfig]:
        """Every study's config by folder: one per setting, then the dynamics study."""
        if options.datasets not in (None, (self.dataset,)):
            raise ConfigError(f"{NAME} runs on NB201 {self.dataset} only, not "
                              f"{', '.join(options.datasets or ())}")
        seeds = self.seeds if options.seeds is None else options.seeds
        out = {f"{SETTINGS_DIR}/{s.folder}": self._config(s, seeds, self.budget, options, True)
               for s in self.grid.settings()}
        out[DYNAMICS_DIR] = self._config(Setting(), self.dynamics_seeds, self.dynamics_queries,
                                         options, False)
        return out

    def _config(self, setting: Setting, seeds: int, budget: int, options: Options,
                stop: bool) -> StudyConfig:
        return StudyConfig(
            benchmark="nb201", datasets=(self.dataset,), strategies=("lanas",), seeds=seeds,
            max_queries=budget, noise="mean", stop_at_optimum=stop,
            strategy_params={"lanas": setting.params()}, workers=options.workers,
        ).validated()

    def report(self, out: Path, configs: Mapping[str, StudyConfig]) -> Result:
        """Write ``ablations.md`` and its five figures into ``out`` from the finished studies."""
        per_trial = setting_trials(out, {f: c for f, c in configs.items() if f != DYNAMICS_DIR})
        stats = setting_statistics(per_trial)
        figures = {
            HEATMAP_FILE: heatmap_figure(stats, self.grid),
            CP_FILE: axis_figure(per_trial, self.grid.cp_axis(), "Cp (exploration constant)"),
            INIT_FILE: axis_figure(per_trial, self.grid.init_axis(), "#init (random samples)"),
            **self._dynamics_figures(out, configs[DYNAMICS_DIR]),
        }
        files = [write_atomic(out / name, png_writer(fig)) for name, fig in figures.items()]
        seeds = next(iter(configs.values())).seeds
        text = "\n".join(tables(stats, self.grid))
        markdown = self.markdown(text, stats, seeds, configs[DYNAMICS_DIR])
        files.append(write_atomic(out / REPORT_FILE, lambda p: p.write_text(markdown)))
        return Result(text, files)

    def _dynamics_figures(self, out: Path, config: StudyConfig) -> dict[str, Figure]:
        bench = cached_objective(config, self.dataset).benchmark
        reference = reference_partition(bench, Setting().height)
        evals = read_evaluations(out / DYNAMICS_DIR)
        summary = summarise_dynamics(trial_dynamics(evals, reference, self.checkpoints))
        name = bench.metric.name
        return {KL_FILE: dynamics_figure(summary, name),
                DISTRIBUTIONS_FILE: distributions_figure(sample_leaves(evals, reference),
                                                         reference, self.shown, name)}

    def markdown(self, text: str, stats: pd.DataFrame, seeds: int,
                 dynamics: StudyConfig) -> str:
        scale = ("" if seeds >= self.paper_seeds
                 else f" (**the paper used {self.paper_seeds}**)")
        lines = [
            "# LaNAS ablations (seed 002, section 4.5 / Figure 7) and search dynamics "
            "(section 4.1 / Figure 4) on NB201", "",
            f"Samples to the global optimum of NB201 {self.dataset} ('mean' noise, every query "
            f"counts, trials stop at the optimum, capped at {self.budget:,} queries) over "
            f"**{seeds} seeds** per setting{scale}. One hyperparameter moves at a time; the "
            f"others keep LaNAS's defaults ({_describe(Setting())}). `>=` marks a lower bound "
            "(censored trials counted at the cap). NASBench-101's 420K architectures are "
            "scaled to NB201's 15,625: #select 10-100 (paper 100-500), #init up to 1,000 "
            "(paper 2,000); Figure 7a runs at Cp 0.1 (the paper's at 0.5).", "",
            text, "",
            "## The paper's observations beside ours", "",
            "| observation (seed 002, section 4.5) | naslab (medians) |", "|---|---|",
            *[f"| {o.text} | {o.verdict} |" for o in observations(stats, self.grid)], "",
            "## Figures", "",
            f"Figure 7a, median samples by tree height and #select: ![height x select]"
            f"({HEATMAP_FILE})", "",
            f"Figure 7c, samples by Cp: ![Cp]({CP_FILE})", "",
            f"Figure 7d, samples by #init: ![init]({INIT_FILE})", "",
            "## Search dynamics (Figure 4)", "",
            f"LaNAS with its defaults, {dynamics.seeds} seeds x {dynamics.max_queries:,} "
            "queries, not stopped at the optimum. The reference partition is a tree of the "
            "same height learned on the whole table; per leaf, the KL divergence of the "
            f"search's value histogram from the table's ({BINS} bins over the leaf's own range "
            f"of table values, {SMOOTHING} pseudo-counts per bin) and the gap V*_j - V^n_j "
            "(positive: the search's samples are better than "
            "the leaf's average), averaged over leaves with at least 5 samples and over seeds. "
            "The paper sees the divergence dip, then bounce back as the search zooms in, and "
            "the gap grow.", "",
            f"![dynamics]({KL_FILE})", "",
            f"![distributions]({DISTRIBUTIONS_FILE})", "",
        ]
        return "\n".join(lines)


def _describe(setting: Setting) -> str:
    return (f"height {setting.height}, #select {setting.select}, Cp {setting.cp:g}, "
            f"#init {setting.n_init}")


# --- statistics -------------------------------------------------------------------------------
def setting_trials(out: Path, configs: Mapping[str, StudyConfig]) -> pd.DataFrame:
    """Samples to the optimum per finished trial of every setting study, with its ``folder``."""
    frames = []
    for folder, config in configs.items():
        evals, benchmarks = finished_evaluations(out, {folder: config})
        trials = samples_to_optimum(evals, benchmarks)
        trials.insert(0, "folder", folder.rsplit("/", 1)[-1])
        frames.append(trials)
    return pd.concat(frames, ignore_index=True)


def setting_statistics(per_trial: pd.DataFrame) -> pd.DataFrame:
    """One row per setting folder: :func:`trial_statistics` (Bounded mean and quartiles)."""
    rows = [{"folder": folder, **trial_statistics(group)}
            for folder, group in per_trial.groupby("folder", sort=False)]
    return pd.DataFrame(rows).set_index("folder")


def stat(stats: pd.DataFrame, setting: Setting, name: str = "median") -> Bounded:
    """One statistic of one setting (NaN where the setting was not run)."""
    if setting.folder not in stats.index:
        return Bounded(float("nan"))
    value: Bounded = stats.loc[setting.folder, name]
    return value


# --- tables -----------------------------------------------------------------------------------
def tables(stats: pd.DataFrame, grid: Grid) -> list[str]:
    """The three markdown tables: height x #select, Cp and #init."""
    return [*height_select_table(stats, grid), "", *axis_table(stats, grid.cp_axis(), "Cp",
                                                                  "Figure 7c"),
            "", *axis_table(stats, grid.init_axis(), "#init", "Figure 7d")]


def height_select_table(stats: pd.DataFrame, grid: Grid) -> list[str]:
    """Figure 7a: mean / median samples to the optimum per tree height (rows) and #select."""
    cells = grid.height_select()
    lines = ["## Tree height x #select (Figure 7a): mean / median samples", "",
             "| height \\ #select | " + " | ".join(str(s) for s in grid.selects) + " |",
             "|---|" + "---:|" * len(grid.selects)]
    for h in grid.heights:
        row = [f"{stat(stats, cells[h, s], 'mean').format(0)} / "
               f"{stat(stats, cells[h, s]).format(0)}" for s in grid.selects]
        lines.append(f"| {h} | " + " | ".join(row) + " |")
    return lines


def axis_table(stats: pd.DataFrame, axis: Mapping[float, Setting],
               name: str, figure: str) -> list[str]:
    """One axis (Cp or #init): reached, median, IQR and mean samples per value."""
    lines = [f"## {name} ({figure})", "",
             f"| {name} | reached | median | IQR | mean |", "|---:|---:|---:|---:|---:|"]
    for value, setting in axis.items():
        if setting.folder not in stats.index:
            continue
        row = stats.loc[setting.folder]
        lines.append(f"| {value:g} | {row['reached']}/{row['trials']} | "
                     f"{row['median'].format(0)} | {row['q25'].format(0)} – "
                     f"{row['q75'].format(0)} | {row['mean'].format(0)} |")
    return lines


# --- the paper's observations -----------------------------------------------------------------
def _medians(stats: pd.DataFrame, settings: Iterable[Setting]) -> list[float]:
    return [stat(stats, s).value for s in settings]


def _holds(better: float, worse: float) -> str:
    if not (np.isfinite(better) and np.isfinite(worse)):
        return "not measured"
    return "holds" if better < worse else "does not hold"


def observations(stats: pd.DataFrame, grid: Grid) -> list[Observation]:
    """Section 4.5's four observations, each with naslab's medians and whether it holds.

    A trend across an axis 'holds' where the better end's median is below the
    other end's (for every column or row of Figure 7a: the count says how often).
    """
    cells = grid.height_select()
    deeper = [(stat(stats, cells[grid.heights[-1], s]).value,
               stat(stats, cells[grid.heights[0], s]).value) for s in grid.selects]
    smaller = [(stat(stats, cells[h, grid.selects[0]]).value,
                stat(stats, cells[h, grid.selects[-1]]).value) for h in grid.heights]
    return [
        Observation("Deeper trees need fewer samples (Fig. 7a)",
                    _trend(deeper, f"height {grid.heights[-1]} vs {grid.heights[0]}",
                           "#select")),
        Observation("Smaller #select needs fewer samples (Fig. 7a)",
                    _trend(smaller, f"#select {grid.selects[0]} vs {grid.selects[-1]}",
                           "height")),
        Observation("c in 0.1-0.5 beats c = 0 and c = 1 (Fig. 7c)", _cp_verdict(stats, grid)),
        Observation("init > 0 beats init = 0 (Fig. 7d)", _init_verdict(stats, grid)),
    ]


def _trend(pairs: list[tuple[float, float]], compared: str, across: str) -> str:
    verdicts = [_holds(b, w) for b, w in pairs]
    shown = "; ".join(f"{b:,.0f} vs {w:,.0f}" for b, w in pairs)
    return (f"{compared}: {shown}; holds for {verdicts.count('holds')}/{len(pairs)} "
            f"values of {across}")


def _cp_verdict(stats: pd.DataFrame, grid: Grid) -> str:
    axis = grid.cp_axis()
    middle = [v for v in axis if 0.1 <= v <= 0.5]
    if not middle or 0.0 not in axis or 1.0 not in axis:
        return "not measured (the grid lacks c = 0, 1 or a value in 0.1-0.5)"
    best = min(_medians(stats, [axis[v] for v in middle]))
    zero, one = (stat(stats, axis[0.0]).value, stat(stats, axis[1.0]).value)
    return (f"best in 0.1-0.5: {best:,.0f}; c = 0: {zero:,.0f}; c = 1: {one:,.0f}: "
            f"vs 0 {_holds(best, zero)}, vs 1 {_holds(best, one)}")


def _init_verdict(stats: pd.DataFrame, grid: Grid) -> str:
    axis = grid.init_axis()
    positive = [v for v in axis if v > 0]
    if not positive or 0 not in axis:
        return "not measured (the grid lacks init = 0 or a positive init)"
    best = min(_medians(stats, [axis[v] for v in positive]))
    zero = stat(stats, axis[0]).value
    return f"best init > 0: {best:,.0f}; init = 0: {zero:,.0f}: {_holds(best, zero)}"


# --- figures ----------------------------------------------------------------------------------
def heatmap_figure(stats: pd.DataFrame, grid: Grid) -> Figure:
    """Figure 7a: median samples per (height, #select), log colour scale, cells annotated."""
    cells = grid.height_select()
    medians = np.array([[stat(stats, cells[h, s]).value for s in grid.selects]
                        for h in grid.heights])
    fig = Figure(figsize=(1.6 + 1.3 * len(grid.selects), 1.2 + 0.8 * len(grid.heights)),
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(np.log10(medians), cmap="viridis_r", aspect="auto")
    for (i, j), value in np.ndenumerate(medians):
        ax.text(j, i, f"{value:,.0f}", ha="center", va="center", color="white")
    ax.set_xticks(range(len(grid.selects)), [str(s) for s in grid.selects])
    ax.set_yticks(range(len(grid.heights)), [str(h) for h in grid.heights])
    ax.set_xlabel("#select")
    ax.set_ylabel("tree height")
    fig.colorbar(image, ax=ax, label="log10 median samples to optimum")
    ax.set_title("Median samples to the global optimum (Figure 7a)")
    return fig


def axis_figure(per_trial: pd.DataFrame,
                axis: Mapping[float, Setting], label: str) -> Figure:
    """Figure 7c / 7d: samples per value of one axis, boxes over seeds, median line, log y."""
    values = [v for v, s in axis.items() if (per_trial["folder"] == s.folder).any()]
    counts = [per_trial.loc[per_trial["folder"] == axis[v].folder, "count"].to_numpy()
              for v in values]
    fig = Figure(figsize=(1.5 + 0.9 * len(values), 3.6), layout="constrained")
    ax = fig.subplots()
    positions = np.arange(len(values))
    ax.boxplot(counts, positions=positions, widths=0.5, showfliers=True)
    ax.plot(positions, [np.median(c) for c in counts], marker="o", color="C3",
            label="median")
    ax.set_xticks(positions, [f"{v:g}" for v in values])
    ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel("samples to the global optimum")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


__all__ = ["GRID", "Grid", "LanasAblations", "Observation", "Setting", "axis_figure",
           "axis_table", "heatmap_figure", "height_select_table", "observations",
           "setting_statistics", "setting_trials", "tables"]

