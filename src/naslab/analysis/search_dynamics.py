"""How a search's samples spread over a reference partition of the table (seed 002, Figure 4).

Seed 002, section 4.1 ('Analysis of Search Algorithm'): a *reference*
:class:`~naslab.strategies.latent_actions.LatentActionTree` of the search's
height is learned on the whole table (every architecture with its true value),
so each reference leaf ``j`` holds a region of similar value and ``P*_j`` is the
distribution of its architectures' true values. ``P^n_j`` is the distribution of
the true values of a search's first ``n`` samples falling in leaf ``j``. The
paper follows ``D_KL[P^n_j || P*_j]`` and the leaves' mean values as ``n``
grows: the divergence dips while the search explores (the samples look like the
table) and bounces back once it zooms into the good regions, while the mean
value of its samples moves past the reference mean (Figure 4a); Figure 4b draws
``P^n_j`` against ``P*_j`` on the two leftmost and two rightmost leaves.

Choices of naslab, where the paper says nothing:

* distributions are histograms on :data:`BINS` equal-width bins per leaf,
  spanning the range of the leaf's own table values: bins over the whole table
  (NB201: 8 to 90 % error) would put a good leaf's every architecture in one or
  two bins, and its divergence would measure the smoothing, not the search;
* both histograms get :data:`SMOOTHING` pseudo-counts per bin (additive,
  Krichevsky-Trofimov smoothing), so the divergence is finite where a leaf's
  samples fill a bin its reference leaves empty. Smoothing and small samples both
  bias the divergence upwards (about ``(bins - 1) / 2n`` for ``n`` samples drawn
  from ``P*_j`` itself), which is why the summary only averages leaves with at
  least :data:`MIN_SAMPLES` samples;
* values are the minimised ones (validation error on NB201): the *gap* of a leaf
  is ``V*_j - V^n_j``, positive where the search's samples are better than the
  leaf's average, the paper's growing ``V - V*`` of accuracies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from naslab.analysis.trajectories import TRIAL, GroundTruth
from naslab.encodings import get_encoding
from naslab.errors import ConfigError
from naslab.spaces.base import Architecture, SearchSpace
from naslab.strategies.latent_actions import LatentActionTree

#: Sample counts at which the search is compared with the reference (capped by the trial).
CHECKPOINTS: tuple[int, ...] = (50, 100, 200, 500, 1000, 2000, 3000)
#: Checkpoints of the distributions figure: the paper's 200 / 700 / 5,000 of NASBench-101's
#: 420K architectures, brought to NB201's 15,625 (early, exploring, zoomed in).
SHOWN: tuple[int, ...] = (100, 500, 3000)
#: Histogram bins over the table's range of true values, shared by every leaf.
BINS = 30
#: Pseudo-count added to every bin of both histograms (keeps the divergence finite).
SMOOTHING = 0.5
#: Leaves with fewer of a trial's samples are left out of that checkpoint's mean divergence.
MIN_SAMPLES = 5


@dataclass(frozen=True)
class Reference:
    """The partition learned on one table: each architecture's leaf and true value.

    ``rows`` gives an architecture's row of ``arch_leaf`` and ``values``;
    ``leaves`` runs left (best predicted) to right (worst); ``edges[j]`` are the
    histogram bins of leaf ``j``'s distributions.
    """

    dataset: str
    space: SearchSpace
    rows: Mapping[Architecture, int]
    tree: LatentActionTree
    leaves: list[int]
    arch_leaf: np.ndarray
    values: np.ndarray
    edges: Mapping[int, np.ndarray]

    def leaf_values(self, leaf: int) -> np.ndarray:
        """The true values of the table's architectures in ``leaf``: ``P*_j``'s sample."""
        return self.values[self.arch_leaf == leaf]


def reference_partition(bench: GroundTruth, height: int, encoding: str = "adjacency",
                        bins: int = BINS) -> Reference:
    """Learn the reference tree on every architecture of ``bench``'s table (section 4.1).

    ``bench`` must list its architectures (``archs``, a table benchmark);
    ``encoding`` names the features, the ones the search's own tree sees.
    """
    archs = getattr(bench, "archs", None)
    if archs is None:
        raise ConfigError(f"{bench.name} does not list its architectures: the reference "
                          "partition needs a table")
    features = np.asarray(get_encoding(encoding, bench.space).encode_many(list(archs)),
                          dtype=float)
    values = np.array([bench.true_value(a) for a in archs], dtype=float)
    tree = LatentActionTree.learn(height, features, values)
    arch_leaf = tree.leaves_of(features)
    edges = {leaf: _bins(values[arch_leaf == leaf], bins) for leaf in tree.leaves()}
    rows = {arch: i for i, arch in enumerate(archs)}
    return Reference(bench.dataset, bench.space, rows, tree, tree.leaves(), arch_leaf, values,
                     edges)


def _bins(values: np.ndarray, bins: int) -> np.ndarray:
    """``bins`` equal-width bins over ``values``' range (one unit wide where all are equal)."""
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def histogram(values: np.ndarray, edges: np.ndarray, smoothing: float = SMOOTHING
              ) -> np.ndarray:
    """Probabilities of ``values`` on ``edges``' bins, ``smoothing`` pseudo-counts in each.

    Values outside the edges count in the end bins: a leaf's bins span its table
    values, and a search sample lies in that range but for rounding.
    """
    clipped = np.clip(values, edges[0], edges[-1])
    counts = np.histogram(clipped, bins=edges)[0] + smoothing
    return counts / counts.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """``D_KL[p || q] = sum p log(p / q)`` in nats; bins where ``p`` is 0 add nothing."""
    used = p > 0
    return float(np.sum(p[used] * np.log(p[used] / q[used])))


