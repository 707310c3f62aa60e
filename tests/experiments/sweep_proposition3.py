"""Sweep table of :mod:`ssl_notes.experiments.proposition3` for
``tests/test_adversarial.py``: small runs of the four solvers on the sweep's standard
C (d = 4, eigenvalues -2 ... 1.5, so z = 2 meets part (b)), and on that C shifted so
that only one eigenvalue is negative (part (c))."""

from __future__ import annotations

import numpy as np


def _sym(d: int = 4, seed: int = 1) -> np.ndarray:  # the sweep's standard C
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (Q * np.linspace(-2.0, 1.5, d)) @ Q.T


def _runs(shift: float = 0.0):
    from ssl_notes.experiments import proposition3 as p3

    C = _sym() + shift * np.eye(4)
    return p3.solve_four(C, 2, 3, 0, steps=20, steps_3=20, steps_1=20)


def _checks():
    from ssl_notes.experiments import proposition3 as p3

    return [p3.check_four(_runs())]


_P = "experiments.proposition3."
OVERRIDES = {
    _P + "negative_part_bound": {"lam": lambda: np.array([-2.0, -1.0, 0.5, 1.0])},
    _P + "check_key_inequality": {"trials": lambda: 5},
    _P + "solve_four": {"steps_3": lambda: 3, "steps_1": lambda: 3},
    _P + "check_four": {"runs": _runs},
    _P + "sweep_verdict": {"checks": _checks, "max_stuck": lambda: 1},
    _P + "stuck_allowance": {"n_runs": lambda: 10},
    _P + "check_local_minimum": {"n_perturb": lambda: 5},
    _P + "check_failure_case": {"runs": lambda: _runs(shift=1.4)},
}

VALID_CASES = {
    (_P + "sweep_verdict", "max_stuck", "zero"): "no stuck run allowed is a valid rule",
}
