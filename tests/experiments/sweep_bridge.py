"""Adversarial-sweep table for ssl_notes.experiments.bridge and
batched_gd.projected_sgd (test_adversarial.py).

Theorem 1's orientation (W of shape (h, d) with h >= d), principal coordinates for
the SGD functions, and result objects built by small valid calls.
"""

from __future__ import annotations

import numpy as np


def _C():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    return (Q * np.array([-1.0, -0.6, -0.2, 0.3])) @ Q.T


def _orth(m, k, seed):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((m, k)))
    return Q


def _pca():
    from ssl_notes.experiments import bridge

    X = np.random.default_rng(5).standard_normal((40, 4)) * np.array([2.0, 1.4, 1, 0.5])
    return bridge.pca_coordinates(X, 4)[0]


def _sweep():
    from ssl_notes.experiments import bridge

    return bridge.sgd_sweep(_pca(), 1, 0.1, [(0.05, 4)], 0.6, n_seeds=2, rng=0,
                            n_records=3)  # fmt: skip


def _runs():
    from ssl_notes.experiments import bridge

    return bridge.limit_runs(_C(), 2, (4, 8), T=20.0, n_times=21, rng=0)


def _images():
    return np.random.default_rng(7).random((12, 784))


def _problem():
    from ssl_notes.experiments import bridge

    return bridge.shift_problem(_images(), 4, 1, rng=0)


def _wide_net():
    from ssl_notes import models

    return models.two_layer_net(4, 8, 2, "tanh", rng=0)


_WIDE = {"C": _C, "z": lambda: 2, "widths": lambda: (4, 8)}

OVERRIDES = {
    "experiments.bridge.factor_velocity_t1": {
        "C": _C,
        "W": lambda: _orth(8, 4, 1),
        "V": lambda: _orth(8, 2, 2),
    },  # fmt: skip
    "experiments.bridge.closed_velocity": {"C": _C, "M": lambda: _orth(4, 2, 1) / 2},
    "experiments.bridge.oja_velocity": {"C": _C, "M": lambda: _orth(4, 2, 1) / 2},
    "experiments.bridge.closure_check": {**_WIDE, "n_draws": lambda: 2},
    "experiments.bridge.flow_agreement": {**_WIDE, "T": lambda: 1.0},
    "experiments.bridge.start_scale": {
        "d": lambda: 4,
        "z": lambda: 2,
        "widths": lambda: (4, 8),
        "n_draws": lambda: 5,
    },  # fmt: skip
    "experiments.bridge.limit_runs": {**_WIDE, "T": lambda: 5.0, "n_times": lambda: 5},
    "experiments.bridge.tail_rate_check": {"runs": _runs, "C": _C},
    "experiments.bridge.pca_coordinates": {"d": lambda: 3},
    "experiments.bridge.sgd_plateau_theory": {"X": _pca, "z": lambda: 1},
    "experiments.bridge.sgd_sweep": {
        "X": _pca,
        "z": lambda: 1,
        "settings": lambda: [(0.05, 4)],
        "T": lambda: 0.6,
        "n_seeds": lambda: 2,
        "n_records": lambda: 3,
    },  # fmt: skip
    "experiments.bridge.plateau_check": {"sweep": _sweep, "A": lambda: 1.0},
    "experiments.bridge.shift_images": {"X": _images, "max_shift": lambda: 1},
    "experiments.bridge.shift_problem": {"images": _images, "d": lambda: 4},
    "experiments.bridge.twin_flow_sweep": {
        "problem": _problem,
        "widths": lambda: (4, 8),
        "z": lambda: 2,
        "epochs": lambda: 4,
        "records": lambda: 2,
    },  # fmt: skip
    "experiments.bridge.width_slope": {
        "widths": lambda: (4, 8),
        "values": lambda: np.array([1.0, 0.5]),
    },  # fmt: skip
    "experiments.bridge.projected_linear_kernel": {
        "X": lambda: np.ones((3, 4)),
        "M": lambda: _orth(4, 2, 1) / 2,
    },  # fmt: skip
    "experiments.bridge.kernel_path": {
        "problem": _problem,
        "widths": lambda: (4, 8),
        "z": lambda: 2,
        "epochs": lambda: 4,
        "records": lambda: 2,
        "n_points": lambda: 3,
    },  # fmt: skip
    "ntk.projected_ntk": {"net": _wide_net, "X": lambda: np.ones((3, 4))},
    "batched_gd.projected_sgd": {
        "X": _pca,
        "M0": lambda: _orth(4, 2, 1),
        "batch": lambda: 3,
        "steps": lambda: 4,
        "runs": lambda: 2,
    },  # fmt: skip
}
