r"""Machinery of the chapter *Lemma 1 (gradient inner products of different outputs)*
(``book/lemma1.py``).

Notation. A model :math:`f_\Theta:\mathbb{R}^d\to\mathbb{R}^z` has the tangent kernel
blocks :math:`\Theta_{kl}(x, x') = \langle\nabla_\Theta f_k(x),
\nabla_\Theta f_l(x')\rangle` (:func:`ssl_notes.ntk.empirical_ntk`, an array
``(n1, n2, z, z)``). The two-layer network in the NTK parametrisation is
:math:`f(x) = h^{-1/2}V^\top\sigma(d^{-1/2}W^\top x)` with N(0, 1) weights
(``models.two_layer_net(..., init="gaussian")``); its kernel splits into the part of
the last layer V and the part of the first layer W,

.. math:: \Theta_{kl} &= \Theta^{(2)}_{kl} + \Theta^{(1)}_{kl}, \\
          \Theta^{(2)}_{kl}(x,x') &= \frac{1\{k=l\}}{h}\sum_j
          \sigma(a_j(x))\sigma(a_j(x')), \\
          \Theta^{(1)}_{kl}(x,x') &= \frac{x^\top x'}{d h}\sum_j V_{jk}V_{jl}\,
          \sigma'(a_j(x))\sigma'(a_j(x')),

:math:`a_j(x) = d^{-1/2}w_j^\top x`. Each check is one function that returns a frozen
result object with the measured quantities, the bound and a ``passed`` verdict;
``tests/experiments/test_chapter_lemma1.py`` feeds each a wrong input (a transposed
block, a factor 2, a kernel off by 1 %, the wrong rate, outputs that interact) and
asserts that it fails.

Every network of a sweep is drawn from ``numpy.random.default_rng([seed, stream, s,
h])`` for seed index s and width h, so sweeps with different ``stream`` use
independent networks and the printed numbers are the same on every run.

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_notes import kernels, metrics, models, ntk
from ssl_notes._validate import (
    as_array,
    as_matrix,
    check_callable,
    check_choice,
    check_device,
    check_nonnegative_int,
    check_positive_int,
    check_scalar,
    check_tolerance,
)
from ssl_notes.activations import ACTIVATIONS

__all__ = [
    "Agreement",
    "BlockCheck",
    "WidthSweep",
    "SlopeCheck",
    "SweepChecks",
    "KernelSample",
    "MeanCheck",
    "LayerLimits",
    "GDResult",
    "RemarkSweep",
    "output_dynamics_check",
    "block_check",
    "exact_block_checks",
    "width_sweep",
    "slope_check",
    "check_sweep",
    "kernel_sample",
    "mean_check",
    "layer_limits",
    "gd_regression",
    "exact_regression",
    "joint_vs_separate",
    "remark_sweep",
]

#: Unit round-off of float64.
U = float(np.finfo(np.float64).eps / 2)
#: Largest total number of hidden units (width times seeds, summed over widths) a
#: sweep accepts: about 10 s of tangent kernels on one core.
MAX_UNITS = 2_000_000
#: Largest number of gradient steps of the regressions of Remark 1.
MAX_STEPS = 10_000


# ---------------------------------------------------------------- result objects


@dataclass(frozen=True)
class Agreement:
    """Two computations of one quantity, compared in relative max-norm.

    Attributes
    ----------
    error : float
        :math:`\\max|a - b| / \\max|b|`.
    tol : float
        The bound it must stay under.
    n_params : int
        Number of parameters P of the model (the rounding bound grows with P n).
    passed : bool
        ``error < tol``.
    """

    error: float
    tol: float
    n_params: int
    passed: bool


@dataclass(frozen=True)
class BlockCheck:
    r"""Lemma 1, items 1-2, for one model: the blocks against the kernel.

    Attributes
    ----------
    name : str
    D : int
        Number of features.
    rel_error : float
        :math:`\max_k\max|\Theta_{kk} - K| / \max|K|`.
    bound_excess : float
        Largest excess of :math:`|\Theta_{kk} - K|` over the rounding bound
        (:func:`block_check`); at most 0 when the bound holds.
    off_max : float
        Largest :math:`|\Theta_{kl}|`, :math:`k\ne l` (must be exactly 0).
    passed : bool
    """

    name: str
    D: int
    rel_error: float
    bound_excess: float
    off_max: float
    passed: bool


@dataclass(frozen=True)
class WidthSweep:
    r"""Block sizes of the empirical tangent kernel, per seed (rows) and width.

    Attributes
    ----------
    activation : str
    widths : ndarray, shape (W,)
    off, diag : ndarray, shape (S, W)
        Root mean square of :math:`\|\Theta_{kl}\|_F` over :math:`k\ne l`, and of
        :math:`\|\Theta_{kk}\|_F`.
    ratio : ndarray, shape (S, W)
        ``off / diag`` (:func:`ssl_notes.ntk.block_ratio`).
    dist : ndarray, shape (S, W)
        :math:`\|\bar\Theta - \Theta_\infty\|_F / \|\Theta_\infty\|_F`, with
        :math:`\bar\Theta` the mean diagonal block.
    spread : ndarray, shape (S, W)
        :func:`ssl_notes.ntk.diagonal_spread`.
    """

    activation: str
    widths: np.ndarray
    off: np.ndarray
    diag: np.ndarray
    ratio: np.ndarray
    dist: np.ndarray
    spread: np.ndarray


@dataclass(frozen=True)
class SlopeCheck:
    r"""Per-seed log-log slopes against the width, and the test of one rate.

    Attributes
    ----------
    slopes : ndarray, shape (S,)
        Least-squares slope of :math:`\log` value against :math:`\log h`, per seed.
    mean, se, sd : float
        Their mean, standard error :math:`s/\sqrt S` and standard deviation s.
    rate : float
        The slope the claim predicts.
    tol : float
        ``n_se * se + drift``.
    passed : bool
        ``|mean - rate| <= tol``.
    """

    slopes: np.ndarray
    mean: float
    se: float
    sd: float
    rate: float
    tol: float
    passed: bool


@dataclass(frozen=True)
class SweepChecks:
    """The four rate checks of one :class:`WidthSweep` (each a :class:`SlopeCheck`).

    Attributes
    ----------
    off, ratio, dist, spread : SlopeCheck
        ``ratio`` allows the drift ``|diag slope|`` of the denominator.
    diag_slope : float
    passed : bool
        All four passed.
    """

    off: SlopeCheck
    ratio: SlopeCheck
    dist: SlopeCheck
    spread: SlopeCheck
    diag_slope: float
    passed: bool


@dataclass(frozen=True)
class KernelSample:
    r"""Per-seed mean blocks of the two layers' tangent kernels at one width.

    Attributes
    ----------
    activation : str
    width : int
    last_diag, first_diag : ndarray, shape (S, n, n)
        Mean diagonal block :math:`\frac1z\sum_k\Theta^{(i)}_{kk}` of the last
        (i = 2, gradient in V) and the first (i = 1, gradient in W) layer.
    last_off, first_off : ndarray, shape (S, n, n)
        Mean off-diagonal block :math:`\frac{1}{z(z-1)}\sum_{k\ne l}
        \Theta^{(i)}_{kl}`.
    """

    activation: str
    width: int
    last_diag: np.ndarray
    first_diag: np.ndarray
    last_off: np.ndarray
    first_off: np.ndarray

    @property
    def diag(self) -> np.ndarray:
        """Mean diagonal block of the whole kernel, shape (S, n, n)."""
        return self.last_diag + self.first_diag

    @property
    def off(self) -> np.ndarray:
        """Mean off-diagonal block of the whole kernel, shape (S, n, n)."""
        return self.last_off + self.first_off


@dataclass(frozen=True)
class MeanCheck:
    r"""Test of :math:`\mathbb{E}\,\hat K = K` from S i.i.d. samples :math:`\hat K_s`.

    Attributes
    ----------
    bias : float
        Mean over s of :math:`b_s = \langle\hat K_s - K, R\rangle_F/\|R\|_F^2`, the
        relative deviation along the direction R (default K): a kernel off by a
        factor :math:`1+\beta` gives :math:`b \approx -\beta/(1+\beta)`.
    se : float
        Standard error of ``bias``, :math:`\mathrm{sd}(b_s)/\sqrt S`.
    max_t : float
        Largest entrywise :math:`|\bar K_{ab} - K_{ab}|/\mathrm{se}_{ab}`.
    n_se : float
        The bound, in standard errors, for both.
    n_samples : int
    passed : bool
        ``|bias| <= n_se * se`` and ``max_t <= n_se``.
    """

    bias: float
    se: float
    max_t: float
    n_se: float
    n_samples: int
    passed: bool

    def power(self, beta: float) -> float:
        r"""Probability that a kernel off by the relative amount ``beta`` fails.

        Under the normal approximation the statistic is
        :math:`N(\beta/\mathrm{se}, 1)`, so the power is
        :math:`\Phi(|\beta|/\mathrm{se} - n) + \Phi(-|\beta|/\mathrm{se} - n)`.
        """
        beta = check_scalar("beta", beta, "real")
        m = abs(beta) / self.se

        def phi(x):
            return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

        return phi(m - self.n_se) + phi(-m - self.n_se)


@dataclass(frozen=True)
class LayerLimits:
    r"""The infinite-width limits of the two layers' diagonal blocks.

    Attributes
    ----------
    last : ndarray, shape (n1, n2)
        :math:`\mathbb{E}[\sigma(u)\sigma(u')]`.
    first : ndarray, shape (n1, n2)
        :math:`\frac{x^\top x'}{d}\,\mathbb{E}[\sigma'(u)\sigma'(u')]`.
    """

    last: np.ndarray
    first: np.ndarray

    @property
    def total(self) -> np.ndarray:
        r""":math:`\Theta_\infty` = ``last + first``."""
        return self.last + self.first


@dataclass(frozen=True)
class GDResult:
    """Outputs on the training points before and after gradient descent.

    Attributes
    ----------
    F0, F : ndarray, shape (n, z)
    """

    F0: np.ndarray
    F: np.ndarray


@dataclass(frozen=True)
class RemarkSweep:
    r"""Gaps between joint and separate training (:func:`remark_sweep`).

    Attributes
    ----------
    widths : ndarray, shape (W,)
    gaps : ndarray, shape (S, W)
        :math:`\|F_{\mathrm{joint}} - F_{\mathrm{sep}}\|_F /
        \|F_{\mathrm{joint}} - F(0)\|_F` per seed and width.
    """

    widths: np.ndarray
    gaps: np.ndarray


# ---------------------------------------------------------------- validation


def _check_widths(widths: Any, at_least: int = 1, name: str = "widths") -> np.ndarray:
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
        raise TypeError(
            f"{name}: expected a sequence of positive ints, got {type(widths).__name__}"
        )
    out = [check_positive_int(name, w) for w in widths]
    if len(out) < at_least:
        raise ValueError(
            f"{name}: expected at least {at_least} entries, got {len(out)}"
        )
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise ValueError(f"{name}: expected increasing entries, got {out}")
    return np.array(out)


def _check_units(units: int) -> None:
    if units > MAX_UNITS:
        raise ValueError(
            f"n_seeds, widths: {units} hidden units in all is more than {MAX_UNITS} "
            "(about 10 s); use fewer seeds or smaller widths"
        )


def _check_module(name: str, model: Any):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"{name}: expected a torch.nn.Module, got {type(model).__name__}"
        )
    return model


def _net(activation, d, h, z, seed, stream, s, shift, device):
    import torch

    rng = np.random.default_rng([seed, stream, s, h])
    net = models.two_layer_net(d, h, z, activation, init="gaussian", rng=rng)
    if shift:
        with torch.no_grad():
            net.V += shift  # output weights with a common mean (Where it breaks)
    return net.to(device) if device is not None else net


def _common(activation, X, z, seed, stream, shift, device, stream_name="stream"):
    check_choice("activation", activation, ACTIVATIONS)
    X = as_matrix("X", X)
    z = check_positive_int("z", z)
    if z < 2:
        raise ValueError(
            f"z: expected at least 2 outputs (off-diagonal blocks), got {z}"
        )
    seed = check_nonnegative_int("seed", seed)
    stream = check_nonnegative_int(stream_name, stream)
    shift = check_scalar("shift", shift, "real")
    device = check_device(device)
    return X, z, seed, stream, shift, device


# ---------------------------------------------------------------- eq. (3)


def output_dynamics_check(
    net: Any,
    X_train: Any,
    Y_train: Any,
    X_eval: Any,
    eta: float,
    Theta: Any = None,
    tol: float = 1e-12,
) -> Agreement:
    r"""Eq. (3) of the paper on one model: the output velocity computed two ways.

    .. math:: \frac{d}{dt}f_k(x) = -\eta\sum_{i=1}^n\sum_{l=1}^z
              \Theta_{kl}(x, x_i)\,\big(f_l(x_i) - y_{il}\big)

    along :math:`\dot\Theta = -\eta\nabla L`, :math:`L = \frac12\|f(X) - Y\|_F^2`.
    The left side is the Jacobian-vector product of :math:`f(x)` along
    :math:`-\eta\nabla L` (``torch.func.jvp``), the right side the kernel blocks
    contracted with the residuals.

    Parameters
    ----------
    net : torch.nn.Module
        Maps (n, d) to (n, z), float64 parameters.
    X_train : array_like, shape (n, d)
    Y_train : array_like, shape (n, z)
    X_eval : array_like, shape (m, d)
    eta : float > 0
    Theta : array_like, shape (m, n, z, z), optional
        Kernel blocks for the right side; default
        ``ntk.empirical_ntk(net, X_eval, X_train)`` (pass wrong blocks to see the
        check fail).
    tol : float > 0
        Bound on the relative max-norm difference (rounding: about P n u).

    Returns
    -------
    Agreement
    """
    import torch
    from torch.func import functional_call, jvp

    net = _check_module("net", net)
    Xt, Yt = as_matrix("X_train", X_train), as_matrix("Y_train", Y_train)
    Xe = as_matrix("X_eval", X_eval)
    eta, tol = check_tolerance("eta", eta), check_tolerance("tol", tol)
    params = {k: v.detach() for k, v in net.named_parameters()}
    ref = next(iter(params.values()))

    def tensor(A):
        return torch.as_tensor(A, dtype=ref.dtype, device=ref.device)

    xt, yt, xe = tensor(Xt), tensor(Yt), tensor(Xe)
    with torch.no_grad():
        out = net(xt)
    if tuple(out.shape) != Yt.shape:
        raise ValueError(
            f"Y_train: expected shape {tuple(out.shape)} (the outputs), got {Yt.shape}"
        )
    z = Yt.shape[1]
    if Theta is None:
        Theta = ntk.empirical_ntk(net, Xe, Xt)
    T = as_array("Theta", Theta, ndim=4)
    if T.shape != (Xe.shape[0], Xt.shape[0], z, z):
        raise ValueError(
            f"Theta: expected shape {(Xe.shape[0], Xt.shape[0], z, z)}, got {T.shape}"
        )
    loss = 0.5 * ((net(xt) - yt) ** 2).sum()
    grads = torch.autograd.grad(loss, list(net.parameters()))
    velocity = {k: -eta * g for k, g in zip(params, grads, strict=True)}
    _, lhs = jvp(lambda p: functional_call(net, p, (xe,)), (params,), (velocity,))
    rhs = -eta * np.einsum("aikl,il->ak", T, (out - yt).cpu().numpy())
    diff = np.max(np.abs(lhs.detach().cpu().numpy() - rhs))
    err = float(diff / max(np.max(np.abs(rhs)), np.finfo(float).tiny))
    n_par = int(sum(p.numel() for p in params.values()))
    return Agreement(err, tol, n_par, bool(err < tol))


# ---------------------------------------------------------------- items 1 and 2


def block_check(
    name: str,
    model: Any,
    X1: Any,
    X2: Any,
    feats1: Any,
    feats2: Any,
    params: Sequence[str] | None = None,
) -> BlockCheck:
    r"""Lemma 1 for a model linear in its parameters: the blocks equal the kernel.

    For :math:`f(x) = W^\top\varphi(x)` the diagonal blocks must be
    :math:`K = \varphi(X_1)\varphi(X_2)^\top` to rounding and the off-diagonal
    blocks exactly zero. Each entry of :math:`\Theta_{kk}` and of K is a sum of D
    products in a different order, so entrywise

    .. math:: |\Theta_{kk} - K| \le \frac{(2D + 4)u}{1 - (D + 2)u}
              \,|\varphi(X_1)|\,|\varphi(X_2)|^\top,

    :math:`2\gamma_D` for the two sums plus 4u per product for features computed
    twice (inside the model and for the whole array).

    Parameters
    ----------
    name : str
        Label of the row.
    model : torch.nn.Module
    X1 : array_like, shape (n1, d)
    X2 : array_like, shape (n2, d)
    feats1 : array_like, shape (n1, D)
        :math:`\varphi(X_1)`.
    feats2 : array_like, shape (n2, D)
    params : sequence of str, optional
        Passed to :func:`ssl_notes.ntk.empirical_ntk` (``["V"]``: a network with
        a frozen first layer).

    Returns
    -------
    BlockCheck
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    model = _check_module("model", model)
    X1, X2 = as_matrix("X1", X1), as_matrix("X2", X2)
    F1, F2 = as_matrix("feats1", feats1), as_matrix("feats2", feats2)
    T = ntk.empirical_ntk(model, X1, X2, params=params)
    if (
        F1.shape[0] != T.shape[0]
        or F2.shape[0] != T.shape[1]
        or F1.shape[1] != F2.shape[1]
    ):
        raise ValueError(
            f"feats1, feats2: expected shapes ({T.shape[0]}, D) and ({T.shape[1]}, D), "
            f"got {F1.shape} and {F2.shape}"
        )
    K = F1 @ F2.T
    D, z = F1.shape[1], T.shape[2]
    bound = (2 * D + 4) * U / (1 - (D + 2) * U) * (np.abs(F1) @ np.abs(F2).T)
    diag = np.einsum("abkk->kab", T)
    excess = float(np.max(np.abs(diag - K) - bound))
    rel = float(np.max(np.abs(diag - K)) / np.max(np.abs(K)))
    mask = ~np.eye(z, dtype=bool)
    off = float(np.max(np.abs(T[:, :, mask]))) if z > 1 else 0.0
    return BlockCheck(name, int(D), rel, excess, off, bool(excess <= 0 and off == 0))


