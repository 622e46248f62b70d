"""Acquisition functions and batch selection for model-based search."""

from naslab.acquisition.functions import (
    ACQUISITIONS,
    Acquisition,
    AcquisitionContext,
    ConfidenceBound,
    ExpectedImprovement,
    ProbabilityOfImprovement,
    ThompsonSampling,
    gp_ucb_tau,
    select_batch,
)

__all__ = [
    "ACQUISITIONS",
    "Acquisition",
    "AcquisitionContext",
    "ConfidenceBound",
    "ExpectedImprovement",
    "ProbabilityOfImprovement",
    "ThompsonSampling",
    "gp_ucb_tau",
    "select_batch",
]
