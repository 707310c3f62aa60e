r"""The constrained learning dynamics of Theorem 2 and their exact solutions.

Time convention (used everywhere in the book): the learning rate is absorbed into
time, so the flow of the end-to-end matrix :math:`M = WV` (with
:math:`W^\top W = I_h`, :math:`V^\top V = I_z`) reads

.. math:: \dot M = -2 (I_d - M M^\top) C M, \qquad M^\top M = I_z,

and one gradient step of size :math:`\eta` advances time by :math:`\eta`.

Exact solution (Oja's subspace flow, Yan, Helmke and Moore 1994): the span of
:math:`M(t)` is the span of :math:`Y(t) = e^{-2Ct} M(0)`, so the projector
:math:`P(t) = M M^\top = Y (Y^\top Y)^{-1} Y^\top`. For z = 1, :math:`M = Y/\|Y\|`.
For z > 1, write :math:`Y = \hat Y R` (QR with positive diagonal) and
:math:`M = \hat Y U`; the flow is horizontal (:math:`M^\top \dot M = 0`), which
forces the z x z rotation to obey

.. math:: \dot U = -\Omega U, \qquad
          \Omega = \operatorname{low}(H) - \operatorname{up}(H), \qquad
          H = -2\hat Y^\top C \hat Y,

with low/up the strictly lower/upper triangular parts. The functions below
evaluate these from one eigendecomposition of C, propagating in short exact
steps so that nothing overflows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_matrix, check_orthonormal_columns, check_positive_int, check_symmetric
from .manifold import qr_positive

__all__ = [
    "flow_velocity",
    "flow_projector",
    "grassmann_flow",
    "grassmann_flow_ode",
    "output_factor",
    "output_flow",
    "OutputFlowResult",
    "METRICS",
    "tangent_direction",
    "factor_velocity",
    "factor_flow",
]


def _check_C_M0(C: Any, M0: Any) -> tuple[np.ndarray, np.ndarray]:
    C = check_symmetric("C", C)
    M0 = check_orthonormal_columns("M0", M0, tol=1e-8)
    if M0.shape[0] != C.shape[0]:
        raise ValueError(f"M0: expected {C.shape[0]} rows to match C {C.shape}, got shape {M0.shape}")
    return C, M0


def _check_times(t: Any) -> tuple[np.ndarray, bool]:
    scalar = np.ndim(t) == 0
    try:
        ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"t: expected a number or a 1-D array of numbers, got {type(t).__name__}") from exc
    if ts.ndim != 1 or ts.size == 0:
        raise ValueError(f"t: expected a scalar or a non-empty 1-D array of times, got shape {ts.shape}")
    if not np.all(np.isfinite(ts)) or np.any(ts < 0):
        raise ValueError("t: times must be finite and non-negative")
    return ts, scalar


def flow_velocity(C: Any, M: Any) -> np.ndarray:
    r"""Right-hand side of the flow, :math:`-2(I - MM^\top)CM`, shape (d, z)."""
    C = check_symmetric("C", C)
    M = as_matrix("M", M)
    if M.shape[0] != C.shape[0]:
        raise ValueError(f"M: expected {C.shape[0]} rows to match C {C.shape}, got shape {M.shape}")
    CM = C @ M
    return -2.0 * (CM - M @ (M.T @ CM))


def _grid(ts: np.ndarray, spread: float) -> np.ndarray:
    """Times to stop at: the requested ones plus enough in between that each exact
    step multiplies rows by at most e^8 relative to one another."""
    tmax = float(ts.max()) if ts.size else 0.0
    if spread <= 0 or tmax == 0:
        return np.unique(np.concatenate([[0.0], ts]))
    dt = 4.0 / spread  # exp(-2 * lambda * dt) spans a factor e^{8}
    extra = np.arange(0.0, tmax, dt)
    return np.unique(np.concatenate([extra, ts]))


def _propagate_basis(lam: np.ndarray, B: np.ndarray, dt: float) -> np.ndarray:
    """Orthonormal basis (positive-diagonal QR) of span(exp(-2 Lambda dt) B)."""
    shift = lam.min()
    return qr_positive(np.exp(-2.0 * (lam - shift) * dt)[:, None] * B, validate=False)


def flow_projector(C: Any, M0: Any, t: Any) -> np.ndarray:
    r"""Exact projector :math:`P(t) = M(t)M(t)^\top` of the flow, from one eigendecomposition.

    :math:`P(t) = Y(Y^\top Y)^{-1}Y^\top` with :math:`Y = e^{-2Ct}M(0)`, evaluated
    in the eigenbasis of C in short exact steps (each step re-orthonormalises the
    basis, which leaves its span unchanged), so it stays accurate for any t.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times

    Returns
    -------
    ndarray, shape (d, d) for scalar t, else (len(t), d, d)
    """
    C, M0 = _check_C_M0(C, M0)
    ts, scalar = _check_times(t)
    lam, Q = np.linalg.eigh(C)
    grid = _grid(ts, float(lam.max() - lam.min()))
    B = Q.T @ M0
    bases = {0.0: B}
    prev = 0.0
    for s in grid[1:]:
        B = _propagate_basis(lam, B, s - prev)
        bases[float(s)] = B
        prev = s
    out = np.empty((ts.size, C.shape[0], C.shape[0]))
    for i, s in enumerate(ts):
        QB = Q @ bases[float(s)]
        out[i] = QB @ QB.T
    return out[0] if scalar else out


def _rotation_step(lam: np.ndarray, B0: np.ndarray, dt: float, rtol: float, atol: float) -> np.ndarray:
    """M(dt) in the eigenbasis, from M(0) = B0 (orthonormal), for z > 1."""
    from scipy.integrate import solve_ivp

    z = B0.shape[1]
    low = np.tril(np.ones((z, z), dtype=bool), -1)

    def Omega(s: float) -> np.ndarray:
        Yh = _propagate_basis(lam, B0, s)
        H = -2.0 * Yh.T @ (lam[:, None] * Yh)
        return np.where(low, H, 0.0) - np.where(low.T, H, 0.0)

    def rhs(s: float, u: np.ndarray) -> np.ndarray:
        return (-Omega(s) @ u.reshape(z, z)).ravel()

    sol = solve_ivp(rhs, (0.0, dt), np.eye(z).ravel(), method="DOP853", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"rotation ODE failed: {sol.message}")
    U = sol.y[:, -1].reshape(z, z)
    U = qr_positive(U, validate=False)  # remove the O(tol) drift from orthogonality
    return _propagate_basis(lam, B0, dt) @ U


def grassmann_flow(C: Any, M0: Any, t: Any, rtol: float = 1e-12, atol: float = 1e-14) -> np.ndarray:
    r"""Solve :math:`\dot M = -2(I - MM^\top)CM`, :math:`M(0) = M_0`, at the times t.

    For z = 1 the solution is exact, :math:`M(t) = e^{-2Ct}m_0 / \|e^{-2Ct}m_0\|`.
    For z > 1 the span is exact and only the z x z rotation U (see the module
    docstring) is integrated numerically (DOP853, tolerances ``rtol``, ``atol``).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns (z <= d)
    t : float or 1-D array of non-negative times
    rtol, atol : float
        Tolerances of the rotation ODE (z > 1 only).

    Returns
    -------
    ndarray, shape (d, z) for scalar t, else (len(t), d, z)
    """
    C, M0 = _check_C_M0(C, M0)
    ts, scalar = _check_times(t)
    lam, Q = np.linalg.eigh(C)
    grid = _grid(ts, float(lam.max() - lam.min()))
    z = M0.shape[1]
    B = Q.T @ M0
    states = {0.0: B}
    prev = 0.0
    for s in grid[1:]:
        dt = s - prev
        B = _propagate_basis(lam, B, dt) if z == 1 else _rotation_step(lam, B, dt, rtol, atol)
        states[float(s)] = B
        prev = s
    # For z = 1 the positive-diagonal QR of a single column is that column divided by
    # its norm: the sign is kept, so this is exactly e^{-2Ct} m0 / ||e^{-2Ct} m0||.
    out = np.stack([Q @ states[float(s)] for s in ts])
    return out[0] if scalar else out


def grassmann_flow_ode(
    C: Any, M0: Any, t: Any, rtol: float = 1e-12, atol: float = 1e-12, shift: bool = True
) -> np.ndarray:
    r"""Reference solution of the flow by a generic ODE solver (DOP853) on all of M.

    With ``shift=True`` C is replaced by :math:`C - cI`, :math:`c = \lambda_{\max}(C) + 1`,
    which leaves the flow on :math:`M^\top M = I` unchanged
    (:math:`(I - MM^\top)M = 0`) but makes the constraint an attracting set, so the
    solver's errors do not push :math:`M^\top M` away from I. ``shift=False``
    integrates C itself (for showing the drift).
    """
    from scipy.integrate import solve_ivp

    C, M0 = _check_C_M0(C, M0)
    ts, scalar = _check_times(t)
    d, z = M0.shape
    Cs = C - (np.linalg.eigvalsh(C).max() + 1.0) * np.eye(d) if shift else C

    def rhs(_s: float, m: np.ndarray) -> np.ndarray:
        M = m.reshape(d, z)
        CM = Cs @ M
        return (-2.0 * (CM - M @ (M.T @ CM))).ravel()

    out = np.empty((ts.size, d, z))
    if ts.max() == 0.0:  # nothing to integrate (solve_ivp returns no points for an empty span)
        out[:] = M0
        return out[0] if scalar else out
    order = np.argsort(ts)
    sol = solve_ivp(rhs, (0.0, float(ts.max())), M0.ravel(), method="DOP853", t_eval=ts[order],
                    rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    out[order] = sol.y.T.reshape(-1, d, z)
    return out[0] if scalar else out


def output_factor(X: Any, X_pos: Any, X_neg: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Write C = Zᵀ D Z with the points that build it, for the output flow (9).

    Contrastive (``X_neg`` given): :math:`Z = [X; X^+; X^-]` (3n x d) and
    :math:`D = -\frac{1}{2n}\begin{pmatrix}0 & I & -I\\ I & 0 & 0\\ -I & 0 & 0\end{pmatrix}`;
    non-contrastive: :math:`Z = [X; X^+]`, :math:`D = -\frac{1}{2n}\begin{pmatrix}0&I\\I&0\end{pmatrix}`.
    Then :math:`Z^\top D Z` equals :func:`ssl_notes.losses.contrastive_matrix` (resp.
    ``noncontrastive_matrix``).

    Returns
    -------
    Z : ndarray, shape (3n, d) or (2n, d)
    D : ndarray, symmetric, shape (3n, 3n) or (2n, 2n)
    """
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    arrays = [X, X_pos] if X_neg is None else [X, X_pos, as_matrix("X_neg", X_neg)]
    if any(a.shape != X.shape for a in arrays):
        raise ValueError(f"X, X_pos, X_neg must share one shape, got {[a.shape for a in arrays]}")
    n = X.shape[0]
    k = len(arrays)
    D = np.zeros((k * n, k * n))
    I = np.eye(n)
    D[:n, n:2 * n] = D[n:2 * n, :n] = I
    if k == 3:
        D[:n, 2 * n:] = D[2 * n:, :n] = -I
    return np.vstack(arrays), -D / (2.0 * n)


