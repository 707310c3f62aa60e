r"""Machinery of the chapter *Proposition 2 (a Frobenius-norm budget still collapses)*
(``book/proposition2.py``).

Each check of the chapter is one function here that takes the run it judges (a
:class:`~ssl_notes.constrained.ConstrainedResult` or a trajectory) and returns a
frozen result object with the measured quantities, their bounds and a ``passed``
verdict; the sweeps that produce the runs are separate functions. The checks are
fed wrong runs in ``tests/experiments/test_chapter_proposition2.py`` (gradient
ascent, no projection, the wrong step, the wrong rescaling) and must fail on them.

Notation: :math:`C` symmetric with eigenvalues
:math:`\lambda_1\le\dots\le\lambda_d` and eigenvectors :math:`u_j`; projected
gradient descent on the Frobenius ball of radius c,
:math:`M_{k+1} = \Pi_c(M_k - 2\eta CM_k)`, is the power method for
:math:`A = I - 2\eta C`, whose eigenvalues are :math:`a_j = 1 - 2\eta\lambda_j`.

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
    check_times,
    check_tolerance,
)
from ssl_notes.manifold import project_frobenius_ball

__all__ = [
    "PowerMethodCheck",
    "CollapseSweep",
    "TwoLayerCheck",
    "TwoLayerSweep",
    "WeightDecayFlows",
    "WeightDecayCheck",
    "LimitCheck",
    "power_method_rate",
    "check_power_method",
    "frobenius_collapse",
    "check_two_layer",
    "two_layer_collapse",
    "autograd_flow",
    "weight_decay_flows",
    "check_weight_decay",
    "check_frobenius_limit",
]

#: Eigenvalues closer than this (times :math:`\|C\|_2`) count as equal.
CLUSTER = 1e-10
#: Largest number of steps :func:`frobenius_collapse` accepts (work bound).
MAX_STEPS = 100_000
#: Longest time :func:`autograd_flow` integrates (work bound).
MAX_TIME = 100.0
ROUNDING = 1e-13  # absolute rounding allowance on losses of order one
#: Rounding allowance of :func:`check_frobenius_limit` per step, relative to c:
#: each step adds a relative error of a few machine epsilons; inside a repeated
#: eigenspace no contraction damps it, so it may add up over the K steps
#: (measured: 3.7e-13 after 600 steps with a double lambda_1, d = 10, c = 2).
LIMIT_ROUNDING = 10 * np.finfo(float).eps


# ---------------------------------------------------------------- small helpers


def _C_M0(C: Any, M0: Any) -> tuple[np.ndarray, np.ndarray]:
    C = check_symmetric("C", C)
    M0 = as_matrix("M0", M0)
    if M0.shape[0] != C.shape[0]:
        raise ValueError(
            f"M0: expected {C.shape[0]} rows to match C {C.shape}, got {M0.shape}"
        )
    return C, M0


def _step(C: np.ndarray, lr: Any) -> float:
    lr = check_positive_float("lr", lr, allow_none=True)
    norm = float(np.max(np.abs(np.linalg.eigvalsh(C))))
    if norm == 0.0:
        raise ValueError("C: expected a non-zero matrix")
    return 1.0 / (2.0 * norm) if lr is None else lr


def _simple_negative(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of C after checking lambda_1 < 0 simple."""
    lam, U = np.linalg.eigh(C)
    scale = float(np.max(np.abs(lam)))
    if lam[0] >= 0 or lam[1] - lam[0] <= CLUSTER * scale:
        raise ValueError(
            "C: Proposition 2's collapse needs a simple negative smallest "
            f"eigenvalue, got lambda_1 = {lam[0]:.3g}, lambda_2 = {lam[1]:.3g}"
        )
    return lam, U


def _run(name: str, run: Any, d: int | None = None) -> constrained.ConstrainedResult:
    if not isinstance(run, constrained.ConstrainedResult):
        raise TypeError(
            f"{name}: expected a ConstrainedResult, got {type(run).__name__}"
        )
    if d is not None and run.M.shape[0] != d:
        raise ValueError(f"{name}: its M has {run.M.shape[0]} rows, C has {d}")
    return run


