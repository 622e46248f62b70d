"""`naslab list` shows registered and file spaces alike."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from naslab.cli import main

sys.path.insert(0, str(Path(__file__).parent / "study"))
from macro import write_macro  # noqa: E402


def test_list_shows_file_spaces_beside_registered_ones(tmp_path):
    space, _ = write_macro(tmp_path)
    result = CliRunner().invoke(main, ["list", "--space", str(space)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.strip().startswith("nb201 ") for line in lines)
    assert f"{space}  macro: 7 positions, 1,152 architectures; 1 conditional; groups ops" in \
        result.output
    bad = CliRunner().invoke(main, ["list", "--space", str(tmp_path / "none.toml")])
    assert bad.exit_code == 2 and "cannot read space file" in bad.output