@dataclass
class OutputFlowResult:
    """Result of :func:`output_flow`.

    Attributes
    ----------
    F : ndarray, shape (m, z), the outputs after the last step
    losses : ndarray, shape (steps + 1,), :math:`\\operatorname{Tr}(F^\\top D F)` before each step and after the last
    trajectory : ndarray, shape (steps + 1, m, z) or None (if not recorded)
    """

    F: np.ndarray
    losses: np.ndarray
    trajectory: np.ndarray | None = None


def output_flow(
    F0: Any, K: Any, D: Any, lr: float, steps: int, record: bool = False, progress: bool = False
) -> OutputFlowResult:
    r"""Discretised output dynamics (12): :math:`F_{k+1} = F_k - 2\eta (K - F_kF_k^\top) D F_k`.

    ``F = Z M`` holds the outputs :math:`f(z_j) = M^\top z_j` of the m points that
    build :math:`C = Z^\top D Z`, and :math:`K = ZZ^\top` is their Gram matrix
    (:math:`K = I` for an orthonormal basis). The loss is
    :math:`\operatorname{Tr}(M^\top C M) = \operatorname{Tr}(F^\top D F)`. The cost
    per step is :math:`O(m^2 z)`; the hidden width h does not appear.

    Parameters
    ----------
    F0 : array_like, shape (m, z)
    K : array_like, shape (m, m), symmetric Gram matrix
    D : array_like, shape (m, m), symmetric
    lr : float, positive step size (time advances by ``lr`` per step)
    steps : int, positive
    record : bool, keep every iterate
    progress : bool, show a tqdm progress bar
    """
    F = as_matrix("F0", F0).copy()
    K = check_symmetric("K", K)
    D = check_symmetric("D", D)
    m = F.shape[0]
    if K.shape != (m, m) or D.shape != (m, m):
        raise ValueError(f"K and D must be ({m}, {m}) to match F0 {F.shape}, got {K.shape} and {D.shape}")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr: expected a positive step size, got {lr!r}")
    steps = check_positive_int("steps", steps)
    losses = np.empty(steps + 1)
    traj = np.empty((steps + 1, *F.shape)) if record else None
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="output flow (12)")
    for k in it:
        DF = D @ F
        losses[k] = np.sum(F * DF)
        if record:
            traj[k] = F
        F = F - 2.0 * lr * (K @ DF - F @ (F.T @ DF))
    losses[steps] = np.sum(F * (D @ F))
    if record:
        traj[steps] = F
    return OutputFlowResult(F, losses, traj)


