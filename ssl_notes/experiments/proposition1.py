r"""Machinery of the chapter *Proposition 1 (the unconstrained dynamics collapse)*
(``book/proposition1.py``).

The chapter checks, in this order: the output dynamics (4) and (5) against autograd
(:func:`output_velocity_check`), items 1 and 2 for the linear model
(:func:`linear_model_check`), the first order in :math:`\eta` of gradient descent
against the flow :math:`\exp(-2\eta Ct)W(0)` (:func:`order_check`), the bands and the
rate of collapse of :math:`\sigma_2/\sigma_1` (:func:`collapse_run`,
:func:`band_check`, :func:`rate_check`), the collapse of nonlinear models
(:func:`train_embedding`), the fixed projector of Remark 3 (:func:`projector_check`)
and the minimisers of the spectral contrastive loss (:func:`spectral_targets`).

Every check returns a frozen dataclass whose ``passed`` says whether the claim held;
the claim being checked (a rate, an order, a factor) is an argument, so a wrong claim
makes the check fail (``tests/experiments/test_chapter_proposition1.py``).

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import (
    as_array,
    as_matrix,
    check_choice,
    check_flag,
    check_nonnegative_int,
    check_positive_int,
    check_scalar,
    check_symmetric,
    check_tolerance,
)

__all__ = [
    "lift_quadratic",
    "VelocityCheck",
    "output_velocity_check",
    "LinearCheck",
    "linear_model_check",
    "loss_matrix",
    "train_linear",
    "gd_recursion",
    "linear_flow",
    "OrderCheck",
    "order_check",
    "CollapseRun",
    "collapse_run",
    "BandCheck",
    "band_check",
    "RateCheck",
    "rate_check",
    "seeded_model",
    "TrainRun",
    "train_embedding",
    "ProjectorCheck",
    "projector_check",
    "spectral_targets",
]

#: Unit round-off of float64.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps / 2)
LOSSES = ("contrastive", "noncontrastive")
#: exp(x) overflows float64 beyond this argument.
_EXP_MAX = 700.0


# ------------------------------------------------------------------------- helpers


def _points(names: tuple[str, ...], *arrays: Any, d: int | None = None):
    """2-D finite float arrays with a common number of columns (and rows)."""
    out = [
        as_matrix(name, A).astype(float) for name, A in zip(names, arrays, strict=True)
    ]
    for name, A in zip(names, out, strict=True):
        if A.shape[0] == 0:
            raise ValueError(f"{name}: expected at least one point, got {A.shape}")
        ref = d if d is not None else out[0].shape[1]
        if A.shape[1] != ref:
            raise ValueError(f"{name}: expected {ref} columns, got shape {A.shape}")
    n = out[0].shape[0]
    for name, A in zip(names[1:], out[1:], strict=True):
        if name != "X_eval" and A.shape[0] != n:
            raise ValueError(f"{name}: expected {n} rows like X, got shape {A.shape}")
    return out


def _C_W0(C: Any, W0: Any) -> tuple[np.ndarray, np.ndarray]:
    C = check_symmetric("C", C)
    W0 = as_matrix("W0", W0).astype(float)
    if W0.shape[0] != C.shape[0]:
        raise ValueError(f"W0: expected {C.shape[0]} rows like C, got shape {W0.shape}")
    return C.astype(float), W0


def _eta(eta: Any) -> float:
    return check_scalar("eta", eta, min_val=0.0, include_min=False)


def _module(name: str, model: Any):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"{name}: expected a torch.nn.Module, got {type(model).__name__}"
        )
    params = list(model.parameters())
    if not params:
        raise ValueError(f"{name}: has no parameters to train")
    return params[0]


def _input_dim(model: Any) -> int | None:
    for attr in ("d", "in_features"):
        v = getattr(model, attr, None)
        if isinstance(v, (int, np.integer)):
            return int(v)
    return None


def _loss_fn(model, loss: str, A: list):
    from .. import losses

    if loss == "contrastive":
        return lambda: losses.contrastive_loss(model, *A)
    if loss == "noncontrastive":
        return lambda: losses.noncontrastive_loss(model, A[0], A[1])
    return lambda: losses.spectral_contrastive_loss(model, A[0], A[1])


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b| (0 when both vanish)."""
    scale = float(np.max(np.abs(b)))
    diff = float(np.max(np.abs(a - b)))
    return diff / scale if scale > 0 else diff


def lift_quadratic(X: Any) -> np.ndarray:
    r"""Quadratic lift of planar points to :math:`d = 5`.

    .. math:: (x_1, x_2) \mapsto (x_1, x_2, x_1^2, x_1x_2, x_2^2).

    Parameters
    ----------
    X : array_like, shape (n, 2)

    Returns
    -------
    numpy.ndarray, shape (n, 5)
    """
    X = as_matrix("X", X).astype(float)
    if X.shape[1] != 2:
        raise ValueError(f"X: expected shape (n, 2), got {X.shape}")
    x1, x2 = X.T
    return np.column_stack([x1, x2, x1**2, x1 * x2, x2**2])


def loss_matrix(X: Any, X_pos: Any, X_neg: Any = None, loss: str = "contrastive"):
    r"""The data matrix C of eq. (7): :math:`L(W) = \operatorname{Tr}(W^\top CW)`.

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives, negatives (``X_neg`` unused, may be None, for
        ``loss="noncontrastive"``).
    loss : {"contrastive", "noncontrastive"}

    Returns
    -------
    numpy.ndarray, shape (d, d), symmetric
    """
    from .. import losses

    loss = check_choice("loss", loss, LOSSES)
    if loss == "noncontrastive":
        X, X_pos = _points(("X", "X_pos"), X, X_pos)
        return losses.noncontrastive_matrix(X, X_pos)
    if X_neg is None:
        raise ValueError("X_neg: the contrastive loss needs negatives, got None")
    X, X_pos, X_neg = _points(("X", "X_pos", "X_neg"), X, X_pos, X_neg)
    return losses.contrastive_matrix(X, X_pos, X_neg)


