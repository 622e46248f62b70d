"""Search strategies behind one ask-tell protocol, registered by name.

Importing a strategy's module registers it; the import order below is the order
``naslab list`` shows them in.
"""

from naslab.strategies import (  # noqa: F401, I001 - order is the listing order
    random_search,
    anasod_rs,
    evolution,
    local_search,
    anasod_ls,
    bayesopt,
    bananas,
    reinforce,
    optuna_adapter,
    smac,
    lanas,
    mcts,
    exhaustive,
)
from naslab.strategies.base import STRATEGIES, Strategy

__all__ = ["STRATEGIES", "Strategy"]
