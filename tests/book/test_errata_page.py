"""The errata page as built: every pasted number is a number, every link resolves.

The static side (each entry has a link and a glued number, each chapter's departure has
an entry) is tests/test_errata.py; here the built page shows that the glue resolved in
this build (a number on the page, not an unresolved key) and that the links land on an
existing page and anchor.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GLUE = re.compile(r"\{glue:text\}`[^`]*`")
REF = re.compile(r"\{ref\}`[^`]*`")
PASTED = re.compile(r'<span class="pasted-text">([^<]*)</span>')
STD_REF = re.compile(
    r'<a class="reference internal" href="([^"]*)"[^>]*>\s*<span class="std std-ref">'
)
HREF = re.compile(r'<a class="reference internal" href="([^"]*)"')
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def article(page_html: str) -> str:
    """The page's main text, without the navigation around it."""
    m = re.search(r"<article[^>]*>(.*)</article>", page_html, re.S)
    assert m, "no <article> on the page"
    return m.group(1)


def pasted_problems(source: str, body: str) -> list[str]:
    """Glue roles of the source that did not become a number on the page."""
    problems = []
    pasted = [
        html_lib.unescape(s).strip().replace("\u2212", "-")
        for s in PASTED.findall(body)
    ]
    n_src = len(GLUE.findall(source))
    if len(pasted) != n_src:
        problems.append(f"{n_src} glue roles in the source, {len(pasted)} pasted")
    problems += [
        f"pasted {s!r} is not a number" for s in pasted if not NUMBER.fullmatch(s)
    ]
    if "glue:text" in body:
        problems.append("an unrendered glue role is on the page")
    return problems


def link_problems(source: str, body: str, page: Path) -> list[str]:
    """{ref} roles that did not become links, and internal links that lead nowhere."""
    problems = []
    n_src, n_links = len(REF.findall(source)), len(STD_REF.findall(body))
    if n_links != n_src:
        problems.append(f"{n_src} {{ref}} roles in the source, {n_links} links")
    if re.search(r'<span class="xref std std-ref">', body):
        problems.append("an unresolved {ref} (rendered without a link)")
    for href in HREF.findall(body):
        file, _, anchor = html_lib.unescape(href).partition("#")
        target = (page.parent / file).resolve() if file else page
        if not target.exists():
            problems.append(f"link {href!r}: no page {target}")
        elif anchor and f'id="{anchor}"' not in target.read_text():
            problems.append(f"link {href!r}: no anchor {anchor!r} in {target.name}")
    return problems


@pytest.fixture(scope="module")
def page(built_book):
    toc = (built_book.root / "_toc.yml").read_text()
    assert "book/errata" in toc, "book/errata is not in _toc.yml"
    path = built_book.html / "book" / "errata.html"
    assert path.exists(), f"missing page {path}"
    source = (built_book.root / "book" / "errata.md").read_text()
    return path, source, article(path.read_text())


def test_build_log_has_no_warning_about_the_errata_page(built_book):
    warnings = [
        line
        for line in built_book.log.splitlines()
        if "errata" in line and "WARNING" in line
    ]
    assert not warnings, "\n".join(warnings)


def test_every_glued_number_is_rendered_as_a_number(page):
    _, source, body = page
    assert GLUE.search(source), "the errata page pastes no number"
    problems = pasted_problems(source, body)
    assert not problems, "\n".join(problems)


def test_every_link_of_the_errata_page_resolves(page):
    path, source, body = page
    assert REF.search(source), "the errata page links no section"
    problems = link_problems(source, body, path)
    assert not problems, "\n".join(problems)


def test_the_page_checks_fail_on_a_broken_page(tmp_path):
    """The two checks above, fed a page with one defect each, must report it."""
    (tmp_path / "target.html").write_text('<p id="sec">x</p>')
    page = tmp_path / "errata.html"
    source = "{glue:text}`a.ipynb::x:.2f` {ref}`t <sec>`"
    good_glue = '<span class="pasted-text">0.50</span>'
    good_link = (
        '<a class="reference internal" href="target.html#sec">'
        '<span class="std std-ref">t</span></a>'
    )
    assert pasted_problems(source, good_glue) == []
    assert link_problems(source, good_link, page) == []
    assert pasted_problems(source, "")  # the glue did not resolve
    assert pasted_problems(source, '<span class="pasted-text">nan-ish</span>')
    assert link_problems(source, '<span class="xref std std-ref">t</span>', page)
    assert link_problems(source, good_link.replace("#sec", "#gone"), page)
    assert link_problems(source, good_link.replace("target", "absent"), page)
