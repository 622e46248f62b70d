"""The UCB rule that LaNAS and fixed-action MCTS both select children with.

Seed 002, Algorithm 1 (``get_ucb``) and section 3.3: a child's score is its
mean reward plus ``2 c sqrt(2 ln n_parent / n_child)`` (UCB1, Auer et al.
2002), and an unvisited child scores +inf. naslab minimises values, so the
reward is the negated value. The paper sets the exploration constant to
``0.1 * max(X)``, a tenth of the largest reward (accuracies in [0, 1]); with
values of any sign and scale, :func:`exploration_constant` takes a fraction
``cp`` of the largest absolute value observed, which is the same rule for
accuracies and reads the same for errors and perplexities.
"""

from __future__ import annotations

import math


def exploration_constant(cp: float, largest: float) -> float:
    """``cp`` times ``largest``, the largest finite ``|value|`` observed (0 before any)."""
    return cp * largest


def ucb(mean_reward: float, visits: float, parent_visits: float, c: float) -> float:
    """Algorithm 1's ``get_ucb``: +inf for an unvisited child."""
    if visits <= 0:
        return math.inf
    return mean_reward + 2.0 * c * math.sqrt(2.0 * math.log(max(parent_visits, 1.0)) / visits)
