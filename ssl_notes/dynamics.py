r"""The constrained learning dynamics of Theorem 2 and their exact solutions.

Time convention (used everywhere in the book): the learning rate is absorbed into
time, so the flow of the end-to-end matrix :math:`M = WV` (with
:math:`W^\top W = I_h`, :math:`V^\top V = I_z`) reads

.. math:: \dot M = -2 (I_d - M M^\top) C M, \qquad M^\top M = I_z,

and one gradient step of size :math:`\eta` advances time by :math:`\eta`.

Exact solution (Oja's subspace flow, Yan, Helmke and Moore 1994): the span of
:math:`M(t)` is the span of :math:`Y(t) = e^{-2Ct} M(0)`. In the eigenbasis
:math:`C = Q\Lambda Q^\top` (ascending eigenvalues) write :math:`B = Q^\top M(0)`.

*The span at any t without stepping.* An orthogonal z x z change of basis
:math:`B R_0 = L` puts B in column echelon form: column j of L vanishes in the rows
above its pivot row :math:`p_j`, with :math:`p_1 < \dots < p_z` (Householder
reflections, row by row, :func:`echelon_basis`). Then

.. math:: \operatorname{span} Y(t) = \operatorname{span} L(t), \qquad
          L(t)_{ij} = e^{-2(\lambda_i - \lambda_{p_j}) t} L_{ij},

and every exponent is :math:`\le 0` where :math:`L_{ij} \ne 0` (rows are ordered by
eigenvalue), so nothing overflows at any t and each column keeps its pivot entry:
the cost of one time point is one d x z QR, whatever t.

*The basis M(t) itself.* For any smooth orthonormal basis :math:`\hat Y(t)` of the
span (here the positive-diagonal QR factor of :math:`L(t)`), :math:`M = \hat Y U`
with U orthogonal, and horizontality (:math:`M^\top \dot M = 0`) forces

.. math:: \dot U = -\Omega U, \qquad
          \Omega = \operatorname{low}(H) - \operatorname{up}(H), \qquad
          H = -2\hat Y^\top \Lambda \hat Y,

with low/up the strictly lower/upper triangular parts (the upper-triangular factor
of :math:`\dot L L^{-1}`-type terms drops out). For z = 1, :math:`\Omega = 0`.
Once :math:`L(t)` has converged to machine precision :math:`\Omega = 0` and U stops
moving, so the integration stops there: the work is bounded whatever t.

The module is longer than the package's ~400 lines because it holds the two halves
of Theorem 2 side by side: the flow of M (closed form, rotation, reference ODE) and
the flows of its factors W and V with the choice of metric, which are checked
against each other.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validate import (
    as_matrix,
    check_C_M0,
    check_choice,
    check_factors,
    check_flag,
    check_orthonormal_columns,
    check_scalar,
    check_symmetric,
    check_times,
)
from .manifold import qr_positive

__all__ = [
    "flow_velocity",
    "echelon_basis",
    "span_basis",
    "flow_projector",
    "grassmann_flow",
    "grassmann_flow_ode",
    "METRICS",
    "tangent_direction",
    "factor_velocity",
    "factor_flow",
    "ODE_TIME_LIMIT",
]

#: Largest :math:`t\,\|C - cI\|_2` (dimensionless time) that the generic ODE routes
#: :func:`grassmann_flow_ode` and :func:`factor_flow` accept for problems of size
#: :math:`d^2 n \le 10^5` (n = z, resp. h + z); scaled down by :math:`10^5/(d^2 n)`
#: for larger ones. An explicit solver needs a number of steps proportional to it
#: (about 0.3 ms per unit at d = 100, z = 10 here), so this keeps a call to seconds.
ODE_TIME_LIMIT = 10_000.0

_EPS = np.finfo(np.float64).eps


def _check_tols(rtol: Any, atol: Any) -> tuple[float, float]:
    """rtol in (0, 1], atol in (0, 1]: finite, NaN and bool rejected."""
    rtol = check_scalar("rtol", rtol, min_val=0.0, include_min=False, max_val=1.0)
    atol = check_scalar("atol", atol, min_val=0.0, include_min=False, max_val=1.0)
    return rtol, atol


def flow_velocity(C: Any, M: Any) -> np.ndarray:
    r"""Right-hand side of the flow, :math:`-2(I - MM^\top)CM`, shape (d, z)."""
    C = check_symmetric("C", C)
    M = as_matrix("M", M)
    if M.shape[0] != C.shape[0]:
        raise ValueError(
            f"M: expected {C.shape[0]} rows to match C {C.shape}, got shape {M.shape}"
        )
    CM = C @ M
    return -2.0 * (CM - M @ (M.T @ CM))


# ------------------------------------------------------------- the span in closed form


def echelon_basis(B: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Column echelon form :math:`L = B R_0` of a d x z matrix B of rank z.

    Householder reflections on the columns, applied row by row from the top: the
    first row whose remaining part is non-zero becomes the pivot of the next column
    and the rest of that row is set to exactly zero. So column j of L is exactly
    zero above its pivot row :math:`p_j`, :math:`p_1 < \dots < p_z`, and
    :math:`R_0` is orthogonal (span L = span B; L has orthonormal columns when B
    has). A row is skipped only when its remaining part is exactly zero.

    Parameters
    ----------
    B : array_like, shape (d, z), rank z, rows ordered by ascending eigenvalue

    Returns
    -------
    L : ndarray, shape (d, z)
    pivots : ndarray of int, shape (z,), strictly increasing
    R0 : ndarray, shape (z, z), orthogonal, with :math:`L = B R_0`
    """
    L = as_matrix("B", B).copy()
    d, z = L.shape
    if z > d:
        raise ValueError(f"B: expected at most as many columns as rows, got {L.shape}")
    R0 = np.eye(z)
    pivots: list[int] = []
    k = 0
    for i in range(d):
        if k == z:
            break
        seg = L[i, k:]
        nrm = float(np.linalg.norm(seg))
        if nrm == 0.0:
            continue
        if z - k > 1:  # reflect the free columns so that row i has one non-zero entry
            alpha = -math.copysign(nrm, seg[0])
            v = seg.copy()
            v[0] -= alpha
            v /= np.linalg.norm(v)
            L[i:, k:] -= 2.0 * np.outer(L[i:, k:] @ v, v)
            R0[:, k:] -= 2.0 * np.outer(R0[:, k:] @ v, v)
            L[i, k] = alpha
            L[i, k + 1 :] = 0.0
        pivots.append(i)
        k += 1
    if k < z:
        raise ValueError(f"B: expected rank {z}, found only {k} pivots")
    return L, np.array(pivots), R0