def exact_block_checks(
    X1: Any,
    X2: Any,
    z: int = 4,
    rff_sizes: Sequence[int] = (1, 16, 256, 4096),
    frozen_widths: Sequence[int] = (16, 2048),
    rng: Any = None,
) -> list[BlockCheck]:
    r""":func:`block_check` on a linear model, random-Fourier-feature machines and
    two-layer ReLU networks with a frozen first layer.

    Models: :math:`f(x) = W^\top x`; :math:`f(x) = W^\top\varphi(x)` with D random
    Fourier features (:func:`ssl_notes.kernels.rff_features`, lengthscale 1) for
    each D in ``rff_sizes``; and ``two_layer_net(d, h, z, "relu",
    init="gaussian")`` differentiated in V only, features
    :math:`h^{-1/2}\mathrm{relu}(d^{-1/2}W^\top x)`, for each h in
    ``frozen_widths``. Weights N(0, 1).

    Parameters
    ----------
    X1 : array_like, shape (n1, d)
    X2 : array_like, shape (n2, d)
    z : int >= 2
    rff_sizes, frozen_widths : sequences of increasing positive ints
    rng : int, numpy.random.Generator or None

    Returns
    -------
    list of BlockCheck, one per model
    """
    import torch

    from ssl_notes._validate import as_rng

    X1, X2 = as_matrix("X1", X1), as_matrix("X2", X2)
    if X1.shape[1] != X2.shape[1]:
        raise ValueError(f"X2: expected {X1.shape[1]} columns, got {X2.shape}")
    z = check_positive_int("z", z)
    sizes = [int(D) for D in _check_widths(rff_sizes, name="rff_sizes")]
    widths = [int(h) for h in _check_widths(frozen_widths, name="frozen_widths")]
    if max(sizes) > 2**14 or max(widths) > 2**14:
        raise ValueError("rff_sizes, frozen_widths: at most 16384 features")
    gen = as_rng(rng)
    d = X1.shape[1]
    W = gen.standard_normal((d, z))
    rows = [block_check("linear f = W^T x", ntk.feature_model(W), X1, X2, X1, X2)]
    for D in sizes:
        Om, b = kernels.rff_weights(d, D, lengthscale=1.0, rng=gen)

        def phi(A, Om=Om, b=b):
            return kernels.rff_features(A, Om, b)

        f1, f2 = (phi(torch.as_tensor(A)).numpy() for A in (X1, X2))  # torch's cos
        model = ntk.feature_model(gen.standard_normal((D, z)), phi)
        rows.append(block_check("random Fourier features", model, X1, X2, f1, f2))
    for h in widths:
        net = models.two_layer_net(d, h, z, "relu", init="gaussian", rng=h)
        with torch.no_grad():
            f1, f2 = (
                (net.scale_out * torch.relu(net.hidden(A))).numpy() for A in (X1, X2)
            )
        name = f"frozen first layer, h = {h}"
        rows.append(block_check(name, net, X1, X2, f1, f2, params=["V"]))
    return rows


