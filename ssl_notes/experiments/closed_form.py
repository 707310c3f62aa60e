r"""Machinery of the chapter *The flow in closed form* (``book/closed_form.py``).

The flow :math:`\dot M = -2(I - MM^\top)CM`, :math:`M^\top M = I_z` (time
convention of :mod:`ssl_notes.dynamics`) has the projector
:math:`P(t) = Y(Y^\top Y)^{-1}Y^\top` with :math:`Y(t) = e^{-2Ct}M_0`. Each check
of the chapter is one function here that returns a frozen result object with a
``passed`` verdict; the quantity under test (a projector, a loss curve, the
rotation generator :math:`\Omega`, a basis, the rate constant of the learning
time) is an argument, so that the unit tests can feed a deliberately wrong one and
see the check fail:

- :func:`riccati_check`: central differences of :math:`P(t)` against
  :math:`-2(CP + PC) + 4PCP`;
- :func:`compare_with_ode`: projector and loss against a tight ODE solve;
- :func:`rotation_check`: :math:`U = \hat Y^\top M` obeys :math:`\dot U = -\Omega U`;
- :func:`basis_gap`: a candidate basis against :math:`M(t)` (the polar factor
  :func:`polar_factor` spans the right subspace but is another basis);
- :func:`learning_time`: the first time the angle to the bottom eigenspace
  reaches :math:`\delta`, against the bracket of the chapter's corollary;
- :func:`never_learns`: degenerate initialisations stay at angle :math:`\pi/2`;
- :func:`euler_benchmark`: Euler steps of (12) against the closed-form curve.

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import closed_form, dynamics, metrics, training
from .._validate import (
    as_matrix,
    as_rng,
    check_C_M0,
    check_callable,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_scalar,
    check_times,
    check_tolerance,
)
from ..losses import DataMatrix

__all__ = [
    "random_symmetric",
    "with_spectrum",
    "spectrum_with_gap",
    "oja_projector",
    "RiccatiCheck",
    "riccati_check",
    "OdeComparison",
    "compare_with_ode",
    "omega_matrix",
    "RotationCheck",
    "rotation_check",
    "polar_factor",
    "BasisGap",
    "basis_gap",
    "first_crossing",
    "LearningTime",
    "learning_time",
    "StuckRun",
    "never_learns",
    "EulerBenchmark",
    "euler_benchmark",
]

#: Tolerances of the reference ODE solve (DOP853 on all of M, shifted C).
ODE_TOL = 1e-13

Projector = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _ode(C: np.ndarray, M0: np.ndarray, t: Any, atol: float = ODE_TOL) -> np.ndarray:
    return dynamics.grassmann_flow_ode(C, M0, t, rtol=ODE_TOL, atol=atol)


def _result(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The output of a user-supplied function, checked for shape and finiteness."""
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name}: returned {type(value).__name__}, not numbers"
        ) from exc
    if out.shape != shape:
        raise ValueError(f"{name}: returned shape {out.shape}, expected {shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: returned non-finite values")
    return out


# ------------------------------------------------------------------ test matrices


def random_symmetric(d: int, rng: Any = None) -> np.ndarray:
    r"""A symmetric d x d matrix :math:`(A + A^\top)/2`, :math:`A_{ij}\sim N(0, 1/d)`.

    Its spectrum is of order one (semicircle on about :math:`[-\sqrt2, \sqrt2]`).

    Parameters
    ----------
    d : int, positive
    rng : int, numpy.random.Generator or None

    Returns
    -------
    ndarray, shape (d, d), exactly symmetric
    """
    d = check_positive_int("d", d)
    if d > 4000:
        raise ValueError(f"d: at most 4000 here, got {d}")
    A = as_rng(rng).standard_normal((d, d)) / np.sqrt(d)
    return (A + A.T) / 2


def with_spectrum(Q: Any, lam: Any) -> np.ndarray:
    r""":math:`C = Q\operatorname{diag}(\lambda)Q^\top`, exactly symmetric.

    Parameters
    ----------
    Q : array_like, shape (d, d), orthogonal
    lam : array_like, shape (d,), the eigenvalues

    Returns
    -------
    ndarray, shape (d, d)
    """
    Q = check_orthonormal_columns("Q", Q)
    lam = as_matrix("lam", lam, ndim=1)
    if Q.shape != (lam.size, lam.size):
        raise ValueError(
            f"Q: expected a square ({lam.size}, {lam.size}) matrix for "
            f"{lam.size} eigenvalues lam, got shape {Q.shape}"
        )
    C = (Q * lam) @ Q.T
    return (C + C.T) / 2


