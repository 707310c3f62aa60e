r"""Matrices with orthonormal columns (the Stiefel manifold :math:`V_k(\mathbb{R}^m)`).

Small named operations, each tested against its defining identity:
sampling from the uniform (Haar) distribution, the nearest point in
Frobenius norm (polar factor, in numpy and, for training on the device of a
network, in torch: :func:`polar_project_torch`), and a membership test.

Also the Euclidean (Frobenius-distance) projections onto the two norm balls of
Propositions 2 and 3: the Frobenius ball (rescale) and the operator-norm ball
(clip the singular values).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import (
    as_matrix,
    as_rng,
    check_flag,
    check_positive_float,
    check_positive_int,
    check_scalar,
    check_tolerance,
)

#: The largest m k^2 (the work of one m x k QR) that :func:`haar_orthonormal` accepts.
_MAX_QR_WORK = 5 * 10**9

__all__ = [
    "qr_positive",
    "haar_orthonormal",
    "project_orthonormal",
    "polar_project_torch",
    "is_orthonormal",
    "project_frobenius_ball",
    "project_operator_ball",
]


def qr_positive(Y: Any, validate: bool = True) -> np.ndarray:
    r"""Q of the thin QR :math:`Y = QR` with :math:`\operatorname{diag}(R) \ge 0`.

    The one positive-diagonal QR of the package (Householder, LAPACK ``dgeqrf`` +
    ``dorgqr`` called directly: about three times faster than ``numpy.linalg.qr``
    on the small matrices that :mod:`ssl_notes.dynamics` factors thousands of
    times, and bitwise equal to it here). Fixing the signs makes the
    factorisation unique for full-rank Y; a zero diagonal entry keeps sign +1.

    Parameters
    ----------
    Y : array_like, shape (m, k), k <= m
    validate : bool
        Check Y (real, finite, k <= m). Inner loops that built Y themselves pass
        ``False`` and must then pass a float64 ndarray.

    Returns
    -------
    ndarray, shape (m, k), with :math:`Q^\top Q = I_k` and span Q = span Y
    when Y has full column rank.
    """
    from scipy.linalg import lapack

    validate = check_flag("validate", validate)
    if validate:
        Y = as_matrix("Y", Y)
        if Y.shape[1] > Y.shape[0]:
            raise ValueError(
                f"Y: expected at most as many columns as rows, got shape {Y.shape}"
            )
    k = Y.shape[1]
    qr, tau, _, info = lapack.dgeqrf(Y)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"dgeqrf failed (info = {info})")
    s = np.sign(np.diag(qr)[:k])
    Q, _, info = lapack.dorgqr(qr[:, :k], tau)
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"dorgqr failed (info = {info})")
    s[s == 0] = 1.0
    return Q * s


def haar_orthonormal(m: int, k: int, rng: Any = None) -> np.ndarray:
    r"""An :math:`m\times k` matrix with orthonormal columns, Haar distributed.

    Draw :math:`G\in\mathbb{R}^{m\times k}` with i.i.d. N(0, 1) entries and
    return the Q factor of :math:`G = QR` with the signs fixed so that
    :math:`R_{jj} > 0` (:func:`qr_positive`). LAPACK alone does not fix the signs
    of R's diagonal, and without a convention the law of Q is not uniform. With
    the convention the factorisation is unique, and since :math:`UG` has the same
    law as G for every orthogonal U and :math:`UG = (UQ)R`, the law of Q is
    invariant under :math:`Q \mapsto UQ`: the Haar measure. (This Q is *not*
    the polar factor :math:`G(G^\top G)^{-1/2}`, which is also Haar distributed
    but is a different matrix.)

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
    if m * k * k > _MAX_QR_WORK:
        raise ValueError(
            f"m, k: a {m} x {k} QR factorisation ({m * k * k:.1e} > "
            f"{_MAX_QR_WORK:.0e} multiply-adds) would take minutes; use smaller sizes"
        )
    gen = as_rng(rng)
    return qr_positive(gen.standard_normal((m, k)), validate=False)


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
    rcond = _check_rcond(rcond)
    m, k = A.shape
    if k > m:
        raise ValueError(
            f"A: expected at most as many columns as rows, got shape {A.shape}"
        )
    U, s, Pt = np.linalg.svd(A, full_matrices=False)
    if s[-1] <= rcond * s[0]:
        raise ValueError(
            f"A: rank deficient (singular values {s[0]:.3e} ... {s[-1]:.3e}), "
            "the nearest orthonormal matrix is not unique"
        )
    return U @ Pt


def _check_rcond(rcond: Any) -> float:
    return check_scalar(
        "rcond", rcond, "real", min_val=0.0, max_val=1.0, include_max=False
    )