# ---------------------------------------------------------------- item 3: widths


def width_sweep(
    activation: str,
    X: Any,
    widths: Sequence[int],
    n_seeds: int,
    z: int = 4,
    seed: int = 0,
    stream: int = 0,
    shift: float = 0.0,
    device: Any = None,
) -> WidthSweep:
    r"""Block sizes of the empirical tangent kernel over widths and seeds.

    For each seed s and width h, the network ``two_layer_net(d, h, z, activation,
    init="gaussian")`` (weights from ``default_rng([seed, stream, s, h])``, every
    output weight shifted by ``shift``) and its kernel
    :math:`\Theta = ` ``ntk.empirical_ntk(net, X)``, shape (n, n, z, z), give

    .. math:: \mathrm{off} = \Big(\frac{1}{z(z-1)}\sum_{k\ne l}
              \|\Theta_{kl}\|_F^2\Big)^{1/2},\qquad
              \mathrm{diag} = \Big(\frac1z\sum_k\|\Theta_{kk}\|_F^2\Big)^{1/2},

    their ratio, the distance of the mean diagonal block to
    :math:`\Theta_\infty` (:func:`ssl_notes.kernels.two_layer_ntk`) and the spread
    of the diagonal blocks.

    Parameters
    ----------
    activation : str, one of :data:`ssl_notes.activations.ACTIVATIONS`
    X : array_like, shape (n, d)
    widths : sequence of increasing positive ints, shape (W,)
    n_seeds : int >= 1
    z : int >= 2
    seed, stream : int >= 0
    shift : float
        Common mean added to every output weight (0: the NTK initialisation).
    device : torch.device or str, optional

    Returns
    -------
    WidthSweep
    """
    X, z, seed, stream, shift, device = _common(
        activation, X, z, seed, stream, shift, device
    )
    widths = _check_widths(widths)
    S = check_positive_int("n_seeds", n_seeds)
    _check_units(S * int(widths.sum()))
    K_inf = kernels.two_layer_ntk(X, activation=activation)
    keys = ("off", "diag", "ratio", "dist", "spread")
    out = {key: np.zeros((S, widths.size)) for key in keys}
    for s in range(S):
        for j, h in enumerate(widths):
            net = _net(
                activation, X.shape[1], int(h), z, seed, stream, s, shift, device
            )
            T = ntk.empirical_ntk(net, X)
            sq = np.sum(T**2, axis=(0, 1))
            out["diag"][s, j] = np.sqrt(np.trace(sq) / z)
            out["off"][s, j] = np.sqrt((sq.sum() - np.trace(sq)) / (z * (z - 1)))
            out["ratio"][s, j] = ntk.block_ratio(T)
            dist = np.linalg.norm(ntk.diagonal_mean(T) - K_inf)
            out["dist"][s, j] = dist / np.linalg.norm(K_inf)
            out["spread"][s, j] = ntk.diagonal_spread(T)
    return WidthSweep(activation, widths, **out)