def _ratio(s: np.ndarray) -> float:
    """sigma_2 / sigma_1 of descending singular values (0 for one column)."""
    return float(s[1] / s[0]) if s.size > 1 and s[0] > 0 else 0.0


def _svals(A: np.ndarray) -> np.ndarray:
    return np.linalg.svd(A, compute_uv=False)


def _radii(radii: Any) -> tuple[float, float]:
    if isinstance(radii, np.ndarray):
        radii = as_array("radii", radii, ndim=1)
    if isinstance(radii, (str, bytes)) or np.ndim(radii) != 1 or len(radii) != 2:
        raise TypeError(f"radii: expected a pair of positive numbers, got {radii!r}")
    return (
        check_positive_float("radii[0]", radii[0]),
        check_positive_float("radii[1]", radii[1]),
    )


# ------------------------------------------------- Check 1: the power method


def power_method_rate(C: Any, lr: float | None = None) -> float:
    r"""The contraction :math:`\rho` of :math:`\sigma_2/\sigma_1` per projected step.

    .. math:: \rho = \max_{j\ge2}\frac{|a_j|}{a_1},\qquad a_j = 1 - 2\eta\lambda_j,

    which is < 1 when :math:`\lambda_1 < 0` is simple and
    :math:`\eta\le1/(2\|C\|_2)`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, with a simple negative smallest eigenvalue.
    lr : float or None
        The step :math:`\eta`; None for :math:`1/(2\|C\|_2)`.

    Returns
    -------
    float
    """
    C = check_symmetric("C", C)
    eta = _step(C, lr)
    lam, _ = _simple_negative(C)
    a = 1.0 - 2.0 * eta * lam
    return float(np.max(np.abs(a[1:])) / a[0])


@dataclass(frozen=True)
class PowerMethodCheck:
    """Verdict of :func:`check_power_method` on one run.

    Attributes
    ----------
    ratio : float
        :math:`\\sigma_2/\\sigma_1` of :math:`M_K`.
    bound : float
        :math:`\\rho^K\\|M_0\\|_2/\\|u_1^\\top M_0\\|`.
    value_error, sigma1_error : float
        :math:`|L(M_K) - c^2\\lambda_1|` and :math:`|\\sigma_1(M_K) - c|`.
    value_tol : float
        Their allowance :math:`c^2(\\lambda_d-\\lambda_1)\\,\\text{bound}^2 +
        10^{-13}`.
    monotone : bool
        Whether the loss never increased (by more than 1e-12).
    passed : bool
    """

    ratio: float
    bound: float
    value_error: float
    sigma1_error: float
    value_tol: float
    monotone: bool
    passed: bool


def check_power_method(
    C: Any, M0: Any, run: Any, radius: float, lr: float | None = None
) -> PowerMethodCheck:
    r"""Check a run of projected gradient descent on :math:`\|M\|_F\le c` against
    the power-method bound of the chapter.

    With :math:`K` the number of steps of ``run`` and :math:`\rho` from
    :func:`power_method_rate`, the claim is

    .. math::

        \frac{\sigma_2(M_K)}{\sigma_1(M_K)}\le
        \rho^K\frac{\|M_0\|_2}{\|u_1^\top M_0\|},\qquad
        \sigma_1(M_K) = c,\qquad L(M_K) = c^2\lambda_1,

    the last two to :math:`c^2(\lambda_d-\lambda_1)\,\text{bound}^2 + 10^{-13}`,
    and the loss never increases (:math:`\eta\le1/L`).

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1 < 0` simple.
    M0 : array_like, shape (d, z)
        The start of the run.
    run : ConstrainedResult
        Its ``losses`` (K + 1,) and ``singular_values`` (K + 1, z) are judged.
    radius : float
        The claimed radius c.
    lr : float or None
        The claimed step; None for :math:`1/(2\|C\|_2)`.

    Returns
    -------
    PowerMethodCheck
    """
    C, M0 = _C_M0(C, M0)
    run = _run("run", run, C.shape[0])
    c = check_positive_float("radius", radius)
    rho = power_method_rate(C, lr)
    lam, U = _simple_negative(C)
    overlap = float(np.linalg.norm(U[:, 0] @ M0))
    if overlap == 0.0:
        raise ValueError("M0: has no component along u_1 (the bound is infinite)")
    K = run.losses.size - 1
    bound = rho**K * float(np.linalg.norm(M0, 2)) / overlap
    s = run.singular_values[-1]
    ratio = _ratio(s)
    value_tol = c**2 * (lam[-1] - lam[0]) * bound**2 + ROUNDING
    value_error = abs(float(run.losses[-1]) - c**2 * lam[0])
    sigma1_error = abs(float(s[0]) - c)
    monotone = bool(np.all(np.diff(run.losses) <= 1e-12))
    passed = (
        ratio <= bound + 1e-15
        and value_error <= value_tol
        and sigma1_error <= value_tol
        and monotone
    )
    return PowerMethodCheck(
        ratio, bound, value_error, sigma1_error, value_tol, monotone, bool(passed)
    )


