r"""Matrices with orthonormal columns (the Stiefel manifold :math:`V_k(\mathbb{R}^m)`).

Small named operations, each tested against its defining identity:
sampling from the uniform (Haar) distribution, the nearest point in
Frobenius norm (polar factor), and a membership test.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_matrix, as_rng, check_positive_int

__all__ = ["haar_orthonormal", "project_orthonormal", "is_orthonormal"]


def haar_orthonormal(m: int, k: int, rng: Any = None) -> np.ndarray:
    r"""An :math:`m\times k` matrix with orthonormal columns, Haar distributed.

    Draw :math:`G\in\mathbb{R}^{m\times k}` with i.i.d. N(0, 1) entries and
    factor :math:`G = QR`. LAPACK does not fix the signs of R's diagonal, and
    without a convention the law of Q is not uniform; multiplying column j of Q
    by :math:`\operatorname{sign}(R_{jj})` makes the factorisation unique
    (:math:`R_{jj} > 0`), and then :math:`Q = G (G^\top G)^{-1/2}`, whose law is
    invariant under :math:`Q \mapsto UQ` for every orthogonal U: the Haar measure.

    Parameters
    ----------
    m, k : int
        Shape, ``k <= m``.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    ndarray, shape (m, k), with :math:`Q^\top Q = I_k`
    """
    m = check_positive_int("m", m)
    k = check_positive_int("k", k)
    if k > m:
        raise ValueError(f"k: orthonormal columns need k <= m, got m = {m}, k = {k}")
    gen = as_rng(rng)
    G = gen.standard_normal((m, k))
    Q, R = np.linalg.qr(G)
    s = np.sign(np.diag(R))
    s[s == 0] = 1.0
    return Q * s


def project_orthonormal(A: Any, rcond: float = 1e-12) -> np.ndarray:
    r"""Nearest matrix with orthonormal columns in Frobenius norm: the polar factor.

    With the thin SVD :math:`A = U \Sigma P^\top`,
    :math:`\Pi(A) = U P^\top = A (A^\top A)^{-1/2}` minimises
    :math:`\|Q - A\|_F` over :math:`Q^\top Q = I`. The minimiser is unique iff
    A has full column rank; otherwise this raises, rather than returning one of
    many answers silently.

    Parameters
    ----------
    A : array_like, shape (m, k), k <= m, full column rank
    rcond : float
        Smallest singular value, relative to the largest, taken as non-zero.
    """
    A = as_matrix("A", A)
    m, k = A.shape
    if k > m:
        raise ValueError(f"A: expected at most as many columns as rows, got shape {A.shape}")
    U, s, Pt = np.linalg.svd(A, full_matrices=False)
    if s[-1] <= rcond * s[0]:
        raise ValueError(
            f"A: rank deficient (singular values {s[0]:.3e} ... {s[-1]:.3e}), "
            "the nearest orthonormal matrix is not unique"
        )
    return U @ Pt


def is_orthonormal(A: Any, tol: float = 1e-10) -> bool:
    r"""Whether :math:`\max_{ij} |(A^\top A - I)_{ij}| \le` ``tol``."""
    A = as_matrix("A", A)
    if A.shape[1] > A.shape[0]:
        return False
    return bool(np.max(np.abs(A.T @ A - np.eye(A.shape[1]))) <= tol)