def slope_check(
    widths: Any,
    values: Any,
    rate: float = -0.5,
    n_se: float = 3.0,
    drift: float = 0.0,
) -> SlopeCheck:
    r"""Is the per-seed log-log slope of ``values`` against the width ``rate``?

    Each row of ``values`` (one seed) is fitted by least squares,
    :math:`\log v_{sj} = m_s\log h_j + c_s` (:func:`ssl_notes.metrics.loglog_slope`);
    the seeds are independent, so the mean slope has standard error
    :math:`\mathrm{sd}(m_s)/\sqrt S` and the check is
    :math:`|\bar m - \mathrm{rate}| \le n_{se}\,\mathrm{se} + \mathrm{drift}`.

    Parameters
    ----------
    widths : array_like, shape (W,), increasing positive, W >= 2
    values : array_like, shape (S, W), positive, S >= 2
    rate : float
        The predicted slope (-1/2 for a mean of h i.i.d. terms).
    n_se : float > 0
    drift : float >= 0
        Known systematic allowance (e.g. the slope of a denominator).

    Returns
    -------
    SlopeCheck
    """
    h = _check_widths(widths, at_least=2).astype(float)
    V = as_matrix("values", values)
    if V.shape[1] != h.size or V.shape[0] < 2:
        raise ValueError(
            f"values: expected shape (S >= 2, {h.size}), a row per seed, got {V.shape}"
        )
    if np.any(V <= 0):
        raise ValueError("values: expected positive values for a log-log fit")
    rate = check_scalar("rate", rate, "real")
    n_se = check_tolerance("n_se", n_se)
    drift = check_scalar("drift", drift, "real", min_val=0.0)
    sl = np.array([metrics.loglog_slope(h, row)[0] for row in V])
    sd = float(sl.std(ddof=1))
    se = sd / np.sqrt(sl.size)
    m = float(sl.mean())
    tol = float(n_se * se + drift)
    return SlopeCheck(sl, m, float(se), sd, rate, tol, bool(abs(m - rate) <= tol))