def leaf_dynamics(reference: Reference, values: np.ndarray, leaves: np.ndarray,
                  checkpoints: Iterable[int]) -> pd.DataFrame:
    """Per checkpoint ``n`` and reference leaf, the first ``n`` samples against ``P*_j``.

    ``values`` and ``leaves`` are one trial's samples in query order (true value,
    reference leaf). Columns: ``n``, ``leaf``, ``position`` (0 = leftmost),
    ``samples``, ``kl`` (NaN without samples), ``mean`` (V^n_j), ``reference_mean``
    (V*_j) and ``gap`` (V*_j - V^n_j). Checkpoints past the trial are skipped.
    """
    rows = []
    targets = {leaf: histogram(reference.leaf_values(leaf), reference.edges[leaf])
               for leaf in reference.leaves}
    for n in sorted(set(checkpoints)):
        if n > len(values):
            continue
        head, where = values[:n], leaves[:n]
        for position, leaf in enumerate(reference.leaves):
            mine = head[where == leaf]
            ref_mean = float(reference.leaf_values(leaf).mean())
            mean = float(mine.mean()) if mine.size else np.nan
            kl = (kl_divergence(histogram(mine, reference.edges[leaf]), targets[leaf]) if mine.size
                  else np.nan)
            rows.append({"n": n, "leaf": leaf, "position": position, "samples": mine.size,
                         "kl": kl, "mean": mean, "reference_mean": ref_mean,
                         "gap": ref_mean - mean})
    return pd.DataFrame(rows)


