"""Sweep table of ssl_notes.experiments.theorem1 for tests/test_adversarial.py."""

from __future__ import annotations

import numpy as np

_CACHE: dict = {}


def _problem():
    if "p" not in _CACHE:
        from ssl_notes.experiments import theorem1 as t1

        _CACHE["p"] = t1.mnist_problem(d=4, per_class=2, seed=0)
    return _CACHE["p"]


def _run():
    if "run" not in _CACHE:
        from ssl_notes.experiments import theorem1 as t1

        _CACHE["run"] = t1.conjecture1(
            _problem(), [8], [0, 1], z=2, lr=0.01, epochs=2, activations=("tanh",)
        )
    return _CACHE["run"]


def _gaps():
    if "gaps" not in _CACHE:
        from ssl_notes.experiments import theorem1 as t1

        _CACHE["gaps"] = t1.init_gaps(_problem().X, [8], [0, 1], ("tanh",), 2)
    return _CACHE["gaps"]


def _summary(scale):
    from ssl_notes.experiments import theorem1 as t1

    w = np.array([1.0, 0.1])[:, None] * np.ones((2, 3))
    if scale == "relu":
        return t1.GapSummary(0.3 * w, 0.4 * w, 0.7 + 0 * w, 0.8 + 0 * w)
    if scale == "sigmoid":
        rel = np.array([1.0, 3.0])[:, None] * np.ones((2, 3))
        return t1.GapSummary(1 + 0 * w, 1.1 + 0 * w, rel, 1.1 * rel)
    return t1.GapSummary(w, 1.1 * w, w, 1.1 * w)


def _levels():
    rng = np.random.default_rng(0)
    return 1.0 + 0.1 * rng.standard_normal((3, 4))


_P = "experiments.theorem1."
OVERRIDES = {
    _P + "lemma2_sweep": {"draws": lambda: 2},
    _P + "projection_moments": {
        "rows": lambda: np.random.default_rng(1).standard_normal((5, 8))
    },
    _P + "level_check": {"measured": _levels, "expected": lambda: np.ones(3)},
    _P + "projection_check": {
        "measured": _levels,
        "cond_mean": lambda: np.ones((3, 4)),
        "cond_var": lambda: 0.01 * np.ones((3, 4)),
    },
    _P + "slope_check": {
        "widths": lambda: np.array([10.0, 100.0, 1000.0]),
        "measured": lambda: _levels() / np.array([10.0, 100.0, 1000.0])[:, None],
        "expected": lambda: 1 / np.array([10.0, 100.0, 1000.0]),
    },
    _P + "gap_summary": {"sweep": lambda: _run().free},
    _P + "conjecture1": {
        "problem": _problem,
        "epochs": lambda: 2,
        "activations": lambda: ("tanh",),
    },
    _P + "conjecture1_orderings": {
        "tanh": lambda: _summary("tanh"),
        "relu": lambda: _summary("relu"),
        "sigmoid": lambda: _summary("sigmoid"),
        "widths": lambda: (10, 100),
    },
    _P + "twin_precision": {"run": _run, "problem": _problem, "gaps": _gaps},
}