# ------------------------------------------------------- the output dynamics (4), (5)


@dataclass(frozen=True)
class VelocityCheck:
    """Autograd's :math:`\\frac{d}{dt}f(x)` against the kernel formula (4) or (5)."""

    loss: str
    error: float  #: largest difference autograd - formula, relative to the formula
    tol: float

    @property
    def passed(self) -> bool:
        return bool(self.error <= self.tol)


def output_velocity_check(
    net: Any,
    loss: str,
    X: Any,
    X_pos: Any,
    X_neg: Any,
    X_eval: Any,
    eta: float,
    diagonal_only: bool = False,
    tol: float = 1e-12,
) -> VelocityCheck:
    r"""Check eq. (4) (``loss="noncontrastive"``) or (5) (``"contrastive"``).

    The left side :math:`\frac{d}{dt}f_k(x)` is the Jacobian-vector product of
    :math:`f(x)` along :math:`\dot\Theta = -\eta\nabla_\Theta L`; the right side is
    assembled from the tangent-kernel blocks
    :math:`\Theta_{kl}(x, x') = \langle\nabla f_k(x), \nabla f_l(x')\rangle`:

    .. math::
        \frac{d}{dt}f_k(x) = \frac\eta n\sum_{i,l}\Big[
        &\Theta_{kl}(x, x_i)\big(f_l(x_i^+) - f_l(x_i^-)\big)\\
        &+ \big(\Theta_{kl}(x, x_i^+) - \Theta_{kl}(x, x_i^-)\big)f_l(x_i)\Big]

    for (5); (4) drops the terms with :math:`x_i^-`.

    Parameters
    ----------
    net : torch.nn.Module
        Any differentiable model :math:`\mathbb{R}^d \to \mathbb{R}^z`.
    loss : {"contrastive", "noncontrastive"}
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives, negatives (``X_neg`` unused for (4)).
    X_eval : array_like, shape (m, d)
        The inputs x at which the velocity is compared.
    eta : float > 0
    diagonal_only : bool
        Keep only the blocks :math:`l = k` in the formula (the conclusion of
        Lemma 1): exact for linear and kernel models, an approximation for
        networks, so the check then fails for a narrow network.
    tol : float > 0

    Returns
    -------
    VelocityCheck
    """
    import torch
    from torch.func import functional_call, jvp

    from .. import ntk

    ref = _module("net", net)
    loss = check_choice("loss", loss, LOSSES)
    eta = _eta(eta)
    diagonal_only = check_flag("diagonal_only", diagonal_only)
    tol = check_tolerance("tol", tol)
    A = _points(
        ("X", "X_pos", "X_neg", "X_eval"), X, X_pos, X_neg, X_eval, d=_input_dim(net)
    )
    T = [torch.as_tensor(M, dtype=ref.dtype, device=ref.device) for M in A]
    with torch.no_grad():
        F, Fp, Fn = (net(M).detach().cpu().numpy().reshape(len(M), -1) for M in T[:3])
    K = [ntk.empirical_ntk(net, A[3], M) for M in A[:3]]  # (m, n, z, z) each
    if diagonal_only:
        eye = np.eye(F.shape[1])
        K = [Kb * eye for Kb in K]
    Fo = Fp - Fn if loss == "contrastive" else Fp
    Kx = K[1] - K[2] if loss == "contrastive" else K[1]
    n = A[0].shape[0]
    rhs = (
        eta / n * (np.einsum("aikl,il->ak", K[0], Fo) + np.einsum("aikl,il->ak", Kx, F))
    )
    params = {k: v.detach() for k, v in net.named_parameters()}
    live = [p for p in net.parameters()]
    grads = torch.autograd.grad(_loss_fn(net, loss, T[:3])(), live)
    vel = {k: -eta * g for k, g in zip(params, grads, strict=True)}
    _, lhs = jvp(lambda p: functional_call(net, p, (T[3],)), (params,), (vel,))
    lhs = lhs.detach().cpu().numpy().reshape(rhs.shape)
    return VelocityCheck(loss, _rel(lhs, rhs), tol)


@dataclass(frozen=True)
class LinearCheck:
    """Items 1 and 2 of Proposition 1 for :math:`f(x) = W^\\top x`."""

    item1_error: float  #: autograd velocity vs the per-component equation (item 1)
    item2_error: float  #: autograd gradient vs factor * C W (item 2)
    tol: float

    @property
    def passed(self) -> bool:
        return bool(max(self.item1_error, self.item2_error) <= self.tol)