def check_sweep(
    sweep: WidthSweep, rate: float = -0.5, n_se: float = 3.0
) -> SweepChecks:
    r"""The rate checks of Lemma 1, item 3, on one :class:`WidthSweep`.

    By item 3, :math:`\mathbb{E}\,\mathrm{off}^2 = c_{\mathrm{off}}/h` exactly and
    :math:`\mathbb{E}\,\mathrm{dist}^2`, :math:`\mathbb{E}\,\mathrm{spread}^2` are
    of order 1/h, so their slopes are -1/2 (:func:`slope_check`, ``n_se`` standard
    errors). :math:`\mathbb{E}\,\mathrm{diag}^2 = \|\Theta_\infty\|_F^2 +
    c_{\mathrm{diag}}/h` drifts slightly; the ratio off/diag inherits that drift,
    allowed as ``drift = |slope of diag|``.

    Parameters
    ----------
    sweep : WidthSweep
    rate : float
        The predicted slope (-1/2).
    n_se : float > 0

    Returns
    -------
    SweepChecks
    """
    if not isinstance(sweep, WidthSweep):
        raise TypeError(f"sweep: expected a WidthSweep, got {type(sweep).__name__}")
    w = sweep.widths
    diag = slope_check(w, sweep.diag, rate=0.0, n_se=n_se)
    off, dist, spread = (
        slope_check(w, v, rate, n_se) for v in (sweep.off, sweep.dist, sweep.spread)
    )
    ratio = slope_check(w, sweep.ratio, rate, n_se, drift=abs(diag.mean))
    ok = off.passed and ratio.passed and dist.passed and spread.passed
    return SweepChecks(off, ratio, dist, spread, diag.mean, bool(ok))


