#!/usr/bin/env python
"""Check that each book/NAME.ipynb says exactly what its book/NAME.py says.

The same comparison as ``tests/test_notebooks.py::test_pair_in_sync_cell_by_cell``:
both files are read with jupytext and compared cell by cell (cell type, source,
tags). ``jupytext --sync`` decides by file time and ``jupytext --check`` does not
compare pairs, so this is the check. Used by the pre-commit hook; run by hand as

    .venv/bin/python scripts/check_pairs.py            # every chapter
    .venv/bin/python scripts/check_pairs.py book/lemma1.py book/theorem2.ipynb

Exit status 1 when a pair differs or a twin is missing; the fix is
``.venv/bin/jupytext --to ipynb book/NAME.py`` (never ``--sync``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext

BOOK = Path(__file__).resolve().parents[1] / "book"


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [
        (c.cell_type, c.source.strip(), list(c.metadata.get("tags", [])))
        for c in nb.cells
    ]


def pair_problem(py: Path) -> str | None:
    """Why ``py`` and its ``.ipynb`` twin differ, or None when they agree."""
    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return f"{ipynb.name} is missing"
    a, b = _cells(jupytext.read(py)), _cells(jupytext.read(ipynb))
    if len(a) != len(b):
        return f"{py.name} has {len(a)} cells, {ipynb.name} has {len(b)}"
    for i, (ca, cb) in enumerate(zip(a, b, strict=True)):
        if ca != cb:
            return f"cell {i} differs"
    return None


def main(argv: list[str]) -> int:
    if argv:
        pys = sorted({Path(a).resolve().with_suffix(".py") for a in argv})
        pys = [p for p in pys if p.parent == BOOK and p.exists()]
    else:
        pys = sorted(BOOK.glob("*.py"))
    bad = 0
    for py in pys:
        problem = pair_problem(py)
        if problem:
            bad += 1
            print(
                f"{py.relative_to(BOOK.parent)}: {problem}; regenerate with "
                f"`.venv/bin/jupytext --to ipynb book/{py.name}`"
            )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