def linear_model_check(
    W: Any,
    X: Any,
    X_pos: Any,
    X_neg: Any,
    X_eval: Any,
    eta: float,
    factor: float = 2.0,
    tol: float = 1e-12,
) -> LinearCheck:
    r"""Check items 1 and 2 for the linear model and the contrastive loss (1).

    Item 1: with :math:`K(x, x') = x^\top x'`, every column obeys
    :math:`\frac{d}{dt}f(x) = \frac\eta n\sum_i[K(x, x_i)(f(x_i^+) - f(x_i^-)) +
    (K(x, x_i^+) - K(x, x_i^-))f(x_i)]`. Item 2: :math:`\nabla_W L = 2CW` with C
    of eq. (7).

    Parameters
    ----------
    W : array_like, shape (d, z)
    X, X_pos, X_neg : array_like, shape (n, d)
    X_eval : array_like, shape (m, d)
    eta : float > 0
    factor : float
        The claimed factor in :math:`\nabla_W L = \text{factor}\cdot CW` (2 is
        the true one; another value makes ``item2_error`` large).
    tol : float > 0

    Returns
    -------
    LinearCheck
    """
    import torch

    from .. import losses, ntk

    W = as_matrix("W", W).astype(float)
    names = ("X", "X_pos", "X_neg", "X_eval")
    X, X_pos, X_neg, X_eval = _points(names, X, X_pos, X_neg, X_eval, d=W.shape[0])
    eta = _eta(eta)
    factor = check_scalar("factor", factor)
    tol = check_tolerance("tol", tol)
    lin = ntk.feature_model(W)
    T = [torch.as_tensor(M) for M in (X, X_pos, X_neg)]
    G = torch.autograd.grad(losses.contrastive_loss(lin, *T), [lin.W])[0].numpy()
    lhs = X_eval @ (-eta * G)  # d/dt f(x) = (dW/dt)^T x
    F, Fp, Fn = X @ W, X_pos @ W, X_neg @ W
    n = X.shape[0]
    rhs = eta / n * ((X_eval @ X.T) @ (Fp - Fn) + (X_eval @ (X_pos - X_neg).T) @ F)
    CW = factor * losses.contrastive_matrix(X, X_pos, X_neg) @ W
    return LinearCheck(_rel(lhs, rhs), _rel(G, CW), tol)


# ------------------------------------------------------ gradient descent and the flow


def train_linear(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    W0: Any,
    lr: float,
    steps: int,
    loss: str = "contrastive",
) -> np.ndarray:
    r"""Plain gradient descent on :math:`f(x) = W^\top x`, autograd on the loss.

    :math:`W_{t+1} = W_t - \eta\nabla_W L(W_t)` with L the loss (1) or (2) itself
    (not the formula :math:`2CW`).

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
        ``X_neg`` may be None for ``loss="noncontrastive"``.
    W0 : array_like, shape (d, z)
    lr : float > 0
        The learning rate :math:`\eta`.
    steps : int >= 1
    loss : {"contrastive", "noncontrastive"}

    Returns
    -------
    numpy.ndarray, shape (d, z): :math:`W_{\text{steps}}`
    """
    import torch

    from .. import ntk

    loss = check_choice("loss", loss, LOSSES)
    W0 = as_matrix("W0", W0).astype(float)
    if loss == "contrastive" and X_neg is None:
        raise ValueError("X_neg: the contrastive loss needs negatives, got None")
    if loss == "contrastive":
        pts = _points(("X", "X_pos", "X_neg"), X, X_pos, X_neg, d=W0.shape[0])
    else:
        pts = _points(("X", "X_pos"), X, X_pos, d=W0.shape[0])
    lr = check_scalar("lr", lr, min_val=0.0, include_min=False)
    steps = check_positive_int("steps", steps)
    model = ntk.feature_model(W0)
    fn = _loss_fn(model, loss, [torch.as_tensor(M) for M in pts])
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        fn().backward()
        opt.step()
        if not bool(torch.isfinite(model.W).all()):
            raise ValueError(f"lr: gradient descent overflowed (lr = {lr})")
    return model.W.detach().numpy().copy()


def gd_recursion(
    C: Any, W0: Any, eta: float, steps: int, record: bool = False
) -> np.ndarray:
    r"""Item 2 for gradient descent: :math:`W_{t+1} = W_t - 2\eta CW_t`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, z)
    eta : float > 0
    steps : int >= 1
    record : bool
        Return every iterate (shape (steps + 1, d, z)) instead of the last.

    Returns
    -------
    numpy.ndarray, shape (d, z) or (steps + 1, d, z)
    """
    C, W0 = _C_W0(C, W0)
    eta = _eta(eta)
    steps = check_positive_int("steps", steps)
    record = check_flag("record", record)
    g = np.abs(1 - 2 * eta * np.linalg.eigvalsh(C)).max()
    if steps * np.log(max(g, 1.0)) > _EXP_MAX:
        raise ValueError(f"steps: W_t would overflow float64 ({steps} steps)")
    Ws = [W0.astype(float)]
    for _ in range(steps):
        Ws.append(Ws[-1] - 2 * eta * (C @ Ws[-1]))
    return np.array(Ws) if record else Ws[-1]


def linear_flow(C: Any, W0: Any, eta: float, t: float) -> np.ndarray:
    r"""Item 2 for the flow: :math:`W(t) = \exp(-2\eta Ct)\,W(0)`, via eigh of C.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, z)
    eta : float > 0
    t : float >= 0

    Returns
    -------
    numpy.ndarray, shape (d, z)
    """
    C, W0 = _C_W0(C, W0)
    eta = _eta(eta)
    t = check_scalar("t", t, min_val=0.0)
    lam, Q = np.linalg.eigh(C)
    if -2 * eta * lam[0] * t > _EXP_MAX:
        raise ValueError(f"t: exp(-2 eta C t) overflows float64 at t = {t}")
    return Q @ (np.exp(-2 * eta * lam * t)[:, None] * (Q.T @ W0))


@dataclass(frozen=True)
class OrderCheck:
    r"""Gradient descent against the flow at two learning rates (Check 1).

    ``errors[i]`` is :math:`\|W_t - \exp(-2\eta Ct)W_0\|_F/\|\exp(-2\eta Ct)W_0\|_F`
    at :math:`\varepsilon_i = 2\eta|\lambda_1|` and :math:`t = R/\varepsilon_i`.
    """

    eps: tuple[float, float]
    steps: tuple[int, int]
    errors: tuple[float, float]
    recursion_errors: tuple[float, float]  #: autograd GD vs the matrix recursion
    recursion_tols: tuple[float, float]  #: steps (n + d) u
    order: float  #: log2(errors[0] / errors[1])
    claimed_order: float
    tol: float  #: delta + (eps R)^2

    @property
    def passed(self) -> bool:
        rec = all(
            e <= t
            for e, t in zip(self.recursion_errors, self.recursion_tols, strict=True)
        )
        return bool(rec and abs(self.order - self.claimed_order) <= self.tol)