@dataclass(frozen=True)
class CollapseSweep:
    """Worst case of :func:`frobenius_collapse` over its starts.

    Attributes
    ----------
    starts, steps : int
        Number of random starts and the number K of steps of each run.
    rho : float
        The contraction per step, :func:`power_method_rate`.
    max_ratio, max_ratio_over_bound : float
        Largest :math:`\\sigma_2/\\sigma_1`, and largest ratio / bound.
    max_value_error, max_sigma1_error : float
        Largest :math:`|L - c^2\\lambda_1|` and :math:`|\\sigma_1 - c|`.
    passed : bool
        Every run passed :func:`check_power_method`.
    """

    starts: int
    steps: int
    rho: float
    max_ratio: float
    max_ratio_over_bound: float
    max_value_error: float
    max_sigma1_error: float
    passed: bool


def frobenius_collapse(
    C: Any,
    z: int,
    radius: float,
    starts: int,
    rng: Any = None,
    target: float = 1e-10,
) -> CollapseSweep:
    r"""Projected gradient descent on :math:`\|M\|_F\le c` from Gaussian starts,
    each run judged by :func:`check_power_method`.

    The number of steps is the K with :math:`\rho^K\le` ``target``, so the bound
    is far from vacuous; the step is :math:`\eta = 1/(2\|C\|_2)`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1 < 0` simple.
    z : int
        Columns of M.
    radius : float
        The budget c.
    starts : int
        Number of starts :math:`M_0` with i.i.d. N(0, 1) entries, shape (d, z).
    rng : None, int or numpy.random.Generator
    target : float
        In (0, 1): :math:`\rho^K` at the last step.

    Returns
    -------
    CollapseSweep
    """
    C = check_symmetric("C", C)
    z = check_positive_int("z", z)
    c = check_positive_float("radius", radius)
    starts = check_positive_int("starts", starts)
    rng = as_rng(rng)
    target = check_scalar(
        "target", target, min_val=0.0, max_val=1.0, include_min=False,
        include_max=False,
    )  # fmt: skip
    rho = power_method_rate(C)
    K = int(np.ceil(np.log(target) / np.log(rho)))
    if K > MAX_STEPS:
        raise ValueError(
            f"C: its eigengap needs {K} steps to reach target = {target:g} "
            f"(more than {MAX_STEPS})"
        )
    K = max(K, 1)
    worst = np.zeros(4)
    passed = True
    for _ in range(starts):
        M0 = rng.standard_normal((C.shape[0], z))
        run = constrained.projected_gd_trace(C, M0, "frobenius", c, steps=K)
        chk = check_power_method(C, M0, run, c)
        errs = [chk.ratio, chk.ratio / chk.bound, chk.value_error, chk.sigma1_error]
        worst = np.maximum(worst, errs)
        passed = passed and chk.passed
    return CollapseSweep(starts, K, rho, *map(float, worst), bool(passed))


