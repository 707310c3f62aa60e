"""Sweep table of experiments.beyond_two_losses (see tests/test_adversarial.py)."""

from __future__ import annotations

import numpy as np


def _randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _run():
    from ssl_notes.experiments import beyond_two_losses as b2

    X = _randn(12, 4, seed=1)
    return b2.rank_run(X, X + 0.1 * _randn(12, 4, seed=2), _randn(4, 2), T=0.1)


_PRE = "experiments.beyond_two_losses."
OVERRIDES = {
    _PRE + "column_coupling": {"M_other": lambda: _randn(4, seed=3)},
    # a short run keeps the valid call well under the sweep's time limit
    _PRE + "rank_table": {"T": lambda: 0.2, "steps_per_unit": lambda: 5},
    _PRE + "collapse_verdict": {"run": _run},
    # W0 of the standard profile is (d, h) = (4, 3): P is (h, z) = (3, 2)
    _PRE + "projector_flow": {"P": lambda: _randn(3, 2, seed=4)},
    _PRE + "projector_blocks": {"P": lambda: _randn(3, 2, seed=4)},
    _PRE + "projector_check": {"P": lambda: _randn(3, 2, seed=4)},
    # Example 1 with z = d: a square start
    _PRE + "two_outputs": {"M0": lambda: _randn(4, 4, seed=5), "T": lambda: 0.5},
    _PRE + "multi_excess": {
        "mu": lambda: np.array([1.0, 0.0, 0.0, 0.5]),
        "Sigma": lambda: np.diag([1.0, 0.5, 0.25, 0.1]),
    },
    _PRE + "multi_sample": {
        "mu": lambda: np.array([1.0, 0.0, 0.0, 0.5]),
        "Sigma": lambda: np.diag([1.0, 0.5, 0.25, 0.1]),
        "draws": lambda: 5,
    },
    # values / coefficients on Z = [X; X_pos; X_neg]: 3 n = 36 rows
    _PRE + "kernel_blocks": {"F": lambda: _randn(36, 2, seed=8)},
    _PRE + "kernel_collapse": {
        "A0": lambda: _randn(36, 2, seed=9),
        "X_test": lambda: _randn(5, 4, seed=10),
    },
    # weight decay needs lambda_1(C) < 0; a short run keeps the call fast
    _PRE + "weight_decay_check": {
        "C": lambda: np.diag([-1.0, -0.3, 0.5, 1.0]),
        "T": lambda: 0.5,
    },
    "losses.multi_contrastive_matrix": {
        "X_pos": lambda: _randn(3, 12, 4, seed=6),
        "X_neg": lambda: _randn(2, 12, 4, seed=7),
    },
}
