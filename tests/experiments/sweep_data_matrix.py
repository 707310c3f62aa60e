"""Sweep table of ssl_notes.experiments.data_matrix (see tests/test_adversarial.py)."""

from __future__ import annotations

import numpy as np


def _sym(d: int, seed: int) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((d, d))
    return (A + A.T) / 2


OVERRIDES = {
    # the non-contrastive matrix of sign_structure: any symmetric 4 x 4 matrix
    "experiments.data_matrix.sign_structure": {"C_nc": lambda: _sym(4, 21)},
}
