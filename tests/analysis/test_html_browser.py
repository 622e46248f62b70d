"""The HTML report rendered by a real headless browser (skipped where no Chromium is installed).

Uses ``scripts/check_html_report.py``, the same check a developer runs by hand.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from naslab.analysis import build_report

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_html_report.py"


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_html_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checker = _load_checker()
pytestmark = pytest.mark.skipif(checker.find_browser() is None, reason="needs Chromium")


def test_the_report_renders_with_its_plots(cifar10, simulate, tmp_path) -> None:
    build_report(simulate(strategies=("rs", "climb"), seeds=3, budget=30),
                 {"cifar10": cifar10}, tmp_path)
    png = checker.screenshot(tmp_path / "report.html", tmp_path / "shot.png", 1200, 2400)
    assert checker.check(png) is None
    assert checker.ink(png) > 0.03  # tables and three plots, not a line of text


def test_a_blank_page_is_caught(tmp_path) -> None:
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><html><body></body></html>")
    png = checker.screenshot(page, tmp_path / "blank.png", 800, 600)
    assert "is blank" in checker.check(png)