# --------------------------------------------------------------------------------------
# The flows of the two factors W and V, and the choice of metric
# --------------------------------------------------------------------------------------

#: Names of the constrained directions accepted by :func:`tangent_direction`.
METRICS = ("grassmann", "euclidean", "canonical")


def _direction(W: np.ndarray, G: np.ndarray, metric: str) -> np.ndarray:
    WtG = W.T @ G
    if metric == "grassmann":
        return G - W @ WtG
    if metric == "euclidean":
        return G - W @ ((WtG + WtG.T) / 2.0)
    return G - W @ (G.T @ W)  # canonical


def _check_metric(metric: Any) -> str:
    if metric not in METRICS:
        raise ValueError(f"metric: expected one of {METRICS}, got {metric!r}")
    return metric


def tangent_direction(W: Any, G: Any, metric: str = "grassmann") -> np.ndarray:
    r"""The constrained gradient at W (orthonormal columns) for the free gradient G.

    - ``"grassmann"``: :math:`(I - WW^\top)G`, the projection of Theorem 2
      (left-multiplication by the projector onto the orthogonal complement of the
      span of W; Edelman, Arias and Smith 1998, Lai, Lim and Ye 2020);
    - ``"euclidean"``: :math:`G - W\operatorname{sym}(W^\top G)`, the Riemannian
      gradient on the Stiefel manifold for the metric inherited from
      :math:`\mathbb{R}^{d\times h}` (the orthogonal projection onto the tangent space);
    - ``"canonical"``: :math:`G - WG^\top W`, the Riemannian gradient for the
      canonical metric of the Stiefel manifold (Edelman et al. 1998, eq. 2.53).

    The two Stiefel directions differ from the Grassmann one by
    :math:`W\operatorname{skew}(W^\top G)` and :math:`2W\operatorname{skew}(W^\top G)`,
    with :math:`\operatorname{skew}(A) = (A - A^\top)/2`. All three are tangent:
    :math:`W^\top\Delta + \Delta^\top W = 0`.

    Parameters
    ----------
    W : array_like, shape (d, h), orthonormal columns
    G : array_like, shape (d, h)
    metric : {"grassmann", "euclidean", "canonical"}

    Returns
    -------
    ndarray, shape (d, h). The flow is :math:`\dot W = -` this.
    """
    metric = _check_metric(metric)
    W = check_orthonormal_columns("W", W, tol=1e-8)
    G = as_matrix("G", G)
    if G.shape != W.shape:
        raise ValueError(f"G: expected shape {W.shape} to match W, got {G.shape}")
    return _direction(W, G, metric)


