r"""Minimising :math:`\operatorname{Tr}(M^\top C M)` under the norm constraints of
Propositions 2 and 3.

Four ways of keeping the loss of a linear embedding :math:`f(x) = M^\top x` bounded
below, for a symmetric C with ascending eigenvalues
:math:`\lambda_1\le\dots\le\lambda_d`:

- the Frobenius ball :math:`\|M\|_F \le c` (Proposition 2), or its two-layer form
  :math:`\|W\|_F \le c_1`, :math:`\|V\|_F \le c_2`;
- the operator-norm ball :math:`\|M\|_2 \le 1` (Proposition 3, problem 2), or its
  two-layer form :math:`\|W\|_2 \le 1`, :math:`\|V\|_2 \le 1` (problem 3);
- orthonormal columns (problem 4; solved by :func:`ssl_notes.training.projected_gd`);
- the scaled loss :math:`g(M) = \operatorname{Tr}(M^\top C M)/\|M\|_2^2` (problem 1).

The solvers are projected gradient descent with the projections of
:mod:`ssl_notes.manifold`, and a normalised subgradient method for the scaled loss.
:func:`trace_minimum` gives the optimal values derived in the book, to test them
against. :func:`factored_flow` integrates the gradient flow of the plain and the
scaled loss of the two-layer network :math:`M = WV` (Example 1); time convention of
:mod:`ssl_notes.dynamics` (learning rate absorbed into time).

Why the module is longer than 400 lines: about half of it is docstrings, which
carry the derivation of each step size and gradient; the four constrained problems
and the factored flow are one idea (what keeps the trace loss bounded below) and
share their checks and gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import (
    as_array,
    as_matrix,
    check_choice,
    check_flag,
    check_positive_float,
    check_positive_int,
    check_symmetric,
    check_times,
    check_tolerance,
)
from .manifold import project_frobenius_ball, project_operator_ball

__all__ = [
    "trace_minimum",
    "scaled_loss",
    "scaled_loss_subgradient",
    "ConstrainedResult",
    "projected_gd_trace",
    "projected_gd_factored",
    "subgradient_scaled",
    "factored_loss",
    "factored_gradient",
    "FlowResult",
    "factored_flow",
    "MAX_FLOW_EVALUATIONS",
]

_BALLS = {"frobenius": project_frobenius_ball, "operator": project_operator_ball}
_LOSSES = ("plain", "scaled")
#: Work bound of :func:`factored_flow`, in right-hand-side evaluations: 2.5 times
#: what the longest run of the Example 1 chapter needs (a few seconds for small
#: matrices); a run that needs more raises a ValueError naming ``t``.
MAX_FLOW_EVALUATIONS = 250_000


def _check_C_M(C: Any, M: Any, name: str = "M") -> tuple[np.ndarray, np.ndarray]:
    C = check_symmetric("C", C)
    M = as_matrix(name, M)
    if M.shape[0] != C.shape[0]:
        raise ValueError(
            f"{name}: expected {C.shape[0]} rows to match C {C.shape}, "
            f"got shape {M.shape}"
        )
    return C, M


def _check_C_W_V(
    C: Any, W: Any, V: Any, wname: str, vname: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    C, W = _check_C_M(C, W, wname)
    V = as_matrix(vname, V)
    if V.shape[0] != W.shape[1]:
        raise ValueError(
            f"{vname}: expected {W.shape[1]} rows to match {wname} {W.shape}, "
            f"got shape {V.shape}"
        )
    return C, W, V


def _check_radii(radii: Any) -> tuple[float, float]:
    """Two positive radii, from a pair of numbers or a real array of length 2."""
    if isinstance(radii, np.ndarray):
        radii = as_array("radii", radii, ndim=1)
    if isinstance(radii, (str, bytes)) or np.ndim(radii) != 1 or len(radii) != 2:
        raise TypeError(f"radii: expected a pair of positive numbers, got {radii!r}")
    return (
        check_positive_float("radii[0]", radii[0]),
        check_positive_float("radii[1]", radii[1]),
    )


def _spectral_norm(C: np.ndarray) -> float:
    """:math:`\\|C\\|_2` of a symmetric matrix, from its eigenvalues."""
    return float(np.max(np.abs(np.linalg.eigvalsh(C))))


def _default_step(C: np.ndarray, factor: float = 1.0) -> float:
    """The step 1/L with L = 2 ||C||_2 * factor; any step will do for C = 0."""
    norm = _spectral_norm(C)
    return 1.0 if norm == 0.0 else 1.0 / (2.0 * norm * factor)


def trace_minimum(C: Any, z: int, constraint: str, radius: float = 1.0) -> float:
    r"""Closed-form minimum of :math:`\operatorname{Tr}(M^\top C M)` over
    :math:`M\in\mathbb{R}^{d\times z}`.

    With the ascending eigenvalues :math:`\lambda_1\le\dots\le\lambda_d` of C and
    :math:`a_- = \min(a, 0)`:

    - ``"frobenius"``, :math:`\|M\|_F\le r`: :math:`r^2 (\lambda_1)_-`
      (Proposition 2);
    - ``"operator"``, :math:`\|M\|_2\le r`: :math:`r^2\sum_{k\le z}(\lambda_k)_-`
      (Proposition 3, problems 2 and 3);
    - ``"orthonormal"``, :math:`M^\top M = I_z`: :math:`\sum_{k\le z}\lambda_k`
      (Ky Fan; problem 4, needs z <= d, ``radius`` must be 1);
    - ``"scaled"``, :math:`\inf_{M\ne0}\operatorname{Tr}(M^\top CM)/\|M\|_2^2`:
      :math:`\sum_{k\le z}(\lambda_k)_-` if :math:`\lambda_1 < 0`, else
      :math:`\lambda_1` (problem 1; ``radius`` must be 1).

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    z : int
        Number of columns of M.
    constraint : {"frobenius", "operator", "orthonormal", "scaled"}
    radius : float
        Positive radius r of the ball.

    Returns
    -------
    float
    """
    constraint = check_choice(
        "constraint", constraint, ("frobenius", "operator", "orthonormal", "scaled")
    )
    C = check_symmetric("C", C)
    z = check_positive_int("z", z)
    r = check_positive_float("radius", radius)
    lam = np.linalg.eigvalsh(C)
    negative_sum = float(np.sum(np.minimum(lam[: min(z, lam.size)], 0.0)))
    if constraint == "frobenius":
        return r**2 * min(float(lam[0]), 0.0)
    if constraint == "operator":
        return r**2 * negative_sum
    if r != 1.0:
        raise ValueError(
            f"radius: the {constraint!r} problem has no radius (expected 1), "
            f"got {radius!r}"
        )
    if constraint == "orthonormal":
        if z > lam.size:
            raise ValueError(
                f"z: orthonormal columns need z <= d = {lam.size}, got z = {z}"
            )
        return float(np.sum(lam[:z]))
    return negative_sum if lam[0] < 0 else float(lam[0])


def scaled_loss(C: Any, M: Any) -> float:
    r"""The scaled loss of problem 1,
    :math:`g(M) = \operatorname{Tr}(M^\top CM)/\|M\|_2^2`, M != 0.

    It is 0-homogeneous: :math:`g(\alpha M) = g(M)` for every :math:`\alpha\ne0`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M : array_like, shape (d, z)
        Non-zero.
    """
    C, M = _check_C_M(C, M)
    s1 = float(np.linalg.norm(M, 2))
    if s1 == 0.0:
        raise ValueError("M: the scaled loss is not defined at M = 0")
    return float(np.sum(M * (C @ M))) / s1**2


def scaled_loss_subgradient(C: Any, M: Any) -> np.ndarray:
    r"""A subgradient of the scaled loss
    :math:`g(M) = \operatorname{Tr}(M^\top CM)/\sigma_1(M)^2`.

    Where the top singular value :math:`\sigma_1` is simple, with singular vectors
    :math:`p_1, q_1`, g is differentiable and, from
    :math:`\nabla\sigma_1^2 = 2\sigma_1 p_1 q_1^\top`,

    .. math::

        \nabla g(M) = \frac{2}{\sigma_1^2}\big(CM - g(M)\,\sigma_1\, p_1 q_1^\top\big).

    Where :math:`\sigma_1` is repeated (as at every minimiser of problem 1 with
    z >= 2) g is not differentiable; the formula, with the pair returned by the SVD,
    is then one element of the Clarke subdifferential. Note
    :math:`\langle\nabla g, M\rangle = 0` (0-homogeneity).

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M : array_like, shape (d, z)
        Non-zero.

    Returns
    -------
    ndarray, shape (d, z)
    """
    C, M = _check_C_M(C, M)
    return _scaled_gradient(C, M, 2.0)


@dataclass
class ConstrainedResult:
    """Result of the solvers of this module.

    Attributes
    ----------
    M : ndarray, shape (d, z)
        The final end-to-end matrix.
    losses : ndarray, shape (steps + 1,)
        The objective before each step and at the end
        (:math:`\\operatorname{Tr}(M^\\top CM)`, or the scaled loss for
        :func:`subgradient_scaled`).
    singular_values : ndarray, shape (steps + 1, z)
        Descending singular values of each :math:`M_k`.
    W, V : ndarray or None
        The final factors (two-layer solvers only).
    trajectory : ndarray, shape (steps + 1, d, z), or None
        Every :math:`M_k`, only with ``record=True``.
    """

    M: np.ndarray
    losses: np.ndarray
    singular_values: np.ndarray
    W: np.ndarray | None = None
    V: np.ndarray | None = None
    trajectory: np.ndarray | None = None


def projected_gd_trace(
    C: Any,
    M0: Any,
    constraint: str,
    radius: float = 1.0,
    lr: float | None = None,
    steps: int = 1000,
    record: bool = False,
) -> ConstrainedResult:
    r"""Projected gradient descent on :math:`\operatorname{Tr}(M^\top CM)` over a
    norm ball.

    .. math:: M_{k+1} = \Pi\big(M_k - 2\eta\, C M_k\big),

    with :math:`\Pi` :func:`~ssl_notes.manifold.project_frobenius_ball` or
    :func:`~ssl_notes.manifold.project_operator_ball`. The gradient :math:`2CM` is
    :math:`2\|C\|_2`-Lipschitz; the default step :math:`\eta = 1/(2\|C\|_2)` is the
    classical :math:`1/L`, for which the loss never increases.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M0 : array_like, shape (d, z)
        The start (projected first if outside the ball).
    constraint : {"frobenius", "operator"}
    radius : float
        The radius of the ball, positive.
    lr : float or None
        The step :math:`\eta`, positive; None for :math:`1/(2\|C\|_2)`.
    steps : int
        Number of steps, positive.
    record : bool
        Keep every :math:`M_k`.
    """
    C, M = _check_C_M(C, M0, "M0")
    project = _BALLS[check_choice("constraint", constraint, tuple(_BALLS))]
    radius = check_positive_float("radius", radius)
    lr = check_positive_float("lr", lr, allow_none=True)
    eta = _default_step(C) if lr is None else lr
    steps = check_positive_int("steps", steps)
    record = check_flag("record", record)
    M = project(M, radius)
    losses = np.empty(steps + 1)
    svals = np.empty((steps + 1, M.shape[1]))
    traj = np.empty((steps + 1,) + M.shape) if record else None
    for k in range(steps + 1):
        CM = C @ M
        losses[k] = np.sum(M * CM)
        svals[k] = np.linalg.svd(M, compute_uv=False)
        if record:
            traj[k] = M
        if k < steps:
            M = project(M - 2.0 * eta * CM, radius)
    return ConstrainedResult(M, losses, svals, trajectory=traj)


def factored_loss(C: Any, W: Any, V: Any) -> float:
    r""":math:`\operatorname{Tr}(V^\top W^\top C W V)`, the loss of the two-layer
    linear network.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    W : array_like, shape (d, h)
    V : array_like, shape (h, z)
    """
    C, W, V = _check_C_W_V(C, W, V, "W", "V")
    M = W @ V
    return float(np.sum(M * (C @ M)))


def _scaled_gradient(C: np.ndarray, M: np.ndarray, power: float) -> np.ndarray:
    """(Sub)gradient of Tr(M^T C M) / ||M||_2^power, see :func:`factored_gradient`."""
    U, s, Pt = np.linalg.svd(M, full_matrices=False)
    if s[0] == 0.0:
        raise ValueError("M: the scaled loss is not defined at M = 0")
    CM = C @ M
    N = float(np.sum(M * CM))
    return (2.0 * CM - power * (N / s[0]) * np.outer(U[:, 0], Pt[0])) / s[0] ** power


def _gradient_M(C: np.ndarray, M: np.ndarray, loss: str, power: float) -> np.ndarray:
    return 2.0 * (C @ M) if loss == "plain" else _scaled_gradient(C, M, power)


def factored_gradient(
    C: Any, W: Any, V: Any, loss: str = "plain", power: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradients in (W, V) of the plain or the scaled loss of :math:`M = WV`.

    For a loss :math:`\ell(M)` of the product, the chain rule gives
    :math:`\nabla_W = G V^\top`, :math:`\nabla_V = W^\top G` with
    :math:`G = \nabla_M\ell`:

    - ``"plain"``, :math:`\ell = \operatorname{Tr}(M^\top CM)`, :math:`G = 2CM`;
    - ``"scaled"``, :math:`\ell = \operatorname{Tr}(M^\top CM)/\|M\|_2^p` with
      ``power`` = p,
      :math:`G = \sigma_1^{-p}\big(2CM - p\,\tfrac{\operatorname{Tr}(M^\top CM)}
      {\sigma_1}\,p_1q_1^\top\big)` (a subgradient where :math:`\sigma_1` is
      repeated).

    The default p = 2 is problem 1 (:func:`scaled_loss_subgradient`); p = 1 is the
    1-homogeneous variant, unbounded below when :math:`\lambda_1 < 0`.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    W : array_like, shape (d, h)
    V : array_like, shape (h, z)
    loss : {"plain", "scaled"}
    power : float
        The exponent p of the scaled loss, positive.

    Returns
    -------
    grad_W : ndarray, shape (d, h)
    grad_V : ndarray, shape (h, z)
    """
    C, W, V = _check_C_W_V(C, W, V, "W", "V")
    loss = check_choice("loss", loss, _LOSSES)
    power = check_positive_float("power", power)
    G = _gradient_M(C, W @ V, loss, power)
    return G @ V.T, W.T @ G