# ---------------------------------------------------------------- item 3: the mean


def kernel_sample(
    activation: str,
    X: Any,
    width: int,
    n_seeds: int,
    z: int = 4,
    seed: int = 0,
    stream: int = 0,
    shift: float = 0.0,
    device: Any = None,
) -> KernelSample:
    r"""Independent draws of the two layers' mean blocks at one width.

    For seed s the network of :func:`width_sweep` at width h gives
    :math:`\Theta^{(2)}` (``empirical_ntk(net, X, params=["V"])``) and
    :math:`\Theta^{(1)}` (``params=["W"]``), shape (n, n, z, z); we keep
    :math:`\frac1z\sum_k\Theta^{(i)}_{kk}` and
    :math:`\frac1{z(z-1)}\sum_{k\ne l}\Theta^{(i)}_{kl}`. The seeds are i.i.d., and
    by Lemma 1 (item 3) :math:`\mathbb{E}\,\Theta_{kk} = \Theta_\infty` and
    :math:`\mathbb{E}\,\Theta_{kl} = 0` exactly, at every width.

    Parameters
    ----------
    activation : str, one of :data:`ssl_notes.activations.ACTIVATIONS`
    X : array_like, shape (n, d)
    width : int >= 1
    n_seeds : int >= 2
    z : int >= 2
    seed, stream : int >= 0
    shift : float
        Common mean added to every output weight.
    device : torch.device or str, optional

    Returns
    -------
    KernelSample
    """
    X, z, seed, stream, shift, device = _common(
        activation, X, z, seed, stream, shift, device
    )
    h = check_positive_int("width", width)
    S = check_positive_int("n_seeds", n_seeds)
    if S < 2:
        raise ValueError(f"n_seeds: expected at least 2 (a standard error), got {S}")
    _check_units(S * h)
    n = X.shape[0]
    out = {
        k: np.zeros((S, n, n))
        for k in ("last_diag", "first_diag", "last_off", "first_off")
    }
    for s in range(S):
        net = _net(activation, X.shape[1], h, z, seed, stream, s, shift, device)
        for layer, name in (("last", "V"), ("first", "W")):
            T = ntk.empirical_ntk(net, X, params=[name])
            tr = np.einsum("abkk->ab", T)
            out[f"{layer}_diag"][s] = tr / z
            out[f"{layer}_off"][s] = (T.sum(axis=(2, 3)) - tr) / (z * (z - 1))
    return KernelSample(activation, h, **out)


def mean_check(samples: Any, K: Any, ref: Any = None, n_se: float = 4.0) -> MeanCheck:
    r"""Test :math:`\mathbb{E}\,\hat K = K` with CLT error bars over i.i.d. samples.

    Two statistics, each within ``n_se`` standard errors:

    - the deviation along a direction R (default K), per sample
      :math:`b_s = \langle\hat K_s - K, R\rangle_F / \|R\|_F^2`; its mean
      :math:`\bar b` has standard error :math:`\mathrm{sd}(b_s)/\sqrt S`. A
      kernel off by a factor, :math:`(1+\beta)K`, shifts :math:`\bar b` by about
      :math:`-\beta`: this is the powerful test against a wrong scale;
    - entrywise, :math:`t_{ab} = (\bar K_{ab} - K_{ab})/\mathrm{se}_{ab}`, maximum
      over the entries (a wrong shape); an entry with zero spread must match
      exactly.

    Parameters
    ----------
    samples : array_like, shape (S, n1, n2), S >= 2
    K : array_like, shape (n1, n2)
    ref : array_like, shape (n1, n2), optional
        The direction R; required when K is zero.
    n_se : float > 0

    Returns
    -------
    MeanCheck
    """
    A = as_array("samples", samples, ndim=3)
    K = as_matrix("K", K)
    if A.shape[1:] != K.shape or A.shape[0] < 2:
        raise ValueError(f"samples: expected shape (S >= 2, *{K.shape}), got {A.shape}")
    R = K if ref is None else as_matrix("ref", ref)
    if R.shape != K.shape:
        raise ValueError(f"ref: expected shape {K.shape}, got {R.shape}")
    if not np.any(R):
        raise ValueError("ref: the direction R is zero (pass ref when K is zero)")
    n_se = check_tolerance("n_se", n_se)
    S = A.shape[0]
    b = np.einsum("sab,ab->s", A - K, R) / np.sum(R * R)
    bias, se = float(b.mean()), float(b.std(ddof=1) / np.sqrt(S))
    dev = A.mean(axis=0) - K
    se_ab = A.std(axis=0, ddof=1) / np.sqrt(S)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se_ab > 0, np.abs(dev) / se_ab, np.where(dev == 0, 0.0, np.inf))
    max_t = float(np.max(t))
    ok = abs(bias) <= n_se * se and max_t <= n_se
    return MeanCheck(bias, se, max_t, n_se, S, bool(ok))