def spectrum_with_gap(g: float, d: int) -> np.ndarray:
    r"""Eigenvalues :math:`(-2.5, -2, -2 + g, -1.5 + g, \dots, 1 + g)` for z = 2.

    The eigengap :math:`\lambda_3 - \lambda_2 = g` varies; the neighbouring gaps
    :math:`\lambda_2 - \lambda_1` and :math:`\lambda_4 - \lambda_3` stay 0.5, and
    the top :math:`d - 3` eigenvalues are equally spaced from :math:`-1.5 + g` to
    :math:`1 + g`.

    Parameters
    ----------
    g : float, positive
    d : int, at least 4

    Returns
    -------
    ndarray, shape (d,), ascending
    """
    g = check_positive_float("g", g)
    d = check_positive_int("d", d)
    if d < 4:
        raise ValueError(f"d: need d >= 4 (two bottom, the gap, a neighbour), got {d}")
    top = -2.0 + g + np.linspace(0.5, 3.0, d - 3)
    return np.r_[-2.5, -2.0, -2.0 + g, top]


# ------------------------------------------------------------------- Riccati check


def oja_projector(C: Any, M0: Any, t: Any, rate: float = 2.0) -> np.ndarray:
    r"""Projector onto :math:`\operatorname{span} e^{-cCt}M_0`, c = ``rate``.

    With c = 2 this is the flow's projector :math:`P(t)`
    (:func:`ssl_notes.dynamics.flow_projector`); any other c is a wrong closed
    form, used to show that the checks can fail. Evaluated as
    ``flow_projector(c C / 2, M0, t)``, exact at any t.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times
    rate : float, positive

    Returns
    -------
    ndarray, shape (d, d) for scalar t, else (len(t), d, d)
    """
    C, M0 = check_C_M0(C, M0)
    rate = check_positive_float("rate", rate)
    return dynamics.flow_projector(0.5 * rate * C, M0, t)


@dataclass(frozen=True)
class RiccatiCheck:
    r"""Result of :func:`riccati_check`.

    Attributes
    ----------
    t : float, the time of the check
    h : float, the fine step (the coarse one is 10 h)
    coarse, fine : float, :math:`\max|\Delta_h P - (-2(CP + PC) + 4PCP)|` at 10 h
        and at h, :math:`\Delta_h P = (P(t + h) - P(t - h))/2h`
    tol : float, bound on ``fine``
    """

    t: float
    h: float
    coarse: float
    fine: float
    tol: float

    @property
    def ratio(self) -> float:
        """The ratio of ``coarse`` to ``fine``, 100 for an :math:`O(h^2)` error."""
        return float(np.divide(self.coarse, self.fine)) if self.fine > 0 else np.inf

    @property
    def passed(self) -> bool:
        """``fine < tol`` and the residual falls as :math:`h^2` (ratio in 50..200)."""
        return self.fine < self.tol and 50.0 < self.ratio < 200.0


def riccati_check(
    C: Any,
    M0: Any,
    t: float,
    step: float = 1e-3,
    projector: Projector | None = None,
    tol: float = 1e-5,
) -> RiccatiCheck:
    r"""Does ``projector`` solve :math:`\dot P = -2(CP + PC) + 4PCP`?

    Central differences with steps 10 h and h (h = ``step``): for a solution the
    mismatch is the truncation error :math:`\tfrac{h^2}{6}\|\dddot P\|` (plus rounding
    :math:`\sim 10^{-16}/h`), so it is small and falls a hundredfold per decade of
    h; for anything else it is of order one and does not fall.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float, with t >= 10 step
    step : float, positive, the fine step h
    projector : callable ``(C, M0, times) -> (len(times), d, d)``, default
        :func:`ssl_notes.dynamics.flow_projector`
    tol : float, positive

    Returns
    -------
    RiccatiCheck
    """
    C, M0 = check_C_M0(C, M0)
    t = check_scalar("t", t, min_val=0.0)
    h = check_positive_float("step", step)
    if t < 10 * h:
        raise ValueError(f"t: need t >= 10 step = {10 * h:g} for the coarse step")
    projector = check_callable("projector", projector) or dynamics.flow_projector
    tol = check_tolerance("tol", tol)
    d = C.shape[0]
    res = []
    for k in (10 * h, h):
        P = _result("projector", projector(C, M0, [t - k, t, t + k]), (3, d, d))
        rhs = -2 * (C @ P[1] + P[1] @ C) + 4 * P[1] @ C @ P[1]
        res.append(float(np.max(np.abs((P[2] - P[0]) / (2 * k) - rhs))))
    return RiccatiCheck(t, h, res[0], res[1], tol)


# ----------------------------------------------------------------- the ODE check


