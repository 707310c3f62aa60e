"""Sweep table of :mod:`ssl_notes.experiments.theorem3` for
``tests/test_adversarial.py``: a basis X of a k = 2 dimensional subspace of R^4, a
positive definite D and one with a simple negative eigenvalue, unit starts, short
time grids, and a small Monte Carlo mean."""

from __future__ import annotations

import numpy as np


def _X() -> np.ndarray:
    Q, _ = np.linalg.qr(np.random.default_rng(20).standard_normal((4, 2)))
    return Q


def _units(n: int = 3) -> np.ndarray:
    G = np.random.default_rng(21).standard_normal((4, n))
    return G / np.linalg.norm(G, axis=0)


_D_POS = np.array([[0.5, 0.1], [0.1, 0.8]])
_D_NEG = np.array([[-0.6, 0.1], [0.1, 0.8]])


def _mean_c():
    from ssl_notes.experiments import theorem3 as t3

    return t3.mean_contrastive(np.zeros(2), np.eye(2), n=5, n_mc=20)


def _projectors():
    Q, _ = np.linalg.qr(np.random.default_rng(22).standard_normal((4, 2)))
    return np.stack([Q @ Q.T, Q @ Q.T])


_P = "experiments.theorem3."
_T = {"t": lambda: np.linspace(0.0, 2.0, 5)}
OVERRIDES = {
    _P + "output_velocity": {"D": lambda: _D_NEG, "F": lambda: _units()[:2]},
    _P + "solve_f": {"D": lambda: _D_NEG, "F0": lambda: 0.5 * _units()[:2], **_T},
    _P + "solve_m": {"M0": _units, **_T},
    _P + "exact_m": {"M0": _units, **_T},
    _P + "line_angle": {"Ms": _units, "v": lambda: np.eye(4)[0]},
    _P + "check_case1": {"D": lambda: _D_POS, "X": _X, "M0": _units, **_T},
    _P + "check_case2": {"D": lambda: _D_NEG, "X": _X, "M0": _units, **_T},
    _P + "fitted_rate": {
        "t": lambda: np.linspace(0.0, 30.0, 31),
        "y": lambda: np.exp(-np.linspace(0.0, 30.0, 31)),
    },
    _P + "check_rate": {
        "t": lambda: np.linspace(0.0, 30.0, 31),
        "y": lambda: np.exp(-np.linspace(0.0, 30.0, 31)),
        "gap": lambda: 0.5,
    },
    _P + "flow_rate": {
        "D": lambda: _D_NEG,
        "X": _X,
        "m0": lambda: _units(1),
        "t": lambda: np.linspace(0.0, 40.0, 201),
    },
    _P + "mean_contrastive": {
        "mu": lambda: np.zeros(2),
        "L": lambda: np.eye(2),
        "n": lambda: 5,
        "n_mc": lambda: 20,
    },
    _P + "max_z_score": {"mean_c": _mean_c, "candidate": lambda: -np.eye(2)},
    _P + "projector_angles": {"P_t": _projectors, "U": lambda: np.eye(4)[:, :2]},
    _P + "check_subspace": {
        "t": lambda: np.linspace(0.0, 30.0, 61),
        "n_init": lambda: 2,
    },
}