def order_check(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    W0: Any,
    loss: str = "contrastive",
    eps: float = 0.04,
    decay: float = 2.0,
    claimed_order: float = 1.0,
) -> OrderCheck:
    r"""Gradient descent on the loss is the recursion of item 2, and tracks the
    flow with an error of first order in :math:`\eta`.

    At :math:`\varepsilon = 2\eta|\lambda_1|` and :math:`\varepsilon/2`, for
    :math:`t = R/\varepsilon` steps (:math:`R` = ``decay``), the relative error
    of the fastest direction is :math:`e = \frac{R\varepsilon}{2}(1 -
    \frac{2\varepsilon}3 - \frac{R\varepsilon}4 + \dots)`, so the measured order
    :math:`\log_2(e(\varepsilon)/e(\varepsilon/2))` is :math:`1 - \delta`,
    :math:`\delta = \varepsilon(\frac13 + \frac R8)/\ln 2`; the check accepts
    :math:`|\text{order} - \text{claimed}| \le \delta + (\varepsilon R)^2`.

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
    W0 : array_like, shape (d, z)
    loss : {"contrastive", "noncontrastive"}
    eps : float in (0, 0.25]
    decay : float in (0, 8]
        :math:`R = 2\eta t|\lambda_1|`, the growth exponent of the fastest direction.
    claimed_order : float

    Returns
    -------
    OrderCheck
    """
    W0 = as_matrix("W0", W0).astype(float)
    eps = check_scalar("eps", eps, min_val=0.0, max_val=0.25, include_min=False)
    decay = check_scalar("decay", decay, min_val=0.0, max_val=8.0, include_min=False)
    claimed_order = check_scalar("claimed_order", claimed_order)
    C = loss_matrix(X, X_pos, X_neg, loss)
    if C.shape[0] != W0.shape[0]:
        raise ValueError(f"W0: expected {C.shape[0]} rows, got shape {W0.shape}")
    lam1 = float(np.linalg.eigvalsh(C)[0])
    if not lam1 < 0:
        raise ValueError(f"X: lambda_1(C) = {lam1:.3g} must be negative")
    n, d = np.shape(X)
    out: dict[str, list] = {"steps": [], "err": [], "rec": [], "rtol": []}
    for e in (eps, eps / 2):
        eta, steps = e / (2 * abs(lam1)), max(1, int(round(decay / e)))
        W_gd = train_linear(X, X_pos, X_neg, W0, eta, steps, loss)
        W_rec = gd_recursion(C, W0, eta, steps)
        W_fl = linear_flow(C, W0, eta, steps)
        out["steps"].append(steps)
        out["rec"].append(float(np.linalg.norm(W_gd - W_rec) / np.linalg.norm(W_rec)))
        out["rtol"].append(steps * (n + d) * UNIT_ROUNDOFF)
        out["err"].append(float(np.linalg.norm(W_gd - W_fl) / np.linalg.norm(W_fl)))
    order = float(np.log2(out["err"][0] / out["err"][1]))
    tol = eps * (1 / 3 + decay / 8) / np.log(2) + (eps * decay) ** 2
    return OrderCheck(
        (eps, eps / 2),
        tuple(out["steps"]),
        tuple(out["err"]),
        tuple(out["rec"]),
        tuple(out["rtol"]),
        order,
        claimed_order,
        float(tol),
    )


# ---------------------------------------------------------- the rate of collapse


@dataclass(frozen=True)
class CollapseRun:
    r"""A long run of :math:`W_{t+1} = (I - 2\eta C)W_t` (Check 2).

    ``lam`` ascending eigenvalues of C, ``B`` = :math:`Q^\top W_0` (rows
    :math:`b_j` in the eigenbasis), ``W`` every iterate (steps + 1, d, z),
    ``ratio`` :math:`\sigma_2/\sigma_1` and ``norm`` :math:`\|W_t\|_2` per step.
    """

    eta: float
    lam: np.ndarray
    B: np.ndarray
    W: np.ndarray
    ratio: np.ndarray
    norm: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.ratio.size - 1)

    @property
    def gd_rate(self) -> float:
        r""":math:`\log(g_1/g_2)`, :math:`g_j = 1 - 2\eta\lambda_j`: the exact
        per-step rate of :math:`\sigma_2/\sigma_1` for gradient descent."""
        g = 1 - 2 * self.eta * self.lam
        return float(np.log(g[0] / g[1]))


