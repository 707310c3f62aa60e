"""Sweep table of :mod:`ssl_notes.experiments.proposition2` for
``tests/test_adversarial.py``: the runs and flows the checks judge, built for the
sweep's standard C (d = 4, eigenvalues -2 ... 1.5) and M0 (4 x 2)."""

from __future__ import annotations

import numpy as np


def _sym(d: int = 4, seed: int = 1) -> np.ndarray:  # the sweep's standard C
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (Q * np.linspace(-2.0, 1.5, d)) @ Q.T


def _M0() -> np.ndarray:  # the sweep's standard M0
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 2)))
    return Q


def _run():
    from ssl_notes import constrained

    return constrained.projected_gd_trace(_sym(), _M0(), "frobenius", 1.0, steps=60)


def _two_layer_run():
    from ssl_notes import constrained

    rng = np.random.default_rng(3)
    W0, V0 = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    return constrained.projected_gd_factored(_sym(), W0, V0, "frobenius", steps=50)


def _flows():
    from ssl_notes.experiments.proposition2 import WeightDecayFlows

    lam, U = np.linalg.eigh(_sym())
    t = np.linspace(0.0, 20.0, 41)

    def flow(beta):
        g = np.exp(-2 * np.outer(t, lam + beta))
        return np.einsum("ij,tj,kj,kl->til", U, g, U, _M0())

    return WeightDecayFlows(t, _M0(), (2.0,), flow(0.0), (flow(2.0),))


_P2 = "experiments.proposition2."
OVERRIDES = {
    _P2 + "check_power_method": {"run": _run},
    _P2 + "check_frobenius_limit": {"run": _run},
    _P2 + "check_two_layer": {"run": _two_layer_run},
    _P2 + "frobenius_collapse": {"starts": lambda: 2, "target": lambda: 1e-6},
    _P2 + "two_layer_collapse": {"starts": lambda: 1, "steps": lambda: 20},
    _P2 + "autograd_flow": {
        "beta": lambda: 0.5,
        "t": lambda: np.linspace(0.0, 0.5, 3),
    },
    _P2 + "weight_decay_flows": {
        "betas": lambda: (0.5,),
        "t": lambda: np.linspace(0.0, 0.5, 3),
    },
    _P2 + "check_weight_decay": {"flows": _flows, "fit_from": lambda: 10.0},
}
