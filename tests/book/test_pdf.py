"""The PDF of the whole book (`bash scripts/build_book.sh --pdf` builds it alike).

Built from the same executed source as the HTML checks (no chapter runs again), with
xelatex; ``pdftotext`` then reads it back. Needs TeX (Debian: texlive-xetex,
texlive-latex-extra, texlive-fonts-recommended, latexmk, fonts-dejavu-core) and
poppler-utils; scripts/test.sh installs them when run as root, and the tests are
skipped with that message elsewhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from conftest import ROOT, _jupyter_book

needs_tex = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("xelatex", "latexmk", "pdftotext")),
    reason="the PDF needs xelatex, latexmk and pdftotext: apt-get install "
    "texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk "
    "fonts-dejavu-core poppler-utils (scripts/test.sh does it as root)",
)


@pytest.fixture(scope="module")
def pdf_text(built_book) -> str:
    assert built_book.returncode == 0, "the book did not build"
    proc = subprocess.run(
        [_jupyter_book(), "build", str(built_book.root), "--builder", "pdflatex"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    pdf = built_book.root / "_build" / "latex" / "book.pdf"
    log = built_book.root / "_build" / "latex" / "book.log"
    errors = (
        re.findall(r"^! .*$", log.read_text(errors="replace"), re.M)
        if log.exists()
        else []
    )
    assert proc.returncode == 0 and not errors, (
        f"PDF build failed (rc {proc.returncode}): {errors[:5]}\n"
        + (proc.stdout + proc.stderr)[-3000:]
    )
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
    )
    return re.sub(r"\s+", " ", out.stdout)


def _title(path) -> str:
    """A chapter's title: the first Markdown heading (of the first cell)."""
    if path.suffix == ".py":
        import jupytext

        cell = next(c for c in jupytext.read(path).cells if c.cell_type == "markdown")
        text = cell.source
    else:
        text = path.read_text()
    return re.search(r"^# (.+)$", text, re.M).group(1)


@needs_tex
def test_pdf_has_every_chapter_title(pdf_text):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for f in files:
        src = ROOT / f"{f}.py"
        title = _title(src if src.exists() else ROOT / f"{f}.md")
        words = re.sub(r"[`*$\\{}]", "", title).split()[:4]  # plain words
        pattern = r"\s*".join(map(re.escape, " ".join(words)))
        assert re.search(pattern, pdf_text), f"chapter title not in the PDF: {title}"


@needs_tex
def test_pdf_has_the_statement_of_theorem_2_and_glued_numbers(pdf_text):
    assert re.search(r"Theorem 2", pdf_text)
    assert "orthonormal columns" in pdf_text  # the hypotheses of the statement
    # a number glued from an executed chapter (data_matrix's trace error)
    pattern = r"difference between the direct loss and the trace is \d\.\de-\d+"
    assert re.search(pattern, pdf_text), "the glued trace error is not in the PDF"
