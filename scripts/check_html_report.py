"""Open a naslab ``report.html`` in headless Chromium, screenshot it, and check it is not blank.

Why: the HTML report must render in a real browser, embedded plots included,
not only parse. Usage::

    python3 scripts/check_html_report.py RUN_DIR_OR_REPORT_HTML [--out shot.png]
        [--width 1400] [--height 5000]

Needs Chromium (Debian: ``apt-get install chromium``). Exits 0 and prints the
screenshot's path and ink statistics when the page rendered, 1 when the
screenshot is missing, empty or blank, 2 when no browser is installed.
``tests/analysis/test_html_browser.py`` runs the same check, skipped without a browser.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: A rendered report has text, tables and plots: well over this share of non-white pixels.
MIN_INK = 0.01


def find_browser() -> str | None:
    """The first headless-capable Chromium on PATH, None if there is none."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(html: Path, out: Path, width: int = 1400, height: int = 5000,
               browser: str | None = None) -> Path:
    """Render ``html`` at ``width`` x ``height`` CSS pixels into the PNG ``out``."""
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(f"no Chromium found (tried {', '.join(BROWSERS)})")
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: no state, no prompts
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={profile}", f"--window-size={width},{height}",
             f"--screenshot={out.resolve()}", html.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )
    return out


def ink(png: Path) -> float:
    """Share of pixels that are not (near) white: 0 for a blank page."""
    pixels = np.asarray(Image.open(png).convert("L"), dtype=np.uint8)
    return float((pixels < 245).mean())


def check(png: Path) -> str | None:
    """Why the screenshot ``png`` shows no rendered report, or None if it does."""
    if not png.is_file() or png.stat().st_size == 0:
        return f"{png} was not written or is empty"
    share = ink(png)
    if share < MIN_INK:
        return f"{png} is blank: only {share:.2%} of its pixels are not white"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="report.html or the run folder holding it")
    parser.add_argument("--out", type=Path, default=Path("report-screenshot.png"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=5000)
    args = parser.parse_args(argv)
    html = args.report / "report.html" if args.report.is_dir() else args.report
    if find_browser() is None:
        print(f"no Chromium found (tried {', '.join(BROWSERS)})", file=sys.stderr)
        return 2
    png = screenshot(html, args.out, args.width, args.height)
    problem = check(png)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"{png}: {Image.open(png).size[0]}x{Image.open(png).size[1]} px, "
          f"{ink(png):.1%} of pixels not white")
    return 0


if __name__ == "__main__":
    sys.exit(main())