def layer_limits(X: Any, activation: str = "relu") -> LayerLimits:
    r"""Infinite-width limits of the two layers' diagonal blocks, in closed form.

    With :math:`(u, u')` centred Gaussian of covariance
    :math:`\frac1d\begin{pmatrix}\|x\|^2 & x^\top x'\\ x^\top x' &
    \|x'\|^2\end{pmatrix}`, the last layer gives
    :math:`\mathbb{E}[\sigma(u)\sigma(u')]` and the first
    :math:`\frac{x^\top x'}{d}\mathbb{E}[\sigma'(u)\sigma'(u')]`. For ReLU, with
    the arc-cosine kernels :math:`k_1, k_0` (:func:`ssl_notes.kernels.arccos_kernel`),

    .. math:: \mathbb{E}[\sigma(u)\sigma(u')] = \frac{k_1(x, x')}{2d},\qquad
              \frac{x^\top x'}{d}\,\mathbb{E}[\sigma'(u)\sigma'(u')]
              = \frac{x^\top x'\,k_0(x, x')}{2d};

    at :math:`x = x'` both are :math:`\|x\|^2/(2d)`: the first layer gives half of
    :math:`\Theta_\infty(x, x)`. For the identity both are :math:`x^\top x'/d`.

    Parameters
    ----------
    X : array_like, shape (n, d), no zero row for ReLU
    activation : {"relu", "identity"}

    Returns
    -------
    LayerLimits
    """
    activation = check_choice("activation", activation, ("relu", "identity"))
    X = as_matrix("X", X)
    d = X.shape[1]
    G = X @ X.T / d
    if activation == "identity":
        return LayerLimits(G.copy(), G.copy())
    k1 = kernels.arccos_kernel(X, order=1)
    k0 = kernels.arccos_kernel(X, order=0)
    return LayerLimits(k1 / (2 * d), G * k0 / 2)


# ---------------------------------------------------------------- Remark 1


def gd_regression(model: Any, X: Any, Y: Any, lr: float, steps: int) -> GDResult:
    r"""Plain gradient descent on :math:`L = \frac12\|f(X) - Y\|_F^2`.

    :math:`\Theta_{t+1} = \Theta_t - \eta\nabla L(\Theta_t)` for ``steps`` steps
    (``torch.optim.SGD``, no momentum), in place on ``model``.

    Parameters
    ----------
    model : torch.nn.Module, mapping (n, d) to (n, z) or (n,)
    X : array_like, shape (n, d)
    Y : array_like, shape (n, z)
    lr : float > 0
    steps : int >= 1

    Returns
    -------
    GDResult
        f(X) before and after, shape (n, z).
    """
    import torch

    model = _check_module("model", model)
    X, Y = as_matrix("X", X), as_matrix("Y", Y)
    lr = check_tolerance("lr", lr)
    steps = check_positive_int("steps", steps)
    if steps > MAX_STEPS:
        raise ValueError(f"steps: expected at most {MAX_STEPS}, got {steps}")
    p = next(iter(model.parameters()))
    x = torch.as_tensor(X, dtype=p.dtype, device=p.device)
    y = torch.as_tensor(Y, dtype=p.dtype, device=p.device)
    with torch.no_grad():
        F0 = model(x).reshape(len(X), -1)
    if F0.shape != y.shape:
        raise ValueError(f"Y: expected shape {tuple(F0.shape)}, got {Y.shape}")
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((model(x).reshape(y.shape) - y) ** 2).sum()).backward()
        opt.step()
    with torch.no_grad():
        F = model(x).reshape(len(X), -1)
    if not torch.isfinite(F).all():
        raise ValueError(f"lr: gradient descent diverged (lr = {lr:.3g})")
    return GDResult(F0.cpu().numpy(), F.cpu().numpy())


