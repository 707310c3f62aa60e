"""Sweep table of :mod:`ssl_notes.experiments.lemma1` for ``tests/test_adversarial.py``:
small valid calls (d = 4, z = 2, widths of 8 hidden units, two seeds) and the
arguments whose zero is valid."""

from __future__ import annotations

import numpy as np


def _randn(*shape: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _sweep():
    from ssl_notes.experiments.lemma1 import WidthSweep

    h = np.array([8, 16, 32])
    noise = np.exp(0.1 * _randn(3, 3))
    v = h**-0.5 * noise
    return WidthSweep("tanh", h, v, 1 + 0 * v, v, v, v)


_L1 = "experiments.lemma1."
OVERRIDES = {
    _L1 + "output_dynamics_check": {
        "X_train": lambda: _randn(12, 4, seed=10),
        "Y_train": lambda: _randn(12, 2, seed=11),
        "X_eval": lambda: _randn(3, 4, seed=12),
        "eta": lambda: 0.3,
        "Theta": lambda: None,
    },
    _L1 + "block_check": {
        "feats1": lambda: _randn(5, 4, seed=13),
        "feats2": lambda: _randn(3, 4, seed=14),
    },
    _L1 + "exact_block_checks": {
        "rff_sizes": lambda: (1, 8),
        "frozen_widths": lambda: (4,),
    },
    _L1 + "width_sweep": {"n_seeds": lambda: 2},
    _L1 + "slope_check": {
        "widths": lambda: (8, 16, 32),
        "values": lambda: np.exp(0.1 * _randn(3, 3)) * np.array([8, 16, 32]) ** -0.5,
    },
    _L1 + "check_sweep": {"sweep": _sweep},
    _L1 + "kernel_sample": {"width": lambda: 8, "n_seeds": lambda: 2},
    _L1 + "mean_check": {
        "samples": lambda: 1 + 0.1 * _randn(3, 5, 5),
        "K": lambda: np.ones((5, 5)),
    },
    _L1 + "layer_limits": {"activation": lambda: "relu"},
    _L1 + "gd_regression": {"Y": lambda: _randn(12, 2, seed=15)},
    _L1 + "exact_regression": {
        "W0": lambda: _randn(4, 2, seed=16),
        "Y": lambda: _randn(12, 2, seed=15),
    },
    _L1 + "joint_vs_separate": {
        "Y": lambda: _randn(12, 2, seed=15),
        "width": lambda: 8,
    },
    _L1 + "remark_sweep": {
        "Y": lambda: _randn(12, 2, seed=15),
        "n_seeds": lambda: 2,
    },
}

_ZERO_STREAM = "a stream word of the seed scheme; 0 is the first stream"
VALID_CASES = {
    (_L1 + "width_sweep", "stream", "zero"): _ZERO_STREAM,
    (_L1 + "kernel_sample", "stream", "zero"): _ZERO_STREAM,
    (_L1 + "joint_vs_separate", "replica", "zero"): "replica 0 is the first network",
}

FREE_ARGUMENTS = {
    (_L1 + "block_check", "name"): "the row's label; any string",
}
