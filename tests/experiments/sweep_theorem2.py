"""Adversarial-sweep table for ssl_notes.experiments.theorem2 (test_adversarial.py).

The name table's Z has 12 rows and its D is 6 x 6, and its widths (8,) exceed d = 4:
give each function a small consistent valid call.
"""

from __future__ import annotations

import numpy as np


def _Z():
    return np.random.default_rng(17).standard_normal((6, 4))


OVERRIDES = {
    "experiments.theorem2.check_identities": {"Z": _Z, "zs": lambda: (1, 2)},
    "experiments.theorem2.output_step_sweep": {"Z": _Z},
    "experiments.theorem2.factor_flow_check": {"widths": lambda: (2, 3)},
    "experiments.theorem2.metric_velocity_sweep": {
        "widths": lambda: (2, 3),
        "n_completions": lambda: 3,
    },
}
