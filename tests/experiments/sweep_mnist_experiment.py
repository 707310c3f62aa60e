"""Adversarial-sweep table for ssl_notes.experiments.mnist_experiment
(tests/test_adversarial.py).

The name table's D (6 x 6) does not match its Z (12 rows); its d = 4 is too small
for the flop-model check (which needs 2z + 6 <= d); its benchmark result has one
width, and the runtime and crossover checks need two; the SVM, the accuracy table
and the two problems of the point-scaling check have no example. Each gets a small,
consistent valid call (benchmark results and problems cached: they load MNIST).
"""

from __future__ import annotations

import numpy as np

_CACHE: dict[str, object] = {}


def _sym(d: int, seed: int) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((d, d))
    return (A + A.T) / 2


def _problem(per_class: int):
    key = f"problem{per_class}"
    if key not in _CACHE:
        from ssl_notes import benchmark

        _CACHE[key] = benchmark.make_problem(per_class=per_class)
    return _CACHE[key]


def _two_widths():
    if "result" not in _CACHE:
        from ssl_notes import benchmark

        _CACHE["result"] = benchmark.run_benchmark(
            widths=(2, 8), z=2, problem=_problem(5), repeats=1, warmup=0,
            target_seconds=0.001, max_steps=2, threads=1,
        )  # fmt: skip
    return _CACHE["result"]


def _features(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)) + np.repeat([[2.0, 0.0], [-2.0, 0.0]], n // 2, 0)


def _labels(n: int) -> np.ndarray:
    return np.repeat([0.0, 1.0], n // 2)


def _accuracy():
    rng = np.random.default_rng(0)
    base = np.array([0.6, 0.8]) + 0.01 * rng.standard_normal((3, 2))
    return {"(12)": base, "(11) euclidean": base + 0.001}


_M = "experiments.mnist_experiment."
OVERRIDES = {
    _M + "output_check": {"D": lambda: _sym(12, 3)},
    _M + "flop_model_check": {"d": lambda: 40, "z": lambda: 2, "m": lambda: 12},
    _M + "runtime_check": {"result": _two_widths},
    _M + "crossover_width": {
        "result": _two_widths,
        "slow": lambda: "gd_naive",
        "fast": lambda: "flow_M",
    },
    _M + "point_scaling": {
        "small": lambda: _problem(5),
        "big": lambda: _problem(6),
        "z": lambda: 2,
    },
    _M + "svm_accuracy": {
        "F_train": lambda: _features(10, 1),
        "y_train": lambda: _labels(10),
        "F_test": lambda: _features(6, 2),
        "y_test": lambda: _labels(6),
    },
    _M + "accuracy_sweep": {"eval_steps": lambda: (0, 3)},
    _M + "compare_accuracies": {
        "accuracy": _accuracy,
        "eval_steps": lambda: (0, 5),
    },
}
