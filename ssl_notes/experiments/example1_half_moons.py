r"""Machinery of the chapter *Example 1 (the two moons)*
(``book/example1_half_moons.py``).

The two-layer linear network :math:`M = WV` (W of shape (d, h), V of shape (h, 1))
trained by gradient flow (:func:`~ssl_notes.constrained.factored_flow`) on the
plain loss :math:`M^\top CM` or on the scaled loss :math:`M^\top CM/\|M\|^p`.
Each check is a function that takes the runs it judges and returns a frozen
result object with the measured quantities and a ``passed`` verdict; the sweeps
that produce the runs call them. The chapter's tests
(``tests/experiments/test_chapter_example1_half_moons.py``) feed the checks wrong
runs (gradient ascent, the wrong time scale, the first power, a scaled gradient
without its tangential projector) and assert that they fail.

Notation: :math:`C` symmetric with eigenvalues :math:`\lambda_1<\lambda_2\le\dots`
and eigenvectors :math:`u_1, u_2, \dots`; :math:`\theta` is the angle between M
and the line of :math:`u_1`.

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_notes import constrained
from ssl_notes._validate import (
    as_array,
    as_matrix,
    as_rng,
    check_positive_float,
    check_positive_int,
    check_scalar,
    check_symmetric,
    check_tolerance,
)

__all__ = [
    "PlainCheck",
    "PlainSweep",
    "ScaledCheck",
    "ScaledSweep",
    "FirstPowerCheck",
    "FirstPowerSweep",
    "angle_to_line",
    "gaussian_inits",
    "check_plain_blowup",
    "plain_blowup",
    "check_scaled_convergence",
    "scaled_convergence",
    "check_first_power",
    "first_power_growth",
]

#: Most starts a sweep accepts (work bound).
MAX_INITS = 200


# ---------------------------------------------------------------- helpers


def _C(C: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """C, its eigenvalues and eigenvectors, after checking lambda_1 < lambda_2 < 0."""
    C = check_symmetric("C", C)
    if C.shape[0] < 2:
        raise ValueError(f"C: expected d >= 2, got shape {C.shape}")
    lam, U = np.linalg.eigh(C)
    scale = float(np.max(np.abs(lam)))
    if not (lam[0] < lam[1] < 0) or lam[1] - lam[0] <= 1e-10 * scale:
        raise ValueError(
            "C: Example 1 needs lambda_1 < lambda_2 < 0 (simple), got "
            f"lambda_1 = {lam[0]:.3g}, lambda_2 = {lam[1]:.3g}"
        )
    return C, lam, U


def _flow(name: str, run: Any, d: int) -> constrained.FlowResult:
    if not isinstance(run, constrained.FlowResult):
        raise TypeError(f"{name}: expected a FlowResult, got {type(run).__name__}")
    if run.W.shape[1] != d or run.V.shape[2] != 1:
        raise ValueError(
            f"{name}: expected W of {d} rows and V of one column, got "
            f"{run.W.shape[1:]} and {run.V.shape[1:]}"
        )
    if run.t.size < 3:
        raise ValueError(f"{name}: expected at least 3 samples, got {run.t.size}")
    return run


def _inits(inits: Any, d: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    if isinstance(inits, (str, bytes, np.ndarray)) or not isinstance(inits, Sequence):
        raise TypeError(
            f"inits: expected a sequence of (W0, V0) pairs, got {type(inits).__name__}"
        )
    if not 1 <= len(inits) <= MAX_INITS:
        raise ValueError(f"inits: expected 1 to {MAX_INITS} pairs, got {len(inits)}")
    out = []
    for i, pair in enumerate(inits):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"inits[{i}]: expected a pair (W0, V0)")
        W0 = as_matrix(f"inits[{i}][0]", pair[0])
        V0 = as_matrix(f"inits[{i}][1]", pair[1])
        if W0.shape[0] != d or V0.shape != (W0.shape[1], 1):
            raise ValueError(
                f"inits[{i}]: expected W0 ({d}, h) and V0 (h, 1), got "
                f"{W0.shape} and {V0.shape}"
            )
        out.append((W0, V0))
    return tuple(out)


def _window(name: str, window: Any) -> tuple[float, float]:
    if isinstance(window, np.ndarray):
        window = as_array(name, window, ndim=1)
    if isinstance(window, (str, bytes)) or np.ndim(window) != 1 or len(window) != 2:
        raise TypeError(f"{name}: expected a pair (low, high), got {window!r}")
    lo = check_positive_float(f"{name}[0]", window[0])
    hi = check_positive_float(f"{name}[1]", window[1])
    if not lo < hi:
        raise ValueError(f"{name}: expected low < high, got {window!r}")
    return lo, hi


def angle_to_line(M: Any, u: Any) -> np.ndarray:
    r"""Angle between each vector M and the line spanned by u, accurate near 0.

    .. math:: \theta = \arctan2\big(\|(I - \hat u\hat u^\top)m\|, |\hat u^\top m|\big)
        \in [0, \pi/2].

    Parameters
    ----------
    M : array_like, shape (..., d) or (..., d, 1)
        Non-zero vectors (a trailing axis of length 1 is dropped).
    u : array_like, shape (d,)
        Non-zero.

    Returns
    -------
    ndarray, shape (...)
    """
    u = as_matrix("u", u, ndim=1)
    M = as_array("M", M)
    if M.ndim >= 2 and M.shape[-1] == 1 and M.shape[-2] == u.size:
        M = M[..., 0]
    if M.shape[-1] != u.size:
        raise ValueError(f"M: expected a last axis of length {u.size}, got {M.shape}")
    norm = np.linalg.norm(u)
    if norm == 0:
        raise ValueError("u: expected a non-zero vector")
    u = u / norm
    along = M @ u
    across = np.linalg.norm(M - along[..., None] * u, axis=-1)
    return np.arctan2(across, np.abs(along))


def gaussian_inits(
    d: int, h: int, n: int, rng: Any = None
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    r"""n random starts (W0, V0) with i.i.d. :math:`N(0, 1/2)` entries.

    Parameters
    ----------
    d, h : int
        Input dimension and hidden width: W0 of shape (d, h), V0 of shape (h, 1).
    n : int
        Number of starts, at most ``MAX_INITS``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    tuple of (ndarray, ndarray)
    """
    d, h, n = (check_positive_int(k, v) for k, v in (("d", d), ("h", h), ("n", n)))
    if n > MAX_INITS:
        raise ValueError(f"n: at most {MAX_INITS}, got {n}")
    rng = as_rng(rng)
    scale = 1 / np.sqrt(2)
    return tuple(
        (rng.standard_normal((d, h)) * scale, rng.standard_normal((h, 1)) * scale)
        for _ in range(n)
    )


# ---------------------------------------------- Check 1: the plain loss blows up


class _OverStarts:
    """``worst``/``least`` of one field of the per-start checks of a sweep."""

    checks: tuple

    def worst(self, field: str) -> float:
        """The largest value of one field of the per-start checks."""
        return max(float(getattr(c, field)) for c in self.checks)

    def least(self, field: str) -> float:
        """The smallest value of one field of the per-start checks."""
        return min(float(getattr(c, field)) for c in self.checks)


@dataclass(frozen=True)
class PlainCheck:
    """Verdict of :func:`check_plain_blowup` on one run.

    Attributes
    ----------
    blow_up_time : float
        The time at which :math:`\\|M\\|` reached the run's ``max_norm``.
    slope_error : float
        Relative deviation of the fitted slope of :math:`1/\\|M\\|` against t
        from :math:`4\\lambda_1`.
    exponent_error : float
        Relative deviation of the fitted slope of :math:`\\log\\theta` against
        :math:`\\log\\|M\\|` from :math:`-(\\lambda_2-\\lambda_1)/(2|\\lambda_1|)`.
    correction : float
        Largest correction term on the fitted stretch,
        :math:`\\max\\big((\\lambda_2-\\lambda_1)\\theta^2/|\\lambda_1|,
        \\|W^\\top W - VV^\\top\\|_2/\\|M\\|\\big)`.
    final_angle : float
        :math:`\\theta` at the last sample.
    monotone : bool
        :math:`\\theta` never increases once :math:`\\|M\\|\\ge10`.
    passed : bool
    """

    blow_up_time: float
    slope_error: float
    exponent_error: float
    correction: float
    final_angle: float
    monotone: bool
    passed: bool


def check_plain_blowup(
    C: Any, run: Any, window: tuple[float, float] = (1e4, 1e7), rtol: float = 1e-2
) -> PlainCheck:
    r"""Check item 2 of the example on a run of the plain flow.

    The claims: the run stopped at its ``max_norm`` (finite-time blow-up); on the
    stretch where :math:`\|M\|` lies in ``window``, the slope of :math:`1/\|M\|`
    against t is :math:`4\lambda_1` and the slope of :math:`\log\theta` against
    :math:`\log\|M\|` is :math:`-(\lambda_2-\lambda_1)/(2|\lambda_1|)`, both to
    relative ``rtol``; the correction terms of the proof stay below ``rtol``;
    :math:`\theta` decreases once :math:`\|M\|\ge10`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2<0`.
    run : FlowResult
        From :func:`~ssl_notes.constrained.factored_flow` with ``loss="plain"``
        and ``max_norm`` above ``window[1]``, V of one column.
    window : (float, float)
        The stretch of :math:`\|M\|` fitted.
    rtol : float
        Relative tolerance of the two slopes.

    Returns
    -------
    PlainCheck
    """
    C, lam, U = _C(C)
    run = _flow("run", run, C.shape[0])
    lo, hi = _window("window", window)
    rtol = check_tolerance("rtol", rtol)
    M = run.M[..., 0]
    r = np.linalg.norm(M, axis=1)
    theta = angle_to_line(M, U[:, 0])
    win = (r >= lo) & (r <= hi)
    if win.sum() < 3:
        return PlainCheck(
            float(run.t[-1]), np.inf, np.inf, np.inf, float(theta[-1]), False, False
        )
    slope = np.polyfit(run.t[win], 1 / r[win], 1)[0]
    th = np.maximum(theta[win], np.finfo(float).tiny)
    expo = np.polyfit(np.log(r[win]), np.log(th), 1)[0]
    slope_err = abs(slope / (4 * lam[0]) - 1)
    expo_err = abs(expo / (-(lam[1] - lam[0]) / (2 * abs(lam[0]))) - 1)
    Q = run.W[0].T @ run.W[0] - run.V[0] @ run.V[0].T
    corr = max(
        (lam[1] - lam[0]) / abs(lam[0]) * float(np.max(theta[win])) ** 2,
        float(np.linalg.norm(Q, 2)) / lo,
    )
    monotone = bool(np.all(np.diff(theta[r >= 10]) <= 1e-12))
    passed = (
        run.stopped
        and slope_err < rtol
        and expo_err < rtol
        and corr < rtol
        and monotone
    )
    return PlainCheck(
        float(run.t[-1]),
        float(slope_err),
        float(expo_err),
        float(corr),
        float(theta[-1]),
        monotone,
        bool(passed),
    )


@dataclass(frozen=True, eq=False)
class PlainSweep(_OverStarts):
    """Result of :func:`plain_blowup`.

    Attributes
    ----------
    checks : tuple of PlainCheck
        One per start.
    runs : tuple of FlowResult
        The runs (for figures).
    passed : bool
        Every check passed.
    """

    checks: tuple[PlainCheck, ...]
    runs: tuple[constrained.FlowResult, ...]
    passed: bool


def plain_blowup(
    C: Any,
    inits: Sequence[tuple[Any, Any]],
    max_norm: float = 1e8,
    t_max: float = 100.0,
    rtol: float = 1e-12,
) -> PlainSweep:
    r"""The plain flow :math:`\dot W = -\nabla_W M^\top CM`,
    :math:`\dot V = -\nabla_V M^\top CM` from each start until
    :math:`\|M\| =` ``max_norm``, judged by :func:`check_plain_blowup`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2<0`.
    inits : sequence of (W0, V0)
        Starts, W0 of shape (d, h), V0 of shape (h, 1).
    max_norm : float
        Where each run stops, above 1e7 (the fitted stretch ends there).
    t_max : float
        A run that has not blown up by ``t_max`` fails (positive).
    rtol : float
        Solver tolerance (``atol`` is ``rtol / 100``).

    Returns
    -------
    PlainSweep
    """
    C, _, _ = _C(C)
    inits = _inits(inits, C.shape[0])
    max_norm = check_scalar("max_norm", max_norm, min_val=1e7, include_min=False)
    t_max = check_scalar("t_max", t_max, min_val=0.0, max_val=1e3, include_min=False)
    rtol = check_tolerance("rtol", rtol)
    runs = tuple(
        constrained.factored_flow(
            C, W0, V0, t_max, "plain", max_norm=max_norm, rtol=rtol, atol=rtol / 100
        )
        for W0, V0 in inits
    )
    checks = tuple(check_plain_blowup(C, run) for run in runs)
    return PlainSweep(checks, runs, all(c.passed for c in checks))


# ---------------------------------------------- Check 2: the scaled loss converges


@dataclass(frozen=True)
class ScaledCheck:
    """Verdict of :func:`check_scaled_convergence` on one run.

    Attributes
    ----------
    conservation : float
        Largest relative drift of :math:`\\|W\\|_F` and :math:`\\|V\\|`.
    final_angle : float
        :math:`\\theta` at the last sample.
    rate_error : float
        Relative deviation of the fitted decay rate of :math:`\\theta` from the
        linearised :math:`\\kappa`.
    kappa, kappa_low : float
        :math:`\\kappa = 2(\\lambda_2-\\lambda_1)(\\|V\\|^2 +
        \\|W^\\top u_2\\|^2)/\\|M\\|^2` at the end, and its lower bound
        :math:`2(\\lambda_2-\\lambda_1)/\\|W(0)\\|_F^2`.
    min_norm : float
        Smallest :math:`\\|M\\|` along the run.
    passed : bool
    """

    conservation: float
    final_angle: float
    rate_error: float
    kappa: float
    kappa_low: float
    min_norm: float
    passed: bool


def check_scaled_convergence(
    C: Any,
    run: Any,
    angle_tol: float = 1e-8,
    conservation_tol: float = 1e-9,
    rate_rtol: float = 1e-2,
    window: tuple[float, float] = (1e-8, 1e-3),
) -> ScaledCheck:
    r"""Check items 1 and 3 of the example on a run of the scaled flow.

    The claims: :math:`\|W\|_F` and :math:`\|V\|` are conserved (relative
    ``conservation_tol``); the final angle to :math:`\pm u_1` is below
    ``angle_tol``; where :math:`\theta` lies in ``window`` it decays at the
    rate :math:`\kappa` to relative ``rate_rtol`` (at least 5 samples there); and
    :math:`\kappa\ge\kappa_{\rm low}`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2<0`.
    run : FlowResult
        From :func:`~ssl_notes.constrained.factored_flow` with ``loss="scaled"``.
    angle_tol, conservation_tol, rate_rtol : float
        Positive tolerances.
    window : (float, float)
        The range of :math:`\theta` fitted.

    Returns
    -------
    ScaledCheck
    """
    C, lam, U = _C(C)
    run = _flow("run", run, C.shape[0])
    angle_tol = check_tolerance("angle_tol", angle_tol)
    conservation_tol = check_tolerance("conservation_tol", conservation_tol)
    rate_rtol = check_tolerance("rate_rtol", rate_rtol)
    lo, hi = _window("window", window)
    M = run.M[..., 0]
    theta = angle_to_line(M, U[:, 0])
    nW = np.linalg.norm(run.W, axis=(1, 2))
    nV = np.linalg.norm(run.V, axis=(1, 2))
    cons = max(np.ptp(nW) / nW[0], np.ptp(nV) / nV[0])
    Wf, Vf = run.W[-1], run.V[-1]
    gap = lam[1] - lam[0]
    kappa = 2 * gap * (np.sum(Vf**2) + np.sum((Wf.T @ U[:, 1]) ** 2))
    kappa /= np.sum((Wf @ Vf) ** 2)
    kappa_low = 2 * gap / np.sum(run.W[0] ** 2)
    win = (theta >= lo) & (theta <= hi)
    if win.sum() >= 5:
        rate = -np.polyfit(run.t[win], np.log(theta[win]), 1)[0]
        rate_err = abs(rate / kappa - 1)
    else:
        rate_err = np.inf
    passed = (
        cons <= conservation_tol
        and theta[-1] <= angle_tol
        and rate_err < rate_rtol
        and kappa >= kappa_low
    )
    return ScaledCheck(
        float(cons),
        float(theta[-1]),
        float(rate_err),
        float(kappa),
        float(kappa_low),
        float(np.min(np.linalg.norm(M, axis=1))),
        bool(passed),
    )


@dataclass(frozen=True, eq=False)
class ScaledSweep(_OverStarts):
    """Result of :func:`scaled_convergence`.

    Attributes
    ----------
    checks : tuple of ScaledCheck
    runs : tuple of FlowResult
    passed : bool
    """

    checks: tuple[ScaledCheck, ...]
    runs: tuple[constrained.FlowResult, ...]
    passed: bool


def scaled_convergence(
    C: Any,
    inits: Sequence[tuple[Any, Any]],
    decays: float = 40.0,
    t_min: float = 60.0,
    rtol: float = 1e-12,
) -> ScaledSweep:
    r"""The flow of the scaled loss :math:`M^\top CM/\|M\|^2` from each start, up to
    :math:`T = \max(t_{\min}, \text{decays}/\kappa_{\rm low})`, judged by
    :func:`check_scaled_convergence`.

    Since :math:`\|M\|\le\|W\|_F\|V\|` and :math:`\|W\|_F` is conserved,
    :math:`\kappa\ge\kappa_{\rm low} = 2(\lambda_2-\lambda_1)/\|W(0)\|_F^2`, so
    ``decays`` e-foldings of :math:`\theta` fit into T.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2<0`.
    inits : sequence of (W0, V0)
        Starts, W0 of shape (d, h), V0 of shape (h, 1).
    decays : float
        Number of e-foldings, positive, at most 100.
    t_min : float
        Shortest run, positive, at most 1000.
    rtol : float
        Solver tolerance (``atol`` is ``rtol / 100``).

    Returns
    -------
    ScaledSweep
    """
    C, lam, _ = _C(C)
    inits = _inits(inits, C.shape[0])
    decays = check_scalar(
        "decays", decays, min_val=0.0, max_val=100.0, include_min=False
    )
    t_min = check_scalar("t_min", t_min, min_val=0.0, max_val=1e3, include_min=False)
    rtol = check_tolerance("rtol", rtol)
    runs = []
    for W0, V0 in inits:
        kappa_low = 2 * (lam[1] - lam[0]) / np.sum(W0**2)
        T = max(t_min, decays / kappa_low)
        runs.append(
            constrained.factored_flow(
                C, W0, V0, T, "scaled", rtol=rtol, atol=rtol / 100
            )
        )
    checks = tuple(check_scaled_convergence(C, run) for run in runs)
    return ScaledSweep(checks, tuple(runs), all(c.passed for c in checks))


# ---------------------------------------------- Where it breaks: the first power


@dataclass(frozen=True)
class FirstPowerCheck:
    """Verdict of :func:`check_first_power` on one run.

    Attributes
    ----------
    rate : float
        Growth rate of :math:`\\log\\|M\\|` fitted for :math:`t\\ge` ``fit_from``.
    rate_error : float
        Its relative deviation from :math:`-2\\lambda_1`.
    correction : float
        Largest correction term on the fitted stretch,
        :math:`\\max\\big((\\lambda_2-\\lambda_1)\\theta^2/|\\lambda_1|,
        \\|W^\\top W - VV^\\top\\|_2/\\|M\\|\\big)`.
    growth : float
        :math:`\\|M(T)\\|/\\|M(0)\\|`.
    passed : bool
        ``rate_error < rtol``, ``correction < rtol`` and ``growth > 1e5``.
    """

    rate: float
    rate_error: float
    correction: float
    growth: float
    passed: bool


def check_first_power(
    C: Any, run: Any, fit_from: float = 10.0, rtol: float = 1e-5
) -> FirstPowerCheck:
    r"""Check that a run of the first-power scaled flow
    (:math:`\ell = M^\top CM/\|M\|`) diverges exponentially at the rate
    :math:`-2\lambda_1`.

    The growth rate of :math:`\log\|M\|` fitted for :math:`t\ge` ``fit_from``
    must be :math:`-2\lambda_1` to relative ``rtol``, the correction terms of the
    balanced equations (see :class:`FirstPowerCheck`) must be below ``rtol`` on
    the stretch, and :math:`\|M\|` must grow by a factor over :math:`10^5`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2<0`.
    run : FlowResult
        Sampled at times from 0 with at least 3 samples at or after ``fit_from``.
    fit_from : float
        Start of the fit (>= 0).
    rtol : float
        Positive.

    Returns
    -------
    FirstPowerCheck
    """
    C, lam, U = _C(C)
    run = _flow("run", run, C.shape[0])
    fit_from = check_scalar("fit_from", fit_from, min_val=0.0)
    rtol = check_tolerance("rtol", rtol)
    late = run.t >= fit_from
    if late.sum() < 3:
        raise ValueError(f"fit_from: fewer than 3 samples at t >= {fit_from}")
    M = run.M[..., 0]
    r = np.linalg.norm(M, axis=1)
    theta = angle_to_line(M[late], U[:, 0])
    rate = float(np.polyfit(run.t[late], np.log(r[late]), 1)[0])
    err = abs(rate / (-2 * lam[0]) - 1)
    Q = run.W[0].T @ run.W[0] - run.V[0] @ run.V[0].T
    corr = max(
        (lam[1] - lam[0]) / abs(lam[0]) * float(np.max(theta)) ** 2,
        float(np.linalg.norm(Q, 2)) / float(np.min(r[late])),
    )
    growth = float(r[-1] / r[0])
    passed = err < rtol and corr < rtol and growth > 1e5
    return FirstPowerCheck(rate, float(err), float(corr), growth, bool(passed))


@dataclass(frozen=True)
class FirstPowerSweep:
    """Result of :func:`first_power_growth`.

    Attributes
    ----------
    checks : tuple of FirstPowerCheck
    predicted : float
        :math:`-2\\lambda_1`.
    passed : bool
    """

    checks: tuple[FirstPowerCheck, ...]
    predicted: float
    passed: bool


def first_power_growth(
    C: Any,
    inits: Sequence[tuple[Any, Any]],
    T: float = 20.0,
    samples: int = 201,
    rtol: float = 1e-12,
) -> FirstPowerSweep:
    r"""The flow of :math:`M^\top CM/\|M\|` (first power) from each start on
    [0, T], judged by :func:`check_first_power` with the fit on [T/2, T].

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2<0`.
    inits : sequence of (W0, V0)
    T : float
        Final time, positive, at most 100.
    samples : int
        Sampling times, at least 6.
    rtol : float
        Solver tolerance (``atol`` is ``rtol / 100``).

    Returns
    -------
    FirstPowerSweep
    """
    C, lam, _ = _C(C)
    inits = _inits(inits, C.shape[0])
    T = check_scalar("T", T, min_val=0.0, max_val=100.0, include_min=False)
    samples = check_positive_int("samples", samples)
    if samples < 6:
        raise ValueError(f"samples: expected at least 6, got {samples}")
    rtol = check_tolerance("rtol", rtol)
    t = np.linspace(0.0, T, samples)
    checks = tuple(
        check_first_power(
            C,
            constrained.factored_flow(
                C, W0, V0, t, "scaled", power=1.0, rtol=rtol, atol=rtol / 100
            ),
            fit_from=T / 2,
        )
        for W0, V0 in inits
    )
    return FirstPowerSweep(checks, float(-2 * lam[0]), all(c.passed for c in checks))
