"""Sweep table of ssl_notes.experiments.linear_ssl_pca (see tests/test_adversarial.py).

The example table gives X of shape (12, 4): read as 2 x 2 images (side = 2) by the
shift functions. A shift of 0 or a negative shift is a valid translation.
"""

from __future__ import annotations

import numpy as np

_K = "experiments.linear_ssl_pca."


def _sym(d: int, seed: int) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((d, d))
    return (A + A.T) / 2


def _orth(d: int, k: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((d, k)))[0]


def _positives(X, rng):
    return X + 0.1 * rng.standard_normal(X.shape)


def _negatives(X, rng):
    return X[(np.arange(len(X)) + rng.integers(1, len(X), len(X))) % len(X)]


_IMAGES = {"side": lambda: 2}
OVERRIDES = {
    _K + "top_eig": {"A": lambda: _sym(4, 31)},
    _K + "procrustes_align": {
        "B": lambda: _orth(4, 2, 32),
        "ref": lambda: _orth(4, 2, 33),
    },
    _K + "mc_expectation": {
        "expected": lambda: _sym(4, 34),
        "positives": lambda: _positives,
        "negatives": lambda: _negatives,
        "draws": lambda: 20,
    },
    _K + "shift_images": {**_IMAGES, "dr": lambda: 1, "dc": lambda: 0},
    _K + "shift_matrix": {**_IMAGES, "dr": lambda: 1, "dc": lambda: 0},
    _K + "mean_shift_matrix": {**_IMAGES, "shift": lambda: 1},
    _K + "shift_positives": {**_IMAGES, "shift": lambda: 1},
    _K + "expected_shift_C": {**_IMAGES, "shift": lambda: 1},
    _K + "davis_kahan": {"EC": lambda: _sym(4, 35)},
    _K + "noise_term": {"V": lambda: _orth(4, 2, 36)},
    _K + "averaged_matrix": {
        "positives": lambda: _positives,
        "negatives": lambda: _negatives,
    },
    _K + "one_draw_sweep": {
        "ns": lambda: (6, 12),
        "sigmas": lambda: (0.0, 0.5),
        "draws": lambda: 1,
    },
}

_SHIFT_OK = "a translation by 0 or by a negative number of pixels is valid"
VALID_CASES = {
    (_K + f, arg, m): _SHIFT_OK
    for f in ("shift_images", "shift_matrix")
    for arg in ("dr", "dc")
    for m in ("zero", "negative")
}
