"""The README's training snippet runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_training_snippet_runs_as_written(capsys) -> None:
    section = README.read_text().split("## Training for real", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(code, "README.md", "exec"), {})
    arch, accuracy = capsys.readouterr().out.split()
    assert arch.count("|") == 4 and 10 < float(accuracy) <= 100  # a chain net, trained