def collapse_run(
    C: Any, W0: Any, eps: float = 0.04, decay: float = 28.0
) -> CollapseRun:
    r"""Run gradient descent (as the recursion of item 2) until
    :math:`\sigma_2/\sigma_1` has decayed by the predicted factor :math:`e^{-R}`.

    :math:`\eta = \varepsilon/(2|\lambda_1|)` and
    :math:`t_{\max} = \lceil R/\log(g_1/g_2)\rceil` steps.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric, :math:`\lambda_1 < 0`,
        :math:`\lambda_1 < \lambda_2`, and :math:`1 - 2\eta\lambda_d > 0`.
    W0 : array_like, shape (d, z), z >= 2
    eps : float in (0, 0.5]
    decay : float in (0, 32]
        R; past 32 the ratio would sink below the rounding floor of float64.

    Returns
    -------
    CollapseRun
    """
    C, W0 = _C_W0(C, W0)
    if W0.shape[1] < 2:
        raise ValueError(f"W0: expected z >= 2 columns, got shape {W0.shape}")
    eps = check_scalar("eps", eps, min_val=0.0, max_val=0.5, include_min=False)
    decay = check_scalar("decay", decay, min_val=0.0, max_val=32.0, include_min=False)
    lam, Q = np.linalg.eigh(C)
    if not (lam[0] < 0 and lam[0] < lam[1]):
        raise ValueError(
            f"C: needs lambda_1 < 0 and lambda_1 < lambda_2, got {lam[:2]}"
        )
    eta = eps / (2 * abs(lam[0]))
    g = 1 - 2 * eta * lam
    if not g[-1] > 0:
        raise ValueError(f"eps: 1 - 2 eta lambda_d = {g[-1]:.3g} must be positive")
    rate = np.log(g[0] / g[1])
    steps = int(np.ceil(decay / rate))
    if steps > 100_000:
        raise ValueError(f"C: lambda_2 - lambda_1 too small ({steps} steps needed)")
    Ws = gd_recursion(C, W0, eta, steps, record=True)
    s = np.linalg.svd(Ws, compute_uv=False)
    return CollapseRun(float(eta), lam, Q.T @ W0, Ws, s[:, 1] / s[:, 0], s[:, 0])


def _check_run(run: Any) -> CollapseRun:
    if not isinstance(run, CollapseRun):
        raise TypeError(f"run: expected a CollapseRun, got {type(run).__name__}")
    return run


@dataclass(frozen=True)
class BandCheck:
    r"""Item 3's bands at every recorded step: ``ratio_lo`` = min of
    :math:`(\sigma_2/\sigma_1)/(c_{lo}(g_2/g_1)^t)` (must be >= 1 - slack),
    ``ratio_hi`` = max of the ratio to :math:`c_{hi}(g_2/g_1)^t` (<= 1 + slack),
    ``norm_lo`` / ``norm_hi`` the same for :math:`\|W_t\|_2` against
    :math:`\|b_1\|g_1^t` and :math:`\|B\|_2g_1^t` (slack ``1e-9``)."""

    c_lo: float
    c_hi: float
    ratio_lo: float
    ratio_hi: float
    norm_lo: float
    norm_hi: float
    slack: float

    @property
    def passed(self) -> bool:
        s = self.slack
        return bool(
            self.ratio_lo >= 1 - s
            and self.ratio_hi <= 1 + s
            and self.norm_lo >= 1 - 1e-9
            and self.norm_hi <= 1 + 1e-9
        )


def band_check(run: Any, slack: float = 1e-3, floor: float = 1e-10) -> BandCheck:
    r"""Item 3 for gradient descent, at every step of a :class:`CollapseRun`.

    .. math:: c_{lo}\Big(\frac{g_2}{g_1}\Big)^t \le \frac{\sigma_2}{\sigma_1}
              \le c_{hi}\Big(\frac{g_2}{g_1}\Big)^t,\qquad
              \|b_1\|g_1^t \le \|W_t\|_2 \le \|B\|_2g_1^t,

    :math:`c_{lo} = \|b_1\wedge b_2\|/\|B\|_2^2`, :math:`c_{hi} =
    \|B_{2:}\|_2/\|b_1\|`. The ratio bands are tested where
    :math:`\sigma_2/\sigma_1 \ge` ``floor`` (above the rounding of :math:`\sigma_2`).

    Parameters
    ----------
    run : CollapseRun
    slack : float in (0, 0.5)
        Relative slack for rounding in the ratio bands.
    floor : float > 0

    Returns
    -------
    BandCheck
    """
    run = _check_run(run)
    slack = check_scalar("slack", slack, min_val=0.0, max_val=0.5, include_min=False)
    floor = check_tolerance("floor", floor)
    B, t = run.B, np.arange(run.ratio.size)
    g = 1 - 2 * run.eta * run.lam
    b1, b2 = np.linalg.norm(B[0]), np.linalg.norm(B[1])
    wedge = np.sqrt(max(b1**2 * b2**2 - (B[0] @ B[1]) ** 2, 0.0))
    c_lo = wedge / np.linalg.norm(B, 2) ** 2
    c_hi = np.linalg.norm(B[1:], 2) / b1
    geo = (g[1] / g[0]) ** t
    ok = run.ratio >= floor
    grow = g[0] ** t
    return BandCheck(
        float(c_lo),
        float(c_hi),
        float(np.min(run.ratio[ok] / (c_lo * geo[ok]))),
        float(np.max(run.ratio[ok] / (c_hi * geo[ok]))),
        float(np.min(run.norm / (b1 * grow))),
        float(np.max(run.norm / (np.linalg.norm(B, 2) * grow))),
        slack,
    )


@dataclass(frozen=True)
class RateCheck:
    r"""The fitted rate of :math:`\sigma_2/\sigma_1` and the claimed flow rate.

    ``fit_error`` = :math:`|s/r_{gd} - 1|` for the least-squares slope s over the
    window against the exact rate :math:`r_{gd} = \log(g_1/g_2)` of the iteration;
    ``fit_tol`` = ``transient_tol`` (later eigen-directions, from the spectrum and
    :math:`W_0`) + ``rounding_tol``. ``gap`` = :math:`r_{gd} - r_{\text{claimed}}`,
    ``gap_pred`` = :math:`2\eta^2(\lambda_2^2 - \lambda_1^2)` (its O(η²) term),
    ``gap_tol`` the Taylor remainder :math:`\sum_j|x_j|^3/(3(1 - |x_j|))`,
    :math:`x_j = 2\eta\lambda_j`.
    """

    gd_rate: float
    slope: float
    fit_error: float
    transient_tol: float
    rounding_tol: float
    claimed_rate: float
    gap: float
    gap_pred: float
    gap_tol: float
    window_steps: int

    @property
    def fit_tol(self) -> float:
        return self.transient_tol + self.rounding_tol

    @property
    def fit_passed(self) -> bool:
        return bool(self.fit_error <= self.fit_tol)

    @property
    def gap_passed(self) -> bool:
        return bool(abs(self.gap - self.gap_pred) <= self.gap_tol)

    @property
    def passed(self) -> bool:
        return self.fit_passed and self.gap_passed