@dataclass(frozen=True)
class OdeComparison:
    r"""Result of :func:`compare_with_ode`.

    Attributes
    ----------
    d, z : int
    P_err : ndarray, shape (T,), :math:`\max_{ij}|P - P_{\rm ODE}|` at each time
    L_err : float, :math:`\max_t|\text{loss} - \operatorname{Tr}(M^\top CM)_{\rm ODE}|`
    idem, sym, trace : float, :math:`\max|P^2 - P|`, :math:`\max|P - P^\top|`,
        :math:`\max|\operatorname{Tr}P - z|` over the times
    m_err : float or None, for z = 1 :math:`\max|Y/\|Y\| - M_{\rm ODE}|` (None
        for z > 1)
    tol : float, bound on P_err, L_err and m_err
    proj_tol : float, bound on idem, sym and trace
    """

    d: int
    z: int
    P_err: np.ndarray
    L_err: float
    idem: float
    sym: float
    trace: float
    m_err: float | None
    tol: float
    proj_tol: float

    @property
    def passed(self) -> bool:
        """All errors within their tolerances."""
        m_ok = self.m_err is None or self.m_err < self.tol
        close = float(self.P_err.max()) < self.tol and self.L_err < self.tol
        proj = max(self.idem, self.sym, self.trace) < self.proj_tol
        return bool(close and proj and m_ok)


def compare_with_ode(
    C: Any,
    M0: Any,
    t: Any,
    projector: Projector | None = None,
    loss: Callable[..., Any] | None = None,
    tol: float = 1e-9,
    proj_tol: float = 1e-12,
) -> OdeComparison:
    r"""Closed-form projector and loss against the reference ODE solve.

    The reference is :func:`ssl_notes.dynamics.grassmann_flow_ode` (DOP853 on all
    dz entries, C shifted so that the constraint attracts) with tolerances
    :math:`10^{-13}` (``ODE_TOL``). For z = 1 also :math:`M(t) = Y/\|Y\|` with
    :math:`Y = Q e^{-2(\Lambda - \lambda_1)t}Q^\top m_0` (the shift by
    :math:`\lambda_1` changes only the norm).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns, z < d
    t : 1-D array of non-negative times (at most 500)
    projector : callable ``(C, M0, t) -> (T, d, d)``, default
        :func:`ssl_notes.dynamics.flow_projector`
    loss : callable ``(C, M0, t) -> (T,)``, default
        :func:`ssl_notes.closed_form.loss_curve`
    tol, proj_tol : float, positive

    Returns
    -------
    OdeComparison
    """
    C, M0 = check_C_M0(C, M0)
    ts, _ = check_times(t)
    if ts.size > 500:
        raise ValueError(f"t: at most 500 times, got {ts.size}")
    projector = check_callable("projector", projector) or dynamics.flow_projector
    loss = check_callable("loss", loss) or closed_form.loss_curve
    tol = check_tolerance("tol", tol)
    proj_tol = check_tolerance("proj_tol", proj_tol)
    d, z = M0.shape
    if z >= d:
        raise ValueError(f"M0: need z < d for a moving flow, got shape {M0.shape}")
    M = _ode(C, M0, ts)
    P_ode = np.einsum("tia,tja->tij", M, M)
    P = _result("projector", projector(C, M0, ts), (ts.size, d, d))
    L = _result("loss", loss(C, M0, ts), (ts.size,))
    L_ode = np.einsum("tia,ij,tja->t", M, C, M)
    m_err = None
    if z == 1:
        lam, Q = np.linalg.eigh(C)
        decay = np.exp(-2 * np.outer(ts, lam - lam[0]))
        Y = (decay * (Q.T @ M0[:, 0])) @ Q.T
        Y /= np.linalg.norm(Y, axis=1, keepdims=True)
        m_err = float(np.max(np.abs(Y - M[:, :, 0])))
    return OdeComparison(
        d=d,
        z=z,
        P_err=np.max(np.abs(P - P_ode), axis=(1, 2)),
        L_err=float(np.max(np.abs(L - L_ode))),
        idem=float(np.max(np.abs(P @ P - P))),
        sym=float(np.max(np.abs(P - P.transpose(0, 2, 1)))),
        trace=float(np.max(np.abs(np.trace(P, axis1=1, axis2=2) - z))),
        m_err=m_err,
        tol=tol,
        proj_tol=proj_tol,
    )


# ------------------------------------------------------ the rotation inside the span


def omega_matrix(C: Any, Yh: Any) -> np.ndarray:
    r"""The generator :math:`\Omega = \operatorname{low}(H) - \operatorname{up}(H)`.

    :math:`H = -2\hat Y^\top C\hat Y` (z x z, symmetric); low and up are the
    strictly lower and upper triangular parts, so :math:`\Omega` is
    skew-symmetric. For the positive-diagonal QR basis :math:`\hat Y(t)` of the
    span, :math:`M(t) = \hat Y(t)U(t)` with :math:`\dot U = -\Omega U`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    Yh : array_like, shape (d, z), orthonormal columns

    Returns
    -------
    ndarray, shape (z, z)
    """
    C, Yh = check_C_M0(C, Yh, mname="Yh")
    H = -2 * Yh.T @ C @ Yh
    return np.tril(H, -1) - np.triu(H, 1)