# ------------------------------------------------- Check 2: two Frobenius budgets


@dataclass(frozen=True)
class TwoLayerCheck:
    """Verdict of :func:`check_two_layer`.

    Attributes
    ----------
    loss_error : float
        :math:`|L/(c_1^2c_2^2\\lambda_1) - 1|` at the end.
    ratio_M, ratio_W, ratio_V : float
        :math:`\\sigma_2/\\sigma_1` of WV, W and V at the end.
    monotone : bool
        The loss never increased (by more than 1e-12).
    passed : bool
        All four errors <= ``tol`` and ``monotone``.
    """

    loss_error: float
    ratio_M: float
    ratio_W: float
    ratio_V: float
    monotone: bool
    passed: bool


def check_two_layer(
    C: Any, run: Any, radii: tuple[float, float], tol: float = 1e-8
) -> TwoLayerCheck:
    r"""Check that a two-layer run under :math:`\|W\|_F\le c_1`,
    :math:`\|V\|_F\le c_2` ends at the collapsed minimiser of item 3.

    The claim: :math:`L(W_K, V_K) = c_1^2c_2^2\lambda_1` and W, V, WV all have
    rank one, each to relative ``tol`` (a rank-two point has
    :math:`\sigma_2/\sigma_1` of order one; the best point orthogonal to
    :math:`u_1` is off by :math:`(\lambda_2-\lambda_1)/|\lambda_1|`).

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1 < 0` simple.
    run : ConstrainedResult
        From :func:`~ssl_notes.constrained.projected_gd_factored` (W, V set).
    radii : (float, float)
        The claimed budgets :math:`(c_1, c_2)`.
    tol : float
        Positive.

    Returns
    -------
    TwoLayerCheck
    """
    C = check_symmetric("C", C)
    run = _run("run", run, C.shape[0])
    if run.W is None or run.V is None:
        raise ValueError("run: expected a two-layer run (W and V set)")
    c1, c2 = _radii(radii)
    tol = check_tolerance("tol", tol)
    lam, _ = _simple_negative(C)
    loss_error = abs(float(run.losses[-1]) / (c1**2 * c2**2 * lam[0]) - 1.0)
    rM = _ratio(run.singular_values[-1])
    rW, rV = _ratio(_svals(run.W)), _ratio(_svals(run.V))
    monotone = bool(np.all(np.diff(run.losses) <= 1e-12))
    passed = max(loss_error, rM, rW, rV) <= tol and monotone
    return TwoLayerCheck(loss_error, rM, rW, rV, monotone, bool(passed))


@dataclass(frozen=True)
class TwoLayerSweep:
    """Worst case of :func:`two_layer_collapse` over its starts.

    Attributes
    ----------
    starts : int
    loss_error, ratio_M, ratio_W, ratio_V : float
        The largest value of each field of :class:`TwoLayerCheck`.
    max_nuclear_ratio : float
        Largest :math:`\\|W_0V_0\\|_*/(\\|W_0\\|_F\\|V_0\\|_F)` over the starts
        (at most 1, the inequality of item 3).
    nuclear_gap : float
        Largest :math:`|\\|W_KV_K\\|_*/(c_1c_2) - 1|` at the end: the minimisers
        attain the inequality with equality.
    passed : bool
        Every run passed, the nuclear-norm ratio is <= 1 + 1e-13 and the gap is
        <= ``tol``.
    """

    starts: int
    loss_error: float
    ratio_M: float
    ratio_W: float
    ratio_V: float
    max_nuclear_ratio: float
    nuclear_gap: float
    passed: bool