def rate_check(
    run: Any,
    claimed_rate: float,
    window: tuple[float, float] = (14.0, 28.0),
    floor: float = 1e-10,
) -> RateCheck:
    r"""Fit the slope of :math:`\log(\sigma_2/\sigma_1)` and compare it with the
    exact rate of gradient descent, then the claimed flow rate with that rate.

    *Fit.* With :math:`A_t = \operatorname{diag}(g^t)B` (rows
    :math:`a_j = g_j^tb_j`), :math:`\sigma_1\sigma_2 = \|\wedge^2A_t\|_2` lies
    between :math:`\|a_1\wedge a_2\|` and :math:`\|\wedge^2A_t\|_F`, and
    :math:`\sigma_1` between :math:`\|a_1\|` and :math:`\|A_t\|_F`. So
    :math:`\log(\sigma_2/\sigma_1) = -r_{gd}t + \text{const} + e_t` with
    :math:`-\log(1 + p_t) \le e_t \le \frac12\log(1 + q_t)`,

    .. math:: p_t = \sum_{j\ge2}\Big(\frac{g_j}{g_1}\Big)^{2t}
              \frac{\|b_j\|^2}{\|b_1\|^2},\qquad
              q_t = \sum_{(i<j)\ne(1,2)}\Big(\frac{g_ig_j}{g_1g_2}\Big)^{2t}
              \frac{\|b_i\wedge b_j\|^2}{\|b_1\wedge b_2\|^2}.

    The least-squares slope is :math:`\sum_t w_te_t` plus :math:`-r_{gd}`, with
    weights :math:`w_t = (t - \bar t)/\sum(t - \bar t)^2`, so its error is at most
    :math:`\max(\sum_{w<0}|w_t|\frac12\log(1+q_t) + \sum_{w>0}|w_t|\log(1+p_t),
    \text{the same with the signs swapped})`; divided by :math:`r_{gd}` this is
    ``transient_tol``. Rounding: each step adds a relative error of about
    :math:`\sqrt d\,u` to :math:`W`, which grows into :math:`\sigma_2` to at most
    :math:`\rho_t = 2\sqrt d\,u/((1 - g_2/g_1)\,\sigma_2/\sigma_1)` relative;
    ``rounding_tol`` = :math:`\sum|w_t|\rho_t/r_{gd}`.

    *Gap.* :math:`r_{gd} - 2\eta(\lambda_2 - \lambda_1) = 2\eta^2(\lambda_2^2 -
    \lambda_1^2) + O(\eta^3)`: O(η²) per step, O(η) relative to the rate.

    Parameters
    ----------
    run : CollapseRun
    claimed_rate : float > 0
        The claimed flow rate per step, :math:`2\eta(\lambda_2 - \lambda_1)`.
    window : (float, float)
        The fit uses the steps with :math:`R_a \le r_{gd}t \le R_b`...
    floor : float > 0
        ...and :math:`\sigma_2/\sigma_1 \ge` floor.

    Returns
    -------
    RateCheck
    """
    run = _check_run(run)
    claimed_rate = check_scalar(
        "claimed_rate", claimed_rate, min_val=0.0, include_min=False
    )
    w = as_array("window", window, ndim=1).astype(float)
    if w.shape != (2,) or not (0 <= w[0] < w[1]):
        raise ValueError(
            f"window: expected (R_a, R_b) with 0 <= R_a < R_b, got {window!r}"
        )
    floor = check_tolerance("floor", floor)
    lg = np.log(1 - 2 * run.eta * run.lam)
    r_gd = float(lg[0] - lg[1])
    t = np.arange(run.ratio.size)
    win = (r_gd * t >= w[0]) & (r_gd * t <= w[1]) & (run.ratio >= floor)
    if win.sum() < 3:
        raise ValueError(f"window: only {int(win.sum())} steps of run fall in it")
    tw = t[win]
    wt = (tw - tw.mean()) / np.sum((tw - tw.mean()) ** 2)
    slope = -float(wt @ np.log(run.ratio[tw]))
    G = run.B @ run.B.T
    dg = np.diag(G)
    iu = np.triu_indices(dg.size, 1)
    wedge2 = (np.outer(dg, dg) - G**2)[iu]
    expo = (lg[:, None] + lg[None, :] - lg[0] - lg[1])[iu]
    rest = ~((iu[0] == 0) & (iu[1] == 1))
    ex, wq = expo[rest], np.maximum(wedge2[rest], 0.0) / wedge2[~rest][0]
    at_start = np.exp(2 * tw[0] * ex) * wq  # each term decreases with t
    big = at_start > 1e-17 * at_start.sum()  # the others: bounded by their start
    q = np.exp(2 * np.outer(tw, ex[big])) @ wq[big] + at_start[~big].sum()
    p = np.exp(2 * np.outer(tw, lg[1:] - lg[0])) @ (dg[1:] / dg[0])
    Qt, Pt = 0.5 * np.log1p(q), np.log1p(p)
    neg = wt < 0
    trans = max(np.abs(wt) @ np.where(neg, Qt, Pt), np.abs(wt) @ np.where(neg, Pt, Qt))
    g = np.exp(lg)
    d = run.B.shape[0]
    rho = 2 * np.sqrt(d) * UNIT_ROUNDOFF / ((1 - g[1] / g[0]) * run.ratio[tw])
    x = 2 * run.eta * run.lam[:2]
    gap_tol = float(np.sum(np.abs(x) ** 3 / (3 * (1 - np.abs(x)))))
    return RateCheck(
        r_gd,
        slope,
        abs(slope / r_gd - 1),
        float(trans / r_gd),
        float(np.abs(wt) @ rho / r_gd),
        claimed_rate,
        r_gd - claimed_rate,
        float(2 * run.eta**2 * (run.lam[1] ** 2 - run.lam[0] ** 2)),
        gap_tol,
        int(tw.size),
    )