@dataclass(frozen=True)
class RotationCheck:
    r"""Result of :func:`rotation_check`.

    Attributes
    ----------
    orth_err : float, :math:`\max|U^\top U - I|`, :math:`U = \hat Y^\top M_{\rm ODE}`
    residual : float, :math:`\max|(U(t+h) - U(t-h))/2h + \Omega U(t)|`
    flow_err : float, :math:`\max|M_{\rm grassmann\_flow} - M_{\rm ODE}|`
        (:func:`ssl_notes.dynamics.grassmann_flow` integrates the z x z equation)
    tol : float, bound on ``residual``
    """

    orth_err: float
    residual: float
    flow_err: float
    tol: float

    @property
    def passed(self) -> bool:
        """U orthogonal (1e-9), the rotation equation within tol, the package's
        integrator within 1e-8 of the ODE."""
        return (
            self.orth_err < 1e-9 and self.residual < self.tol and self.flow_err < 1e-8
        )


def rotation_check(
    C: Any,
    M0: Any,
    t: Any,
    step: float = 1e-4,
    omega: Callable[[np.ndarray, np.ndarray], Any] | None = None,
    tol: float = 1e-6,
) -> RotationCheck:
    r"""Check :math:`\dot U = -\Omega U` for :math:`U = \hat Y^\top M` by central
    differences with step h = ``step``.

    :math:`\hat Y` is :func:`ssl_notes.closed_form.qr_basis`, M the tight ODE
    solve. At each time the truncation error is :math:`\tfrac{h^2}{6}\|\dddot U\|`
    and the ODE error (about :math:`10^{-12}`) is amplified by 1/h; a wrong
    :math:`\Omega` (a sign, a transposed triangle) leaves a residual of the size of
    :math:`\Omega`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : 1-D array of times, each >= step (at most 20)
    step : float, positive
    omega : callable ``(C, Yh) -> (z, z)``, default :func:`omega_matrix`
    tol : float, positive

    Returns
    -------
    RotationCheck
    """
    C, M0 = check_C_M0(C, M0)
    ts, _ = check_times(t)
    h = check_positive_float("step", step)
    if ts.size > 20:
        raise ValueError(f"t: at most 20 times, got {ts.size}")
    if ts.min() < h:
        raise ValueError(f"t: every time must be >= step = {h:g}")
    omega = check_callable("omega", omega) or omega_matrix
    tol = check_tolerance("tol", tol)
    z = M0.shape[1]
    grid = (ts[:, None] + np.array([-h, 0.0, h])).ravel()
    M = _ode(C, M0, grid)
    Yh = closed_form.qr_basis(C, M0, grid)
    U = np.einsum("tia,tib->tab", Yh, M).reshape(ts.size, 3, z, z)
    orth = np.einsum("tab,tac->tbc", U[:, 1], U[:, 1]) - np.eye(z)
    res = 0.0
    for k in range(ts.size):
        Om = _result("omega", omega(C, Yh[3 * k + 1]), (z, z))
        dU = (U[k, 2] - U[k, 0]) / (2 * h)
        res = max(res, float(np.max(np.abs(dU + Om @ U[k, 1]))))
    flow = dynamics.grassmann_flow(C, M0, ts)
    return RotationCheck(
        orth_err=float(np.max(np.abs(orth))),
        residual=res,
        flow_err=float(np.max(np.abs(flow - M[1::3]))),
        tol=tol,
    )


def polar_factor(C: Any, M0: Any, t: Any) -> np.ndarray:
    r"""The polar factor :math:`Y(Y^\top Y)^{-1/2}` of :math:`Y = e^{-2Ct}M_0`.

    Computed from the SVD :math:`Y = U\Sigma V^\top` as :math:`UV^\top`, with
    :math:`e^{-2(C - \lambda_1 I)t}` in place of :math:`e^{-2Ct}` (the polar
    factor does not change under scaling). It spans the same subspace as
    :math:`M(t)` but is, for z >= 2, a different basis of it.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times

    Returns
    -------
    ndarray, shape (d, z) for scalar t, else (len(t), d, z)

    Raises
    ------
    ValueError
        If Y(t) is numerically rank deficient (condition number above 1e8):
        then its polar factor is not determined in float64.
    """
    C, M0 = check_C_M0(C, M0)
    ts, scalar = check_times(t)
    lam, Q = np.linalg.eigh(C)
    B = Q.T @ M0
    out = np.empty((ts.size, *M0.shape))
    for i, s in enumerate(ts):
        Y = Q @ (np.exp(-2 * (lam - lam[0]) * s)[:, None] * B)
        u, sv, vt = np.linalg.svd(Y, full_matrices=False)
        if sv[-1] <= 1e-8 * sv[0]:
            raise ValueError(
                f"t: at t = {s:g} Y(t) has condition number {sv[0] / sv[-1]:.1e}: "
                "its polar factor is not determined in float64 (use smaller t)"
            )
        out[i] = u @ vt
    return out[0] if scalar else out


