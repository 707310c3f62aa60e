r"""Machinery of the chapter *Theorem 2 (the constrained flow at every width)*
(``book/theorem2.py``).

Each check of the chapter is one function that returns a frozen dataclass with the
measured numbers, the tolerance they are held to and a ``passed`` verdict:

- :func:`check_identities`: the identities of Theorem 2 (product rule, tangency,
  output form (9), its orthonormal-basis case, Riccati form, new-point equation) at
  random points of every width, against a rounding bound (:class:`IdentityCheck`);
- :func:`factor_flow_check`: the flows of the factors (W, V) integrated by a generic
  solver, against the closed-form flow of M (:class:`FactorFlowCheck`);
- :func:`constraint_drift`: the drift of :math:`M^\top M` from I under three
  integrators of the M-flow over long horizons (:class:`DriftTable`);
- :func:`metric_velocity_sweep`: the velocity of M under the Grassmann projection
  and the two Stiefel gradients over random completions of one M
  (:class:`MetricSweep`);
- :func:`gd_step_sweep` and :func:`output_step_sweep`: the loss gap of the discrete
  methods (11) and (12) to the flow at a step size and its halvings
  (:class:`StepSweep`);
- :func:`end_point`: where a long run of (11) ends, against the flow
  (:class:`EndPoint`).

Conventions as in :mod:`ssl_notes.dynamics`: C is d x d symmetric, W is d x h, V is
h x z, :math:`M = WV` has orthonormal columns, and time is :math:`t = k\eta` after k
steps of size :math:`\eta`. The points that build :math:`C = Z^\top D Z` are the rows
of Z (m x d).

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_notes import dynamics, manifold, metrics, training
from ssl_notes._validate import (
    as_array,
    as_matrix,
    as_rng,
    check_C_M0,
    check_callable,
    check_choice,
    check_factors,
    check_flag,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_scalar,
    check_symmetric,
    check_times,
)

__all__ = [
    "UNIT_ROUNDOFF",
    "FIRST_ORDER_BAND",
    "MAX_STEPS",
    "generic_factors",
    "Identity",
    "IdentityCheck",
    "check_identities",
    "FactorFlowCheck",
    "factor_flow_check",
    "DriftTable",
    "constraint_drift",
    "MetricSweep",
    "metric_velocity_sweep",
    "StepSweep",
    "gd_step_sweep",
    "output_step_sweep",
    "EndPoint",
    "end_point",
]

#: Unit round-off of float64, :math:`u = 2^{-53}`.
UNIT_ROUNDOFF = np.finfo(np.float64).eps / 2
#: Accepted range of the ratio of loss gaps when the step is halved, for a
#: first-order method: :math:`\frac12 + O(\eta)`.
FIRST_ORDER_BAND = (0.45, 0.55)
#: Largest number of steps :func:`gd_step_sweep` / :func:`output_step_sweep` run
#: (all step sizes together).
MAX_STEPS = 100_000

_IDENTITY_NAMES = (
    "product rule",
    "tangency",
    "output form (9)",
    "orthonormal basis",
    "Riccati",
    "new point",
)


def _check_zs(zs: Any, d: int) -> tuple[int, ...]:
    if isinstance(zs, (str, bytes)) or not isinstance(zs, (Sequence, np.ndarray)):
        raise TypeError(f"zs: expected a sequence of ints, got {type(zs).__name__}")
    if len(zs) == 0:
        raise ValueError("zs: expected at least one output dimension")
    out = tuple(check_positive_int("zs", z) for z in zs)
    if max(out) > d:
        raise ValueError(f"zs: every z must satisfy z <= d = {d}, got {out}")
    return out


def _check_widths(widths: Any, z: int, d: int) -> tuple[int, ...]:
    if isinstance(widths, (str, bytes)) or not isinstance(
        widths, (Sequence, np.ndarray)
    ):
        raise TypeError(
            f"widths: expected a sequence of ints, got {type(widths).__name__}"
        )
    if len(widths) == 0:
        raise ValueError("widths: expected at least one hidden width")
    out = tuple(check_positive_int("widths", h) for h in widths)
    if any(not z <= h <= d for h in out):
        raise ValueError(
            f"widths: every h must satisfy z <= h <= d, i.e. {z} <= h <= {d}, got {out}"
        )
    return out


def generic_factors(M: Any, h: int, rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Generic orthonormal factors of width h with :math:`WV = M`.

    :func:`ssl_notes.training.factors_with_product` gives :math:`W_0 = [M, N]`,
    :math:`V_0 = [I_z; 0]`; a Haar-random rotation R of the hidden layer,
    :math:`(W, V) = (W_0R, R^\top V_0)`, removes that special form (the product is
    unchanged: :math:`W_0RR^\top V_0 = M`).

    Parameters
    ----------
    M : array_like, shape (d, z), orthonormal columns
    h : int, hidden width, z <= h <= d
    rng : int, numpy.random.Generator or None

    Returns
    -------
    W : ndarray, shape (d, h), orthonormal columns
    V : ndarray, shape (h, z), orthonormal columns
    """
    M = check_orthonormal_columns("M", M)
    gen = as_rng(rng)
    W, V = training.factors_with_product(M, h, gen)
    R = manifold.haar_orthonormal(W.shape[1], W.shape[1], gen)
    return W @ R, R.T @ V


