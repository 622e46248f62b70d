"""A table of a space that is not NB201, built by the tests themselves.

The 'macro' space: a depth (2 or 3), an operation per layer from one shared
list (the group ANASOD counts over), an input per layer among the ones before
it, and a width for layer 3 that exists only at depth 3. The table holds 70 %
of its 1,152 architectures, one column per position, accuracies per training
seed of a dataset the user named ('mnist'), higher better, no cost column, a
test accuracy and a latency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from naslab.spaces import load_space_file

SPACE_TOML = """
name = "macro"
template = "d{depth}|{op1}|{op2}<{in2}|{op3}<{in3}@{width3}"
[[positions]]
name = "depth"
choices = [2, 3]
[[positions]]
name = "op1"
choices = ["conv3", "conv5", "pool", "skip"]
[[positions]]
name = "op2"
choices = ["conv3", "conv5", "pool", "skip"]
[[positions]]
name = "op3"
choices = ["conv3", "conv5", "pool", "skip"]
[[positions]]
name = "in2"
choices = [0, 1]
[[positions]]
name = "in3"
choices = [0, 1, 2]
[[positions]]
name = "width3"
choices = [16, 32]
active_when = { depth = [3] }
[groups]
ops = ["op1", "op2", "op3"]
"""

OP_GAIN = {"conv3": 3.0, "conv5": 2.5, "pool": 1.0, "skip": 0.5}


def write_macro(folder: Path, coverage: float = 0.7, seed: int = 0) -> tuple[Path, Path]:
    """Write ``macro.toml`` and ``macro.csv`` into ``folder``; return both paths."""
    space_file = folder / "macro.toml"
    space_file.write_text(SPACE_TOML)
    space = load_space_file(space_file)
    rng = np.random.default_rng(seed)
    archs = [a for a in space.all() if rng.random() < coverage]
    rows = []
    for arch in archs:
        names = arch.as_dict()
        quality = 80 + sum(OP_GAIN[names[f"op{i}"]] for i in (1, 2, 3))
        quality += 1.5 * (names["depth"] == "3") + 0.8 * (names["width3"] == "32")
        quality += 0.7 * (names["in3"] == "2") + 0.3 * (names["in2"] == "1")
        row = {p: ("-" if v is None else v) for p, v in names.items()}
        row |= {"mnist_acc_seed0": quality + rng.normal(0, 0.4),
                "mnist_acc_seed1": quality + rng.normal(0, 0.4),
                "mnist_test": quality - 0.5, "mnist_latency": 1.0 + 0.1 * len(str(arch))}
        rows.append(row)
    table = folder / "macro.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    return space_file, table