@dataclass(frozen=True)
class BasisGap:
    r"""Result of :func:`basis_gap`: a candidate basis N(t) against M(t).

    Attributes
    ----------
    proj_err : float, :math:`\max_t\max_{ij}|NN^\top - MM^\top|`
    gap : ndarray, shape (T,), :math:`\|N(t) - M(t)\|_F`
    angle : float, the largest rotation angle (radians) of the orthogonal z x z
        matrix :math:`M^\top N` over the times
    tol : float, "same" means below tol
    """

    proj_err: float
    gap: np.ndarray
    angle: float
    tol: float

    @property
    def same_span(self) -> bool:
        """The projectors agree within tol."""
        return self.proj_err < self.tol

    @property
    def same_basis(self) -> bool:
        """The matrices agree within tol at every time."""
        return float(np.max(self.gap)) < self.tol


def basis_gap(
    C: Any,
    M0: Any,
    t: Any,
    candidate: Callable[..., Any] | None = None,
    tol: float = 1e-9,
) -> BasisGap:
    r"""Compare a candidate basis of the span with the flow's M(t) (tight ODE).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : 1-D array of non-negative times (at most 500)
    candidate : callable ``(C, M0, t) -> (T, d, z)``, default :func:`polar_factor`
    tol : float, positive

    Returns
    -------
    BasisGap
    """
    C, M0 = check_C_M0(C, M0)
    ts, _ = check_times(t)
    if ts.size > 500:
        raise ValueError(f"t: at most 500 times, got {ts.size}")
    candidate = check_callable("candidate", candidate) or polar_factor
    tol = check_tolerance("tol", tol)
    M = _ode(C, M0, ts)
    N = _result("candidate", candidate(C, M0, ts), M.shape)
    proj = np.einsum("tia,tja->tij", N, N) - np.einsum("tia,tja->tij", M, M)
    R = np.einsum("tia,tib->tab", M, N)
    angle = max(float(np.max(np.abs(np.angle(np.linalg.eigvals(r))))) for r in R)
    return BasisGap(
        proj_err=float(np.max(np.abs(proj))),
        gap=np.linalg.norm(N - M, axis=(1, 2)),
        angle=angle,
        tol=tol,
    )


# ------------------------------------------------------------------ learning time


def first_crossing(t: Any, theta: Any, delta: float) -> float:
    r"""The first time at which a sampled angle :math:`\theta` falls to ``delta``.

    Located between the first sample with :math:`\theta\le\delta` and the one
    before it by linear interpolation of :math:`\ln\tan\theta`, which is almost
    linear in t once :math:`\theta` decays like :math:`e^{-2gt}`.

    Parameters
    ----------
    t : array_like, shape (T,), increasing times
    theta : array_like, shape (T,), angles in [0, pi/2]
    delta : float in (0, pi/2)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If theta starts at or below delta or never reaches it.
    """
    ts = as_matrix("t", t, ndim=1)
    theta = as_matrix("theta", theta, ndim=1)
    if theta.shape != ts.shape or ts.size < 2:
        raise ValueError(
            f"theta: expected the shape of t {ts.shape} (at least 2), got {theta.shape}"
        )
    if np.any(np.diff(ts) <= 0):
        raise ValueError("t: expected increasing times")
    if np.any((theta < 0) | (theta > np.pi / 2)):
        raise ValueError("theta: expected angles in [0, pi/2]")
    delta = check_scalar(
        "delta", delta, min_val=0.0, max_val=np.pi / 2, include_min=False,
        include_max=False,
    )  # fmt: skip
    below = theta <= delta
    if not below.any() or below[0]:
        raise ValueError(f"theta: does not cross delta = {delta:g} after t[0]")
    i = int(np.argmax(below))
    with np.errstate(divide="ignore"):
        a, b = np.log(np.tan(theta[i - 1 : i + 1]))
    if not np.isfinite(b):  # theta reached exactly 0: interpolate theta itself
        a, b = theta[i - 1], theta[i]
        frac = (a - delta) / (a - b)
    else:
        frac = (np.log(np.tan(delta)) - a) / (b - a)
    return float(ts[i - 1] + frac * (ts[i] - ts[i - 1]))


