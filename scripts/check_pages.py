"""Open built pages in headless Chromium at 1280 px; list what a reader would see wrong.

    .venv/bin/python scripts/check_pages.py _build/html book/lemma1.html [...]

Prints, per page, every problem tests/book/test_browser.py fails on (untypeset or
malformed math, broken images, JavaScript errors, and display equations, code cells or
printed outputs wider than the text column) and exits 1 if there is any.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "book"))

from pagecheck import (  # noqa: E402
    CHROMIUM_ARGS,
    Site,
    check_pages,
    find_chromium,
    find_mathjax,
)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    html, pages = Path(argv[0]), argv[1:]
    chromium, mathjax = find_chromium(), find_mathjax()
    if chromium is None or mathjax is None:
        print(
            "needs chromium and .cache/node/node_modules/mathjax (see scripts/test.sh)"
        )
        return 2
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        with Site(html) as site:
            reports = check_pages(browser, site, pages, mathjax)
        browser.close()
    bad = 0
    for rep in reports:
        problems = rep.problems() + rep.overflow_problems()
        bad += len(problems)
        print(f"{rep.url}: {len(problems)} problem(s)")
        for line in problems:
            print("   ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
