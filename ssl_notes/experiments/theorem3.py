r"""Machinery of the chapter *Theorem 3 (the output dynamics for z = 1)*
(``book/theorem3.py``).

Theorem 3 of :cite:`esser2024dynamics`: with z = 1 and data points forming an
orthonormal basis :math:`X\in\mathbb{R}^{d\times k}` (:math:`X^\top X = I_k`), the
outputs :math:`f = X^\top m` of the flow :math:`\dot m = -2(I - mm^\top)Cm`,
:math:`C = XDX^\top`, solve equation (10),

.. math:: \dot f = -2(I_k - ff^\top)Df .

:func:`solve_f` integrates (10) and :func:`solve_m` the flow of m, for many
initialisations at once; :func:`check_case1` and :func:`check_case2` judge the two
cases of the theorem against their explicit bounds; :func:`check_rate` compares a
fitted exponential rate with the predicted :math:`2g`, and :func:`flow_rate` runs the
flow and does so; :func:`mean_contrastive` and :func:`max_z_score` are the Monte Carlo
check of :math:`\mathbb{E}[C] = -\operatorname{Cov}(x)`; :func:`check_subspace` the
extension to z > 1. Each check returns a frozen result with a ``passed`` verdict and
is fed wrong inputs (a wrong rate, a wrong sign, a wrong expectation) in
``tests/experiments/test_chapter_theorem3.py``.

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ssl_notes import data, dynamics, losses, manifold, metrics
from ssl_notes._validate import (
    as_array,
    as_matrix,
    as_rng,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_symmetric,
    check_times,
    check_tolerance,
)

__all__ = [
    "Paths",
    "LineAngle",
    "Case1Check",
    "Case2Check",
    "RateCheck",
    "FlowRate",
    "MeanC",
    "SubspaceCheck",
    "MAX_TIME",
    "AGREEMENT",
    "ROUNDING",
    "output_velocity",
    "solve_f",
    "solve_m",
    "exact_m",
    "line_angle",
    "check_case1",
    "check_case2",
    "fitted_rate",
    "check_rate",
    "flow_rate",
    "mean_contrastive",
    "max_z_score",
    "projector_angles",
    "check_subspace",
]

#: Longest time the integrators accept (a work bound; the chapter needs 60).
MAX_TIME = 1000.0
#: Largest number of initialisations integrated at once.
MAX_COLUMNS = 20_000
#: Largest difference allowed between the solution of (10) by DOP853 (tolerances
#: 1e-12) and the exact :math:`X^\top m(t)`: three times the largest measured
#: (3.1e-9, over t <= 15 and ||D||_2 <= 3 in the chapter and its tests).
AGREEMENT = 1e-8
#: Rounding allowance of the bounds, evaluated on the exact solution.
ROUNDING = 1e-13


# ------------------------------------------------------------------ integrators


def _times(t: Any) -> np.ndarray:
    ts, _ = check_times(t, max_time=MAX_TIME, hint="use a shorter time span")
    if np.any(np.diff(ts) < 0):
        raise ValueError("t: times must be non-decreasing")
    return ts


def _columns(name: str, A: Any, rows: int) -> np.ndarray:
    A = as_matrix(name, A)
    if A.shape[0] != rows:
        raise ValueError(f"{name}: expected {rows} rows, got shape {A.shape}")
    if A.shape[1] > MAX_COLUMNS:
        raise ValueError(f"{name}: at most {MAX_COLUMNS} columns, got {A.shape[1]}")
    return A


def output_velocity(D: Any, F: Any) -> np.ndarray:
    r"""The right-hand side of (10), :math:`-2(Df - f\,(f^\top Df))`, per column.

    Parameters
    ----------
    D : array_like, shape (k, k)
        Symmetric.
    F : array_like, shape (k, N)
        Outputs, one column per initialisation.

    Returns
    -------
    ndarray, shape (k, N)
    """
    D = check_symmetric("D", D)
    F = _columns("F", F, D.shape[0])
    return _velocity(D, F)


def _velocity(D: np.ndarray, F: np.ndarray) -> np.ndarray:
    DF = D @ F
    return -2.0 * (DF - F * np.sum(F * DF, axis=0))


@dataclass(frozen=True)
class Paths:
    """Solutions of (10) or of the flow of m at the times ``t``.

    Attributes
    ----------
    t : ndarray, shape (T,)
    Y : ndarray, shape (T, n, N)
        The state (f or m, n = k or d) of each of the N initialisations.
    """

    t: np.ndarray
    Y: np.ndarray

    @property
    def final(self) -> np.ndarray:
        """The state at the last time, shape (n, N)."""
        return self.Y[-1]


def solve_f(D: Any, F0: Any, t: Any, rtol: float = 1e-12, atol: float = 1e-12) -> Paths:
    r"""Integrate (10), :math:`\dot f = -2(I - ff^\top)Df`, for every column of F0.

    One DOP853 run for all columns at once (tolerances ``rtol``, ``atol``).

    Parameters
    ----------
    D : array_like, shape (k, k)
        Symmetric.
    F0 : array_like, shape (k, N)
        Initial outputs, one column per initialisation.
    t : float or array_like, shape (T,)
        Non-decreasing times in [0, :data:`MAX_TIME`]; the run starts at 0.
    rtol, atol : float
        Solver tolerances, positive.

    Returns
    -------
    Paths
        ``Y`` of shape (T, k, N).
    """
    D = check_symmetric("D", D)
    F0 = _columns("F0", F0, D.shape[0])
    ts = _times(t)
    rtol, atol = check_tolerance("rtol", rtol), check_tolerance("atol", atol)
    k, N = F0.shape
    if ts[-1] == 0.0:
        return Paths(ts, np.broadcast_to(F0, (ts.size, k, N)).copy())

    def rhs(_t, y):
        return _velocity(D, y.reshape(k, N)).ravel()

    sol = solve_ivp(
        rhs, (0.0, ts[-1]), F0.ravel(), "DOP853", t_eval=ts, rtol=rtol, atol=atol
    )
    if not sol.success:  # pragma: no cover - DOP853 on a smooth bounded field
        raise RuntimeError(f"solve_f: the solver failed: {sol.message}")
    return Paths(ts, sol.y.T.reshape(ts.size, k, N))


def solve_m(C: Any, M0: Any, t: Any, rtol: float = 1e-12, atol: float = 1e-14) -> Paths:
    r"""The z = 1 flow :math:`\dot m = -2(I - mm^\top)Cm` for every column of M0.

    Integrated as (10) in :math:`\mathbb{R}^d` with C shifted by
    :math:`-(\lambda_{\max} + 1)I`, which changes nothing on the unit sphere (the
    shift adds :math:`-c(I - mm^\top)m = 0`) and makes the sphere attracting, so
    that the solver's errors do not drift off it.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M0 : array_like, shape (d, N)
        Unit columns.
    t : float or array_like, shape (T,)
    rtol, atol : float

    Returns
    -------
    Paths
        ``Y`` of shape (T, d, N).
    """
    C = check_symmetric("C", C)
    M0 = _columns("M0", M0, C.shape[0])
    if np.max(np.abs(np.linalg.norm(M0, axis=0) - 1)) > 1e-10:
        raise ValueError("M0: expected unit columns")
    Cs = C - (np.linalg.eigvalsh(C)[-1] + 1.0) * np.eye(C.shape[0])
    return solve_f(Cs, M0, t, rtol, atol)


def exact_m(C: Any, M0: Any, t: Any) -> Paths:
    r"""The exact solution of the z = 1 flow, :math:`m(t) = y/\|y\|`,
    :math:`y = e^{-2Ct}m(0)`, for every column of M0 (no integration).

    Evaluated in the eigenbasis :math:`C = Q\Lambda Q^\top`, :math:`b = Q^\top m(0)`,
    with the logarithms :math:`-2\lambda_jt + \log|b_j|` shifted by their maximum
    before exponentiating, so that nothing overflows at any t.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M0 : array_like, shape (d, N)
        Unit columns.
    t : float or array_like, shape (T,)

    Returns
    -------
    Paths
        ``Y`` of shape (T, d, N).
    """
    C = check_symmetric("C", C)
    M0 = _columns("M0", M0, C.shape[0])
    if np.max(np.abs(np.linalg.norm(M0, axis=0) - 1)) > 1e-10:
        raise ValueError("M0: expected unit columns")
    ts = _times(t)
    lam, Q = np.linalg.eigh(C)
    B = Q.T @ M0  # (d, N)
    with np.errstate(divide="ignore"):
        logs = -2.0 * lam[None, :, None] * ts[:, None, None] + np.log(np.abs(B))
    Y = np.sign(B) * np.exp(logs - logs.max(axis=1, keepdims=True))
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    return Paths(ts, np.einsum("ij,tjn->tin", Q, Y))


@dataclass(frozen=True)
class LineAngle:
    r"""Angle between vectors and the line of a unit vector v.

    Attributes
    ----------
    tan : ndarray
        :math:`\tan\theta = \|m - (v^\top m)v\| / |v^\top m|`, shape of the
        columns (leading time axis kept).
    overlap : ndarray
        :math:`v^\top m`, same shape.
    """

    tan: np.ndarray
    overlap: np.ndarray


def line_angle(Ms: Any, v: Any) -> LineAngle:
    r"""tan of the angle between each column m of Ms and the line of v.

    Computed from the sine, :math:`\|m - (v^\top m)v\|`, which has no cancellation
    near :math:`\theta = 0` (unlike :math:`1 - (v^\top m)^2`).

    Parameters
    ----------
    Ms : array_like, shape (d, N) or (T, d, N)
    v : array_like, shape (d,)
        Unit vector.

    Returns
    -------
    LineAngle
        Arrays of shape (N,) or (T, N).
    """
    v = as_matrix("v", v, ndim=1)
    if abs(np.linalg.norm(v) - 1) > 1e-10:
        raise ValueError("v: expected a unit vector")
    Ms = as_array("Ms", Ms)
    if Ms.ndim not in (2, 3) or Ms.shape[-2] != v.size:
        raise ValueError(f"Ms: expected shape (..., {v.size}, N), got {Ms.shape}")
    c = np.einsum("i,...in->...n", v, Ms)
    s = np.linalg.norm(Ms - v[:, None] * c[..., None, :], axis=-2)
    with np.errstate(divide="ignore"):
        return LineAngle(s / np.abs(c), c)


# --------------------------------------------------------------- the two cases


def _setting(
    D: Any, X: Any, M0: Any, mname: str = "M0"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    D = check_symmetric("D", D)
    X = check_orthonormal_columns("X", X)
    if X.shape[1] != D.shape[0]:
        raise ValueError(f"X: expected {D.shape[0]} columns, got shape {X.shape}")
    M0 = _columns(mname, M0, X.shape[0])
    if np.max(np.abs(np.linalg.norm(M0, axis=0) - 1)) > 1e-10:
        raise ValueError(f"{mname}: expected unit columns")
    return D, X, M0


@dataclass(frozen=True)
class Case1Check:
    r"""Verdict of :func:`check_case1` (D positive definite, :math:`\|f(0)\|<1`).

    Attributes
    ----------
    mu : float
        The rate constant used in the bounds (the smallest eigenvalue of D).
    norm0 : ndarray, shape (N,)
        :math:`\|f(0)\|`.
    norms : ndarray, shape (T, N)
        :math:`\|f(t)\|`, from the exact solution.
    tightness : float
        Largest ratio of :math:`\|f(t)\|` to the smaller bound, t > 0.
    excess : float
        Largest excess of :math:`\|f(t)\|` over either bound, minus the rounding
        allowance :data:`ROUNDING` (must be <= 0).
    agreement : float
        Largest difference between the solution of (10) and :math:`X^\top m(t)`
        (must be below :data:`AGREEMENT`).
    final : float
        Largest :math:`\|f(T)\|`.
    """

    mu: float
    norm0: np.ndarray
    norms: np.ndarray
    tightness: float
    excess: float
    agreement: float
    final: float

    @property
    def passed(self) -> bool:
        return self.excess <= 0 and self.agreement <= AGREEMENT


def _outputs(
    D: np.ndarray, X: np.ndarray, M0: np.ndarray, t: Any
) -> tuple[Paths, np.ndarray, float]:
    """(10) integrated, X^T m from the exact flow, and their largest difference."""
    F = solve_f(D, X.T @ M0, t)
    M = exact_m(X @ D @ X.T, M0, F.t)
    F_exact = np.einsum("dk,tdn->tkn", X, M.Y)
    return M, F_exact, float(np.max(np.abs(F.Y - F_exact)))


def check_case1(D: Any, X: Any, M0: Any, t: Any, mu: float | None = None) -> Case1Check:
    r"""Case 1 of Theorem 3: both bounds on :math:`\|f(t)\|`, for every column.

    With :math:`r_0 = \|f(0)\|^2`:
    :math:`\|f(t)\|\le\|f(0)\|e^{-2\mu(1 - r_0)t}` (Grönwall) and
    :math:`\|f(t)\|\le\|f(0)\|(1 - r_0)^{-1/2}e^{-2\mu t}` (explicit solution),
    evaluated on the exact :math:`f = X^\top m(t)` (:func:`exact_m`) with the
    rounding allowance :data:`ROUNDING`; and (10), integrated by :func:`solve_f`,
    must agree with it within :data:`AGREEMENT`.

    Parameters
    ----------
    D : array_like, shape (k, k)
        Symmetric positive definite.
    X : array_like, shape (d, k)
        Orthonormal columns, k < d.
    M0 : array_like, shape (d, N)
        Unit columns with :math:`\|X^\top m_0\| < 1`.
    t : array_like, shape (T,)
        Times, from 0.
    mu : float or None
        The rate constant to test; None for the smallest eigenvalue of D (the
        theorem's). A larger value is a false claim and must fail.

    Returns
    -------
    Case1Check
    """
    D, X, M0 = _setting(D, X, M0)
    lam_D = np.linalg.eigvalsh(D)
    if lam_D[0] <= 0:
        raise ValueError("D: case 1 needs D positive definite")
    mu = lam_D[0] if mu is None else check_positive_float("mu", mu)
    nrm0 = np.linalg.norm(X.T @ M0, axis=0)
    if nrm0.max() >= 1 - 1e-8:
        raise ValueError("M0: case 1 needs ||X^T m0|| < 1 (k < d)")
    M, F, agreement = _outputs(D, X, M0, t)
    ts = M.t[:, None]
    nrm = np.linalg.norm(F, axis=1)
    b_lyap = nrm0 * np.exp(-2 * mu * (1 - nrm0**2) * ts)
    b_rate = nrm0 / np.sqrt(1 - nrm0**2) * np.exp(-2 * mu * ts)
    excess = max(np.max(nrm - b_lyap), np.max(nrm - b_rate)) - ROUNDING
    later = M.t > 0
    tight = float(np.max(nrm[later] / np.minimum(b_lyap, b_rate)[later]))
    return Case1Check(
        float(mu), nrm0, nrm, tight, float(excess), agreement, float(nrm[-1].max())
    )


@dataclass(frozen=True)
class Case2Check:
    r"""Verdict of :func:`check_case2` (a simple negative smallest eigenvalue).

    Attributes
    ----------
    lam : float
        The smallest eigenvalue of D.
    gap : float
        The rate constant used, :math:`g = \lambda_2(C) - \lambda`.
    overlap0 : ndarray, shape (N,)
        :math:`u^\top f(0)`.
    tan : ndarray, shape (T, N)
        :math:`\tan\theta(t)`, the angle between m(t) and the line of Xu.
    tightness : float
        Largest ratio of :math:`\tan\theta(t)` to its bound, t > 0.
    excess : float
        Largest excess over :math:`\tan\theta(0)e^{-2gt}`, minus
        :data:`ROUNDING`.
    sign_kept : bool
        :math:`u^\top f(t)` kept the sign of :math:`u^\top f(0)` at every t.
    agreement : float
        As in :class:`Case1Check`.
    final : float
        Largest :math:`\|f(T) - su\|`, s the sign of :math:`u^\top f(0)`.
    final_overlap : ndarray, shape (N,)
        :math:`1 - |u^\top f(T)|`.
    """

    lam: float
    gap: float
    overlap0: np.ndarray
    tan: np.ndarray
    tightness: float
    excess: float
    sign_kept: bool
    agreement: float
    final: float
    final_overlap: np.ndarray

    @property
    def passed(self) -> bool:
        return self.excess <= 0 and self.sign_kept and self.agreement <= AGREEMENT


def _gap_of_C(lam_D: np.ndarray, d: int) -> float:
    k = lam_D.size
    lam_C = np.sort(np.concatenate([lam_D, np.zeros(d - k)]))
    return float(lam_C[1] - lam_C[0])


def _simple_negative(lam_D: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(lam_D))))
    return lam_D[0] < 0 and (lam_D.size == 1 or lam_D[1] - lam_D[0] > 1e-12 * scale)


def check_case2(
    D: Any, X: Any, M0: Any, t: Any, gap: float | None = None
) -> Case2Check:
    r"""Case 2 of Theorem 3: :math:`\tan\theta(t)\le\tan\theta(0)e^{-2gt}` and the
    sign of :math:`u^\top f` kept, for every column.

    Evaluated on the exact solution (:func:`exact_m`; the angle by
    :func:`line_angle`, from m, without cancellation) with the allowance
    :data:`ROUNDING`; (10), integrated by :func:`solve_f`, must agree with
    :math:`X^\top m(t)` within :data:`AGREEMENT`.

    Parameters
    ----------
    D : array_like, shape (k, k)
        Symmetric, smallest eigenvalue negative and simple.
    X : array_like, shape (d, k)
        Orthonormal columns.
    M0 : array_like, shape (d, N)
        Unit columns with :math:`u^\top X^\top m_0\ne0`.
    t : array_like, shape (T,)
    gap : float or None
        The rate constant to test; None for :math:`\lambda_2(C) - \lambda_1(C)`
        (the theorem's). A larger value is a false claim and must fail.

    Returns
    -------
    Case2Check
    """
    D, X, M0 = _setting(D, X, M0)
    lam_D, R = np.linalg.eigh(D)
    if not _simple_negative(lam_D):
        raise ValueError("D: case 2 needs a simple negative smallest eigenvalue")
    gap = _gap_of_C(lam_D, X.shape[0]) if gap is None else gap
    gap = check_positive_float("gap", gap)
    u = R[:, 0]
    a0 = u @ (X.T @ M0)
    if np.min(np.abs(a0)) < 1e-8:
        raise ValueError("M0: case 2 needs u^T f(0) != 0 for every column")
    M, F, agreement = _outputs(D, X, M0, t)
    ang = line_angle(M.Y, X @ u)
    bound = ang.tan[0] * np.exp(-2 * gap * M.t[:, None])
    excess = float(np.max(ang.tan - bound)) - ROUNDING
    later = M.t > 0
    tight = float(np.max(ang.tan[later] / bound[later]))
    s = np.sign(a0)
    sign_kept = bool(np.all(np.sign(np.einsum("i,tin->tn", u, F)) == s))
    final = float(np.max(np.linalg.norm(F[-1] - s * u[:, None], axis=0)))
    return Case2Check(
        float(lam_D[0]),
        float(gap),
        a0,
        ang.tan,
        tight,
        excess,
        sign_kept,
        agreement,
        final,
        1 - np.abs(ang.overlap[-1]),
    )


# ------------------------------------------------------------------------ rates


def fitted_rate(t: Any, y: Any, lo: float = 1e-9, hi: float = 1e-3) -> float:
    r"""Least-squares decay rate r of :math:`\log y\approx c - rt` over the window
    ``lo <= y <= hi``.

    Parameters
    ----------
    t : array_like, shape (T,)
    y : array_like, shape (T,)
        Positive where it matters (values outside the window are ignored).
    lo, hi : float
        The window, ``0 < lo < hi``.

    Returns
    -------
    float
        The rate (positive for decay).
    """
    t = as_matrix("t", t, ndim=1)
    y = as_matrix("y", y, ndim=1)
    if t.shape != y.shape:
        raise ValueError(f"t, y: expected the same shape, got {t.shape}, {y.shape}")
    lo, hi = check_tolerance("lo", lo), check_tolerance("hi", hi)
    if not lo < hi:
        raise ValueError(f"lo, hi: expected lo < hi, got {lo}, {hi}")
    sel = (y >= lo) & (y <= hi)
    if sel.sum() < 5:
        raise ValueError(f"y: fewer than 5 values in the window [{lo:g}, {hi:g}]")
    return float(-np.polyfit(t[sel], np.log(y[sel]), 1)[0])


@dataclass(frozen=True)
class RateCheck:
    """A fitted rate against its prediction.

    Attributes
    ----------
    fitted, predicted : float
    rtol : float
        Allowed relative error.
    """

    fitted: float
    predicted: float
    rtol: float

    @property
    def rel_err(self) -> float:
        return abs(self.fitted / self.predicted - 1)

    @property
    def passed(self) -> bool:
        return self.rel_err < self.rtol


def check_rate(
    t: Any,
    y: Any,
    gap: float,
    rtol: float = 0.02,
    lo: float = 1e-9,
    hi: float = 1e-3,
) -> RateCheck:
    r"""Compare the decay rate of y (:func:`fitted_rate`) with the claim
    :math:`2g`.

    Parameters
    ----------
    t, y : array_like, shape (T,)
    gap : float
        The gap g, positive; the predicted rate is 2g.
    rtol : float
        Allowed relative error, positive.
    lo, hi : float
        The fit window.

    Returns
    -------
    RateCheck
    """
    gap = check_positive_float("gap", gap)
    rtol = check_tolerance("rtol", rtol)
    return RateCheck(fitted_rate(t, y, lo, hi), 2 * gap, rtol)


@dataclass(frozen=True)
class FlowRate:
    r"""Result of :func:`flow_rate`.

    Attributes
    ----------
    case : int
        1 (D positive definite: :math:`y = \|f\|`) or 2 (:math:`y = \tan\theta`).
    gap_D : float
        Gap of D: :math:`\lambda_2(D) - \lambda_1(D)` in case 2, :math:`\mu` in
        case 1.
    gap_C : float
        Gap of C, :math:`\lambda_2(C) - \lambda_1(C)` (the zeros from outside
        the basis count).
    rate : RateCheck
        The fitted rate against :math:`2g_C`.
    """

    case: int
    gap_D: float
    gap_C: float
    rate: RateCheck


def flow_rate(
    D: Any, X: Any, m0: Any, t: Any, rtol: float = 0.02, gap: float | None = None
) -> FlowRate:
    r"""Integrate from one initialisation and compare the decay rate with 2g.

    Case 1 fits :math:`\|f(t)\|` from (10) (:func:`solve_f` with the absolute
    tolerance :math:`10^{-18}`, so that the window is resolved), case 2
    :math:`\tan\theta(t)` from the exact solution (:func:`exact_m`), over the
    window :math:`[10^{-9}, 10^{-3}]`.

    Parameters
    ----------
    D : array_like, shape (k, k)
        Symmetric; positive definite (case 1) or with a simple negative smallest
        eigenvalue (case 2).
    X : array_like, shape (d, k)
        Orthonormal columns, k < d.
    m0 : array_like, shape (d, 1)
        Unit column.
    t : array_like, shape (T,)
        Times, long enough for y to cross the window.
    rtol : float
        Allowed relative error of the rate.
    gap : float or None
        The claimed gap; None for the gap of C (the theorem's).

    Returns
    -------
    FlowRate
    """
    D, X, m0 = _setting(D, X, m0, "m0")
    if m0.shape[1] != 1:
        raise ValueError(f"m0: expected one column, got shape {m0.shape}")
    lam_D, R = np.linalg.eigh(D)
    if lam_D[0] > 0:
        case, gap_D, gap_C = 1, float(lam_D[0]), float(lam_D[0])
        y = np.linalg.norm(solve_f(D, X.T @ m0, t, atol=1e-18).Y[:, :, 0], axis=1)
    elif lam_D.size > 1 and _simple_negative(lam_D):
        case, gap_D = 2, float(lam_D[1] - lam_D[0])
        gap_C = _gap_of_C(lam_D, X.shape[0])
        Ms = exact_m(X @ D @ X.T, m0, t)
        y = line_angle(Ms.Y, X @ R[:, 0]).tan[:, 0]
    else:
        raise ValueError("D: expected D > 0 or a simple negative eigenvalue")
    ts = _times(t)
    claimed = gap_C if gap is None else gap
    return FlowRate(case, gap_D, gap_C, check_rate(ts, y, claimed, rtol))


# ------------------------------------------------------------ the expected C


@dataclass(frozen=True)
class MeanC:
    """Monte Carlo mean of the contrastive C.

    Attributes
    ----------
    mean : ndarray, shape (p, p)
    se : ndarray, shape (p, p)
        Standard errors of the entries.
    n_mc : int
        Replications.
    """

    mean: np.ndarray
    se: np.ndarray
    n_mc: int


def mean_contrastive(
    mu: Any,
    L: Any,
    n: int = 40,
    n_mc: int = 2000,
    sigma: float = 0.3,
    rng: Any = 0,
) -> MeanC:
    r"""Average the contrastive C of (7) over independent data sets.

    Data :math:`x = \mu + Ls`, s uniform on :math:`[-\sqrt3, \sqrt3]^p` (mean 0,
    identity covariance, not Gaussian), so :math:`\operatorname{Cov}(x) = LL^\top`;
    positives with Gaussian noise ``sigma``
    (:func:`~ssl_notes.data.gaussian_positives`), random negatives
    (:func:`~ssl_notes.data.random_negatives`).

    Parameters
    ----------
    mu : array_like, shape (p,)
    L : array_like, shape (p, p)
    n : int
        Points per data set, at least 2.
    n_mc : int
        Replications, at least 2.
    sigma : float
        Noise of the positives, positive.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    MeanC
    """
    mu = as_matrix("mu", mu, ndim=1)
    L = as_matrix("L", L)
    if L.shape != (mu.size, mu.size):
        raise ValueError(f"L: expected shape {(mu.size, mu.size)}, got {L.shape}")
    n, n_mc = check_positive_int("n", n), check_positive_int("n_mc", n_mc)
    if n < 2 or n_mc < 2:
        raise ValueError(f"n, n_mc: expected at least 2, got n={n}, n_mc={n_mc}")
    if n * n_mc * mu.size > 5e7:
        raise ValueError("n_mc: n * n_mc * p above 5e7 (work bound)")
    sigma = check_positive_float("sigma", sigma)
    rng = as_rng(rng)
    p = mu.size
    Cs = np.empty((n_mc, p, p))
    for r in range(n_mc):
        Xs = mu + rng.uniform(-np.sqrt(3), np.sqrt(3), (n, p)) @ L.T
        pos = data.gaussian_positives(Xs, sigma, rng)
        Cs[r] = losses.contrastive_matrix(Xs, pos, data.random_negatives(Xs, rng))
    se = Cs.std(axis=0, ddof=1) / np.sqrt(n_mc)
    return MeanC(Cs.mean(axis=0), se, n_mc)


def max_z_score(mean_c: MeanC, candidate: Any) -> float:
    r"""Largest :math:`|\bar C_{ij} - E_{ij}|/\mathrm{se}_{ij}` over :math:`i\le j`.

    Parameters
    ----------
    mean_c : MeanC
    candidate : array_like, shape (p, p)
        The claimed :math:`\mathbb{E}[C]`.

    Returns
    -------
    float
    """
    if not isinstance(mean_c, MeanC):
        raise TypeError(f"mean_c: expected a MeanC, got {type(mean_c).__name__}")
    E = as_matrix("candidate", candidate)
    if E.shape != mean_c.mean.shape:
        raise ValueError(f"candidate: expected shape {mean_c.mean.shape}")
    iu = np.triu_indices(E.shape[0])
    return float(np.max(np.abs((mean_c.mean - E) / mean_c.se)[iu]))


# --------------------------------------------------------------------- z > 1


def projector_angles(P_t: Any, U: Any) -> np.ndarray:
    r"""Largest principal angle between the range of each rank-z projector and
    the span of U (z columns).

    Parameters
    ----------
    P_t : array_like, shape (T, d, d)
        Orthogonal projectors of rank z.
    U : array_like, shape (d, z)
        Orthonormal columns.

    Returns
    -------
    ndarray, shape (T,)
    """
    U = check_orthonormal_columns("U", U)
    P_t = as_matrix("P_t", P_t, ndim=3)
    if P_t.shape[1:] != (U.shape[0], U.shape[0]):
        raise ValueError(f"P_t: expected shape (T, {U.shape[0]}, {U.shape[0]})")
    z = U.shape[1]
    return np.array(
        [metrics.subspace_distance(np.linalg.eigh(P)[1][:, -z:], U) for P in P_t]
    )


@dataclass(frozen=True)
class SubspaceCheck:
    r"""Result of :func:`check_subspace`.

    Attributes
    ----------
    z : int
    gap : float
        :math:`\lambda_{z+1} - \lambda_z`.
    angles : ndarray, shape (n_init, T)
        Largest principal angle to :math:`U_z` over time.
    rate : RateCheck
        Median fitted rate of :math:`\tan` of the angle against :math:`2g`.
    """

    z: int
    gap: float
    angles: np.ndarray
    rate: RateCheck

    @property
    def final(self) -> float:
        return float(self.angles[:, -1].max())

    @property
    def passed(self) -> bool:
        return self.final < 1e-6 and self.rate.passed


def check_subspace(
    C: Any,
    z: int,
    t: Any,
    n_init: int = 20,
    rng: Any = 0,
    rtol: float = 0.02,
) -> SubspaceCheck:
    r"""The span of M(t) converges to :math:`U_z` at the rate
    :math:`2(\lambda_{z+1} - \lambda_z)`, from Haar random starts.

    Uses the exact projector :func:`~ssl_notes.dynamics.flow_projector`; the rate
    is the median over the starts of the rate of :math:`\tan` of the largest
    principal angle, fitted over :math:`[10^{-10}, 10^{-4}]`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric with :math:`\lambda_z < \lambda_{z+1}`.
    z : int
        ``1 <= z < d``.
    t : array_like, shape (T,)
    n_init : int
        Number of starts.
    rng : int, numpy.random.Generator or None
    rtol : float
        Allowed relative error of the rate.

    Returns
    -------
    SubspaceCheck
    """
    C = check_symmetric("C", C)
    d = C.shape[0]
    z = check_positive_int("z", z)
    if z >= d:
        raise ValueError(f"z: expected z < d = {d}, got {z}")
    ts = _times(t)
    n_init = check_positive_int("n_init", n_init)
    if n_init > 1000:
        raise ValueError(f"n_init: at most 1000, got {n_init}")
    rng = as_rng(rng)
    rtol = check_tolerance("rtol", rtol)
    lam, Q = np.linalg.eigh(C)
    gap = float(lam[z] - lam[z - 1])
    if gap <= 1e-12 * max(1.0, float(np.max(np.abs(lam)))):
        raise ValueError("C: expected lambda_z < lambda_z+1")
    Uz = Q[:, :z]
    angles = np.array(
        [
            projector_angles(
                dynamics.flow_projector(C, manifold.haar_orthonormal(d, z, rng), ts),
                Uz,
            )
            for _ in range(n_init)
        ]
    )
    rates = [fitted_rate(ts, np.tan(a), lo=1e-10, hi=1e-4) for a in angles]
    return SubspaceCheck(
        z, gap, angles, RateCheck(float(np.median(rates)), 2 * gap, rtol)
    )
