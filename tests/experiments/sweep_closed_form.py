"""Sweep table of ssl_notes.experiments.closed_form for tests/test_adversarial.py."""

from __future__ import annotations

import numpy as np


def _orth(m, k, seed):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((m, k)))
    return Q


def _dm():
    from ssl_notes import losses

    rng = np.random.default_rng(20)
    X = rng.standard_normal((4, 4))
    return losses.data_matrix(X, X + 0.1 * rng.standard_normal((4, 4)), X[::-1])


_P = "experiments.closed_form."
OVERRIDES = {
    _P + "with_spectrum": {
        "Q": lambda: _orth(4, 4, 1),
        "lam": lambda: np.array([-1.0, 0.0, 0.5, 2.0]),
    },
    _P + "spectrum_with_gap": {"g": lambda: 0.5},
    _P + "omega_matrix": {"Yh": lambda: _orth(4, 2, 3)},
    _P + "first_crossing": {
        "t": lambda: np.linspace(0.0, 2.0, 5),
        "theta": lambda: np.arctan(np.exp(-2 * np.linspace(0.0, 2.0, 5))),
    },
    # C of the sweep has eigenvalues linspace(-2, 1.5, 4): gaps 7/6, delta = 0.1
    _P + "learning_time": {"t": lambda: np.linspace(0.0, 4.0, 60)},
    _P + "euler_benchmark": {
        "dm": _dm,
        "T": lambda: 0.5,
        "n_times": lambda: 10,
        "steps": lambda: (20, 40),
        "repeats": lambda: 1,
    },
}

VALID_CASES = {
    ("experiments.closed_form.never_learns", "tol", "zero"): (
        "tol = 0 asks for an exactly zero deviation (the chapter's eps = 0 run)"
    ),
}