def polar_project_torch(A: Any, rcond: float = 1e-12) -> Any:
    r"""The polar factor :math:`\Pi(A) = UP^\top` of a torch matrix, on its own device.

    The torch twin of :func:`project_orthonormal` (same definition, thin SVD
    :math:`A = U\Sigma P^\top`, same rank check), so that projected training
    (:mod:`ssl_notes.twins`) stays on the GPU when there is one. A stack of
    matrices (..., m, k) is projected matrix by matrix. torch is imported only
    when this is called.

    Parameters
    ----------
    A : torch.Tensor, shape (..., m, k), k <= m, real floating dtype, finite,
        every matrix of full column rank
    rcond : float in [0, 1)
        Smallest singular value, relative to the largest, taken as non-zero.

    Returns
    -------
    torch.Tensor, shape (..., m, k), same dtype and device, with
    :math:`\Pi(A)^\top\Pi(A) = I_k`.
    """
    import torch

    if not torch.is_tensor(A):
        raise TypeError(
            "A: expected a torch tensor of matrices (..., m, k), "
            f"got {type(A).__name__}"
        )
    if not A.dtype.is_floating_point:
        raise TypeError(f"A: expected a real floating tensor, got dtype {A.dtype}")
    if A.ndim < 2:
        raise ValueError(
            f"A: expected matrices (..., m, k), got shape {tuple(A.shape)}"
        )
    if A.shape[-1] > A.shape[-2]:
        raise ValueError(
            f"A: expected at most as many columns as rows, got shape {tuple(A.shape)}"
        )
    if A.numel() == 0:
        raise ValueError(f"A: expected a non-empty tensor, got shape {tuple(A.shape)}")
    rcond = _check_rcond(rcond)
    if not bool(torch.isfinite(A).all()):
        raise ValueError("A: contains NaN or infinite entries")
    U, S, Pt = torch.linalg.svd(A, full_matrices=False)
    if not bool((S[..., -1] > rcond * S[..., 0]).all()):
        raise ValueError(
            "A: rank deficient (smallest singular value "
            f"{float(S[..., -1].min()):.3e}), "
            "the nearest orthonormal matrix is not unique"
        )
    return U @ Pt


def is_orthonormal(A: Any, tol: float = 1e-10) -> bool:
    r"""Whether :math:`\max_{ij} |(A^\top A - I)_{ij}| \le` ``tol``."""
    A = as_matrix("A", A)
    tol = check_tolerance("tol", tol)
    if A.shape[1] > A.shape[0]:
        return False
    return bool(np.max(np.abs(A.T @ A - np.eye(A.shape[1]))) <= tol)


def project_frobenius_ball(A: Any, radius: float = 1.0) -> np.ndarray:
    r"""Nearest point of the Frobenius ball :math:`\{X : \|X\|_F \le r\}` (Prop. 2).

    The ball is the Euclidean ball of :math:`\mathbb{R}^{m k}`, so the projection
    rescales: :math:`\Pi_F(A) = A \min(1, r / \|A\|_F)`. It keeps the singular
    vectors and multiplies every singular value by the same factor.

    Parameters
    ----------
    A : array_like, shape (m, k)
    radius : float
        The radius r > 0.

    Returns
    -------
    ndarray, shape (m, k), with :math:`\|\Pi_F(A)\|_F \le r`
    """
    A = as_matrix("A", A)
    r = check_positive_float("radius", radius)
    nrm = float(np.linalg.norm(A))
    return A.copy() if nrm <= r else A * (r / nrm)


def project_operator_ball(A: Any, radius: float = 1.0) -> np.ndarray:
    r"""Nearest point, in Frobenius distance, of the operator-norm ball (Proposition 3).

    With the thin SVD :math:`A = U\operatorname{diag}(s)P^\top`,

    .. math:: \Pi_2(A) = U \operatorname{diag}(\min(s_j, r)) P^\top

    minimises :math:`\|X - A\|_F` over :math:`\|X\|_2 \le r`: by Mirsky's
    inequality :math:`\|X - A\|_F^2 \ge \sum_j (\sigma_j(X) - s_j)^2
    \ge \sum_j (s_j - r)_+^2`, and the clipped matrix attains the bound. The
    ball is convex, so the nearest point is unique (even when singular values
    repeat and the SVD is not).

    Parameters
    ----------
    A : array_like, shape (m, k)
    radius : float
        The radius r > 0.

    Returns
    -------
    ndarray, shape (m, k), with :math:`\|\Pi_2(A)\|_2 \le r`
    """
    A = as_matrix("A", A)
    r = check_positive_float("radius", radius)
    U, s, Pt = np.linalg.svd(A, full_matrices=False)
    if s[0] <= r:
        return A.copy()
    return (U * np.minimum(s, r)) @ Pt