# ------------------------------------------------------------- check 1: identities


@dataclass(frozen=True)
class Identity:
    """One identity of Theorem 2: its largest relative error and its tolerance."""

    name: str
    error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        """Whether the error is within the tolerance."""
        return self.error <= self.tolerance


@dataclass(frozen=True)
class IdentityCheck:
    """Result of :func:`check_identities`.

    Attributes
    ----------
    identities : tuple of Identity, one per identity, in the order of the theorem
    pairs : tuple of (z, h), the sizes at which every identity was evaluated
    """

    identities: tuple[Identity, ...]
    pairs: tuple[tuple[int, int], ...]

    @property
    def worst(self) -> float:
        """The largest relative error over all identities."""
        return max(i.error for i in self.identities)

    @property
    def passed(self) -> bool:
        """Whether every identity holds within its tolerance."""
        return all(i.passed for i in self.identities)

    def __getitem__(self, name: str) -> Identity:
        for ident in self.identities:
            if ident.name == name:
                return ident
        raise KeyError(name)

    def table(self) -> str:
        """One line per identity: name, error, tolerance."""
        lines = [f"{'identity':18s} {'rel. error':>10s} {'tolerance':>10s}"]
        for i in self.identities:
            lines.append(f"{i.name:18s} {i.error:10.1e} {i.tolerance:10.1e}")
        return "\n".join(lines)