def projected_gd_factored(
    C: Any,
    W0: Any,
    V0: Any,
    constraint: str,
    radii: tuple[float, float] = (1.0, 1.0),
    lr: float | None = None,
    steps: int = 1000,
    record: bool = False,
) -> ConstrainedResult:
    r"""Projected gradient descent on :math:`\operatorname{Tr}(V^\top W^\top CWV)`
    over two balls.

    .. math::

        W_{k+1} &= \Pi_{r_W}\big(W_k - 2\eta\, C M_k V_k^\top\big), \\
        V_{k+1} &= \Pi_{r_V}\big(V_k - 2\eta\, W_k^\top C M_k\big),
        \qquad M_k = W_kV_k,

    both gradients evaluated at :math:`(W_k, V_k)`, with the Frobenius or the
    operator-norm ball of radii ``radii`` = :math:`(r_W, r_V)`. The second-order
    term of the loss at a feasible point in a direction (A, B) is
    :math:`2\langle CM, AB\rangle + \langle AV + WB, C(AV + WB)\rangle`, at most
    :math:`\|C\|_2(r_Wr_V + 2\max(r_W, r_V)^2)(\|A\|_F^2 + \|B\|_F^2)` (both balls
    bound the operator norms), so the gradient is Lipschitz on the (convex)
    feasible set with :math:`L = 2\|C\|_2(r_Wr_V + 2\max(r_W, r_V)^2)`; the default
    step is :math:`1/L`, for which the loss never increases. (The
    orthonormal-columns problem is :func:`ssl_notes.training.projected_gd`.)

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    W0 : array_like, shape (d, h)
    V0 : array_like, shape (h, z)
    constraint : {"frobenius", "operator"}
    radii : (float, float)
        Positive radii :math:`(r_W, r_V)`.
    lr : float or None
        The step :math:`\eta`, positive; None for :math:`1/L`.
    steps : int
        Number of steps, positive.
    record : bool
        Keep every :math:`M_k = W_kV_k`.
    """
    C, W, V = _check_C_W_V(C, W0, V0, "W0", "V0")
    project = _BALLS[check_choice("constraint", constraint, tuple(_BALLS))]
    rW, rV = _check_radii(radii)
    lr = check_positive_float("lr", lr, allow_none=True)
    eta = _default_step(C, rW * rV + 2.0 * max(rW, rV) ** 2) if lr is None else lr
    steps = check_positive_int("steps", steps)
    record = check_flag("record", record)
    W, V = project(W, rW), project(V, rV)
    losses = np.empty(steps + 1)
    svals = np.empty((steps + 1, V.shape[1]))
    traj = np.empty((steps + 1, W.shape[0], V.shape[1])) if record else None
    for k in range(steps + 1):
        M = W @ V
        G = 2.0 * (C @ M)
        losses[k] = 0.5 * np.sum(M * G)
        svals[k] = np.linalg.svd(M, compute_uv=False)
        if record:
            traj[k] = M
        if k < steps:
            W, V = project(W - eta * G @ V.T, rW), project(V - eta * W.T @ G, rV)
    return ConstrainedResult(W @ V, losses, svals, W, V, traj)