def _scaled(lam: np.ndarray, L: np.ndarray, piv: np.ndarray, ts: np.ndarray):
    """L(t)_ij = exp(-2 (lam_i - lam_{p_j}) t) L_ij for each t, shape (T, d, z)."""
    d = L.shape[0]
    expo = lam[:, None] - lam[piv][None, :]  # >= 0 on and below the pivots
    below = np.arange(d)[:, None] >= piv[None, :]
    expo = np.where(below, expo, 0.0)  # L is exactly 0 above the pivots
    with np.errstate(under="ignore"):
        W = np.exp(-2.0 * ts[:, None, None] * expo[None])
    return W * L[None]


def span_basis(C: Any, M0: Any, t: Any) -> np.ndarray:
    r"""An orthonormal basis of span M(t) = span :math:`e^{-2Ct}M_0`, at any t.

    :math:`Q\,\operatorname{qr}(L(t))` with :math:`L(t)_{ij} = e^{-2(\lambda_i -
    \lambda_{p_j})t}L_{ij}` the scaled echelon form of :math:`Q^\top M_0` (module
    docstring): O(d^3 + T d z^2) for T times, independent of their size.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times

    Returns
    -------
    ndarray, shape (d, z) for scalar t, else (len(t), d, z), orthonormal columns
    """
    C, M0 = check_C_M0(C, M0)
    ts, scalar = check_times(t)
    lam, Q = np.linalg.eigh(C)
    L, piv, _ = echelon_basis(Q.T @ M0)
    out = Q @ np.linalg.qr(_scaled(lam, L, piv, ts))[0]
    return out[0] if scalar else out