def exact_regression(
    W0: Any,
    X: Any,
    Y: Any,
    lr: float,
    steps: int,
    feature_map: Callable[[Any], Any] | None = None,
    build: Callable[[Any, Any], Any] | None = None,
) -> Agreement:
    r"""Remark 1 for a kernel machine: one z-output regression is z scalar ones.

    Gradient descent on :math:`f(x) = W^\top\varphi(x)` from :math:`W_0` (joint),
    and on each column :math:`W_0 e_k` with targets :math:`Y e_k` (separate); the
    update :math:`W \leftarrow W - \eta\,\Phi^\top(\Phi W - Y)` changes column k
    through column k of Y only, so the two runs differ by rounding only:
    relative max-norm gap at most :math:`T(n + D)u`.

    Parameters
    ----------
    W0 : array_like, shape (D, z)
    X : array_like, shape (n, d)
    Y : array_like, shape (n, z)
    lr : float > 0
    steps : int >= 1
    feature_map : callable, optional
        :math:`\varphi` on torch tensors (default identity: the linear model).
    build : callable, optional
        ``build(W, feature_map)`` returns the model; default
        :func:`ssl_notes.ntk.feature_model` (pass a model whose outputs interact
        to see the check fail).

    Returns
    -------
    Agreement
        ``n_params`` is D z.
    """
    W0 = as_matrix("W0", W0)
    X, Y = as_matrix("X", X), as_matrix("Y", Y)
    feature_map = check_callable("feature_map", feature_map)
    build = check_callable("build", build)
    build = ntk.feature_model if build is None else build
    if Y.shape[1] != W0.shape[1]:
        raise ValueError(f"Y: expected {W0.shape[1]} columns (as W0), got {Y.shape}")
    joint = gd_regression(build(W0, feature_map), X, Y, lr, steps).F
    sep = np.column_stack([
        gd_regression(build(W0[:, k:k + 1], feature_map), X, Y[:, k:k + 1], lr, steps).F
        for k in range(W0.shape[1])
    ])  # fmt: skip
    gap = float(np.max(np.abs(joint - sep)) / np.max(np.abs(joint)))
    tol = steps * (X.shape[0] + W0.shape[0]) * U
    return Agreement(gap, float(tol), int(W0.size), bool(gap <= tol))


def joint_vs_separate(
    X: Any,
    Y: Any,
    width: int,
    lr: float,
    steps: int,
    activation: str = "tanh",
    seed: int = 0,
    replica: int = 0,
    device: Any = None,
) -> float:
    r"""Remark 1 for a two-layer network: one z-output run against z single ones.

    From ``two_layer_net(d, h, z, activation, init="gaussian")`` with weights from
    ``default_rng([seed, 7, replica, h])``, gradient descent
    on all z outputs (joint), and on z networks with the same first layer and
    output column k, each on target column k (separate, run side by side with
    ``torch.func.vmap``). Returns the relative gap on the training points

    .. math:: \|F_{\mathrm{joint}} - F_{\mathrm{sep}}\|_F /
              \|F_{\mathrm{joint}} - F(0)\|_F .

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, z), z >= 2
    width : int >= 1
    lr : float > 0
    steps : int >= 1
    activation : str
    seed, replica : int >= 0
    device : torch.device or str, optional

    Returns
    -------
    float
    """
    import torch
    from torch.func import functional_call, stack_module_state, vmap

    X, Y = as_matrix("X", X), as_matrix("Y", Y)
    if Y.shape[1] < 2:
        raise ValueError(f"Y: expected at least 2 columns (outputs), got {Y.shape}")
    X, z, seed, replica, _, device = _common(
        activation, X, Y.shape[1], seed, replica, 0.0, device, "replica"
    )
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y: expected {X.shape[0]} rows (as X), got {Y.shape}")
    h = check_positive_int("width", width)
    _check_units(h)
    net = _net(activation, X.shape[1], h, z, seed, 7, replica, 0.0, device)
    singles = []
    for k in range(z):
        single = copy.deepcopy(net)
        single.V = torch.nn.Parameter(net.V.detach()[:, k : k + 1].clone())
        singles.append(single)
    run = gd_regression(net, X, Y, lr, steps)
    xt = torch.as_tensor(X, device=net.W.device)
    yt = torch.as_tensor(Y, device=net.W.device)
    p, bufs = stack_module_state(singles)
    base = copy.deepcopy(singles[0]).to("meta")
    forward = vmap(
        lambda pp, bb: functional_call(base, (pp, bb), (xt,)), in_dims=(0, 0)
    )
    for _ in range(steps):
        F = forward(p, bufs)[:, :, 0].T  # (n, z)
        g = torch.autograd.grad(0.5 * ((F - yt) ** 2).sum(), list(p.values()))
        with torch.no_grad():
            for t, gt in zip(p.values(), g, strict=True):
                t -= lr * gt
    with torch.no_grad():
        F_sep = forward(p, bufs)[:, :, 0].T.cpu().numpy()
    return float(np.linalg.norm(run.F - F_sep) / np.linalg.norm(run.F - run.F0))


def remark_sweep(
    X: Any,
    Y: Any,
    widths: Sequence[int],
    n_seeds: int,
    lr: float,
    steps: int,
    activation: str = "tanh",
    seed: int = 0,
    device: Any = None,
) -> RemarkSweep:
    r""":func:`joint_vs_separate` over widths and seeds.

    Row s is ``joint_vs_separate(X, Y, h, lr, steps, activation, seed, replica=s)``
    for each width h: networks from ``default_rng([seed, 7, s, h])``.

    Parameters
    ----------
    X, Y : array_like, shapes (n, d) and (n, z)
    widths : sequence of increasing positive ints, shape (W,)
    n_seeds : int >= 1
    lr : float > 0
    steps : int >= 1
    activation : str
    seed : int >= 0
    device : torch.device or str, optional

    Returns
    -------
    RemarkSweep
    """
    widths = _check_widths(widths)
    S = check_positive_int("n_seeds", n_seeds)
    steps = check_positive_int("steps", steps)
    _check_units(S * int(widths.sum()) * max(1, steps // 100))
    gaps = np.array([
        [
            joint_vs_separate(X, Y, int(h), lr, steps, activation, seed, s, device)
            for h in widths
        ]
        for s in range(S)
    ])  # fmt: skip
    return RemarkSweep(widths, gaps)
