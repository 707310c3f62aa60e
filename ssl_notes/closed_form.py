r"""Consequences of the closed form of the flow, evaluated from one eigendecomposition.

The flow :math:`\dot M = -2(I - MM^\top)CM`, :math:`M^\top M = I_z` (time convention
of :mod:`ssl_notes.dynamics`) has projector :math:`P(t) = Y(Y^\top Y)^{-1}Y^\top` with
:math:`Y(t) = e^{-2Ct}M(0)`. Write :math:`C = Q\Lambda Q^\top` with ascending
eigenvalues :math:`\lambda_1\le\dots\le\lambda_d`, :math:`B = Q^\top M(0)` split
into its first z rows :math:`B_1` (z x z) and the rest :math:`B_2`. When :math:`B_1` is
invertible, right-multiplying Y by the invertible matrix
:math:`B_1^{-1}e^{2\Lambda_1 t}` (which does not change its span) gives

.. math:: \operatorname{span} M(t)
          = \operatorname{span}\, Q\begin{pmatrix} I_z \\ K(t)\end{pmatrix},
          \qquad K(t) = e^{-2\Lambda_2 t} K_0\, e^{2\Lambda_1 t},
          \quad K_0 = B_2 B_1^{-1},

i.e. :math:`K(t)_{ij} = e^{-2(\lambda_{z+i} - \lambda_j)t}(K_0)_{ij}`: every exponent is
:math:`\le 0`, so nothing overflows at any t. From K:

- the loss :math:`\operatorname{Tr}(CP(t)) = \operatorname{Tr}\big((I + K^\top K)^{-1}
  (\Lambda_1 + K^\top\Lambda_2 K)\big)`;
- the largest principal angle :math:`\theta(t)` between span M(t) and the bottom-z
  eigenspace :math:`E_z = \operatorname{span}(q_1,\dots,q_z)`:
  :math:`\tan\theta(t) = \|K(t)\|_2`;
- with the eigengap :math:`g = \lambda_{z+1} - \lambda_z > 0`,
  :math:`\tan\theta(t)\le e^{-2gt}\tan\theta(0)`, and
  :math:`e^{2gt}\tan\theta(t)\to\kappa`, the norm of the block of :math:`K_0` that
  couples the eigenvalue :math:`\lambda_{z+1}` to :math:`\lambda_z`.

:math:`B_1` is singular exactly when span M(0) contains a non-zero vector orthogonal to
:math:`E_z`; then the flow never reaches :math:`E_z` and these functions raise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import (
    check_C_M0,
    check_positive_int,
    check_scalar,
    check_symmetric,
    check_times,
)
from .manifold import qr_positive

__all__ = [
    "eigengap",
    "tangent_matrix",
    "loss_curve",
    "distance_curve",
    "convergence_time",
    "qr_basis",
]

_check = check_C_M0
_times = check_times


def _eigen(C: np.ndarray, M0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending eigenvalues and K_0 = B_2 B_1^{-1}; raises when B_1 is singular."""
    lam, Q = np.linalg.eigh(C)
    d, z = M0.shape
    B = Q.T @ M0
    B1, B2 = B[:z], B[z:]
    smin = np.linalg.svd(B1, compute_uv=False)[-1]
    if smin <= d * np.finfo(np.float64).eps:
        raise ValueError(
            "M0: its span contains a direction orthogonal to the bottom-z eigenspace "
            f"of C (smallest singular value of B_1 = Q_z^T M0 is {smin:.1e}); the flow "
            "does not converge to that eigenspace and the closed form in K(t) does not "
            "apply (use ssl_notes.dynamics.flow_projector)"
        )
    K0 = np.linalg.solve(B1.T, B2.T).T  # B2 B1^{-1}
    return lam, K0


def eigengap(C: Any, z: int) -> float:
    r"""The eigengap :math:`g = \lambda_{z+1} - \lambda_z` of C (ascending eigenvalues).

    It sets the rate :math:`e^{-2gt}` at which the flow reaches the bottom-z eigenspace.
    """
    C = check_symmetric("C", C)
    z = check_positive_int("z", z)
    if not 1 <= z < C.shape[0]:
        raise ValueError(f"z: expected 1 <= z < d = {C.shape[0]}, got {z}")
    lam = np.linalg.eigvalsh(C)
    return float(lam[z] - lam[z - 1])