def flow_projector(C: Any, M0: Any, t: Any) -> np.ndarray:
    r"""Exact projector :math:`P(t) = M(t)M(t)^\top` of the flow, at any t.

    :math:`P(t) = Y(Y^\top Y)^{-1}Y^\top` with :math:`Y = e^{-2Ct}M(0)`, evaluated
    as :math:`\hat Y\hat Y^\top` with :math:`\hat Y` from :func:`span_basis`: one
    eigendecomposition and one d x z QR per time point, so the cost does not grow
    with t (at :math:`t = 10^6` it is the limit, the projector onto the eigenspace
    that span M(0) reaches: generically the bottom-z one).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times

    Returns
    -------
    ndarray, shape (d, d) for scalar t, else (len(t), d, d)
    """
    Yh = span_basis(C, M0, t)
    return Yh @ np.swapaxes(Yh, -1, -2)


def _converged_time(lam: np.ndarray, L: np.ndarray, piv: np.ndarray) -> float:
    """A time after which L(t) equals L(infinity) to below eps^2 relative, entrywise.

    Eigenvalues closer than 64 eps max|lambda| count as equal (numerical ties:
    their rows never separate)."""
    tie = 64.0 * _EPS * max(float(np.max(np.abs(lam))), np.finfo(np.float64).tiny)
    T = 0.0
    for j, p in enumerate(piv):
        rate = 2.0 * (lam[p + 1 :] - lam[p])
        ratio = np.abs(L[p + 1 :, j]) / abs(L[p, j])
        keep = (rate > 2.0 * tie) & (ratio > 0)
        if np.any(keep):
            need = (np.log(ratio[keep]) - 2.0 * np.log(_EPS)) / rate[keep]
            T = max(T, float(np.max(need)))
    return T


def grassmann_flow(
    C: Any, M0: Any, t: Any, rtol: float = 1e-12, atol: float = 1e-14
) -> np.ndarray:
    r"""Solve :math:`\dot M = -2(I - MM^\top)CM`, :math:`M(0) = M_0`, at the times t.

    For z = 1 the solution is exact, :math:`M(t) = e^{-2Ct}m_0 / \|e^{-2Ct}m_0\|`
    (from the scaled echelon form, so at any t). For z > 1 the span is exact and only
    the z x z rotation U of the module docstring is integrated numerically (DOP853,
    tolerances ``rtol``, ``atol``), up to the time after which the basis has
    converged to machine precision (then :math:`\Omega = 0`): the work is bounded
    whatever t. A safety cap on the solver's work raises a ``ValueError`` that
    points to :func:`flow_projector`, which needs no integration.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns (z <= d)
    t : float or 1-D array of non-negative times
    rtol, atol : float in (0, 1]
        Tolerances of the rotation ODE (z > 1 only).

    Returns
    -------
    ndarray, shape (d, z) for scalar t, else (len(t), d, z)
    """
    C, M0 = check_C_M0(C, M0)
    ts, scalar = check_times(t)
    rtol, atol = _check_tols(rtol, atol)
    lam, Q = np.linalg.eigh(C)
    B0 = Q.T @ M0
    L, piv, R0 = echelon_basis(B0)
    d, z = M0.shape
    if z == d:  # I - MM^T = 0: the flow does not move
        out = np.repeat(M0[None], ts.size, axis=0)
        return out[0] if scalar else out
    if z == 1:  # L = B0: the positive-diagonal QR of one column is y / ||y||
        Y = _scaled(lam, L, piv, ts)
        out = Q @ (Y / np.linalg.norm(Y, axis=1, keepdims=True))
        return out[0] if scalar else out
    T_conv = _converged_time(lam, L, piv)
    order = np.argsort(ts, kind="stable")
    states = np.empty((ts.size, *M0.shape))
    U = qr_positive(L, validate=False).T @ B0  # M(0) = Yh(0) U(0)
    now = 0.0
    rotation = _Rotation(lam, L, piv, rtol, atol, 100_000 + 50 * ts.size)
    for i in order:
        target = min(float(ts[i]), T_conv)
        if target > now:
            U = rotation.advance(U, now, target)
            now = target
        Yh = qr_positive(_scaled(lam, L, piv, np.array([float(ts[i])]))[0], False)
        states[i] = Q @ (Yh @ U)
    return states[0] if scalar else states