def two_layer_collapse(
    C: Any,
    h: int,
    z: int,
    radii: tuple[float, float],
    starts: int,
    rng: Any = None,
    steps: int = 1000,
    tol: float = 1e-8,
) -> TwoLayerSweep:
    r"""Projected gradient descent on :math:`\operatorname{Tr}(V^\top W^\top CWV)`
    under two Frobenius budgets, from Gaussian starts, judged by
    :func:`check_two_layer`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1 < 0` simple.
    h, z : int
        Hidden width and columns; starts W (d, h), V (h, z), N(0, 1) entries.
    radii : (float, float)
        :math:`(c_1, c_2)`.
    starts, steps : int
        Number of starts, steps per run (step :math:`1/L` of
        :func:`~ssl_notes.constrained.projected_gd_factored`).
    rng : None, int or numpy.random.Generator
    tol : float
        Passed to :func:`check_two_layer`.

    Returns
    -------
    TwoLayerSweep
    """
    C = check_symmetric("C", C)
    h, z = check_positive_int("h", h), check_positive_int("z", z)
    radii = _radii(radii)
    starts = check_positive_int("starts", starts)
    steps = check_positive_int("steps", steps)
    rng = as_rng(rng)
    if steps > MAX_STEPS:
        raise ValueError(f"steps: at most {MAX_STEPS}, got {steps}")
    worst, nuclear, gap, passed = np.zeros(4), 0.0, 0.0, True
    for _ in range(starts):
        W0 = rng.standard_normal((C.shape[0], h))
        V0 = rng.standard_normal((h, z))
        nuc = np.linalg.norm(W0 @ V0, "nuc") / np.linalg.norm(W0) / np.linalg.norm(V0)
        nuclear = max(nuclear, float(nuc))
        run = constrained.projected_gd_factored(
            C, W0, V0, "frobenius", radii=radii, steps=steps
        )
        chk = check_two_layer(C, run, radii, tol)
        errs = [chk.loss_error, chk.ratio_M, chk.ratio_W, chk.ratio_V]
        worst = np.maximum(worst, errs)
        end = np.linalg.norm(run.M, "nuc") / (radii[0] * radii[1])
        gap = max(gap, abs(float(end) - 1.0))
        passed = passed and chk.passed
    passed = passed and nuclear <= 1.0 + 1e-13 and gap <= tol
    return TwoLayerSweep(starts, *map(float, worst), nuclear, gap, bool(passed))


# ------------------------------------------------- Check 3: weight decay


def _times(t: Any) -> np.ndarray:
    ts, scalar = check_times(t, max_time=MAX_TIME, hint="Use a shorter t.")
    if scalar or ts.size < 2 or ts[0] != 0 or np.any(np.diff(ts) <= 0):
        raise ValueError("t: expected at least two increasing times starting at 0")
    return ts


def autograd_flow(
    C: Any,
    M0: Any,
    beta: float,
    t: Any,
    device: Any = None,
    rtol: float = 1e-11,
) -> np.ndarray:
    r"""The gradient flow :math:`\dot M = -\nabla L_\beta(M)` of
    :math:`L_\beta(M) = \operatorname{Tr}(M^\top CM) + \beta\|M\|_F^2`, with the
    gradient computed by PyTorch's automatic differentiation (float64), so that
    the formula :math:`2(C+\beta I)M` is not used.

    Integrated by scipy's DOP853 at relative tolerance ``rtol`` and a negligible
    absolute one (:math:`10^{-30}`: M may shrink to :math:`10^{-14}`).

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M0 : array_like, shape (d, z)
    beta : float
        The weight-decay coefficient, any real number.
    t : array_like, shape (n_t,)
        Increasing sampling times from 0, at most ``MAX_TIME`` (100).
    device : None, str or torch.device
        Where the gradient is evaluated (None: the CPU).
    rtol : float
        Positive.

    Returns
    -------
    ndarray, shape (n_t, d, z)
        :math:`M_\beta(t)` at the sampled times.
    """
    import torch
    from scipy.integrate import solve_ivp

    from ssl_notes._validate import check_device

    C, M0 = _C_M0(C, M0)
    beta = check_scalar("beta", beta)
    ts = _times(t)
    dev = check_device(device, "cpu")
    rtol = check_tolerance("rtol", rtol)
    d, z = M0.shape
    Ct = torch.tensor(C, device=dev)

    def rhs(_, y):
        Mt = torch.tensor(y.reshape(d, z), device=dev, requires_grad=True)
        loss = torch.trace(Mt.T @ Ct @ Mt) + beta * (Mt**2).sum()
        (grad,) = torch.autograd.grad(loss, Mt)
        return -grad.cpu().numpy().ravel()

    sol = solve_ivp(
        rhs, (0.0, ts[-1]), M0.ravel(), "DOP853", t_eval=ts, rtol=rtol, atol=1e-30
    )
    if sol.status != 0:
        raise ValueError(f"t: the flow could not be integrated ({sol.message})")
    return sol.y.T.reshape(-1, d, z)


