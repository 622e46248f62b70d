"""Surrogate models behind one fit / predict protocol (GP, random forest, neural ensemble)."""

from naslab.surrogates.base import Prediction, Surrogate

__all__ = ["Prediction", "Surrogate"]