class _Rotation:
    """The z x z rotation ODE dU/ds = -Omega(s) U, with a cap on its total work."""

    def __init__(self, lam, L, piv, rtol, atol, max_evals):
        z = L.shape[1]
        self.lam, self.L, self.piv, self.rtol, self.atol = lam, L, piv, rtol, atol
        self.low = np.tril(np.ones((z, z), dtype=bool), -1)
        self.evals, self.max_evals = 0, max_evals
        self.shift = float(np.median(lam))  # Omega is unchanged by Lambda - cI

    def omega(self, s: float) -> np.ndarray:
        Yh = qr_positive(_scaled(self.lam, self.L, self.piv, np.array([s]))[0], False)
        H = -2.0 * Yh.T @ ((self.lam - self.shift)[:, None] * Yh)
        return np.where(self.low, H, 0.0) - np.where(self.low.T, H, 0.0)

    def advance(self, U: np.ndarray, s0: float, s1: float) -> np.ndarray:
        from scipy.integrate import solve_ivp

        z = U.shape[0]

        def rhs(s: float, u: np.ndarray) -> np.ndarray:
            self.evals += 1
            if self.evals > self.max_evals:
                raise ValueError(
                    f"t: up to t = {s1:.4g} the rotation ODE of grassmann_flow needs "
                    f"more than {self.max_evals} evaluations (eigenvalues of C very "
                    "close but not equal, over a long time); use flow_projector or "
                    "span_basis (the span, exact at any t) instead"
                )
            return (-self.omega(s) @ u.reshape(z, z)).ravel()

        sol = solve_ivp(
            rhs, (s0, s1), U.ravel(), method="DOP853", rtol=self.rtol, atol=self.atol
        )
        if not sol.success:  # pragma: no cover - DOP853 on a bounded smooth rhs
            raise RuntimeError(f"rotation ODE failed: {sol.message}")
        # remove the O(tol) drift from orthogonality
        return qr_positive(sol.y[:, -1].reshape(z, z), validate=False)


def _check_ode_time(ts, norm: float, size: int, route: str, hint: str) -> None:
    """Refuse times whose integration would take more than seconds."""
    units = ODE_TIME_LIMIT * min(1.0, 1e5 / size)
    check_times(
        ts,
        max_time=units / max(norm, 1e-300),
        hint=f"({route} accepts t ||C|| <= {units:.4g} here): {hint}",
    )