def subgradient_scaled(
    C: Any, M0: Any, lr0: float, steps: int = 1000, record: bool = False
) -> ConstrainedResult:
    r"""Normalised subgradient descent on the scaled loss of problem 1.

    .. math::

        M_{k+1} = \frac{Y_{k+1}}{\|Y_{k+1}\|_2},\qquad
        Y_{k+1} = M_k - \frac{\eta_0}{\sqrt{k+1}}\,\partial g(M_k),

    with the subgradient of :func:`scaled_loss_subgradient`. Dividing by the
    operator norm does not change g (0-homogeneity) and keeps the step meaningful
    (the gradient of g scales like :math:`1/\|M\|`); the steps
    :math:`\eta_0/\sqrt{k+1}` are the classical diminishing steps of the
    subgradient method, which needs them because g is not differentiable where
    :math:`\sigma_1(M)` is repeated.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    M0 : array_like, shape (d, z)
        Non-zero start.
    lr0 : float
        The first step :math:`\eta_0`, positive (the gradient at
        :math:`\|M\|_2 = 1` is of order :math:`\|C\|_2`, so :math:`\eta_0` of
        order :math:`1/\|C\|_2`).
    steps : int
        Number of steps, positive.
    record : bool
        Keep every :math:`M_k`.

    Returns
    -------
    ConstrainedResult
        With ``losses`` the scaled loss :math:`g(M_k)`.
    """
    C, M = _check_C_M(C, M0, "M0")
    lr0 = check_positive_float("lr0", lr0)
    steps = check_positive_int("steps", steps)
    record = check_flag("record", record)
    s0 = float(np.linalg.norm(M, 2))
    if s0 == 0.0:
        raise ValueError("M0: the scaled loss is not defined at M = 0")
    M = M / s0
    losses = np.empty(steps + 1)
    svals = np.empty((steps + 1, M.shape[1]))
    traj = np.empty((steps + 1,) + M.shape) if record else None
    for k in range(steps + 1):
        U, s, Pt = np.linalg.svd(M, full_matrices=False)
        CM = C @ M
        g = float(np.sum(M * CM)) / s[0] ** 2
        losses[k], svals[k] = g, s
        if record:
            traj[k] = M
        if k < steps:
            G = (2.0 / s[0] ** 2) * (CM - g * s[0] * np.outer(U[:, 0], Pt[0]))
            Y = M - lr0 / np.sqrt(k + 1.0) * G
            M = Y / np.linalg.norm(Y, 2)
    return ConstrainedResult(M, losses, svals, trajectory=traj)