@dataclass(frozen=True)
class LearningTime:
    r"""Result of :func:`learning_time`.

    Attributes
    ----------
    g, g_next : float, the eigengap :math:`\lambda_{z+1} - \lambda_z` and the
        neighbouring gap :math:`g' = \min(\lambda_{z+2} - \lambda_{z+1},
        \lambda_z - \lambda_{z-1})` (those that exist)
    kappa, x_norm : float, :math:`|K(0)_{1z}|` and :math:`\|X\|_2`, X the matrix
        K(0) with that entry set to zero
    measured : float, first time with :math:`\theta\le\delta` (tight ODE)
    T_inf : float, :math:`\ln(\kappa/\tan\delta)/(c g)`, c = ``rate``
    upper : float, :math:`T_\infty + \ln(1 + 2\|X\|_2 e^{-2g'T}/\kappa)/(c g)` at
        T = measured
    bound : float, :math:`\ln(\tan\theta_0/\tan\delta)/2g`
        (:func:`ssl_notes.closed_form.convergence_time`)
    T_inf_pkg : float, the asymptotic time of
        :func:`ssl_notes.closed_form.convergence_time`
    loss_err : float, :math:`\max_t|` closed-form loss :math:`-` ODE loss :math:`|`
    slack : float, allowed error of ``measured``
    t, theta, loss : ndarray, shape (T,), the ODE's angle and loss on the grid
    """

    g: float
    g_next: float
    kappa: float
    x_norm: float
    measured: float
    T_inf: float
    upper: float
    bound: float
    T_inf_pkg: float
    loss_err: float
    slack: float
    t: np.ndarray
    theta: np.ndarray
    loss: np.ndarray

    @property
    def passed(self) -> bool:
        r"""The corollary's bracket and bound hold within ``slack`` and the
        package's :math:`T_\infty` agrees (relative 1e-9). (``loss_err`` is not
        part of the verdict: the ODE's error grows with the horizon.)"""
        s = self.slack
        inside = self.T_inf - s <= self.measured <= self.upper + s
        agree = abs(self.T_inf - self.T_inf_pkg) <= 1e-9 * abs(self.T_inf_pkg)
        return bool(inside and self.measured <= self.bound + s and agree)


def learning_time(
    C: Any,
    M0: Any,
    delta: float,
    t: Any,
    atol: float = ODE_TOL,
    rate: float = 2.0,
    slack: float = 1e-3,
) -> LearningTime:
    r"""Measure :math:`T(\delta)` from the tight ODE and bracket it by the corollary.

    :math:`\theta(t)` is the largest principal angle between span M(t) and the
    bottom-z eigenspace :math:`E_z` of C
    (:func:`ssl_notes.metrics.subspace_distance`); the corollary says
    :math:`T_\infty\le T(\delta)\le T_\infty + \ln(1 + 2\|X\|_2e^{-2g'T}/\kappa)/2g`
    with :math:`T_\infty = \ln(\kappa/\tan\delta)/2g`. ``rate`` is the constant 2
    of that claim (any other value is a wrong claim, for the tests).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric, simple eigenvalues around
        :math:`\lambda_z`, :math:`\lambda_{z+1}`
    M0 : array_like, shape (d, z), orthonormal columns, :math:`K(0)_{1z}\ne 0`
    delta : float in (0, pi/2), below :math:`\theta(0)`
    t : 1-D array of increasing times from 0 covering the crossing (at most 5000)
    atol : float, positive, absolute tolerance of the ODE (far below the smallest
        component that decides the flow)
    rate : float, positive
    slack : float, positive

    Returns
    -------
    LearningTime
    """
    C, M0 = check_C_M0(C, M0)
    delta = check_scalar(
        "delta", delta, min_val=0.0, max_val=np.pi / 2, include_min=False,
        include_max=False,
    )  # fmt: skip
    ts, _ = check_times(t)
    if not 2 <= ts.size <= 5000 or ts[0] != 0.0 or np.any(np.diff(ts) <= 0):
        raise ValueError("t: expected 2 to 5000 increasing times from 0")
    atol = check_tolerance("atol", atol)
    rate = check_positive_float("rate", rate)
    slack = check_tolerance("slack", slack)
    d, z = M0.shape
    if z >= d:
        raise ValueError(f"M0: need z < d, got shape {M0.shape}")
    lam, Q = np.linalg.eigh(C)
    gaps = [lam[z + 1] - lam[z] if z + 1 < d else np.inf]
    gaps.append(lam[z - 1] - lam[z - 2] if z >= 2 else np.inf)
    g, g_next = float(lam[z] - lam[z - 1]), float(min(gaps))
    if g <= 0 or g_next <= 0:
        raise ValueError(
            "C: the corollary needs lambda_(z-1) < lambda_z < lambda_(z+1) < "
            "lambda_(z+2) (where they exist)"
        )
    bound, T_inf_pkg = closed_form.convergence_time(C, M0, delta)
    K0 = closed_form.tangent_matrix(C, M0, 0.0)
    kappa = abs(float(K0[0, z - 1]))
    if kappa == 0.0:
        raise ValueError("M0: K(0)_{1z} = 0, the slowest mode is absent")
    X = K0.copy()
    X[0, z - 1] = 0.0
    x_norm = float(np.linalg.norm(X, 2))
    M = _ode(C, M0, ts, atol=atol)
    theta = np.array([metrics.subspace_distance(m, Q[:, :z]) for m in M])
    measured = first_crossing(ts, theta, delta)
    T_inf = float(np.log(kappa / np.tan(delta)) / (rate * g))
    width = np.log1p(2 * x_norm / kappa * np.exp(-2 * g_next * measured)) / (rate * g)
    loss = np.einsum("tia,ij,tja->t", M, C, M)
    loss_err = float(np.max(np.abs(closed_form.loss_curve(C, M0, ts) - loss)))
    return LearningTime(
        g=g, g_next=g_next, kappa=kappa, x_norm=x_norm, measured=measured,
        T_inf=T_inf, upper=T_inf + float(width), bound=bound, T_inf_pkg=T_inf_pkg,
        loss_err=loss_err, slack=slack, t=ts, theta=theta, loss=loss,
    )  # fmt: skip