def grassmann_flow_ode(
    C: Any,
    M0: Any,
    t: Any,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    shift: bool = True,
) -> np.ndarray:
    r"""Reference solution of the flow by a generic ODE solver (DOP853) on all of M.

    With ``shift=True`` C is replaced by :math:`C - cI`,
    :math:`c = \lambda_{\max}(C) + 1`, which leaves the flow on
    :math:`M^\top M = I` unchanged (:math:`(I - MM^\top)M = 0`) but makes the
    constraint an attracting set, so the solver's errors do not push
    :math:`M^\top M` away from I. ``shift=False`` integrates C itself (for showing
    the drift). The work grows with :math:`t\|C - cI\|_2`: beyond
    :data:`ODE_TIME_LIMIT` the call is refused with a ``ValueError`` that points to
    :func:`grassmann_flow` and :func:`flow_projector` (closed form).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times
    rtol, atol : float in (0, 1]
    shift : bool
    """
    from scipy.integrate import solve_ivp

    C, M0 = check_C_M0(C, M0)
    ts, scalar = check_times(t)
    rtol, atol = _check_tols(rtol, atol)
    shift = check_flag("shift", shift)
    d, z = M0.shape
    lam = np.linalg.eigvalsh(C)
    Cs = C - (lam.max() + 1.0) * np.eye(d) if shift else C
    norm = float(np.max(np.abs(lam - (lam.max() + 1.0 if shift else 0.0))))
    _check_ode_time(
        ts,
        norm,
        d * d * z,
        "grassmann_flow_ode",
        "use the closed form, "
        "grassmann_flow (M) or flow_projector (the span), at any t",
    )

    def rhs(_s: float, m: np.ndarray) -> np.ndarray:
        M = m.reshape(d, z)
        CM = Cs @ M
        return (-2.0 * (CM - M @ (M.T @ CM))).ravel()

    out = np.empty((ts.size, d, z))
    if ts.max() == 0.0:  # solve_ivp returns no points for an empty span
        out[:] = M0
        return out[0] if scalar else out
    order = np.argsort(ts)
    sol = solve_ivp(
        rhs,
        (0.0, float(ts.max())),
        M0.ravel(),
        method="DOP853",
        t_eval=ts[order],
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    out[order] = sol.y.T.reshape(-1, d, z)
    return out[0] if scalar else out


# ------------------------------------------- the flows of the factors W and V, metrics

#: Names of the constrained directions accepted by :func:`tangent_direction`.
METRICS = ("grassmann", "euclidean", "canonical")


def tangent_direction(
    W: Any, G: Any, metric: str = "grassmann", validate: bool = True
) -> np.ndarray:
    r"""The constrained gradient at W (orthonormal columns) for the free gradient G.

    - ``"grassmann"``: :math:`(I - WW^\top)G`, the projection of Theorem 2
      (Edelman, Arias and Smith 1998, Lai, Lim and Ye 2020);
    - ``"euclidean"``: :math:`G - W\operatorname{sym}(W^\top G)`, the Riemannian
      gradient on the Stiefel manifold for the metric inherited from
      :math:`\mathbb{R}^{d\times h}` (the orthogonal projection onto the tangent
      space);
    - ``"canonical"``: :math:`G - WG^\top W`, the Riemannian gradient for the
      canonical metric of the Stiefel manifold (Edelman et al. 1998, eq. 2.53).

    The two Stiefel directions differ from the Grassmann one by
    :math:`W\operatorname{skew}(W^\top G)` and :math:`2W\operatorname{skew}(W^\top G)`,
    :math:`\operatorname{skew}(A) = (A - A^\top)/2`. All three are tangent:
    :math:`W^\top\Delta + \Delta^\top W = 0`.

    Parameters
    ----------
    W : array_like, shape (d, h), orthonormal columns
    G : array_like, shape (d, h)
    metric : {"grassmann", "euclidean", "canonical"}
    validate : bool
        ``False`` skips every check (the kernel form for inner loops, which must
        then pass float64 arrays of matching shapes and a valid ``metric``).

    Returns
    -------
    ndarray, shape (d, h). The flow is :math:`\dot W = -` this.
    """
    if validate is not False and validate is not True:
        raise TypeError(f"validate: expected a bool, got {type(validate).__name__}")
    if validate:
        metric = check_choice("metric", metric, METRICS)
        W = check_orthonormal_columns("W", W, tol=1e-8)
        G = as_matrix("G", G)
        if G.shape != W.shape:
            raise ValueError(f"G: expected shape {W.shape} to match W, got {G.shape}")
    WtG = W.T @ G
    if metric == "grassmann":
        return G - W @ WtG
    if metric == "euclidean":
        return G - W @ ((WtG + WtG.T) / 2.0)
    return G - W @ (G.T @ W)  # canonical


def _factor_rhs(C, W, V, metric):
    CM = (C @ W) @ V
    GW = 2.0 * CM @ V.T  # free gradient of Tr(V^T W^T C W V) in W
    GV = 2.0 * W.T @ CM  # ... and in V
    dW = tangent_direction(W, GW, metric, validate=False)
    dV = tangent_direction(V, GV, metric, validate=False)
    return -dW, -dV


def factor_velocity(
    C: Any, W: Any, V: Any, metric: str = "grassmann"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Velocities :math:`(\dot W, \dot V)` of the constrained flow of the loss.

    For :math:`L = \operatorname{Tr}(V^\top W^\top CWV)` with the free gradients
    :math:`G_W = 2CWVV^\top` and :math:`G_V = 2W^\top CWV`,
    :math:`\dot W = -\Delta(W, G_W)` and :math:`\dot V = -\Delta(V, G_V)`, where
    :math:`\Delta` is :func:`tangent_direction` for ``metric``. With
    ``metric="grassmann"`` these are the flows of Theorem 2 and
    :math:`\dot W V + W\dot V = -2(I - MM^\top)CM` for :math:`M = WV`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W : array_like, shape (d, h), orthonormal columns
    V : array_like, shape (h, z), orthonormal columns
    metric : {"grassmann", "euclidean", "canonical"}

    Returns
    -------
    dW : ndarray, shape (d, h)
    dV : ndarray, shape (h, z)
    """
    metric = check_choice("metric", metric, METRICS)
    C, W, V = check_factors(C, W, V)
    return _factor_rhs(C, W, V, metric)


def factor_flow(
    C: Any,
    W0: Any,
    V0: Any,
    t: Any,
    metric: str = "grassmann",
    rtol: float = 1e-12,
    atol: float = 1e-12,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Integrate the flows of both factors, :func:`factor_velocity`, with DOP853.

    A generic solver on all of (W, V): nothing forces :math:`W^\top W = I` except
    the flow itself, so the drift of the constraints measures how well the flow
    preserves them (and the solver's accuracy). ``metric`` selects the
    constrained direction (see :func:`tangent_direction`). The work grows with
    :math:`t\|C\|_2`: beyond :data:`ODE_TIME_LIMIT` the call is refused (for the
    Grassmann metric, :func:`grassmann_flow` gives :math:`M = WV` at any t).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, h), orthonormal columns
    V0 : array_like, shape (h, z), orthonormal columns
    t : float or 1-D array of non-negative times
    metric : {"grassmann", "euclidean", "canonical"}
    rtol, atol : float in (0, 1]
        Solver tolerances.

    Returns
    -------
    W : ndarray, shape (d, h) for scalar t, else (len(t), d, h)
    V : ndarray, shape (h, z) for scalar t, else (len(t), h, z)
    """
    from scipy.integrate import solve_ivp

    metric = check_choice("metric", metric, METRICS)
    C, W0, V0 = check_factors(C, W0, V0, "W0", "V0")
    ts, scalar = check_times(t)
    rtol, atol = _check_tols(rtol, atol)
    norm = float(np.max(np.abs(np.linalg.eigvalsh(C))))
    d, h = W0.shape
    z = V0.shape[1]
    _check_ode_time(
        ts,
        norm,
        d * d * (h + z),
        "factor_flow",
        "for the Grassmann metric M = WV "
        "follows the closed form grassmann_flow, at any t",
    )
    n_w = d * h

    def rhs(_s: float, y: np.ndarray) -> np.ndarray:
        W, V = y[:n_w].reshape(d, h), y[n_w:].reshape(h, z)
        dW, dV = _factor_rhs(C, W, V, metric)
        return np.concatenate([dW.ravel(), dV.ravel()])

    y0 = np.concatenate([W0.ravel(), V0.ravel()])
    Y = np.empty((ts.size, y0.size))
    if ts.max() == 0.0:
        Y[:] = y0
    else:
        order = np.argsort(ts)
        sol = solve_ivp(
            rhs,
            (0.0, float(ts.max())),
            y0,
            method="DOP853",
            t_eval=ts[order],
            rtol=rtol,
            atol=atol,
        )
        if not sol.success:
            raise RuntimeError(f"ODE solver failed: {sol.message}")
        Y[order] = sol.y.T
    Ws, Vs = Y[:, :n_w].reshape(-1, d, h), Y[:, n_w:].reshape(-1, h, z)
    return (Ws[0], Vs[0]) if scalar else (Ws, Vs)