# ------------------------------------------------------------- nonlinear models


MODELS = ("linear", "kernel", "network")


def seeded_model(
    kind: str,
    d: int,
    z: int,
    rng: Any = None,
    width: int = 1024,
    feature_map: Any = None,
    n_features: int = 200,
    device: Any = None,
):
    r"""One of the models of Check 3, from a seeded random start.

    - ``"linear"``: :math:`f(x) = W^\top x`, :math:`W_{ij} \sim N(0, 1/d)`;
    - ``"kernel"``: :math:`f(x) = W^\top\varphi(x)`, :math:`W_{ij} \sim N(0, 1)`
      of shape (n_features, z), ``feature_map`` = :math:`\varphi`;
    - ``"network"``: a two-layer tanh network of the given width, NTK
      parametrisation, Gaussian start.

    Parameters
    ----------
    kind : {"linear", "kernel", "network"}
    d, z : int >= 1
        Input and output dimension.
    rng : int, numpy.random.Generator or None
    width : int >= 1
    feature_map : callable, torch (n, d) -> (n, n_features); required for "kernel"
    n_features : int >= 1
    device : torch.device or str, optional

    Returns
    -------
    torch.nn.Module (float64)
    """
    from .. import models, ntk
    from .._validate import as_rng, check_callable, check_device

    kind = check_choice("kind", kind, MODELS)
    d, z = check_positive_int("d", d), check_positive_int("z", z)
    width = check_positive_int("width", width)
    n_features = check_positive_int("n_features", n_features)
    feature_map = check_callable("feature_map", feature_map)
    device = check_device(device, "cpu")
    g = as_rng(rng)
    if kind == "linear":
        return ntk.feature_model(g.standard_normal((d, z)) / np.sqrt(d)).to(device)
    if kind == "kernel":
        if feature_map is None:
            raise ValueError("feature_map: required for kind='kernel', got None")
        W = g.standard_normal((n_features, z))
        return ntk.feature_model(W, feature_map).to(device)
    return models.two_layer_net(
        d, width, z, "tanh", init="gaussian", rng=g, device=device
    )


@dataclass(frozen=True)
class TrainRun:
    """Plain gradient descent on an embedding: effective rank ``erank`` (steps + 1,)
    and singular values ``sv`` (steps + 1, z) of f(X) per step, the final ``F``;
    with kernel tracking, at ``kernel_steps`` the relative change
    ``kernel_move`` of the tangent kernel since step 0 and its off-diagonal /
    diagonal block ratio ``kernel_ratio`` (empty arrays otherwise)."""

    erank: np.ndarray
    sv: np.ndarray
    F: np.ndarray
    kernel_steps: np.ndarray
    kernel_move: np.ndarray
    kernel_ratio: np.ndarray

    @property
    def final_ratio(self) -> float:
        r""":math:`\sigma_2/\sigma_1` of f(X) at the end."""
        return float(self.sv[-1, 1] / self.sv[-1, 0])


def train_embedding(
    model: Any,
    loss: str,
    X: Any,
    X_pos: Any,
    X_neg: Any,
    lr: float,
    steps: int,
    kernel_every: int = 0,
    X_kernel: Any = None,
) -> TrainRun:
    r"""Plain gradient descent :math:`\Theta_{t+1} = \Theta_t - \eta\nabla L` on a
    model, recording the effective rank of the embedding :math:`F_t = f_t(X)`.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place.
    loss : {"contrastive", "noncontrastive", "spectral"}
        (1), (2) or the spectral contrastive loss (``X_neg`` unused).
    X, X_pos, X_neg : array_like, shape (n, d)
    lr : float > 0
    steps : int >= 1
    kernel_every : int >= 0
        If > 0, the tangent kernel on ``X_kernel`` every so many steps.
    X_kernel : array_like, shape (m, d), optional
        Required when ``kernel_every > 0``.

    Returns
    -------
    TrainRun
    """
    import torch

    from .. import metrics, ntk

    ref = _module("model", model)
    loss = check_choice("loss", loss, (*LOSSES, "spectral"))
    pts = _points(("X", "X_pos", "X_neg"), X, X_pos, X_neg, d=_input_dim(model))
    lr = check_scalar("lr", lr, min_val=0.0, include_min=False)
    steps = check_positive_int("steps", steps)
    kernel_every = check_nonnegative_int("kernel_every", kernel_every)
    if kernel_every and X_kernel is None:
        raise ValueError("X_kernel: needed when kernel_every > 0, got None")
    if X_kernel is not None:
        (X_kernel,) = _points(("X_kernel",), X_kernel, d=pts[0].shape[1])
    A = [torch.as_tensor(M, dtype=ref.dtype, device=ref.device) for M in pts]
    fn = _loss_fn(model, loss, A)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    eranks, svs, kern = [], [], []
    K_0 = None
    for t in range(steps + 1):
        with torch.no_grad():
            F = model(A[0]).detach().cpu().numpy().reshape(len(pts[0]), -1)
        if not np.all(np.isfinite(F)):
            raise ValueError(f"lr: the embedding overflowed at step {t} (lr = {lr})")
        eranks.append(metrics.effective_rank(F))
        svs.append(np.linalg.svd(F, compute_uv=False))
        if kernel_every and t % kernel_every == 0:
            K_t = ntk.empirical_ntk(model, X_kernel)
            if K_0 is None:
                K_0 = K_t
            move = np.linalg.norm(K_t - K_0) / np.linalg.norm(K_0)
            kern.append((t, move, ntk.block_ratio(K_t)))
        if t < steps:
            opt.zero_grad()
            fn().backward()
            opt.step()
    k = np.array(kern, dtype=float).reshape(-1, 3)
    return TrainRun(
        np.array(eranks), np.array(svs), F, k[:, 0].astype(int), k[:, 1], k[:, 2]
    )