@dataclass(frozen=True, eq=False)
class WeightDecayFlows:
    """Trajectories of :func:`weight_decay_flows`.

    Attributes
    ----------
    t : ndarray, shape (n_t,)
    M0 : ndarray, shape (d, z)
    betas : tuple of float
    plain : ndarray, shape (n_t, d, z)
        The unregularised flow :math:`M_0(t)` (beta = 0).
    regularised : tuple of ndarray, each (n_t, d, z)
        :math:`M_\\beta(t)` for each beta of ``betas``.
    """

    t: np.ndarray
    M0: np.ndarray
    betas: tuple[float, ...]
    plain: np.ndarray
    regularised: tuple[np.ndarray, ...]


def weight_decay_flows(
    C: Any, M0: Any, betas: Sequence[float], t: Any, device: Any = None
) -> WeightDecayFlows:
    r"""The flow of :math:`L_\beta` for beta = 0 and each beta of ``betas``, by
    :func:`autograd_flow`.

    Parameters
    ----------
    C : array_like, shape (d, d)
    M0 : array_like, shape (d, z)
    betas : sequence of float
        One or more weight-decay coefficients.
    t : array_like, shape (n_t,)
        Increasing times from 0.
    device : None, str or torch.device

    Returns
    -------
    WeightDecayFlows
    """
    C, M0 = _C_M0(C, M0)
    betas = _betas(betas)
    ts = _times(t)
    plain = autograd_flow(C, M0, 0.0, ts, device)
    reg = tuple(autograd_flow(C, M0, b, ts, device) for b in betas)
    return WeightDecayFlows(ts, M0, betas, plain, reg)


def _betas(betas: Any) -> tuple[float, ...]:
    if isinstance(betas, np.ndarray):
        betas = as_array("betas", betas, ndim=1)
    if isinstance(betas, (str, bytes)) or np.ndim(betas) != 1 or len(betas) == 0:
        raise TypeError(
            f"betas: expected a non-empty sequence of numbers, got {betas!r}"
        )
    return tuple(check_scalar(f"betas[{i}]", b) for i, b in enumerate(betas))


@dataclass(frozen=True)
class WeightDecayCheck:
    """Verdict of :func:`check_weight_decay`.

    Attributes
    ----------
    rescale_errors : tuple of float
        For each beta, :math:`\\max_t\\|e^{2\\beta t}M_\\beta(t) - M_0(t)\\|_F /
        \\|M_0(t)\\|_F`.
    fitted_rate, predicted_rate : float
        Decay rate of :math:`\\sigma_2/\\sigma_1` along :math:`M_0(t)` fitted for
        :math:`t\\ge` ``fit_from``, and :math:`2(\\lambda_2-\\lambda_1)`.
    correction : float
        :math:`e^{-2(\\lambda_3-\\lambda_2)t}` at ``fit_from`` (the size of the
        non-exponential part; 0 when d = 2).
    norm_errors, norm_bounds : tuple of float
        For each beta, :math:`|\\|M_\\beta(T)\\|_F - e^{-2(\\lambda_1+\\beta)T}
        \\|u_1^\\top M(0)\\||` and its bound :math:`e^{-2(\\lambda_2+\\beta)T}
        \\|M(0)\\|_F` (item 4), plus the solver allowance.
    passed : bool
    """

    rescale_errors: tuple[float, ...]
    fitted_rate: float
    predicted_rate: float
    correction: float
    norm_errors: tuple[float, ...]
    norm_bounds: tuple[float, ...]
    passed: bool