def _check_factors(C: Any, W: Any, V: Any, wname: str = "W", vname: str = "V"):
    C = check_symmetric("C", C)
    W = check_orthonormal_columns(wname, W, tol=1e-8)
    V = check_orthonormal_columns(vname, V, tol=1e-8)
    if W.shape[0] != C.shape[0]:
        raise ValueError(f"{wname}: expected {C.shape[0]} rows to match C {C.shape}, got shape {W.shape}")
    if V.shape[0] != W.shape[1]:
        raise ValueError(f"{vname}: expected {W.shape[1]} rows to match {wname} {W.shape}, got shape {V.shape}")
    return C, W, V


def _factor_rhs(C: np.ndarray, W: np.ndarray, V: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    CW = C @ W
    CM = CW @ V
    GW = 2.0 * CM @ V.T  # free gradient of Tr(V^T W^T C W V) in W
    GV = 2.0 * W.T @ CM  # ... and in V
    return -_direction(W, GW, metric), -_direction(V, GV, metric)


def factor_velocity(C: Any, W: Any, V: Any, metric: str = "grassmann") -> tuple[np.ndarray, np.ndarray]:
    r"""Velocities :math:`(\dot W, \dot V)` of the constrained flow of :math:`L = \operatorname{Tr}(V^\top W^\top CWV)`.

    With the free gradients :math:`G_W = 2CWVV^\top` and :math:`G_V = 2W^\top CWV`,
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
    metric = _check_metric(metric)
    C, W, V = _check_factors(C, W, V)
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
    constrained direction (see :func:`tangent_direction`).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, h), orthonormal columns
    V0 : array_like, shape (h, z), orthonormal columns
    t : float or 1-D array of non-negative times
    metric : {"grassmann", "euclidean", "canonical"}
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    W : ndarray, shape (d, h) for scalar t, else (len(t), d, h)
    V : ndarray, shape (h, z) for scalar t, else (len(t), h, z)
    """
    from scipy.integrate import solve_ivp

    metric = _check_metric(metric)
    C, W0, V0 = _check_factors(C, W0, V0, "W0", "V0")
    ts, scalar = _check_times(t)
    d, h = W0.shape
    z = V0.shape[1]
    nW = d * h

    def rhs(_s: float, y: np.ndarray) -> np.ndarray:
        dW, dV = _factor_rhs(C, y[:nW].reshape(d, h), y[nW:].reshape(h, z), metric)
        return np.concatenate([dW.ravel(), dV.ravel()])

    y0 = np.concatenate([W0.ravel(), V0.ravel()])
    Y = np.empty((ts.size, y0.size))
    if ts.max() == 0.0:
        Y[:] = y0
    else:
        order = np.argsort(ts)
        sol = solve_ivp(rhs, (0.0, float(ts.max())), y0, method="DOP853", t_eval=ts[order], rtol=rtol, atol=atol)
        if not sol.success:
            raise RuntimeError(f"ODE solver failed: {sol.message}")
        Y[order] = sol.y.T
    Ws, Vs = Y[:, :nW].reshape(-1, d, h), Y[:, nW:].reshape(-1, h, z)
    return (Ws[0], Vs[0]) if scalar else (Ws, Vs)