@dataclass(frozen=True)
class StuckRun:
    r"""Result of :func:`never_learns`.

    Attributes
    ----------
    t : ndarray, shape (T,)
    deviation : ndarray, shape (T,), :math:`\pi/2 - \theta(t)`, computed as
        :math:`\arcsin\sigma_{\min}(E_z^\top M(t))` (exact near 0)
    loss : ndarray, shape (T,), :math:`\operatorname{Tr}(M^\top CM)` (tight ODE)
    tol : float, bound on the deviation
    """

    t: np.ndarray
    deviation: np.ndarray
    loss: np.ndarray
    tol: float

    @property
    def passed(self) -> bool:
        """The angle stays within tol of pi/2 at every time."""
        return float(np.max(self.deviation)) <= self.tol


def never_learns(
    C: Any, M0: Any, t: Any, atol: float = ODE_TOL, tol: float = 1e-6
) -> StuckRun:
    r"""Follow a degenerate start: span M0 contains a vector orthogonal to E_z.

    The corollary says :math:`\theta(t) = \pi/2` for all t (in exact arithmetic).
    The deviation uses :math:`\cos\theta = \sigma_{\min}(E_z^\top M)` for
    orthonormal bases, so an exactly zero overlap gives an exactly zero deviation.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns, z < d
    t : 1-D array of non-negative times (at most 5000)
    atol : float, positive, ODE absolute tolerance
    tol : float, positive, or 0.0 to demand exact zeros

    Returns
    -------
    StuckRun
    """
    C, M0 = check_C_M0(C, M0)
    ts, _ = check_times(t)
    if ts.size > 5000:
        raise ValueError(f"t: at most 5000 times, got {ts.size}")
    atol = check_tolerance("atol", atol)
    tol = check_scalar("tol", tol, min_val=0.0)
    d, z = M0.shape
    if z >= d:
        raise ValueError(f"M0: need z < d, got shape {M0.shape}")
    E = np.linalg.eigh(C)[1][:, :z]
    M = _ode(C, M0, ts, atol=atol)
    smin = np.linalg.svd(np.einsum("ia,tib->tab", E, M), compute_uv=False)[:, -1]
    loss = np.einsum("tia,ij,tja->t", M, C, M)
    return StuckRun(ts, np.arcsin(np.minimum(smin, 1.0)), loss, tol)


# ------------------------------------------------------------------- benchmark