@dataclass
class FlowResult:
    """Result of :func:`factored_flow`.

    Attributes
    ----------
    t : ndarray, shape (T,)
        The sampled times (the run may stop early, see ``stopped``).
    W : ndarray, shape (T, d, h)
    V : ndarray, shape (T, h, z)
    stopped : bool
        Whether the run stopped because :math:`\\|M\\|_F` reached ``max_norm``.
    """

    t: np.ndarray
    W: np.ndarray
    V: np.ndarray
    stopped: bool

    @property
    def M(self) -> np.ndarray:
        """The end-to-end matrices :math:`W(t)V(t)`, shape (T, d, z)."""
        return self.W @ self.V


def _check_max_norm(max_norm: Any) -> float:
    if isinstance(max_norm, (float, np.floating)) and max_norm == np.inf:
        return np.inf
    return check_positive_float("max_norm", max_norm)


def factored_flow(
    C: Any,
    W0: Any,
    V0: Any,
    t: Any,
    loss: str = "plain",
    power: float = 2.0,
    max_norm: float = np.inf,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> FlowResult:
    r"""Gradient flow of the two-layer linear network,
    :math:`\dot W = -\nabla_W\ell`, :math:`\dot V = -\nabla_V\ell`.

    ``loss="plain"``: :math:`\ell = \operatorname{Tr}(V^\top W^\top CWV)`;
    ``loss="scaled"``: :math:`\ell = \operatorname{Tr}(M^\top CM)/\|M\|_2^p` with
    M = WV and p = ``power`` (see :func:`factored_gradient`). Integrated by scipy's
    DOP853 (an explicit Runge--Kutta method of order 8 with error control) at
    tolerances ``rtol``, ``atol``. The plain flow can blow up in finite time; the
    run stops when :math:`\|M\|_F` reaches ``max_norm``. The work is bounded: a run
    that needs more than :data:`MAX_FLOW_EVALUATIONS` evaluations of the
    right-hand side, or that blows up before ``t`` without ``max_norm``, raises a
    ``ValueError`` naming ``t``.

    Parameters
    ----------
    C : array_like, shape (d, d)
        Symmetric.
    W0 : array_like, shape (d, h)
    V0 : array_like, shape (h, z)
    t : float or array_like
        A final time T > 0 (the solution is returned at the solver's own steps,
        which crowd where the solution changes fast, e.g. before a blow-up), or
        increasing sampling times starting at 0.
    loss : {"plain", "scaled"}
    power : float
        The exponent p of the scaled loss, positive.
    max_norm : float
        Positive, or ``numpy.inf`` for no limit.
    rtol, atol : float
        Solver tolerances, positive.

    Returns
    -------
    FlowResult
    """
    from scipy.integrate import solve_ivp

    C, W0, V0 = _check_C_W_V(C, W0, V0, "W0", "V0")
    loss = check_choice("loss", loss, _LOSSES)
    power = check_positive_float("power", power)
    max_norm = _check_max_norm(max_norm)
    rtol, atol = check_tolerance("rtol", rtol), check_tolerance("atol", atol)
    ts, scalar = check_times(t)
    if scalar:
        if ts[0] <= 0:
            raise ValueError(f"t: expected a positive final time, got {t!r}")
        T, t_eval = float(ts[0]), None
    else:
        if ts[0] != 0 or np.any(np.diff(ts) <= 0):
            raise ValueError("t: expected increasing times starting at 0")
        T, t_eval = float(ts[-1]), ts
    (d, h), z = W0.shape, V0.shape[1]
    nW = d * h
    evaluations = [0]
    blown_up = (
        f"t: the flow overflowed before t = {T:.4g}; the plain flow (and the scaled "
        "one with power < 2) can blow up: pass max_norm to stop there"
    )

    def rhs(_, y):
        evaluations[0] += 1
        if evaluations[0] > MAX_FLOW_EVALUATIONS:
            raise ValueError(
                f"t: t = {T:.4g} needs more than {MAX_FLOW_EVALUATIONS} evaluations "
                "of the flow at these tolerances; use a shorter t, larger rtol/atol, "
                "or max_norm to stop a blow-up"
            )
        if not np.all(np.isfinite(y)):
            raise ValueError(blown_up)
        W, V = y[:nW].reshape(d, h), y[nW:].reshape(h, z)
        try:
            G = _gradient_M(C, W @ V, loss, power)
        except np.linalg.LinAlgError as exc:
            raise ValueError(blown_up) from exc
        return -np.concatenate([(G @ V.T).ravel(), (W.T @ G).ravel()])

    def too_big(_, y):
        return np.linalg.norm(y[:nW].reshape(d, h) @ y[nW:].reshape(h, z)) - max_norm

    too_big.terminal = True
    y0 = np.concatenate([W0.ravel(), V0.ravel()])
    events = [too_big] if np.isfinite(max_norm) else None
    with np.errstate(over="ignore", invalid="ignore"):
        sol = solve_ivp(
            rhs,
            (0.0, T),
            y0,
            "DOP853",
            t_eval=t_eval,
            rtol=rtol,
            atol=atol,
            events=events,
        )
    if sol.status == -1 or not np.all(np.isfinite(sol.y)):
        raise ValueError(
            f"t: the flow could not be integrated up to t = {T:.4g} ({sol.message}); "
            "the plain flow blows up in finite time: pass max_norm to stop there"
        )
    Y = sol.y.T
    stopped = sol.status == 1
    tt = sol.t
    if stopped and (tt.size == 0 or tt[-1] < sol.t_events[0][0]):
        # keep the event point as the last sample
        tt = np.append(tt, sol.t_events[0][0])
        Y = np.vstack([Y, sol.y_events[0][0]])
    W, V = Y[:, :nW].reshape(-1, d, h), Y[:, nW:].reshape(-1, h, z)
    return FlowResult(tt, W, V, bool(stopped))
