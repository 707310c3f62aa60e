"""Input validation shared by every module of :mod:`ssl_notes`.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument and says what was expected, so that a bad call fails loudly instead
of broadcasting into a silently wrong answer.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "as_rng",
    "as_matrix",
    "check_positive_int",
    "check_symmetric",
    "check_orthonormal_columns",
    "check_same_shape",
]


def as_rng(rng: Any) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a seed, a generator or ``None``.

    ``None`` gives a generator seeded with 0, so that nothing in the book is
    random unless asked to be: every call is reproducible by default.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError("rng: expected an int seed, a numpy.random.Generator or None, got a bool")
    if isinstance(rng, numbers.Integral):
        if int(rng) < 0:
            raise ValueError(f"rng: a seed must be non-negative, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng: expected an int seed, a numpy.random.Generator or None, got {type(rng).__name__}"
    )


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` after checking that it is a positive integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a positive integer, got {value!r}")
    if int(value) <= 0:
        raise ValueError(f"{name}: expected a positive integer, got {value}")
    return int(value)


def as_matrix(name: str, A: Any, ndim: int = 2) -> np.ndarray:
    """Convert ``A`` to a float64 array of dimension ``ndim`` with finite entries.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    A : array_like
        The input.
    ndim : int
        Required number of dimensions (2 for a matrix, 1 for a vector).
        A torch tensor is accepted and copied to a numpy array.
    """
    if A is None:
        raise TypeError(f"{name}: expected an array, got None")
    if hasattr(A, "detach") and hasattr(A, "cpu"):  # a torch tensor
        A = A.detach().cpu().numpy()
    try:
        arr = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected a numeric array, got {type(A).__name__}") from exc
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return arr


def check_symmetric(name: str, C: Any, rtol: float = 1e-10) -> np.ndarray:
    """Return ``C`` as a float64 square matrix after checking ``C == C.T``.

    The check is relative: ``max|C - C^T| <= rtol * max(1, max|C|)``.
    """
    C = as_matrix(name, C)
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {C.shape}")
    scale = max(1.0, float(np.max(np.abs(C))))
    asym = float(np.max(np.abs(C - C.T)))
    if asym > rtol * scale:
        raise ValueError(
            f"{name}: expected a symmetric matrix, max |C - C^T| = {asym:.3e} "
            f"(tolerance {rtol * scale:.1e})"
        )
    return C


def check_orthonormal_columns(name: str, A: Any, tol: float = 1e-8) -> np.ndarray:
    """Return ``A`` after checking ``A^T A = I`` entrywise within ``tol``."""
    A = as_matrix(name, A)
    m, k = A.shape
    if k > m:
        raise ValueError(
            f"{name}: a {m}x{k} matrix cannot have orthonormal columns (more columns than rows)"
        )
    err = float(np.max(np.abs(A.T @ A - np.eye(k))))
    if err > tol:
        raise ValueError(
            f"{name}: columns are not orthonormal, max |A^T A - I| = {err:.3e} (tolerance {tol:.1e})"
        )
    return A


def check_same_shape(names: tuple[str, ...], *arrays: np.ndarray) -> None:
    """Raise ``ValueError`` unless all arrays share one shape."""
    shapes = [a.shape for a in arrays]
    if any(s != shapes[0] for s in shapes[1:]):
        desc = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
        raise ValueError(f"expected arrays of the same shape, got {desc}")