@dataclass(frozen=True)
class EulerBenchmark:
    r"""Result of :func:`euler_benchmark`.

    Attributes
    ----------
    times : ndarray, shape (n_times,), the times of the learning curve
    exact : ndarray, shape (n_times,), the closed-form loss
    closed_seconds : float, median time of the closed form for all the times
    exact_vs_projector : float, max difference to
        :math:`\operatorname{Tr}(CP)` from :func:`ssl_notes.dynamics.flow_projector`
        at ten of the times (every ``n_times // 10``-th)
    steps : ndarray of int, the Euler step counts N
    errors : ndarray, max loss error of each Euler run over the times
    seconds : ndarray, wall time of each Euler run
    curves : ndarray, shape (len(steps), n_times), Euler's loss at the times
    slope : float, log-log slope of errors against N (first order: -1)
    target : float, the accuracy asked for
    """

    times: np.ndarray
    exact: np.ndarray
    closed_seconds: float
    exact_vs_projector: float
    steps: np.ndarray
    errors: np.ndarray
    seconds: np.ndarray
    curves: np.ndarray
    slope: float
    target: float

    @property
    def constant(self) -> float:
        """c in error = c / N, from the finest run."""
        return float(self.errors[-1] * self.steps[-1])

    @property
    def per_step(self) -> float:
        """Median seconds per Euler step."""
        return float(np.median(self.seconds / self.steps))

    @property
    def steps_needed(self) -> float:
        """:math:`N^* = c/\\text{target}`."""
        return self.constant / self.target

    @property
    def ratio_target(self) -> float:
        """Cost of :math:`N^*` Euler steps over the closed form's time."""
        return self.steps_needed * self.per_step / self.closed_seconds

    @property
    def ratio_last(self) -> float:
        """Cost of the finest Euler run over the closed form's time."""
        return float(self.seconds[-1]) / self.closed_seconds

    @property
    def passed(self) -> bool:
        """Closed form against flow_projector within 1e-9, first order within
        0.05, and both cost ratios above 1."""
        return bool(
            self.exact_vs_projector < 1e-9
            and abs(self.slope + 1) < 0.05
            and self.ratio_target > 1
            and self.ratio_last > 1
        )


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    out, times = None, []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def euler_benchmark(
    dm: DataMatrix,
    M0: Any,
    T: float,
    n_times: int = 1000,
    steps: Sequence[int] = (1000, 2000, 4000),
    repeats: int = 3,
    target: float = 1e-6,
    exact: Callable[..., Any] | None = None,
) -> EulerBenchmark:
    r"""The learning curve on [0, T] by closed form and by Euler steps of (12).

    The closed form (``exact``, default :func:`ssl_notes.closed_form.loss_curve`
    of :math:`C = Z^\top DZ`) is timed (median of ``repeats``) at ``n_times``
    equally spaced times :math:`T k/n`, k = 1..n. Each Euler run of
    :func:`ssl_notes.training.output_flow`,
    :math:`F_{k+1} = F_k - 2\eta(K - F_kF_k^\top)DF_k` with :math:`F_0 = ZM_0`,
    :math:`K = ZZ^\top`, :math:`\eta = T/N` and the block form of D, is timed once;
    its error is the largest loss difference at the same times.

    Parameters
    ----------
    dm : ssl_notes.losses.DataMatrix, m points in dimension d
    M0 : array_like, shape (d, z), orthonormal columns
    T : float, positive
    n_times : int, positive, each N in ``steps`` a multiple of it
    steps : sequence of at least 2 increasing ints, the Euler step counts
    repeats : int, positive
    target : float, positive
    exact : callable ``(C, M0, t) -> (n_times,)``, the curve to compare with

    Returns
    -------
    EulerBenchmark
    """
    if not isinstance(dm, DataMatrix):
        raise TypeError(f"dm: expected a losses.DataMatrix, got {type(dm).__name__}")
    C = dm.C()
    C, M0 = check_C_M0(C, M0)
    T = check_positive_float("T", T)
    n_times = check_positive_int("n_times", n_times)
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence):
        raise TypeError(f"steps: expected a sequence of ints, got {steps!r}")
    Ns = [check_positive_int("steps", N) for N in steps]
    if len(Ns) < 2 or any(b <= a for a, b in zip(Ns, Ns[1:], strict=False)):
        raise ValueError(f"steps: expected >= 2 increasing counts, got {Ns}")
    if any(N % n_times for N in Ns):
        raise ValueError(f"steps: each must be a multiple of n_times = {n_times}")
    if Ns[-1] * dm.m * M0.shape[1] > 5e8:
        raise ValueError(f"steps: {Ns[-1]} Euler steps of this size take too long")
    repeats = check_positive_int("repeats", repeats)
    target = check_tolerance("target", target)
    exact = check_callable("exact", exact) or closed_form.loss_curve
    tb = T * np.arange(1, n_times + 1) / n_times
    L, t_closed = _timed(lambda: exact(C, M0, tb), repeats)
    L = _result("exact", L, tb.shape)
    every = max(1, n_times // 10)  # ten of the times
    P = dynamics.flow_projector(C, M0, tb[every - 1 :: every])
    cf_fp = np.max(np.abs(np.einsum("ij,tji->t", C, P) - L[every - 1 :: every]))
    K = dm.Z @ dm.Z.T
    F0 = dm.Z @ M0
    errors, seconds, curves = [], [], []
    for N in Ns:
        run, secs = _timed(
            lambda N=N: training.output_flow(F0, K, dm, lr=T / N, steps=N), 1
        )
        curve = run.losses[N // n_times :: N // n_times]
        errors.append(float(np.max(np.abs(curve - L))))
        seconds.append(secs)
        curves.append(curve)
    slope, _ = metrics.loglog_slope(Ns, errors)
    return EulerBenchmark(
        times=tb, exact=L, closed_seconds=t_closed, exact_vs_projector=float(cf_fp),
        steps=np.array(Ns), errors=np.array(errors), seconds=np.array(seconds),
        curves=np.array(curves), slope=slope, target=target,
    )  # fmt: skip
