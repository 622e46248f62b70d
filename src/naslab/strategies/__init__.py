"""Search strategies behind one ask-tell protocol, registered by name."""

from naslab.registry import Registry
from naslab.strategies.base import Strategy

STRATEGIES: Registry[type[Strategy]] = Registry("strategy")

__all__ = ["STRATEGIES", "Strategy"]
