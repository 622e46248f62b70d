"""Seed 002 (LaNAS), section 4.2 and Figure 5: samples to the global optimum, on NB201.

Protocol (seed 002, section 4.2: 'we perform an independent search for 100
times with different random seeds'): NB201's cifar10, cifar100 and
imagenet16-120 tables; 100 seeds; each query reports the architecture's seed
mean ('mean' noise), so the optimum is a fixed architecture; every query counts,
repeats included; a trial ends with its first query of the global optimum
(``stop_at_optimum``). Random search samples without replacement, the paper's
RS ('finds the global optimum in expected n/2 samples').

Two studies (:data:`STUDIES`), subfolders of the output folder: the table
strategies under a budget of twice the table (so they essentially always
finish), and Optuna's TPE, whose cost grows with every query, under
:data:`TPE_BUDGET`; a trial that ends without the optimum is right-censored and
its statistics are shown as lower bounds (``>=``). ``samples_to_optimum.md``
puts per dataset the samples-to-optimum table, the LaNAS speed-up over every
strategy, random search against its expectation, the paper's claims beside
ours (:data:`CLAIMS`) and the issue's goal (:data:`GOAL`), with Figure 5's two
rows as PNG files.

Differences from the paper, by design: the paper's benchmarks (NASBench-101,
ConvNet-60K, LSTM-10K) are not NB201, so its speed-ups are shown beside ours,
not tested against them; NAO, GP-BO and SMAC are not run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from naslab.analysis.files import write_atomic
from naslab.analysis.plots import strategy_colors
from naslab.analysis.report import png_writer
from naslab.analysis.samples_to_optimum import (
    Bounded,
    best_so_far_figure,
    random_search_expectation,
    samples_box_figure,
    samples_to_optimum,
    speedup,
    summarise_samples,
)
from naslab.analysis.trajectories import TRIAL, GroundTruth
from naslab.reproduce.base import (
    REPRODUCTIONS,
    Options,
    Result,
    StudiesReproduction,
    Study,
    study_config,
)
from naslab.study.config import StudyConfig
from naslab.study.journal import Journal, read_evaluations
from naslab.study.runner import reopen
from naslab.study.trial import cached_objective

NAME = "lanas-samples-to-optimum"
REPORT_FILE = "samples_to_optimum.md"
CURVES_FILE = "best_so_far.png"
BOXES_FILE = "samples_to_optimum.png"
DATASETS: tuple[str, ...] = ("cifar10", "cifar100", "imagenet16-120")
SEEDS = 100
#: Architectures of an NB201 table; the table strategies' budget is twice that.
NB201_ARCHS = 15_625
MAIN_BUDGET = 2 * NB201_ARCHS
#: Optuna's TPE costs O(n) per query (about 17 ms at 3,000 queries): its trials stop here.
TPE_BUDGET = 3_000
#: The strategy whose speed-ups are reported, and the baseline of the goal.
FOCUS, BASELINE = "lanas", "rs"
#: The issue's goal: the focus needs this many times fewer samples than RS by median.
GOAL = 20.0
#: Constructor arguments by strategy: the paper's RS samples without replacement.
STRATEGY_PARAMS: dict[str, dict[str, object]] = {"rs": {"replacement": False}}
#: How many standard errors from its expectation random search's mean may land.
RS_CHECK_SE = 2.0


STUDIES: tuple[Study, ...] = (
    Study("main", MAIN_BUDGET, ("lanas", "lanas-rt", "mcts-sequential", "mcts-global", "rs",
                                "re", "ls")),
    Study("tpe", TPE_BUDGET, ("optuna:tpe",)),
)


@dataclass(frozen=True)
class Claim:
    """A published speed-up of LaNAS: how many times fewer samples than ``method`` it used."""

    method: str
    strategy: str | None  # naslab's counterpart; None where naslab does not run it
    speedup: float
    benchmark: str
    source: str


_ABSTRACT = "seed 002, abstract and section 4.2"
#: Typed in from seed 002 (on average over 100 runs, so compared with our speed-up by mean).
CLAIMS: tuple[Claim, ...] = (
    Claim("Random Search", "rs", 37.0, "NASBench-101", _ABSTRACT),
    Claim("Regularized Evolution", "re", 21.7, "NASBench-101", _ABSTRACT),
    Claim("MCTS (AlphaX, fixed action space)", "mcts-sequential", 19.3, "NASBench-101",
          _ABSTRACT),
    Claim("NAO", None, 10.7, "NASBench-101", _ABSTRACT),
    Claim("Bayesian optimisation (GP, EI)", None, 25.6, "NASBench-101", "seed 002, section 4.2"),
    Claim("TPE", "optuna:tpe", 12.3, "ConvNet-60K", _ABSTRACT),
    Claim("SMAC (random forest)", None, 16.5, "ConvNet-60K", _ABSTRACT),
    Claim("Regression tree", "lanas-rt", 2.3, "NASBench-101", "seed 002, section 4.2"),
)


@REPRODUCTIONS.register(
    NAME, "seed 002 (LaNAS) section 4.2 and Figure 5: samples to the global optimum on NB201, "
    "8 methods x 3 datasets x 100 seeds",
)
@dataclass(frozen=True)
class LanasSamplesToOptimum(StudiesReproduction):
    """The reproduction; the defaults are the paper's protocol (tests pass smaller ``studies``).

    ``focus`` is the strategy whose speed-up over every other is reported and
    ``baseline`` the one the goal compares it with.
    """

    name: ClassVar[str] = NAME

    studies: tuple[Study, ...] = STUDIES
    seeds: int = SEEDS
    datasets: tuple[str, ...] = DATASETS
    focus: str = FOCUS
    baseline: str = BASELINE

    def configs(self, options: Options) -> dict[str, StudyConfig]:
        """Each study's config by folder, with the user's seeds, datasets and workers."""
        return {
            study.folder: study_config(
                study, options, datasets=self.datasets, seeds=self.seeds, noise="mean",
                stop_at_optimum=True,
                strategy_params={s: p for s, p in STRATEGY_PARAMS.items()
                                 if s in study.strategies},
            )
            for study in self.studies
        }

    def report(self, out: Path, configs: Mapping[str, StudyConfig]) -> Result:
        """Write ``samples_to_optimum.md`` and its two figures into ``out`` from the studies
        (their journaled configs)."""
        configs = {folder: reopen(out / folder) for folder in configs}
        evals, benchmarks = finished_evaluations(out, configs)
        per_trial = samples_to_optimum(evals, benchmarks)
        summary = summarise_samples(per_trial, self.baseline)
        colors = strategy_colors(list(pd.unique(per_trial["strategy"])))
        figures = {CURVES_FILE: best_so_far_figure(evals, benchmarks, colors),
                   BOXES_FILE: samples_box_figure(per_trial, benchmarks, colors)}
        files = [write_atomic(out / name, png_writer(fig)) for name, fig in figures.items()]
        report = Report(summary, configs, benchmarks, self.focus, self.baseline)
        text = report.markdown()
        files.append(write_atomic(out / REPORT_FILE, lambda p: p.write_text(text)))
        return Result(report.tables(), files)


def finished_evaluations(out: Path, configs: Mapping[str, StudyConfig]
                          ) -> tuple[pd.DataFrame, dict[str, GroundTruth]]:
    """Every finished trial's queries of every study, and the datasets' ground truth."""
    frames: list[pd.DataFrame] = []
    benchmarks: dict[str, GroundTruth] = {}
    for folder, config in configs.items():
        for dataset in config.datasets:
            benchmarks[dataset] = cached_objective(config, dataset).benchmark
        with Journal(out / folder, read_only=True) as journal:
            statuses = journal.statuses()
        evals = read_evaluations(out / folder)[[*TRIAL, "step", "arch"]]
        done = [statuses.get(key) == "done" for key in evals[list(TRIAL)].itertuples(
            index=False, name=None)]
        frames.append(evals[np.asarray(done, dtype=bool)])
    return pd.concat(frames, ignore_index=True), benchmarks


# --- samples_to_optimum.md --------------------------------------------------------------------
def goal_met(value: Bounded, goal: float = GOAL) -> str:
    """'met', 'not met' or why it cannot be told, for a speed-up that must reach ``goal``."""
    if not math.isfinite(value.value):
        return "not measured"
    if value.value >= goal:
        return "met" if value.bound in ("exact", "lower") else "not determined (upper bound)"
    return "not met" if value.bound in ("exact", "upper") else "not determined (lower bound)"


def rs_check(summary: pd.DataFrame, dataset: str, bench: GroundTruth, strategy: str = "rs"
             ) -> str:
    """One line: random search's mean and median against their expectation on ``bench``."""
    expected = random_search_expectation(bench)
    rows = summary[(summary["dataset"] == dataset) & (summary["strategy"] == strategy)]
    line = (f"Random search check: without replacement the expected samples are "
            f"(N+1)/(k+1) = {expected.without_mean:,.1f} (median {expected.without_median:,}, "
            f"standard deviation {expected.without_sd:,.0f}); with replacement they would be "
            f"N/k = {expected.with_mean:,.0f} (median ≈ N ln 2 / k = {expected.with_median:,}).")
    if rows.empty:
        return line + f" `{strategy}` was not run."
    row = rows.iloc[0]
    mean, median = row["mean"], row["median"]
    ours = (f" `{strategy}`: mean {mean.format(1)}, median {median.format(0)} over "
            f"{row['trials']} seeds")
    if mean.bound != "exact":
        return line + ours + f" ({row['censored']} censored: not checked)."
    se = expected.without_sd / math.sqrt(row["trials"])
    close = abs(mean.value - expected.without_mean) <= RS_CHECK_SE * se
    verdict = "consistent with" if close else "**not** consistent with"
    return line + ours + (f"; the mean is {verdict} (N+1)/(k+1) within {RS_CHECK_SE:g} standard "
                          f"errors ({RS_CHECK_SE:g} x {se:,.0f}).")