@dataclass(frozen=True)
class ProjectorCheck:
    """Remark 3: gradient descent through a fixed projector P against the closed
    form (``error``, relative Frobenius), effective rank of f(X) per step
    ``erank`` and the final :math:`\\sigma_2/\\sigma_1` of f(X) ``final_ratio``."""

    error: float
    erank: np.ndarray
    final_ratio: float
    tol: float

    @property
    def passed(self) -> bool:
        return bool(self.error <= self.tol)


def projector_check(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    W0: Any,
    P: Any,
    lr: float,
    steps: int,
    tol: float = 1e-12,
    closed_form_P: Any = None,
) -> ProjectorCheck:
    r"""Train :math:`f(x) = P^\top W^\top x` (W trained, P fixed) on the loss (1)
    and compare with the closed form of Remark 3,

    .. math:: W_t = \sum_a (I - 2\eta q_aC)^t\,W_0\,r_ar_a^\top,\qquad
              PP^\top = \sum_a q_ar_ar_a^\top .

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
    W0 : array_like, shape (d, q)
    P : array_like, shape (q, z)
    lr : float > 0
    steps : int >= 1
    tol : float > 0
    closed_form_P : array_like, shape (q, z), optional
        The projector used in the closed form (default ``P``; another one makes
        the check fail).

    Returns
    -------
    ProjectorCheck
    """
    import torch

    from .. import losses, metrics, ntk

    W0 = as_matrix("W0", W0).astype(float)
    P = as_matrix("P", P).astype(float)
    if P.shape[0] != W0.shape[1]:
        raise ValueError(
            f"P: expected {W0.shape[1]} rows like W0's columns, got {P.shape}"
        )
    Pc = P if closed_form_P is None else as_matrix("closed_form_P", closed_form_P)
    if Pc.shape != P.shape:
        raise ValueError(f"closed_form_P: expected shape {P.shape}, got {Pc.shape}")
    pts = _points(("X", "X_pos", "X_neg"), X, X_pos, X_neg, d=W0.shape[0])
    lr = check_scalar("lr", lr, min_val=0.0, include_min=False)
    steps = check_positive_int("steps", steps)
    tol = check_tolerance("tol", tol)
    C = losses.contrastive_matrix(*pts)
    qa, ra = np.linalg.eigh(Pc @ Pc.T)
    g = np.abs(1 - 2 * lr * np.outer(qa, np.linalg.eigvalsh(C))).max()
    if steps * np.log(max(g, 1.0)) > _EXP_MAX:
        raise ValueError(f"steps: W_t would overflow float64 ({steps} steps)")
    inner = ntk.feature_model(W0)
    Pt = torch.as_tensor(P)
    A = [torch.as_tensor(M) for M in pts]
    opt = torch.optim.SGD(inner.parameters(), lr=lr)
    erank = []
    for t in range(steps + 1):
        with torch.no_grad():
            erank.append(metrics.effective_rank((inner(A[0]) @ Pt).numpy()))
        if t < steps:
            opt.zero_grad()
            losses.contrastive_loss(lambda M: inner(M) @ Pt, *A).backward()
            opt.step()
    eye = np.eye(C.shape[0])
    closed = sum(
        np.linalg.matrix_power(eye - 2 * lr * q * C, steps) @ W0 @ np.outer(r, r)
        for q, r in zip(qa, ra.T, strict=True)
    )
    W_end = inner.W.detach().numpy()
    s = np.linalg.svd(pts[0] @ W_end @ P, compute_uv=False)
    err = float(np.linalg.norm(W_end - closed) / np.linalg.norm(closed))
    return ProjectorCheck(err, np.array(erank), float(s[1] / s[0]), tol)


def spectral_targets(X: Any, X_pos: Any, z: int) -> np.ndarray:
    r"""The predicted :math:`\sigma_k(F)/\sqrt n` at a minimiser of the spectral
    contrastive loss for a linear model: :math:`\sqrt{\mu_k}`, the z largest
    generalised eigenvalues of :math:`(S, \Sigma)`,

    .. math:: S = \frac1{2n}(X^\top X^+ + X^{+\top}X),\qquad
              \Sigma = \frac1{2n}(X^\top X + X^{+\top}X^+).

    Parameters
    ----------
    X, X_pos : array_like, shape (n, d)
    z : int, 1 <= z <= d

    Returns
    -------
    numpy.ndarray, shape (z,), descending (0 where :math:`\mu_k \le 0`)
    """
    import scipy.linalg

    X, X_pos = _points(("X", "X_pos"), X, X_pos)
    z = check_positive_int("z", z)
    n, d = X.shape
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    S = (X.T @ X_pos + X_pos.T @ X) / (2 * n)
    Sigma = (X.T @ X + X_pos.T @ X_pos) / (2 * n)
    if np.linalg.eigvalsh(Sigma)[0] <= 1e-12 * np.abs(Sigma).max():
        raise ValueError("X: the second-moment matrix Sigma is singular")
    mu = scipy.linalg.eigh(S, Sigma, eigvals_only=True)[::-1][:z]
    return np.sqrt(np.clip(mu, 0.0, None))
