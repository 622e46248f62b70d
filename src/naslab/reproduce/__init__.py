"""One-command reproductions of published experiments: ``naslab reproduce NAME``.

Each entry of :data:`REPRODUCTIONS` runs (or resumes) its studies into an output
folder and writes its comparison with the paper; ``naslab list`` lists them.
"""

from naslab.reproduce import anasod_table2, lanas_ablations, lanas_samples  # noqa: F401  (register themselves)
from naslab.reproduce.base import REPRODUCTIONS, Options, Reproduction, Result, run_or_resume

__all__ = ["REPRODUCTIONS", "Options", "Reproduction", "Result", "run_or_resume"]