@dataclass(frozen=True)
class Report:
    """``samples_to_optimum.md`` from the summary of :func:`summarise_samples`."""

    summary: pd.DataFrame
    configs: Mapping[str, StudyConfig]
    benchmarks: Mapping[str, GroundTruth]
    focus: str
    baseline: str

    @property
    def datasets(self) -> list[str]:
        return [str(d) for d in pd.unique(self.summary["dataset"])]

    @property
    def budgets(self) -> dict[str, int]:
        return {s: int(c.max_queries or 0) for c in self.configs.values() for s in c.strategies}

    def markdown(self) -> str:
        lines = ["# LaNAS (seed 002) samples to the global optimum on NB201: naslab "
                 "against the paper", "", *self._protocol()]
        for dataset in self.datasets:
            lines += ["", *self._dataset_table(dataset), "",
                      rs_check(self.summary, dataset, self.benchmarks[dataset], self.baseline),
                      "", self._goal_line(dataset)]
        lines += ["", *self._claims_table(), "", "## Figure 5", "",
                  "Top row: the best true value queried so far against samples (log x), median "
                  "and interquartile band over seeds; a trial that stopped at the optimum holds "
                  "it to the longest trial's end, a censored one ends its strategy's curve.", "",
                  f"![best so far]({CURVES_FILE})", "",
                  "Bottom row: samples to the global optimum per seed (log x); hollow triangles "
                  "are censored trials drawn at their budget.", "",
                  f"![samples to optimum]({BOXES_FILE})", ""]
        return "\n".join(lines)

    def tables(self) -> str:
        """The markdown's tables alone: what the command prints."""
        parts = []
        for dataset in self.datasets:
            parts += [*self._dataset_table(dataset), "", self._goal_line(dataset), ""]
        return "\n".join([*parts, *self._claims_table()])

    def _protocol(self) -> list[str]:
        config = next(iter(self.configs.values()))
        scale = ("the paper's 100" if config.seeds == SEEDS
                 else f"**a reduced run: the paper used {SEEDS}**")
        budgets = ", ".join(f"`{folder}/` ({', '.join(c.strategies)}): {c.max_queries:,} queries"
                            for folder, c in self.configs.items())
        return [
            f"Samples (queries, repeats included) until a search first queries a globally "
            f"optimal architecture, over **{config.seeds} seeds** ({scale}); 'mean' noise, each "
            f"trial stopped at the optimum (seed 002, section 4.2). Studies: {budgets}. "
            f"`rs` samples without replacement, the paper's random search.",
            "",
            "- A trial that spent its budget without the optimum is *censored*: it is counted "
            "at its budget, so statistics it enters are lower bounds, shown `>=` (the median "
            "is exact while fewer than half are censored).",
            f"- *{self.focus} speed-up*: the strategy's statistic over {self.focus}'s, how many "
            f"times fewer samples {self.focus} needed (`<=` an upper bound, `~` unknown where "
            "both sides are bounds).",
        ]

    def _dataset_table(self, dataset: str) -> list[str]:
        bench = self.benchmarks[dataset]
        expected = random_search_expectation(bench)
        optimum = float(bench.metric.display(bench.optimum_value))
        lines = [f"## {dataset}", "",
                 f"N = {expected.n_archs:,} architectures, k = {expected.optima} global "
                 f"optimum ({bench.metric.name} {optimum:.2f}).", "",
                 f"| strategy | budget | reached | mean | median | IQR | {self.focus} speed-up "
                 f"(median) | {self.focus} speed-up (mean) |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        rows = self.summary[self.summary["dataset"] == dataset]
        for _, row in rows.iterrows():
            strategy = str(row["strategy"])
            lines.append("| " + " | ".join([
                strategy, f"{self.budgets.get(strategy, row['budget']):,}",
                f"{row['reached']}/{row['trials']}", row["mean"].format(0),
                row["median"].format(0), f"{row['q25'].format(0)} – {row['q75'].format(0)}",
                self._speedup(dataset, strategy, "median"),
                self._speedup(dataset, strategy, "mean"),
            ]) + " |")
        return lines

    def _speedup(self, dataset: str, strategy: str, stat: str) -> str:
        if strategy == self.focus:
            return "-"
        return speedup(self.summary, dataset, strategy, self.focus, stat).format(1, "x")

    def _goal_line(self, dataset: str) -> str:
        value = speedup(self.summary, dataset, self.baseline, self.focus, "median")
        return (f"Goal: {self.focus} needs at least {GOAL:g}x fewer samples than "
                f"{self.baseline} by median on {dataset}: {value.format(1, 'x')}, "
                f"**{goal_met(value)}**.")

    def _claims_table(self) -> list[str]:
        datasets = " / ".join(self.datasets)
        lines = ["## The paper's claims beside ours", "",
                 "The paper's speed-ups are means over 100 runs on its own benchmarks; ours are "
                 f"{self.focus}'s on NB201 ({datasets}), by mean and by median.", "",
                 "| LaNAS against | paper's benchmark | paper | naslab strategy | ours by mean | "
                 "ours by median | source |",
                 "|---|---|---:|---|---|---|---|"]
        for claim in CLAIMS:
            ours = {stat: self._ours(claim.strategy, stat) for stat in ("mean", "median")}
            lines.append(f"| {claim.method} | {claim.benchmark} | {claim.speedup:g}x | "
                         f"{claim.strategy or '-'} | {ours['mean']} | {ours['median']} | "
                         f"{claim.source} |")
        return lines

    def _ours(self, strategy: str | None, stat: str) -> str:
        if strategy is None or strategy not in set(self.summary["strategy"]):
            return "not run"
        return " / ".join(self._speedup(d, strategy, stat) for d in self.datasets)


__all__ = ["CLAIMS", "STUDIES", "Claim", "LanasSamplesToOptimum", "Report", "Study",
           "goal_met", "rs_check"]
