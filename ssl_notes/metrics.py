r"""Measurements shared by the chapters: subspaces, ranks, fitted rates."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_matrix

__all__ = ["principal_angles", "subspace_distance", "effective_rank", "loglog_slope"]


def _orthonormal_basis(name: str, A: np.ndarray) -> np.ndarray:
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if s[-1] <= 1e-12 * s[0]:
        raise ValueError(
            f"{name}: columns are linearly dependent (rank < {A.shape[1]})"
        )
    return U


def principal_angles(A: Any, B: Any) -> np.ndarray:
    r"""Principal angles between the column spans of A and B, ascending, in radians.

    With orthonormal bases :math:`Q_A, Q_B` (from SVDs, so A and B need not be
    orthonormal), the cosines of the angles are the singular values of
    :math:`Q_A^\top Q_B`. The angles are computed from the sines (singular values
    of :math:`(I - Q_A Q_A^\top) Q_B`) where they are small, which keeps full
    accuracy near 0 where ``arccos`` of a cosine does not.

    Parameters
    ----------
    A : array_like, shape (d, p)
        Full column rank.
    B : array_like, shape (d, q)
        Full column rank (q <= p is not required).

    Returns
    -------
    ndarray, shape (min(p, q),)
    """
    A = as_matrix("A", A)
    B = as_matrix("B", B)
    if A.shape[0] != B.shape[0]:
        raise ValueError(
            f"A and B must have the same number of rows, got {A.shape} and {B.shape}"
        )
    QA, QB = _orthonormal_basis("A", A), _orthonormal_basis("B", B)
    if QA.shape[1] < QB.shape[1]:
        QA, QB = QB, QA
    k = QB.shape[1]
    # singular values come descending: ascending cosines, descending sines
    cos = np.clip(np.linalg.svd(QA.T @ QB, compute_uv=False), 0.0, 1.0)[::-1]
    sin = np.clip(np.linalg.svd(QB - QA @ (QA.T @ QB), compute_uv=False), 0.0, 1.0)
    ang_cos = np.arccos(cos)[::-1]  # ascending angles
    ang_sin = np.arcsin(sin)[::-1]  # ascending angles
    return np.where(ang_sin < np.pi / 4, ang_sin, ang_cos)[:k]


def subspace_distance(A: Any, B: Any) -> float:
    r"""The largest principal angle between the column spans of A and B (radians).

    :math:`\max_k \theta_k`, with :math:`\theta_k` from :func:`principal_angles`.

    Parameters
    ----------
    A : array_like, shape (d, p)
        Full column rank.
    B : array_like, shape (d, q)
        Full column rank.

    Returns
    -------
    float
    """
    return float(np.max(principal_angles(A, B)))


def effective_rank(F: Any) -> float:
    r"""Effective rank (Roy and Vetterli, 2007) of a matrix.

    .. math:: \operatorname{erank}(F) = \exp\Big(-\sum_j p_j \log p_j\Big),
              \qquad p_j = s_j \Big/ \sum_k s_k,

    with :math:`s_j` the singular values of F and the sum over :math:`p_j > 0`:
    z for equal singular values, 1 for a rank-one matrix.

    Parameters
    ----------
    F : array_like, shape (n, z)
        E.g. an embedding, one row per point; not the zero matrix.

    Returns
    -------
    float
    """
    F = as_matrix("F", F)
    s = np.linalg.svd(F, compute_uv=False)
    if s[0] == 0:
        raise ValueError("F: the zero matrix has no effective rank")
    p = s / s.sum()
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def loglog_slope(x: Any, y: Any) -> tuple[float, float]:
    r"""Least-squares slope of :math:`\log y` against :math:`\log x`, with its
    standard error.

    Fits :math:`\log y_i = a \log x_i + b` by ordinary least squares and returns a.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive, n >= 2.

    Returns
    -------
    slope, stderr : float
        ``stderr`` is the usual OLS standard error of the slope (nan for 2 points).
    """
    x = as_matrix("x", x, ndim=1)
    y = as_matrix("y", y, ndim=1)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(
            f"x and y must be 1-D of equal length >= 2, got {x.shape} and {y.shape}"
        )
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive for a log-log fit")
    lx, ly = np.log(x), np.log(y)
    A = np.vstack([lx, np.ones_like(lx)]).T
    coef, res, *_ = np.linalg.lstsq(A, ly, rcond=None)
    n = lx.size
    if n > 2:
        resid = ly - A @ coef
        se = float(np.sqrt(resid @ resid / (n - 2) / np.sum((lx - lx.mean()) ** 2)))
    else:
        se = float("nan")
    return float(coef[0]), se
