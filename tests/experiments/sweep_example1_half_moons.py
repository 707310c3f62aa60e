"""Sweep table of :mod:`ssl_notes.experiments.example1_half_moons` for
``tests/test_adversarial.py``: starts and runs for the sweep's standard C (d = 4,
eigenvalues -2 ... 1.5, so lambda_1 < lambda_2 < 0), kept short (fast calls)."""

from __future__ import annotations

import functools

import numpy as np


def _sym(d: int = 4, seed: int = 1) -> np.ndarray:  # the sweep's standard C
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (Q * np.linspace(-2.0, 1.5, d)) @ Q.T


def _inits():
    from ssl_notes.experiments.example1_half_moons import gaussian_inits

    return gaussian_inits(4, 3, 1, 0)


@functools.cache
def _run(loss: str, power: float = 2.0):
    """Runs long enough for the checks to measure what they fit (cached)."""
    from ssl_notes import constrained

    W0, V0 = _inits()[0]
    if loss == "plain":
        return constrained.factored_flow(_sym(), W0, V0, 100.0, max_norm=1e8)
    if power == 1.0:
        t = np.linspace(0.0, 2.0, 11)
        return constrained.factored_flow(_sym(), W0, V0, t, loss, power=1.0)
    return constrained.factored_flow(_sym(), W0, V0, 60.0, loss, rtol=1e-8)


_EX = "experiments.example1_half_moons."
OVERRIDES = {
    _EX + "angle_to_line": {
        "M": lambda: np.array([[1.0, 2.0, 0.0, 0.5]]),
        "u": lambda: np.array([1.0, 0.0, 0.0, 0.0]),
    },
    _EX + "gaussian_inits": {"n": lambda: 2},
    _EX + "check_plain_blowup": {"run": lambda: _run("plain")},
    _EX + "plain_blowup": {
        "inits": _inits,
        "max_norm": lambda: 1e8,
        "rtol": lambda: 1e-8,
    },
    _EX + "check_scaled_convergence": {"run": lambda: _run("scaled")},
    _EX + "scaled_convergence": {
        "inits": _inits,
        "decays": lambda: 40.0,
        "t_min": lambda: 1.0,
        "rtol": lambda: 1e-8,
    },
    _EX + "check_first_power": {
        "run": lambda: _run("scaled", 1.0),
        "fit_from": lambda: 0.5,
    },
    _EX + "first_power_growth": {
        "inits": _inits,
        "T": lambda: 2.0,
        "samples": lambda: 11,
        "rtol": lambda: 1e-8,
    },
}