def check_weight_decay(
    C: Any,
    flows: Any,
    fit_from: float = 15.0,
    rtol: float = 1e-7,
    rate_rtol: float = 1e-2,
) -> WeightDecayCheck:
    r"""Check item 4 of the proposition on computed flows.

    The claims, for each beta: :math:`M_\beta(t) = e^{-2\beta t}M_0(t)` (relative
    ``rtol`` at every sampled t); :math:`\sigma_2/\sigma_1` of :math:`M_0(t)`
    decays at the rate :math:`2(\lambda_2-\lambda_1)` (fit on
    :math:`t\ge` ``fit_from``, relative ``rate_rtol``); and the norm at the last
    time T obeys

    .. math::

        \Big|\|M_\beta(T)\|_F - e^{-2(\lambda_1+\beta)T}\|u_1^\top M(0)\|\Big|
        \le e^{-2(\lambda_2+\beta)T}\|M(0)\|_F

    (the component along :math:`u_1` against the rest), up to the relative
    ``rtol`` of the solver.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric, :math:`\lambda_1<\lambda_2` simple, d >= 2, z >= 2.
    flows : WeightDecayFlows
    fit_from : float
        Start of the fitting window, inside the sampled times (>= 0).
    rtol, rate_rtol : float
        Positive tolerances.

    Returns
    -------
    WeightDecayCheck
    """
    C = check_symmetric("C", C)
    if not isinstance(flows, WeightDecayFlows):
        raise TypeError(
            f"flows: expected a WeightDecayFlows, got {type(flows).__name__}"
        )
    fit_from = check_scalar("fit_from", fit_from, min_val=0.0)
    rtol = check_tolerance("rtol", rtol)
    rate_rtol = check_tolerance("rate_rtol", rate_rtol)
    t, M0 = flows.t, flows.M0
    if M0.shape[0] != C.shape[0] or M0.shape[1] < 2:
        raise ValueError(f"flows: M0 of shape {M0.shape} does not fit C {C.shape}")
    late = t >= fit_from
    if late.sum() < 3:
        raise ValueError(f"fit_from: fewer than 3 sampled times >= {fit_from}")
    lam, U = np.linalg.eigh(C)
    if lam[1] - lam[0] <= CLUSTER * np.max(np.abs(lam)):
        raise ValueError("C: expected a simple smallest eigenvalue")
    n0 = np.linalg.norm(flows.plain, axis=(1, 2))
    resc, nerr, nbound = [], [], []
    T = float(t[-1])
    for beta, traj in zip(flows.betas, flows.regularised, strict=True):
        scaled = np.exp(2 * beta * t)[:, None, None] * traj
        resc.append(
            float(np.max(np.linalg.norm(scaled - flows.plain, axis=(1, 2)) / n0))
        )
        head = np.exp(-2 * (lam[0] + beta) * T) * np.linalg.norm(U[:, 0] @ M0)
        rest = np.exp(-2 * (lam[1] + beta) * T) * np.linalg.norm(M0)
        nT = float(np.linalg.norm(traj[-1]))
        nerr.append(abs(nT - head))
        nbound.append(float(rest + rtol * max(nT, head)))
    s = np.linalg.svd(flows.plain[late], compute_uv=False)
    fitted = -float(np.polyfit(t[late], np.log(s[:, 1] / s[:, 0]), 1)[0])
    predicted = 2.0 * float(lam[1] - lam[0])
    corr = float(np.exp(-2 * (lam[2] - lam[1]) * fit_from)) if lam.size > 2 else 0.0
    passed = (
        max(resc) <= rtol
        and abs(fitted / predicted - 1.0) <= rate_rtol
        and all(e <= b for e, b in zip(nerr, nbound, strict=True))
    )
    return WeightDecayCheck(
        tuple(resc), fitted, predicted, corr, tuple(nerr), tuple(nbound), bool(passed)
    )


# ------------------------------------------------- Check 4 and the break: limits