def tangent_matrix(C: Any, M0: Any, t: Any) -> np.ndarray:
    r"""The matrix :math:`K(t) = e^{-2\Lambda_2 t} B_2 B_1^{-1} e^{2\Lambda_1 t}`.

    See the module docstring; every exponent is :math:`\le 0`, so any t works.

    ``span M(t) = span Q [I; K(t)]`` with Q the eigenvectors of C (ascending order).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns, z < d
    t : float or 1-D array of non-negative times

    Returns
    -------
    ndarray, shape (d - z, z) for scalar t, else (len(t), d - z, z)

    Raises
    ------
    ValueError
        If :math:`B_1 = Q_z^\top M_0` is (numerically) singular: the flow does not reach
        the bottom-z eigenspace.
    """
    C, M0 = _check(C, M0)
    d, z = M0.shape
    if z >= d:
        raise ValueError(f"M0: need z < d for a non-trivial flow, got shape {M0.shape}")
    ts, scalar = _times(t)
    lam, K0 = _eigen(C, M0)
    expo = lam[z:, None] - lam[None, :z]  # >= 0 entries: lambda_{z+i} - lambda_j
    K = np.exp(-2.0 * ts[:, None, None] * expo[None]) * K0[None]
    return K[0] if scalar else K


def loss_curve(C: Any, M0: Any, t: Any) -> np.ndarray | float:
    r"""The loss :math:`\operatorname{Tr}(M(t)^\top C M(t)) = \operatorname{Tr}(CP(t))`.

    Evaluated at all times at once from one eigendecomposition of C,
    :math:`\operatorname{Tr}\big((I + K^\top K)^{-1}
    (\Lambda_1 + K^\top\Lambda_2 K)\big)`
    (module docstring), in :math:`O(d^3 + T(d - z)z^2)` operations for T times.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times

    Returns
    -------
    float for scalar t, else ndarray of shape (len(t),)
    """
    C, M0 = _check(C, M0)
    d, z = M0.shape
    ts, scalar = _times(t)
    if z == d:  # P = I at all times
        out = np.full(ts.shape, float(np.trace(C)))
        return float(out[0]) if scalar else out
    lam, K0 = _eigen(C, M0)
    expo = lam[z:, None] - lam[None, :z]
    K = np.exp(-2.0 * ts[:, None, None] * expo[None]) * K0[None]
    Kt = K.transpose(0, 2, 1)
    A = np.eye(z)[None] + Kt @ K
    N = np.diag(lam[:z])[None] + Kt @ (lam[z:, None] * K)
    out = np.trace(np.linalg.solve(A, N), axis1=1, axis2=2)
    return float(out[0]) if scalar else out


def distance_curve(C: Any, M0: Any, t: Any) -> np.ndarray | float:
    r"""Largest principal angle between span M(t) and the bottom-z eigenspace of C.

    :math:`\theta(t) = \arctan\|K(t)\|_2` (radians), accurate near 0. The bottom-z
    eigenspace is the one ``numpy.linalg.eigh`` returns; it is unique when
    :math:`\lambda_z < \lambda_{z+1}`.

    Returns
    -------
    float for scalar t, else ndarray of shape (len(t),)
    """
    K = tangent_matrix(C, M0, t)
    if K.ndim == 2:
        return float(np.arctan(np.linalg.norm(K, 2)))
    return np.arctan(np.linalg.norm(K, ord=2, axis=(1, 2)))


def convergence_time(
    C: Any, M0: Any, delta: float, rtol: float = 1e-9
) -> tuple[float, float]:
    r"""Time for the flow to come within angle ``delta`` of the bottom-z eigenspace.

    From the eigengap, in closed form.

    With :math:`g = \lambda_{z+1} - \lambda_z > 0` and :math:`\theta_0 = \theta(0)`:

    - ``bound`` :math:`= \max\{0, \ln(\tan\theta_0/\tan\delta)\}/(2g)`: for every
      :math:`t \ge` ``bound``, :math:`\theta(t) \le \delta` (from
      :math:`\tan\theta(t) \le e^{-2gt}\tan\theta_0`);
    - ``asymptotic`` :math:`= \ln(\kappa/\tan\delta)/(2g)`, with :math:`\kappa` the
      spectral norm of the block of :math:`K_0` whose rows belong to the eigenvalue
      :math:`\lambda_{z+1}` and columns to :math:`\lambda_z` (eigenvalues within
      ``rtol`` times the spread of the spectrum count as equal): the first-crossing
      time :math:`T(\delta)` satisfies :math:`T(\delta) - \text{asymptotic} \to 0`
      as :math:`\delta \to 0`. When :math:`\kappa = 0` the slowest mode is absent,
      :math:`\theta` decays faster than :math:`e^{-2gt}`, and ``asymptotic`` is nan.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric, with :math:`\lambda_z < \lambda_{z+1}`
    M0 : array_like, shape (d, z), orthonormal columns whose span meets the bottom-z
        eigenspace generically (:math:`B_1` invertible)
    delta : float in (0, pi/2)
    rtol : float
        Relative tolerance for deciding that two eigenvalues are equal.

    Returns
    -------
    bound, asymptotic : float
    """
    C, M0 = _check(C, M0)
    d, z = M0.shape
    if z >= d:
        raise ValueError(f"M0: need z < d, got shape {M0.shape}")
    delta = check_scalar(
        "delta",
        delta,
        min_val=0.0,
        max_val=np.pi / 2,
        include_min=False,
        include_max=False,
    )
    rtol = check_scalar("rtol", rtol, min_val=0.0, include_min=False, max_val=1.0)
    lam, K0 = _eigen(C, M0)
    spread = max(float(lam[-1] - lam[0]), np.finfo(np.float64).tiny)
    g = float(lam[z] - lam[z - 1])
    if g <= rtol * spread:
        raise ValueError(
            f"C: eigengap lambda_(z+1) - lambda_z = {g:.3e} is zero (within rtol): "
            "the bottom-z eigenspace is not unique and there is no convergence rate"
        )
    tan0 = float(np.linalg.norm(K0, 2))
    bound = max(0.0, np.log(tan0 / np.tan(delta))) / (2 * g) if tan0 > 0 else 0.0
    rows = np.abs(lam[z:] - lam[z]) <= rtol * spread
    cols = np.abs(lam[:z] - lam[z - 1]) <= rtol * spread
    kappa = float(np.linalg.norm(K0[np.ix_(rows, cols)], 2))
    asym = np.log(kappa / np.tan(delta)) / (2 * g) if kappa > 0 else float("nan")
    return float(bound), float(asym)


