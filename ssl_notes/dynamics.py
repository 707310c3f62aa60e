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

__all__ = [
    "flow_velocity",
    "flow_projector",
    "grassmann_flow",
    "grassmann_flow_ode",
    "output_factor",
    "output_flow",
    "OutputFlowResult",
]


def _check_C_M0(C: Any, M0: Any) -> tuple[np.ndarray, np.ndarray]:
    C = check_symmetric("C", C)
    M0 = check_orthonormal_columns("M0", M0, tol=1e-8)
    if M0.shape[0] != C.shape[0]:
        raise ValueError(f"M0: expected {C.shape[0]} rows to match C {C.shape}, got shape {M0.shape}")
    return C, M0


def _check_times(t: Any) -> tuple[np.ndarray, bool]:
    scalar = np.ndim(t) == 0
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if ts.ndim != 1:
        raise ValueError(f"t: expected a scalar or a 1-D array of times, got shape {ts.shape}")
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


def _qr_pos(Y: np.ndarray) -> np.ndarray:
    Q, R = np.linalg.qr(Y)
    s = np.sign(np.diag(R))
    s[s == 0] = 1.0
    return Q * s


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
    return _qr_pos(np.exp(-2.0 * (lam - shift) * dt)[:, None] * B)


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
    U = _qr_pos(U)  # remove the O(tol) drift from orthogonality
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

    order = np.argsort(ts)
    sol = solve_ivp(rhs, (0.0, float(ts.max())), M0.ravel(), method="DOP853", t_eval=ts[order],
                    rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"ODE solver failed: {sol.message}")
    out = np.empty((ts.size, d, z))
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