@dataclass(frozen=True, eq=False)
class LimitCheck:
    """Verdict of :func:`check_frobenius_limit`.

    Attributes
    ----------
    limit : ndarray, shape (d, z)
        The predicted limit :math:`M_\\infty`.
    distance : float
        :math:`\\|M_K - M_\\infty\\|_F`.
    bound : float
        Its bound after K steps (see :func:`check_frobenius_limit`).
    rate : float
        The contraction per step :math:`\\mu` of the bound.
    passed : bool
        ``distance <= bound + LIMIT_ROUNDING * (K + 1) * c``.
    """

    limit: np.ndarray
    distance: float
    bound: float
    rate: float
    passed: bool


def check_frobenius_limit(
    C: Any, M0: Any, run: Any, radius: float, lr: float | None = None
) -> LimitCheck:
    r"""Check a run of projected gradient descent on :math:`\|M\|_F\le c` against
    the limit the power method predicts, for any spectrum.

    Let E be the eigenspace of :math:`\lambda_1` (eigenvalues within
    ``CLUSTER`` (1e-10) times :math:`\|C\|_2` of it count as equal), :math:`P_E` its
    projector, :math:`a_j = 1 - 2\eta\lambda_j`, :math:`\eta\le1/(2\|C\|_2)`.

    - :math:`\lambda_1 < 0`: :math:`M_\infty = c\,P_EM_0/\|P_EM_0\|_F`, and
      :math:`\|M_K - M_\infty\|_F\le2c\,\mu^K\|M_0-P_EM_0\|_F/\|P_EM_0\|_F`
      with :math:`\mu = \max_{j\notin E}|a_j|/a_1`.
    - :math:`\lambda_1 \ge 0` (C positive semi-definite): the norm never grows,
      :math:`M_K = A^K\Pi_c(M_0)`, and with K the kernel of C (E if
      :math:`\lambda_1 = 0`, else empty) :math:`M_\infty = P_K\Pi_c(M_0)`,
      :math:`\|M_K - M_\infty\|_F\le\mu^K\|\Pi_c(M_0) - M_\infty\|_F` with
      :math:`\mu = \max_{j\notin K}|a_j|`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M0 : array_like, shape (d, z)
        The start of the run.
    run : ConstrainedResult
        The run judged (its final M and its number of steps K).
    radius : float
        The claimed radius c.
    lr : float or None
        The claimed step; None for :math:`1/(2\|C\|_2)`.

    Returns
    -------
    LimitCheck
    """
    C, M0 = _C_M0(C, M0)
    run = _run("run", run, C.shape[0])
    c = check_positive_float("radius", radius)
    eta = _step(C, lr)
    lam, U = np.linalg.eigh(C)
    scale = float(np.max(np.abs(lam)))
    if eta * 2 * scale > 1 + 1e-12:
        raise ValueError(f"lr: expected at most 1/(2||C||_2) = {0.5 / scale:.4g}")
    K = run.losses.size - 1
    a = 1.0 - 2.0 * eta * lam
    if lam[0] < -CLUSTER * scale:
        inE = lam - lam[0] <= CLUSTER * scale
        P = U[:, inE] @ U[:, inE].T
        head = P @ M0
        if np.linalg.norm(head) == 0.0:
            raise ValueError("M0: has no component in the eigenspace of lambda_1")
        limit = c * head / np.linalg.norm(head)
        mu = float(np.max(np.abs(a[~inE])) / a[0]) if (~inE).any() else 0.0
        ratio = np.linalg.norm(M0 - head) / np.linalg.norm(head)
        bound = 2.0 * c * mu**K * ratio
    else:
        ker = np.abs(lam) <= CLUSTER * scale
        P = U[:, ker] @ U[:, ker].T
        start = project_frobenius_ball(M0, c)
        limit = P @ start
        mu = float(np.max(np.abs(a[~ker]))) if (~ker).any() else 0.0
        bound = mu**K * float(np.linalg.norm(start - limit))
    distance = float(np.linalg.norm(run.M - limit))
    passed = distance <= bound + LIMIT_ROUNDING * (K + 1) * c
    return LimitCheck(limit, distance, float(bound), mu, bool(passed))