def check_identities(
    C: Any,
    Z: Any,
    D: Any,
    zs: Sequence[int] = (1, 2, 3),
    rng: Any = None,
    velocity: Callable[..., Any] | None = None,
    flow: Callable[..., Any] | None = None,
) -> IdentityCheck:
    r"""Evaluate every identity of Theorem 2 at random points of several widths.

    For each z in ``zs`` and each width h in :math:`\{z, z + 1, \max(z, d/2), d\}`
    draw M (Haar, d x z) and generic factors W (d x h), V (h x z) with WV = M
    (:func:`generic_factors`), take the factor velocities
    :math:`(\dot W, \dot V)` = ``velocity(C, W, V)`` and
    :math:`\dot M` = ``flow(C, M)``, and measure the largest entry of

    - product rule: :math:`\dot WV + W\dot V - \dot M`;
    - tangency: :math:`W^\top\dot W + \dot W^\top W` and the same for V;
    - output form (9): :math:`Z\dot M + 2(ZZ^\top - FF^\top)DF`, :math:`F = ZM`;
    - orthonormal basis: :math:`Q^\top\dot M + 2(I - F_QF_Q^\top)\Lambda F_Q`,
      :math:`C = Q\Lambda Q^\top`, :math:`F_Q = Q^\top M`;
    - Riccati: :math:`\dot P + 2(CP + PC) - 4PCP`, :math:`P = MM^\top`,
      :math:`\dot P = \dot MM^\top + M\dot M^\top`;
    - new point: :math:`\dot M^\top x + 2F^\top D(Zx - FM^\top x)` for a Gaussian x,

    relative to the size of the largest term: :math:`\|C\|_2` for the identities in
    M, :math:`\|Z\|_2^3\|D\|_2` (times :math:`\|x\|`) for (9) and the new point. The
    tolerance is :math:`100\,Ku` with K the inner dimension of the products (d,
    resp. m) and :math:`u = 2^{-53}`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    Z : array_like, shape (m, d), the points that build :math:`C = Z^\top DZ`
    D : array_like, shape (m, m), symmetric
    zs : sequence of int, output dimensions, each <= d
    rng : int, numpy.random.Generator or None
        Draws x first, then for each (z, h) M, the factors and the rotation.
    velocity : callable (C, W, V) -> (dW, dV), optional
        Default: :func:`ssl_notes.dynamics.factor_velocity` with the Grassmann
        projection (the flow of Theorem 2).
    flow : callable (C, M) -> dM, optional
        Default: :func:`ssl_notes.dynamics.flow_velocity`,
        :math:`-2(I - MM^\top)CM`.

    Returns
    -------
    IdentityCheck
    """
    C = check_symmetric("C", C)
    d = C.shape[0]
    Z = as_matrix("Z", Z)
    if Z.shape[1] != d:
        raise ValueError(f"Z: expected {d} columns to match C {C.shape}, got {Z.shape}")
    m = Z.shape[0]
    D = check_symmetric("D", D)
    if D.shape != (m, m):
        raise ValueError(f"D: expected shape ({m}, {m}) to match Z, got {D.shape}")
    zs = _check_zs(zs, d)
    gen = as_rng(rng)
    velocity = check_callable("velocity", velocity)
    flow = check_callable("flow", flow)
    if velocity is None:

        def velocity(C, W, V):
            return dynamics.factor_velocity(C, W, V, metric="grassmann")

    flow = dynamics.flow_velocity if flow is None else flow
    lam, Q = np.linalg.eigh(C)
    c_scale = np.linalg.norm(C, 2)
    out_scale = np.linalg.norm(Z, 2) ** 3 * np.linalg.norm(D, 2)
    u = UNIT_ROUNDOFF
    tol = {n: 100 * d * u for n in _IDENTITY_NAMES}
    tol["output form (9)"] = tol["new point"] = 100 * m * u
    x = gen.standard_normal(d)
    worst = dict.fromkeys(_IDENTITY_NAMES, 0.0)
    pairs = []
    for z in zs:
        for h in sorted({z, min(z + 1, d), max(z, d // 2), d}):
            pairs.append((z, h))
            M = manifold.haar_orthonormal(d, z, gen)
            W, V = generic_factors(M, h, gen)
            M = W @ V
            dW, dV = (np.asarray(a, dtype=float) for a in velocity(C, W, V))
            dM = np.asarray(flow(C, M), dtype=float)
            F, Fq = Z @ M, Q.T @ M
            P, dP = M @ M.T, dM @ M.T + M @ dM.T
            tang = max(
                np.max(np.abs(W.T @ dW + dW.T @ W)), np.max(np.abs(V.T @ dV + dV.T @ V))
            )
            out9 = Z @ dM + 2 * (Z @ Z.T - F @ F.T) @ D @ F
            basis = Q.T @ dM + 2 * (np.eye(d) - Fq @ Fq.T) @ (lam[:, None] * Fq)
            ricc = dP + 2 * (C @ P + P @ C) - 4 * P @ C @ P
            new = dM.T @ x + 2 * F.T @ D @ (Z @ x - F @ (M.T @ x))
            errs = {
                "product rule": np.max(np.abs(dW @ V + W @ dV - dM)) / c_scale,
                "tangency": tang / c_scale,
                "output form (9)": np.max(np.abs(out9)) / out_scale,
                "orthonormal basis": np.max(np.abs(basis)) / c_scale,
                "Riccati": np.max(np.abs(ricc)) / c_scale,
                "new point": np.max(np.abs(new)) / (out_scale * np.linalg.norm(x)),
            }
            for name, e in errs.items():
                worst[name] = max(worst[name], float(e))
    idents = tuple(Identity(n, worst[n], float(tol[n])) for n in _IDENTITY_NAMES)
    return IdentityCheck(idents, tuple(pairs))


# ------------------------------------------------------- check 2: the factor flows


@dataclass(frozen=True)
class FactorFlowCheck:
    r"""Result of :func:`factor_flow_check`, one entry per width.

    Attributes
    ----------
    metric : str, the constrained direction of both factors
    widths : tuple of int
    t : ndarray, shape (n_t,), the times
    drift : ndarray, shape (n_widths,), :math:`\max_t\max|W^\top W - I|` and the same
        for V
    gap : ndarray, shape (n_widths,), :math:`\max_t\max|W(t)V(t) - M(t)|` against
        :func:`ssl_notes.dynamics.grassmann_flow`
    angles : ndarray, shape (n_widths, n_t), largest principal angle between the
        spans of W(t)V(t) and M(t)
    drift_tol, gap_tol : float, the tolerances of :attr:`passed`
    """

    metric: str
    widths: tuple[int, ...]
    t: np.ndarray
    drift: np.ndarray
    gap: np.ndarray
    angles: np.ndarray
    drift_tol: float = 1e-9
    gap_tol: float = 1e-8

    @property
    def passed(self) -> bool:
        """Constraints kept and W V on the flow of Theorem 2, at every width."""
        return bool(
            np.all(self.drift < self.drift_tol) and np.all(self.gap < self.gap_tol)
        )


def factor_flow_check(
    C: Any,
    M0: Any,
    widths: Sequence[int],
    t: Any,
    metric: str = "grassmann",
    rng: Any = None,
) -> FactorFlowCheck:
    r"""Integrate the flows of the factors at several widths and compare WV with M.

    For each width h, :math:`W_0, V_0` = :func:`ssl_notes.training.factors_with_product`
    (so :math:`W_0V_0 = M_0`), then :func:`ssl_notes.dynamics.factor_flow` (DOP853 on
    all :math:`dh + hz` entries, tolerances :math:`10^{-12}`) with the direction
    ``metric``; the reference is :func:`ssl_notes.dynamics.grassmann_flow`, the
    solution of :math:`\dot M = -2(I - MM^\top)CM` from :math:`M_0`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    widths : sequence of int, each with z <= h <= d
    t : float or 1-D array of non-negative times
    metric : {"grassmann", "euclidean", "canonical"}
    rng : int, numpy.random.Generator or None (one completion per width, in order)

    Returns
    -------
    FactorFlowCheck
    """
    C, M0 = check_C_M0(C, M0)
    d, z = M0.shape
    widths = _check_widths(widths, z, d)
    ts, _ = check_times(t)
    metric = check_choice("metric", metric, dynamics.METRICS)
    gen = as_rng(rng)
    M_ref = dynamics.grassmann_flow(C, M0, ts)
    drift, gap, angles = [], [], []
    for h in widths:
        W0, V0 = training.factors_with_product(M0, h, gen)
        Ws, Vs = dynamics.factor_flow(C, W0, V0, ts, metric=metric)
        WtW = np.swapaxes(Ws, 1, 2) @ Ws - np.eye(h)
        VtV = np.swapaxes(Vs, 1, 2) @ Vs - np.eye(z)
        drift.append(max(np.max(np.abs(WtW)), np.max(np.abs(VtV))))
        Ms = Ws @ Vs
        gap.append(np.max(np.abs(Ms - M_ref)))
        pairs = zip(Ms, M_ref, strict=True)
        angles.append([metrics.subspace_distance(a, b) for a, b in pairs])
    return FactorFlowCheck(
        metric, widths, ts, np.array(drift), np.array(gap), np.array(angles)
    )


# ------------------------------------------------- check 3: integrating the M-flow


@dataclass(frozen=True)
class DriftTable:
    r"""Result of :func:`constraint_drift`: :math:`\max|M^\top M - I|` at each time.

    Attributes
    ----------
    t : ndarray, shape (n_t,)
    exact : ndarray, shape (n_t,), :func:`ssl_notes.dynamics.grassmann_flow`
    shifted : ndarray, shape (n_reached,), generic solver on :math:`C - cI`
    unshifted : ndarray, shape (n_reached,), generic solver on C
        (for both solvers, the drift at the first ``n_reached`` times: all of them
        unless the solver gave up)
    shift : float, the c used
    lambda_z : float, the z-th smallest eigenvalue of C (the constraint repels the
        unshifted solver's errors when it is positive)
    tol : float, the bound of ``passed`` on the two cures
    """

    t: np.ndarray
    exact: np.ndarray
    shifted: np.ndarray
    unshifted: np.ndarray
    shift: float
    lambda_z: float
    tol: float = 1e-9

    @property
    def cured(self) -> float:
        """Largest drift of the exact propagation and the shifted solver (1.0,
        i.e. a lost constraint, if the shifted solver gave up)."""
        if self.shifted.size < self.t.size:
            return 1.0
        return float(max(self.exact.max(), self.shifted.max()))

    @property
    def blown(self) -> float:
        """Largest drift of the unshifted solver over the times it reached (1.0,
        i.e. a lost constraint, if it reached none)."""
        return float(self.unshifted.max()) if self.unshifted.size else 1.0

    @property
    def reached(self) -> float:
        """The last time the unshifted solver reached (0.0 if none)."""
        n = self.unshifted.size
        return float(self.t[n - 1]) if n else 0.0

    @property
    def passed(self) -> bool:
        """Whether both cures keep the drift below ``tol``."""
        return self.cured < self.tol

    @property
    def lost(self) -> bool:
        """Whether the unshifted solver lost the constraint (a drift above
        :math:`10^{-3}`, or the solver gave up before the last time)."""
        return self.blown > 1e-3 or self.unshifted.size < self.t.size

    def table(self, name: str = "C") -> str:
        """The drifts, one line per integrator, one column per time."""
        lines = [f"{name:3s} {'t =':10s}" + "".join(f"{t:>8g}" for t in self.t)]
        for how in ("exact", "shifted", "unshifted"):
            row = getattr(self, how)
            lines.append(f"{'':3s} {how:10s}" + "".join(f"{x:8.1e}" for x in row))
            if row.size < self.t.size:
                last = f"t = {self.t[row.size - 1]:g}" if row.size else "the start"
                lines.append(f"{'':14s}(the {how} solver gave up after {last})")
        return "\n".join(lines)


def _drift(Ms: np.ndarray) -> np.ndarray:
    z = Ms.shape[-1]
    return np.max(np.abs(np.swapaxes(Ms, 1, 2) @ Ms - np.eye(z)), axis=(1, 2))


def _ode_drifts(C: np.ndarray, M0: np.ndarray, ts: np.ndarray, **kw) -> np.ndarray:
    """Drifts of grassmann_flow_ode at the times ts, one solve from 0 to each time,
    up to the first time where the solver gives up."""
    out = []
    for ti in ts:
        try:
            Mi = dynamics.grassmann_flow_ode(C, M0, ti, **kw)
        except RuntimeError:  # the solver gives up once M^T M has left I behind
            break
        out.append(_drift(Mi[None])[0])
    return np.array(out)


def constraint_drift(C: Any, M0: Any, t: Any, shift: float | None = None) -> DriftTable:
    r"""Drift of :math:`M^\top M` from I for three integrators of the M-flow.

    Off the constraint set, :math:`E = I - M^\top M` obeys
    :math:`\dot E = 2(EA + AE)` with :math:`A = M^\top CM`: errors are amplified
    where A has positive eigenvalues (near the limit, those of C among
    :math:`\lambda_1, \dots, \lambda_z`). The three integrators are

    - exact: :func:`ssl_notes.dynamics.grassmann_flow` (closed-form span, rotated);
    - shifted: DOP853 (:func:`ssl_notes.dynamics.grassmann_flow_ode`, tolerances
      :math:`10^{-12}`) on :math:`C - cI`, the same flow on :math:`M^\top M = I`,
      with an attracting constraint when :math:`c > \lambda_{\max}(C)`;
    - unshifted: DOP853 on C itself (rtol :math:`10^{-10}`, atol :math:`10^{-12}`),

    Both solvers run from 0 to each time separately, so that the drift is known up
    to the time where a solver gives up (when the constraint repels, M can leave
    every bounded set).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float or 1-D array of non-negative times
    shift : float, optional
        The c of the shifted solver; default :math:`\lambda_{\max}(C) + 1` (the
        ``shift=True`` of :func:`~ssl_notes.dynamics.grassmann_flow_ode`).

    Returns
    -------
    DriftTable
    """
    C, M0 = check_C_M0(C, M0)
    ts, _ = check_times(t)
    lam = np.linalg.eigvalsh(C)
    c = check_scalar("shift", shift, allow_none=True)
    exact = _drift(dynamics.grassmann_flow(C, M0, ts))
    if c is None:
        c = float(lam.max() + 1.0)
        shifted = _ode_drifts(C, M0, ts, shift=True)
    else:
        shifted = _ode_drifts(C - c * np.eye(C.shape[0]), M0, ts, shift=False)
    unshifted = _ode_drifts(C, M0, ts, rtol=1e-10, atol=1e-12, shift=False)
    z = M0.shape[1]
    return DriftTable(ts, exact, shifted, unshifted, float(c), float(lam[z - 1]))


# ---------------------------------------------- check 4: the metric and the width


@dataclass(frozen=True)
class MetricSweep:
    r"""Result of :func:`metric_velocity_sweep`, one entry per width.

    Attributes
    ----------
    widths : ndarray of int, shape (n_widths,)
    rms : dict str -> ndarray, shape (n_widths,), per metric (keys
        :data:`ssl_notes.dynamics.METRICS`), the root mean square over completions
        of :math:`\|\dot M - \dot M_\star\|_F / \|\dot M_\star\|_F`,
        :math:`\dot M_\star = -2(I - MM^\top)CM`
    grassmann_max : float, the largest relative deviation of the Grassmann velocity
    prediction_error : float, largest entry of
        :math:`\dot M - (\dot M_\star - k\,\Pi CM)` over metrics, widths and
        completions, relative to :math:`\|C\|_2`, for the claimed k (``extra``)
    tolerance : float, :math:`100\,du`, the bound on ``prediction_error``
    mean_ratio, se_ratio : ndarray, shape (n_widths,), mean and standard error over
        completions of :math:`\|\Pi CM\|_F^2 / \|(I - MM^\top)CM\|_F^2`
    predicted_ratio : ndarray, shape (n_widths,), :math:`(h - z)/(d - z)`
    zscore : ndarray, shape (n_widths,), :math:`|{\rm mean} - {\rm predicted}| /
        {\rm se}` (0 where the ratio is exactly 0, at h = z)
    """

    widths: np.ndarray
    rms: dict[str, np.ndarray]
    grassmann_max: float
    prediction_error: float
    tolerance: float
    mean_ratio: np.ndarray
    se_ratio: np.ndarray
    predicted_ratio: np.ndarray
    zscore: np.ndarray
    z_tol: float = 4.0

    @property
    def passed(self) -> bool:
        """The proposition's extra terms exact to rounding, and the mean of the
        ratio within ``z_tol`` standard errors of :math:`(h - z)/(d - z)`."""
        return bool(
            self.prediction_error <= self.tolerance and np.all(self.zscore < self.z_tol)
        )


def metric_velocity_sweep(
    C: Any,
    M: Any,
    widths: Sequence[int],
    n_completions: int,
    rng: Any = None,
    extra: Sequence[float] = (0.0, 1.0, 2.0),
) -> MetricSweep:
    r"""The velocity of M = WV under the three constrained gradients, against h.

    For each width h and each of ``n_completions`` generic factorisations
    :math:`WV = M` (:func:`generic_factors`), compute :math:`\dot M = \dot WV +
    W\dot V` from :func:`ssl_notes.dynamics.factor_velocity` for each metric of
    :data:`ssl_notes.dynamics.METRICS` and compare it with the proposition of the
    chapter, :math:`\dot M = -2(I - MM^\top)CM - k\,\Pi CM`, with
    :math:`\Pi = W(I_h - VV^\top)W^\top` and k = ``extra`` (0, 1, 2 for Grassmann,
    Euclidean, canonical). Also returns the statistics of
    :math:`\|\Pi CM\|^2/\|(I - MM^\top)CM\|^2`, whose mean is
    :math:`(h - z)/(d - z)` over Haar completions.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M : array_like, shape (d, z), orthonormal columns, z < d
    widths : sequence of int, each with z <= h <= d
    n_completions : int, >= 2 (the standard error needs two)
    rng : int, numpy.random.Generator or None
    extra : sequence of 3 floats, the claimed multiples of :math:`\Pi CM`

    Returns
    -------
    MetricSweep
    """
    C, M = check_C_M0(C, M, "M")
    d, z = M.shape
    if z == d:
        raise ValueError(f"M: expected fewer columns than rows (z < d), got {M.shape}")
    widths = np.array(_check_widths(widths, z, d))
    n = check_positive_int("n_completions", n_completions)
    if n < 2:
        raise ValueError(f"n_completions: expected at least 2, got {n}")
    gen = as_rng(rng)
    k = as_array("extra", extra, ndim=1)
    if k.shape != (len(dynamics.METRICS),):
        raise ValueError(f"extra: expected 3 numbers, got shape {k.shape}")
    target = dynamics.flow_velocity(C, M)
    y2 = np.sum((target / 2.0) ** 2)  # |(I - MM^T) C M|^2
    CM = C @ M
    dev = np.zeros((len(dynamics.METRICS), widths.size, n))
    ratio = np.zeros((widths.size, n))
    err = 0.0
    for i, h in enumerate(widths):
        for j in range(n):
            W, V = generic_factors(M, int(h), gen)
            PiCM = W @ ((np.eye(h) - V @ V.T) @ (W.T @ CM))
            ratio[i, j] = np.sum(PiCM**2) / y2
            for a, met in enumerate(dynamics.METRICS):
                dW, dV = dynamics.factor_velocity(C, W, V, metric=met)
                dM = dW @ V + W @ dV
                dev[a, i, j] = np.linalg.norm(dM - target) / np.linalg.norm(target)
                err = max(err, np.max(np.abs(dM - (target - k[a] * PiCM))))
    mean = ratio.mean(axis=1)
    se = ratio.std(axis=1, ddof=1) / np.sqrt(n)
    pred = (widths - z) / (d - z)
    zscore = np.where(se > 0, np.abs(mean - pred) / np.where(se > 0, se, 1.0), 0.0)
    zscore[widths == z] = 0.0  # the ratio is exactly 0 there
    rms = {
        met: np.sqrt(np.mean(dev[a] ** 2, axis=1))
        for a, met in enumerate(dynamics.METRICS)
    }
    return MetricSweep(
        widths,
        rms,
        float(dev[0].max()),
        float(err / np.linalg.norm(C, 2)),
        float(100 * d * UNIT_ROUNDOFF),
        mean,
        se,
        pred,
        zscore,
    )


# --------------------------------------- Figure 3: the discrete methods and the flow


@dataclass(frozen=True)
class StepSweep:
    r"""Result of :func:`gd_step_sweep` / :func:`output_step_sweep`.

    Attributes
    ----------
    etas : ndarray, shape (n_eta,), the step sizes, :math:`\eta, \eta/2, \dots`
    gaps : ndarray, shape (n_eta,), :math:`\max_k |L_k - L_{\rm flow}(k\eta)|`
    final : ndarray, shape (n_eta, rows, z), the last iterate (M, resp. F) per step
    losses : ndarray, shape (steps + 1,), the losses of the run at the largest step
    trajectory : ndarray or None, that run's iterates (M, resp. F) if recorded
    """

    etas: np.ndarray
    gaps: np.ndarray
    final: np.ndarray
    losses: np.ndarray
    trajectory: np.ndarray | None = None

    @property
    def ratios(self) -> np.ndarray:
        """Gap at each halved step over the gap before it, shape (n_eta - 1,)."""
        return self.gaps[1:] / self.gaps[:-1]

    @property
    def first_order(self) -> bool:
        r"""Whether every halving of :math:`\eta` halves the gap
        (ratios within :data:`FIRST_ORDER_BAND`)."""
        lo, hi = FIRST_ORDER_BAND
        return bool(np.all((self.ratios > lo) & (self.ratios < hi)))


def _step_grid(t: Any, lr: Any, halvings: Any) -> tuple[float, float, int, int]:
    ts, scalar = check_times(t)
    if not scalar:
        raise TypeError("t: expected one final time (a number), got an array")
    T = float(ts[0])
    if T <= 0:
        raise ValueError(f"t: expected a positive final time, got {T}")
    lr = check_positive_float("lr", lr)
    halvings = check_positive_int("halvings", halvings)
    steps = int(round(T / lr))
    if steps < 1:
        raise ValueError(f"lr: expected lr <= t = {T}, got {lr}")
    total = steps * (2 ** (halvings + 1) - 1)
    if total > MAX_STEPS:
        raise ValueError(
            f"t: t / lr = {steps} steps and {halvings} halvings make {total} steps in "
            f"all, more than {MAX_STEPS}"
        )
    return T, lr, halvings, steps


def _flow_losses(C: np.ndarray, M0: np.ndarray, lr: float, n: int) -> np.ndarray:
    """The flow's loss Tr(C P(t)) at t = k lr, k = 0..n."""
    P = dynamics.flow_projector(C, M0, lr * np.arange(n + 1))
    return np.einsum("ij,tji->t", C, P)


def gd_step_sweep(
    C: Any,
    W0: Any,
    V0: Any,
    t: float,
    lr: float,
    halvings: int = 2,
    gradient: str = "grassmann",
    record: bool = False,
    method: str = "naive",
) -> StepSweep:
    r"""Loss gap of projected gradient descent (11) to the flow, at :math:`\eta/2^j`.

    Runs :func:`ssl_notes.training.projected_gd` (polar step) from
    :math:`(W_0, V_0)` to time t with step :math:`\eta/2^j`, j = 0..``halvings``,
    and compares the loss :math:`L_k` after k steps with the flow's,
    :math:`L_{\rm flow}(k\eta) = \operatorname{Tr}(CP(k\eta))` from
    :func:`ssl_notes.dynamics.flow_projector` started at :math:`M_0 = W_0V_0`.
    With ``gradient="grassmann"`` the step is
    :math:`W \leftarrow \Pi_{\rm polar}(W - \eta(I - WW^\top)G_W)`, a first-order
    discretisation of the flow of Theorem 2 (gap :math:`O(\eta)`, ratio
    :math:`\frac12` per halving); ``"euclidean"`` is the literal (11), free
    gradient then polar, which follows the Euclidean-metric Stiefel flow.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, h), orthonormal columns
    V0 : array_like, shape (h, z), orthonormal columns
    t : float, positive final time
    lr : float, the largest step :math:`\eta`
    halvings : int, positive, number of halvings of the step
    gradient : {"grassmann", "euclidean"}
    record : bool, keep the iterates :math:`M_k` of the run at step ``lr``
    method : {"naive", "lowrank", "qr"}
        The step of :func:`ssl_notes.training.projected_gd`: polar factor
        (``"naive"``, ``"lowrank"``) or positive-diagonal QR factor (``"qr"``).

    Returns
    -------
    StepSweep
    """
    C = check_symmetric("C", C)
    W0, V0 = as_matrix("W0", W0), as_matrix("V0", V0)
    T, lr, halvings, steps = _step_grid(t, lr, halvings)
    gradient = check_choice("gradient", gradient, ("grassmann", "euclidean"))
    record = check_flag("record", record)
    method = check_choice("method", method, ("naive", "lowrank", "qr"))
    res = training.projected_gd(
        C, W0, V0, lr, steps, gradient=gradient, record=record, method=method
    )
    M0 = W0 @ V0
    q_max = 2**halvings
    L_flow = _flow_losses(C, M0, lr / q_max, steps * q_max)
    gaps, final = [], []
    for j in range(halvings + 1):
        q = 2**j
        run = (
            res
            if j == 0
            else training.projected_gd(
                C, W0, V0, lr / q, steps * q, gradient=gradient, method=method
            )
        )
        gaps.append(np.max(np.abs(run.losses - L_flow[:: q_max // q])))
        final.append(run.M)
    etas = lr / 2.0 ** np.arange(halvings + 1)
    return StepSweep(
        etas, np.array(gaps), np.array(final), res.losses, res.M_trajectory
    )


def output_step_sweep(
    C: Any,
    Z: Any,
    D: Any,
    M0: Any,
    t: float,
    lr: float,
    halvings: int = 1,
    record: bool = False,
) -> StepSweep:
    r"""Loss gap of the output iteration (12) to the flow, at :math:`\eta/2^j`.

    Runs :func:`ssl_notes.training.output_flow`,
    :math:`F_{k+1} = F_k - 2\eta(ZZ^\top - F_kF_k^\top)DF_k` from :math:`F_0 = ZM_0`,
    and compares :math:`\operatorname{Tr}(F_k^\top DF_k)` with the flow's loss
    :math:`\operatorname{Tr}(CP(k\eta))` (as in :func:`gd_step_sweep`). The two
    agree when :math:`C = Z^\top DZ`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    Z : array_like, shape (m, d), the points that build C
    D : array_like, shape (m, m), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    t : float, positive final time
    lr : float, the largest step :math:`\eta`
    halvings : int, positive
    record : bool, keep the iterates :math:`F_k` of the run at step ``lr``

    Returns
    -------
    StepSweep
    """
    C, M0 = check_C_M0(C, M0)
    Z = as_matrix("Z", Z)
    if Z.shape[1] != C.shape[0]:
        raise ValueError(f"Z: expected {C.shape[0]} columns to match C, got {Z.shape}")
    m = Z.shape[0]
    D = check_symmetric("D", D)
    if D.shape != (m, m):
        raise ValueError(f"D: expected shape ({m}, {m}) to match Z, got {D.shape}")
    T, lr, halvings, steps = _step_grid(t, lr, halvings)
    record = check_flag("record", record)
    F0, K = Z @ M0, Z @ Z.T
    res = training.output_flow(F0, K, D, lr, steps, record=record)
    q_max = 2**halvings
    L_flow = _flow_losses(C, M0, lr / q_max, steps * q_max)
    gaps, final = [], []
    for j in range(halvings + 1):
        q = 2**j
        run = res if j == 0 else training.output_flow(F0, K, D, lr / q, steps * q)
        gaps.append(np.max(np.abs(run.losses - L_flow[:: q_max // q])))
        final.append(run.F)
    etas = lr / 2.0 ** np.arange(halvings + 1)
    return StepSweep(etas, np.array(gaps), np.array(final), res.losses, res.trajectory)


# ---------------------------------------------------------- where the methods end


@dataclass(frozen=True)
class EndPoint:
    r"""Result of :func:`end_point`.

    Attributes
    ----------
    angle : float, largest principal angle between the spans of :math:`M_k` and of
        the flow's :math:`M(t)`
    output_gap : float, :math:`\max|X(M_k - M(t))|`, the outputs on the rows of X
    sign_gap : float, :math:`\min_\pm\max|X(M_k \mp M(t))|` (for z = 1: the same
        outputs up to sign)
    tol : float, the bound of ``passed`` on the angle
    """

    angle: float
    output_gap: float
    sign_gap: float
    tol: float = 1e-6

    @property
    def passed(self) -> bool:
        """Whether the run ends on the span of the flow (angle below ``tol``)."""
        return self.angle < self.tol


def end_point(
    C: Any,
    W0: Any,
    V0: Any,
    X: Any,
    t: float,
    lr: float,
    gradient: str = "grassmann",
) -> EndPoint:
    r"""Run (11) to time t and compare the end with the flow of Theorem 2 there.

    :func:`ssl_notes.training.projected_gd` with ``t / lr`` steps from
    :math:`(W_0, V_0)`, against :func:`ssl_notes.dynamics.grassmann_flow` from
    :math:`M_0 = W_0V_0` at time t. Long runs of both reach the span of the
    eigenvectors of the z most negative eigenvalues of C, the literal (11)
    (``gradient="euclidean"``) at another basis of it.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, h), orthonormal columns
    V0 : array_like, shape (h, z), orthonormal columns
    X : array_like, shape (n, d), points whose outputs are compared
    t : float, positive final time
    lr : float, the step :math:`\eta`
    gradient : {"grassmann", "euclidean"}

    Returns
    -------
    EndPoint
    """
    C, W0, V0 = check_factors(C, W0, V0, "W0", "V0")
    X = as_matrix("X", X)
    if X.shape[1] != C.shape[0]:
        raise ValueError(f"X: expected {C.shape[0]} columns to match C, got {X.shape}")
    T, lr, _, steps = _step_grid(t, lr, 1)
    gradient = check_choice("gradient", gradient, ("grassmann", "euclidean"))
    run = training.projected_gd(C, W0, V0, lr, steps, gradient=gradient)
    M_flow = dynamics.grassmann_flow(C, W0 @ V0, T)
    gaps = [float(np.max(np.abs(X @ (run.M - s * M_flow)))) for s in (1.0, -1.0)]
    angle = metrics.subspace_distance(run.M, M_flow)
    return EndPoint(float(angle), gaps[0], min(gaps))
