"""Every page of the built book in headless Chromium: math, images, links, no errors.

Needs Debian's `chromium` and the npm package `mathjax@3` (scripts/test.sh installs
both when it can); without them the tests are skipped with a message saying how to
enable them.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pagecheck import (
    CHROMIUM_ARGS,
    ROOT,
    Site,
    check_pages,
    find_chromium,
    find_mathjax,
)

CHROMIUM = find_chromium()
MATHJAX = find_mathjax()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or MATHJAX is None,
    reason="browser checks need Chromium and a local mathjax@3: "
    "`apt-get install chromium` and `npm install --prefix .cache/node mathjax@3` "
    "(scripts/test.sh does both when run as root)",
)
SCREENSHOTS = ROOT / "_build" / "screenshots"


_REFRESH = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.I)


def _pages(html: Path, redirects: bool = False) -> list[str]:
    """Content pages (or, with ``redirects``, the redirect stubs like index.html)."""
    skip = {"genindex.html", "search.html"}
    out = []
    for p in html.rglob("*.html"):
        rel = p.relative_to(html)
        if {"_static", "_sources", "_images"} & set(rel.parts) or p.name in skip:
            continue
        if bool(_REFRESH.search(p.read_text())) == redirects:
            out.append(str(rel))
    return sorted(out)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def reports(built_book, browser):
    assert built_book.returncode == 0, "the book did not build"
    pages = _pages(built_book.html)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        p: SCREENSHOTS / (Path(p).stem + ".png") for p in pages if p.startswith("book/")
    }
    with Site(built_book.html) as site:
        return check_pages(browser, site, pages, MATHJAX, shots)


@needs_browser
def test_every_page_renders_cleanly(reports):
    assert len(reports) >= 3
    problems = {r.url: r.problems() for r in reports if r.problems()}
    assert not problems, "\n".join(
        f"{u}:\n  " + "\n  ".join(p) for u, p in problems.items()
    )


@needs_browser
def test_math_is_actually_typeset(reports):
    chapter = [r for r in reports if r.url.endswith("book/data_matrix.html")][0]
    assert chapter.math_nodes > 20 and chapter.typeset == chapter.math_nodes


@needs_browser
def test_screenshots_saved(reports):
    shots = sorted(SCREENSHOTS.glob("*.png"))
    assert any(s.stem == "data_matrix" for s in shots)
    assert all(s.stat().st_size > 10_000 for s in shots)


@needs_browser
@pytest.mark.parametrize(
    "formula, expected",
    [
        (r"\frac{1}", "MathJax error"),  # missing argument: TeX error, an mjx-merror
        (r"\mathbb{R}^{d \times", "typeset"),  # unbalanced brace: never found as math
    ],
)
def test_the_check_catches_a_malformed_formula(
    built_book, browser, tmp_path, formula, expected
):
    """The same check, on a chapter copy with one broken formula, must report it."""
    site_dir = tmp_path / "html"
    shutil.copytree(built_book.html, site_dir)
    page = site_dir / "book" / "data_matrix.html"
    html = page.read_text()
    broken = f'<span class="math notranslate nohighlight">\\({formula}\\)</span>'
    page.write_text(html.replace("<h1>", f"<p>{broken}</p><h1>", 1))
    with Site(site_dir) as site:
        (rep,) = check_pages(browser, site, ["book/data_matrix.html"], MATHJAX)
    assert any(expected in p for p in rep.problems()), rep


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


def test_redirect_stubs_point_at_pages(built_book):
    html = built_book.html
    stubs = _pages(html, redirects=True)
    assert "index.html" in stubs
    for rel in stubs:
        target = _REFRESH.search((html / rel).read_text()).group(1)
        assert ((html / rel).parent / target).exists(), (
            f"{rel} redirects to missing {target}"
        )


def test_internal_links_and_cross_references_resolve(built_book):
    html = built_book.html
    parsed = {}
    for rel in _pages(html):
        p = _Links()
        p.feed((html / rel).read_text())
        parsed[rel] = p
    missing = []
    for rel, p in parsed.items():
        for href in p.hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "//")):
                continue
            target = (
                (html / rel).parent / unquote(parts.path) if parts.path else html / rel
            )
            target = target.resolve()
            if not target.exists():
                missing.append(f"{rel}: {href} (no file)")
                continue
            if parts.fragment and target.suffix == ".html":
                key = str(target.relative_to(html.resolve()))
                ids = parsed[key].ids if key in parsed else _ids(target)
                if unquote(parts.fragment) not in ids:
                    missing.append(f"{rel}: {href} (no anchor)")
    assert not missing, "\n".join(missing)


def _ids(path: Path) -> set[str]:
    p = _Links()
    p.feed(path.read_text())
    return p.ids


@needs_browser
@pytest.mark.parametrize(
    "snippet, selector",
    [
        (
            '<div class="cell_input docutils container"><div class="highlight"><pre>'
            + "x = "
            + " + ".join(["value"] * 40)
            + "</pre></div></div>",
            ".cell_input pre",
        ),
        (
            '<div class="cell_output docutils container"><div class="output stream '
            'highlight-myst-ansi notranslate"><div class="highlight"><pre>'
            + "  ".join(["1.234567e-01"] * 20)
            + "</pre></div></div></div>",
            ".cell_output pre",
        ),
        (
            '<div class="math notranslate nohighlight">\\['
            + " + ".join([r"\operatorname{Tr}(M^\top C M)"] * 14)
            + "\\]</div>",
            "mjx-container[display]",
        ),
    ],
    ids=["code", "output", "equation"],
)
def test_the_check_catches_an_overflowing_block(
    built_book, browser, tmp_path, snippet, selector
):
    """A code line, a printed line or an equation wider than the column is reported."""
    site_dir = tmp_path / "html"
    shutil.copytree(built_book.html, site_dir)
    page = site_dir / "book" / "data_matrix.html"
    html = page.read_text()
    page.write_text(html.replace("<h1>", f"{snippet}<h1>", 1))
    with Site(site_dir) as site:
        (rep,) = check_pages(browser, site, ["book/data_matrix.html"], MATHJAX)
    assert any(selector in o for o in rep.overflows), rep.overflows
