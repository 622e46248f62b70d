"""What a run was set to do and how far it got, so a report states the run's own settings.

A report of an unfinished run must not pass partial trials off as final numbers:
:class:`RunInfo` says which trials finished (the journal's statuses) and
:func:`progress_table` how far every strategy x dataset got.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from naslab.analysis.trajectories import TRIAL

Trial = tuple[str, str, int]  # strategy, dataset, seed
DONE = "done"


@dataclass(frozen=True)
class RunInfo:
    """A run's plan (strategies, datasets, seeds, budgets, noise) and its trials' statuses.

    ``statuses`` maps every planned trial to its journal status, ``'done'`` once the
    trial spent its budget. ``None`` budgets or noise: not set, or not known.
    """

    strategies: tuple[str, ...]
    datasets: tuple[str, ...]
    seeds: tuple[int, ...]
    statuses: Mapping[Trial, str]
    max_queries: int | None = None
    max_cost: float | None = None
    noise: str | None = None

    @classmethod
    def of_evaluations(cls, evals: pd.DataFrame) -> RunInfo:
        """A run known only by its evaluations: every trial in them counts as finished."""
        trials = evals[list(TRIAL)].drop_duplicates()
        statuses = {(str(s), str(d), int(seed)): DONE for s, d, seed in trials.itertuples(False)}
        return cls(tuple(map(str, pd.unique(evals["strategy"]))),
                   tuple(map(str, pd.unique(evals["dataset"]))),
                   tuple(sorted(int(s) for s in pd.unique(evals["seed"]))), statuses)

    @property
    def finished(self) -> bool:
        return all(status == DONE for status in self.statuses.values())

    def is_done(self, trials: pd.DataFrame) -> np.ndarray:
        """Per row of ``trials`` (with the :data:`TRIAL` columns), whether its trial finished."""
        keys = trials[list(TRIAL)].itertuples(index=False, name=None)
        return np.array([self.statuses.get((s, d, int(seed))) == DONE for s, d, seed in keys],
                        dtype=bool)

    def budget(self) -> str | None:
        """The per-trial budget in words, None where the run's budget is not known."""
        queries = f"{self.max_queries} queries" if self.max_queries is not None else ""
        cost = f"{self.max_cost:g} simulated GPU-seconds" if self.max_cost is not None else ""
        if queries and cost:
            return f"{queries} or {cost} per trial, whichever ran out first"
        return f"{queries or cost} per trial" if queries or cost else None


def progress_table(run: RunInfo, evals: pd.DataFrame) -> pd.DataFrame:
    """Per strategy x dataset (plan order): trials done / started / not started and spend.

    Columns: ``strategy``, ``dataset``, ``done``, ``started`` (journaled evaluations
    but not done), ``not_started``, ``queries`` and ``cost`` (spent over its trials),
    ``query_budget`` and ``cost_budget`` (over all its seeds; NaN where unset).
    """
    counts = evals.groupby(list(TRIAL), sort=False).agg(
        queries=("step", "size"), cost=("cost", "sum"))
    rows = []
    n = len(run.seeds)
    for strategy in run.strategies:
        for dataset in run.datasets:
            states = {"done": 0, "started": 0, "not_started": 0}
            queries, cost = 0, 0.0
            for seed in run.seeds:
                key = (strategy, dataset, seed)
                spent = counts.loc[key] if key in counts.index else None
                if run.statuses.get(key) == DONE:
                    states["done"] += 1
                else:
                    states["started" if spent is not None else "not_started"] += 1
                if spent is not None:
                    queries += int(spent["queries"])
                    cost += float(spent["cost"])
            rows.append({
                "strategy": strategy, "dataset": dataset, **states, "queries": queries,
                "cost": cost,
                "query_budget": n * run.max_queries if run.max_queries is not None else np.nan,
                "cost_budget": n * run.max_cost if run.max_cost is not None else np.nan,
            })
    return pd.DataFrame(rows)
