"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def chapter_pairs() -> list[tuple[Path, Path]]:
    """Every (py:percent source, paired notebook) in book/."""
    pairs = []
    for py in sorted(BOOK.glob("*.py")):
        pairs.append((py, py.with_suffix(".ipynb")))
    return pairs