def trial_dynamics(evals: pd.DataFrame, reference: Reference,
                   checkpoints: Iterable[int] = CHECKPOINTS) -> pd.DataFrame:
    """:func:`leaf_dynamics` of every trial of ``evals`` on the reference's dataset, stacked.

    ``evals`` is a journal's evaluations table; the trial's columns (strategy,
    dataset, seed) lead; queries are taken in step order and every query counts,
    repeats included.
    """
    frames = []
    checkpoints = tuple(checkpoints)
    samples = sample_leaves(evals, reference)
    for key, trial in samples.groupby(list(TRIAL), sort=False):
        frame = leaf_dynamics(reference, trial["true_value"].to_numpy(),
                              trial["leaf"].to_numpy(), checkpoints)
        for column, value in zip(TRIAL, key, strict=True):
            frame.insert(TRIAL.index(column), column, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def sample_leaves(evals: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """The queries of the reference's dataset in trial and step order, with each one's
    ``true_value`` and reference ``leaf`` (each distinct architecture parsed once)."""
    rows = evals[evals["dataset"] == reference.dataset]
    rows = rows.sort_values([*TRIAL, "step"], kind="stable").reset_index(drop=True)
    codes, texts = pd.factorize(rows["arch"])
    table_rows = np.array([reference.rows[reference.space.parse(t)] for t in texts],
                          dtype=np.int64)[codes]
    rows["true_value"] = reference.values[table_rows]
    rows["leaf"] = reference.arch_leaf[table_rows]
    return rows


def summarise_dynamics(per_leaf: pd.DataFrame, min_samples: int = MIN_SAMPLES
                       ) -> pd.DataFrame:
    """Per checkpoint ``n``: the mean divergence and gap over leaves, averaged over trials.

    Within a trial only leaves holding at least ``min_samples`` samples count
    (a handful of samples says little about a distribution); columns ``n``,
    ``kl`` and ``kl_sd`` (mean and standard deviation over trials), ``gap`` and
    ``gap_sd``, ``leaves`` (mean leaves counted) and ``trials``.
    """
    kept = per_leaf[per_leaf["samples"] >= min_samples]
    per_trial = kept.groupby([*TRIAL, "n"], sort=False).agg(
        kl=("kl", "mean"), gap=("gap", "mean"), leaves=("leaf", "size")).reset_index()
    out = per_trial.groupby("n").agg(
        kl=("kl", "mean"), kl_sd=("kl", "std"), gap=("gap", "mean"), gap_sd=("gap", "std"),
        leaves=("leaves", "mean"), trials=("kl", "size")).reset_index()
    return out.fillna({"kl_sd": 0.0, "gap_sd": 0.0})


# --- figures ----------------------------------------------------------------------------------
def dynamics_figure(summary: pd.DataFrame, metric_name: str = "value") -> Figure:
    """Figure 4a: mean divergence and mean-value gap against samples (log x), +- one sd."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    n = summary["n"].to_numpy(dtype=float)
    for ax, column, label in ((left, "kl", "mean D_KL[P^n_j || P*_j] over leaves (nats)"),
                              (right, "gap", f"mean V*_j - V^n_j over leaves ({metric_name})")):
        mean, sd = summary[column].to_numpy(), summary[f"{column}_sd"].to_numpy()
        ax.plot(n, mean, marker="o", color="C0")
        ax.fill_between(n, mean - sd, mean + sd, color="C0", alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("samples n")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    right.axhline(0.0, color="black", linewidth=0.8, linestyle=":")
    trials = int(summary["trials"].max()) if len(summary) else 0
    fig.suptitle(f"Search dynamics on the reference partition (mean over {trials} trials, "
                 f"leaves with >= {MIN_SAMPLES} samples)")
    return fig


def edge_leaves(reference: Reference, each_side: int = 2) -> list[int]:
    """The ``each_side`` leftmost and rightmost reference leaves (all where there are fewer)."""
    leaves = reference.leaves
    if len(leaves) <= 2 * each_side:
        return list(leaves)
    return [*leaves[:each_side], *leaves[-each_side:]]


def distributions_figure(samples: pd.DataFrame, reference: Reference,
                         shown: Sequence[int] = SHOWN, metric_name: str = "value") -> Figure:
    """Figure 4b: ``P^n_j`` (every trial's first ``n`` samples pooled) against ``P*_j``.

    One row per checkpoint of ``shown``, one column per edge leaf
    (:func:`edge_leaves`); ``samples`` is :func:`sample_leaves`'s table. Pooling the
    trials gives each histogram enough samples to see its shape.
    """
    leaves = edge_leaves(reference)
    longest = int(samples.groupby(list(TRIAL), sort=False).size().max())
    rows = [n for n in shown if n <= longest] or [longest]
    fig = Figure(figsize=(3.2 * len(leaves), 2.3 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), len(leaves), squeeze=False, sharex="col")
    query = samples.groupby(list(TRIAL), sort=False).cumcount().to_numpy()
    for r, n in enumerate(rows):
        head = samples[query < n]
        for c, leaf in enumerate(leaves):
            ax = axes[r][c]
            edges = reference.edges[leaf]
            centers, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
            mine = head.loc[head["leaf"] == leaf, "true_value"].to_numpy()
            ax.bar(centers, histogram(reference.leaf_values(leaf), edges, 0.0),
                   width=width, color="0.7", label="P*_j (table)")
            if mine.size:
                ax.step(centers, histogram(mine, edges, 0.0), where="mid",
                        color="C3", label=f"P^n_j ({mine.size} samples)")
            ax.set_title(f"leaf {leaf}, n = {n}", fontsize="small")
            ax.legend(fontsize="xx-small")
            if r == len(rows) - 1:
                ax.set_xlabel(metric_name)
    fig.suptitle("Sample distribution P^n_j against the table's P*_j on the two leftmost "
                 "(best) and two rightmost (worst) reference leaves, trials pooled")
    return fig


__all__ = [
    "BINS", "CHECKPOINTS", "MIN_SAMPLES", "SHOWN", "SMOOTHING", "Reference",
    "distributions_figure", "dynamics_figure", "edge_leaves", "histogram", "kl_divergence",
    "leaf_dynamics", "reference_partition", "sample_leaves", "summarise_dynamics",
    "trial_dynamics",
]
