"""Any Optuna sampler as a naslab strategy: ``optuna:tpe``, ``optuna:gp``, ...

One adapter class drives an in-memory Optuna study through its ask-and-tell
interface. Every position of the space is a categorical parameter named after
the position, suggested only while it is active (define-by-run), so Optuna sees
a conditional space as conditional. Optuna is an optional extra
(``pip install 'naslab[optuna]'``), imported when a strategy is built.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces.base import INACTIVE, Architecture, SearchSpace
from naslab.spaces.restricted import RestrictedSpace
from naslab.strategies.base import STRATEGIES, Strategy

#: Short name -> (sampler class in ``optuna.samplers``, arguments besides the seed). Only samplers
#: that search categorical parameters themselves: CMA-ES hands them to random sampling, and
#: NSGA-III with one objective proposes what NSGA-II does.
SAMPLERS: dict[str, tuple[str, dict[str, Any]]] = {
    "tpe": ("TPESampler", {}),
    "gp": ("GPSampler", {}),
    "random": ("RandomSampler", {}),
    "qmc": ("QMCSampler", {"scramble": True}),  # unscrambled Sobol points ignore the seed
    "nsga2": ("NSGAIISampler", {}),
}


@contextmanager
def _quiet() -> Iterator[None]:
    """Optuna's per-trial log lines and experimental warnings, muted for the adapter's calls only.

    Sets the ``optuna`` logger's level and restores it, so it is not thread-safe
    against another thread that logs through Optuna at the same moment.
    """
    from optuna.exceptions import ExperimentalWarning

    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            yield
    finally:
        logger.setLevel(level)


class OptunaStrategy(Strategy):
    """An Optuna sampler behind ask-tell; a subclass per sampler names it in ``sampler``.

    The sampler keeps Optuna's defaults (QMC's points are scrambled so that the
    seed matters) and is seeded from the strategy's rng. Each asked trial waits,
    keyed by its architecture (first asked, first told when one is asked twice),
    for its result; an architecture this strategy never asked is added as a
    completed trial, and failed evaluations (non-finite values) are told as
    failed. A proposal outside a space restricted to a table's rows is told as
    failed and replaced by a trial fixed to a random row one position away (to a
    random row if none is), so the sampler learns from rows it chose next to.
    """

    sampler = "tpe"

    def _setup(self) -> None:
        try:
            import optuna
        except ImportError:
            raise ConfigError(
                f"strategy {self.registered_name()!r} needs optuna: pip install 'naslab[optuna]'"
            ) from None
        self._optuna = optuna
        cls, kwargs = SAMPLERS[self.sampler]
        seed = int(self.rng.integers(2**32))
        with _quiet():
            sampler = getattr(optuna.samplers, cls)(seed=seed, **kwargs)
            self.study = optuna.create_study(direction="minimize", sampler=sampler)
        self._distributions = {
            name: optuna.distributions.CategoricalDistribution(choices)
            for name, choices in zip(self.space.positions, self.space.position_choices, strict=True)
        }
        self._index = [{c: i for i, c in enumerate(cs)} for cs in self.space.position_choices]
        self._base = _unrestricted(self.space)
        #: Per position, None or (controller index, the controller's options that switch it on).
        self._conditions = getattr(self._base, "conditions", (None,) * len(self.space.positions))
        self._pending: defaultdict[Architecture, deque[Any]] = defaultdict(deque)

    def ask(self, n: int = 1) -> list[Architecture]:
        with _quiet():
            return [self._ask_one() for _ in range(n)]

    def _ask_one(self) -> Architecture:
        trial = self.study.ask()
        arch = self._base.make(self._suggest(trial))
        if not self.space.contains(arch):  # off a restricted space's rows: a row next to it
            self.study.tell(trial, state=self._optuna.trial.TrialState.FAIL)
            self.study.enqueue_trial(self._params(self.space.mutate(arch, self.rng)))
            trial = self.study.ask()
            arch = self.space.make(self._suggest(trial))
        self._pending[arch].append(trial)
        return arch

    def _suggest(self, trial: Any) -> list[int]:
        """The choice index per position the trial suggests, INACTIVE where it is switched off."""
        ops: list[int] = []
        for i, (name, choices) in enumerate(zip(self.space.positions, self.space.position_choices,
                                                 strict=True)):
            condition = self._conditions[i]
            if condition is not None and ops[condition[0]] not in condition[1]:
                ops.append(INACTIVE)  # an inactive controller is INACTIVE, in no condition
            else:
                ops.append(self._index[i][trial.suggest_categorical(name, choices)])
        return ops

    def _params(self, arch: Architecture) -> dict[str, str]:
        return {p: c for p, c in zip(self.space.positions, arch.op_names(), strict=True)
                if c is not None}

    def _update(self, obs: Observation) -> None:
        state = self._optuna.trial.TrialState
        value = obs.value if math.isfinite(obs.value) else None
        waiting = self._pending.get(obs.arch)
        with _quiet():
            if waiting:
                trial = waiting.popleft()
                if not waiting:
                    del self._pending[obs.arch]
                self.study.tell(trial, value, state=state.FAIL if value is None else None)
                return
            params = self._params(obs.arch)
            self.study.add_trial(self._optuna.trial.create_trial(
                params=params, distributions={p: self._distributions[p] for p in params},
                value=value, state=state.FAIL if value is None else state.COMPLETE,
            ))


def _unrestricted(space: SearchSpace) -> SearchSpace:
    """The space a table's rows restrict ``space`` to (``space`` itself if unrestricted)."""
    while isinstance(space, RestrictedSpace):
        space = space.base
    return space


def _strategy_class(name: str) -> type[Strategy]:
    """The adapter for the sampler ``name`` (a key of :data:`SAMPLERS`)."""
    doc = f"Optuna's {SAMPLERS[name][0]} as a naslab strategy (``optuna:{name}``)."
    return type(f"Optuna_{name}", (OptunaStrategy,), {"sampler": name, "__doc__": doc,
                                                       "__module__": __name__})


STRATEGIES.register_prefix(
    "optuna", "an Optuna sampler with Optuna's defaults (pip install 'naslab[optuna]')",
    tuple(SAMPLERS), _strategy_class, placeholder="sampler",
)
