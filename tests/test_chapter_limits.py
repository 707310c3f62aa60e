"""Every chapter reads like a book page (issue 14): at most 200 visible code lines,
no visible cell over 25 lines, no code line over 76 characters (the code column at a
1280 px window holds 77). The counting is scripts/chapter_stats.py's; exercise
solutions and hidden-input cells are folded on the page and not counted as visible.
"""

from __future__ import annotations

import importlib.util

import pytest
from conftest import BOOK, ROOT

_spec = importlib.util.spec_from_file_location(
    "chapter_stats", ROOT / "scripts" / "chapter_stats.py"
)
chapter_stats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chapter_stats)

CHAPTERS = sorted(BOOK.glob("*.py"))


@pytest.mark.parametrize("py", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_within_the_reading_limits(py):
    stats = chapter_stats.stats(py)
    over = {k: v for k, v in stats.items() if v > chapter_stats.LIMITS[k]}
    assert not over, f"{py.name}: {over} (limits {chapter_stats.LIMITS})"


def test_the_counter_sees_a_long_cell_and_a_wide_line(tmp_path):
    """The limits are measured, not assumed: a chapter with one 30-line cell and one
    90-character line is over on both."""
    src = (BOOK / "data_matrix.py").read_text()
    extra = "\n# %%\n" + "\n".join(f"x{i} = {i}" for i in range(30))
    extra += "\ny = '" + "a" * 90 + "'\n"
    bad = tmp_path / "bad.py"
    bad.write_text(src + extra)
    stats = chapter_stats.stats(bad)
    assert stats["cell"] >= 31 and stats["width"] >= 95
    assert (
        stats["visible"] == chapter_stats.stats(BOOK / "data_matrix.py")["visible"] + 31
    )
