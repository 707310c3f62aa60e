"""Structure of the chapters: paired sources in sync, Colab-friendly, output-free."""

from __future__ import annotations

import json
import re

import jupytext
import pytest
import yaml
from conftest import BOOK, ROOT, chapter_pairs

PAIRS = chapter_pairs()
IDS = [py.stem for py, _ in PAIRS]


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_chapters():
    assert PAIRS, "no chapter found in book/"


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_pair_in_sync_cell_by_cell(py, ipynb):
    """The committed .ipynb says exactly what its .py says (jupytext --sync decides by
    file time and `jupytext --check` does not compare pairs, so this is the real check).
    """
    assert ipynb.exists(), f"{ipynb.name} missing: run `jupytext --to ipynb {py.name}`"
    from_py = jupytext.read(py)
    from_nb = jupytext.read(ipynb)
    a, b = _cells(from_py), _cells(from_nb)
    assert len(a) == len(b), f"{py.name}: {len(a)} cells, {ipynb.name}: {len(b)} cells"
    for i, (ca, cb) in enumerate(zip(a, b, strict=True)):
        assert ca == cb, (
            f"cell {i} differs between {py.name} and {ipynb.name}: "
            "regenerate the .ipynb"
        )
    tags_a = [c.metadata.get("tags", []) for c in from_py.cells]
    tags_b = [c.metadata.get("tags", []) for c in from_nb.cells]
    assert tags_a == tags_b, "cell tags differ"


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_committed_notebook_has_no_outputs(py, ipynb):
    nb = json.loads(ipynb.read_text())
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert not c.get("outputs"), f"{ipynb.name} has outputs committed"
            assert c.get("execution_count") is None


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_chapter_is_in_the_toc(py, ipynb):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"book/{py.stem}" in toc, f"{py.stem} is not in _toc.yml"


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_first_code_cell_is_the_hidden_colab_bootstrap(py, ipynb):
    nb = jupytext.read(py)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0]
    assert "remove-cell" in first.metadata.get("tags", []), (
        "the bootstrap cell must be tagged remove-cell"
    )
    assert "import ssl_notes" in first.source and "except ImportError" in first.source
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    url = f"git+{cfg['url']}@{cfg['branch']}"
    assert url in first.source, (
        f"bootstrap must install from {url} (the repository set in _config.yml)"
    )


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_directives_use_colon_fences_and_no_book_only_macros(py, ipynb):
    """Colab shows a backtick-fenced directive as a code block with raw math; and it
    does not know the macros of _config.yml."""
    nb = jupytext.read(py)
    macros = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"][
        "mathjax3_config"
    ]["tex"]["macros"]
    for c in nb.cells:
        if c.cell_type != "markdown":
            continue
        assert not re.search(r"^```\{prf:", c.source, re.M), (
            "use :::{prf:...} colon fences"
        )
        for m in macros:
            assert not re.search(rf"\\{m}(?![A-Za-z])", c.source), (
                f"macro \\{m} is book-only"
            )


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_chapter_starts_with_title_and_has_checks(py, ipynb):
    nb = jupytext.read(py)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[
        0
    ].source.lstrip().startswith("# ")
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert re.search(r"^\s*assert\b", src, re.M), "a chapter must assert its checks"


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_chapter_ends_by_gluing_its_status_and_is_in_the_overview(py, ipynb):
    """The last code cell glues `checks_status` (reached only if every check passed),
    and the results overview pastes it."""
    nb = jupytext.read(py)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert 'glue("checks_status", "passed"' in last.source, (
        "last code cell must glue checks_status"
    )
    overview = (BOOK / "overview.md").read_text()
    assert f"{py.stem}.ipynb::checks_status:s" in overview, (
        f"{py.stem} has no row in book/overview.md"
    )


@pytest.mark.parametrize("py, ipynb", PAIRS, ids=IDS)
def test_prf_refs_have_link_text(py, ipynb):
    """Results are `:nonumber:` (sphinx-proof's numbers would not match the paper's),
    and a bare {prf:ref}`label` to an unnumbered result renders as "Lemma " with
    nothing after it."""
    nb = jupytext.read(py)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    bare = re.findall(r"\{prf:ref\}`([^`<]+)`", text)
    assert not bare, (
        f"give these references a link text, {{prf:ref}}`Text <label>`: {bare}"
    )