def _flag_echelon(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B T with T unit upper triangular: column k vanishes above its pivot row p_k.

    Column k is b_k minus multiples of the earlier (already reduced) columns that
    clear its entries at their pivot rows, taken in increasing row order; its pivot
    is then its first non-zero row (pivots distinct, not ordered)."""
    d, z = B.shape
    out = B.copy()
    piv = np.empty(z, dtype=int)
    for k in range(z):
        v = out[:, k]
        for j in np.argsort(piv[:k], kind="stable"):
            p = piv[j]
            if v[p] != 0.0:
                v -= (v[p] / out[p, j]) * out[:, j]
                v[p] = 0.0
        nz = np.flatnonzero(v)
        if nz.size == 0:
            raise ValueError("M0: expected rank z (orthonormal columns)")
        v[: nz[0]] = 0.0
        piv[k] = nz[0]
    return out, piv


def qr_basis(C: Any, M0: Any, t: Any) -> np.ndarray:
    r"""The positive-diagonal QR factor :math:`\hat Y(t)` of :math:`Y(t) = e^{-2Ct}M_0`.

    :math:`Y = \hat Y R` with :math:`\hat Y^\top\hat Y = I_z` and R upper
    triangular with positive diagonal. This particular basis of span M(t) is the
    one in which the rotation :math:`M(t) = \hat Y(t) U(t)` obeys
    :math:`\dot U = -\Omega U` (see :mod:`ssl_notes.dynamics`).

    Evaluated at any t without stepping. In the eigenbasis, :math:`B = Q^\top M_0`
    is reduced by a unit upper-triangular T (each column minus multiples of the
    earlier ones) to :math:`\tilde B = BT` whose column k vanishes above a pivot
    row :math:`p_k`. Then

    .. math:: \hat Y(t) = Q\,\operatorname{qr}_+\big(\tilde Y(t)\big), \qquad
              \tilde Y(t)_{ik} = e^{-2(\lambda_i - \lambda_{p_k})t}\,\tilde B_{ik},

    because :math:`\tilde Y(t) = e^{-2\Lambda t}\,B\,T\,e^{2\Lambda_p t}` and
    right-multiplication by an upper-triangular matrix with positive diagonal does
    not change the positive-diagonal QR factor; every exponent is :math:`\le 0`
    where :math:`\tilde B_{ik} \ne 0`. One d x z QR per time point, whatever t.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times (any order)

    Returns
    -------
    ndarray, shape (d, z) for scalar t, else (len(t), d, z)
    """
    C, M0 = _check(C, M0)
    ts, scalar = _times(t)
    lam, Q = np.linalg.eigh(C)
    Bt, piv = _flag_echelon(Q.T @ M0)
    d = Bt.shape[0]
    expo = lam[:, None] - lam[piv][None, :]
    expo = np.where(np.arange(d)[:, None] >= piv[None, :], expo, 0.0)
    with np.errstate(under="ignore"):
        Y = np.exp(-2.0 * ts[:, None, None] * expo[None]) * Bt[None]
    out = np.stack([Q @ qr_positive(Yt, validate=False) for Yt in Y])
    return out[0] if scalar else out
