"""The book builds with warnings as errors; its pages carry what chapters computed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def test_build_passes_with_warnings_as_errors(built_book):
    tail = "\n".join(built_book.log.splitlines()[-60:])
    assert built_book.returncode == 0, f"jupyter-book build -W -n failed:\n{tail}"
    assert not re.search(r": WARNING: ", built_book.log), tail


def test_every_toc_entry_has_a_page(built_book):
    for f in _toc_files():
        page = built_book.html / f"{f}.html"
        assert page.exists(), f"missing page {page}"


def test_first_chapter_shows_statement_figure_and_glued_numbers(built_book):
    html = (built_book.html / "book" / "data_matrix.html").read_text()
    assert 'id="lem-trace-form"' in html, "the lemma's label is not on the page"
    assert "Losses of a linear embedding are traces" in html
    fig = re.search(r'<figure[^>]*id="fig-spectrum".*?</figure>', html, re.S)
    assert fig, "the glued figure is not on the page"
    assert re.search(r'<img[^>]+src="[^"]*\.png"', fig.group(0)), (
        "the glued figure has no image"
    )
    m = re.search(
        r"largest absolute difference between the direct loss and\s+the trace is"
        r"\s*(?:<[^>]+>)*\s*([0-9.]+e-[0-9]+)",
        html,
    )
    assert m, "the glued trace error is not rendered as a number"
    assert float(m.group(1)) < 1e-10


def test_overview_shows_live_status_and_numbers_of_every_chapter(built_book):
    html = (built_book.html / "book" / "overview.html").read_text()
    chapters = sorted(p.stem for p in (built_book.root / "book").glob("*.ipynb"))
    pasted = re.findall(r'class="pasted-text">([^<]*)<', html)
    assert pasted.count("passed") >= len(chapters), (
        pasted
    )  # one row per chapter, some chapters two
    numbers = [p for p in pasted if p != "passed"]
    assert len(numbers) >= len(chapters), (
        "every row pastes at least one measured number"
    )
    for stem in chapters:
        assert f'href="{stem}.html"' in html, f"no link to {stem}"
