r"""Kernels of the book: random Fourier features and infinite-width tangent kernels.

- Random Fourier features (Rahimi and Recht, 2007):
  :math:`\varphi(x) = \sqrt{2/D}\,\cos(\Omega^\top x + b)` with
  :math:`\Omega_{ij}\sim N(0, \ell^{-2})`, :math:`b_j \sim U[0, 2\pi)`, so that
  :math:`\mathbb{E}\,\langle\varphi(x),\varphi(x')\rangle
  = \exp(-\|x - x'\|^2 / 2\ell^2)`.
  A linear model on these features is a kernel machine :math:`f(x) = W^\top\varphi(x)`.
- Arc-cosine kernels (Cho and Saul, 2009) of order 0 and 1.
- The infinite-width neural tangent kernel (Jacot et al., 2018) of the two-layer
  network in the NTK parametrisation
  :math:`f(x) = h^{-1/2} V^\top\sigma(d^{-1/2}W^\top x)`
  with N(0, 1) weights, as used by :func:`ssl_notes.models.two_layer_net`
  (``init="gaussian"``): in closed form for ReLU and the identity, by a tensor
  Gauss-Legendre rule on :math:`[-10, 10]^2` for any other activation of
  :mod:`ssl_notes.activations`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import (
    as_matrix,
    as_rng,
    check_positive_float,
    check_positive_int,
    check_scalar,
)
from .activations import get_activation

__all__ = [
    "rff_weights",
    "rff_features",
    "gaussian_kernel",
    "arccos_kernel",
    "relu_ntk",
    "two_layer_ntk",
]


def _pair(X1: Any, X2: Any | None) -> tuple[np.ndarray, np.ndarray]:
    A = as_matrix("X1", X1)
    B = A if X2 is None else as_matrix("X2", X2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            "X1 and X2 must have the same number of columns, "
            f"got {A.shape} and {B.shape}"
        )
    if A.shape[0] * B.shape[0] > _MAX_ENTRIES:
        raise ValueError(
            f"X1, X2: a {A.shape[0]} x {B.shape[0]} kernel matrix has more than "
            f"{_MAX_ENTRIES:.0e} entries; compute it in blocks of rows of X1"
        )
    return A, B


#: The largest kernel matrix (n1 n2 entries) or feature matrix (d D) built here.
_MAX_ENTRIES = 10**8


def rff_weights(
    d: int, n_features: int, lengthscale: float = 1.0, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Frequencies and phases of random Fourier features for the Gaussian kernel.

    Parameters
    ----------
    d : int
        Input dimension.
    n_features : int
        Number D of features.
    lengthscale : float
        :math:`\ell` in :math:`k(x, x') = \exp(-\|x - x'\|^2/2\ell^2)`.
    rng : int, numpy.random.Generator or None

    Returns
    -------
    Omega : ndarray, shape (d, D), entries N(0, 1/lengthscale^2)
    b : ndarray, shape (D,), entries uniform on [0, 2 pi)
    """
    d = check_positive_int("d", d)
    D = check_positive_int("n_features", n_features)
    if d * D > _MAX_ENTRIES:
        raise ValueError(
            f"n_features: d D = {d * D} frequencies is more than {_MAX_ENTRIES:.0e}; "
            "use fewer features"
        )
    ell = check_positive_float("lengthscale", lengthscale)
    gen = as_rng(rng)
    Omega = gen.standard_normal((d, D)) / ell
    b = gen.uniform(0.0, 2.0 * np.pi, size=D)
    return Omega, b


def rff_features(X: Any, Omega: Any, b: Any) -> Any:
    r"""Random Fourier features :math:`\varphi(x) = \sqrt{2/D}\cos(\Omega^\top x + b)`.

    Parameters
    ----------
    X : array_like or torch.Tensor, shape (n, d)
        A torch tensor gives a torch tensor (differentiable, same dtype and device),
        so the map can sit inside a model (:func:`ssl_notes.ntk.feature_model`).
    Omega : array_like, shape (d, D)
    b : array_like, shape (D,)

    Returns
    -------
    ndarray or torch.Tensor, shape (n, D)
    """
    Omega = as_matrix("Omega", Omega)
    b = as_matrix("b", b, ndim=1)
    if b.shape[0] != Omega.shape[1]:
        raise ValueError(
            f"b: expected shape ({Omega.shape[1]},) to match Omega {Omega.shape}, "
            f"got {b.shape}"
        )
    D = Omega.shape[1]
    if hasattr(X, "detach") and hasattr(X, "requires_grad"):  # torch, keep the graph
        import torch

        from ._validate import check_tensor

        X = check_tensor("X", X)
        if X.ndim != 2 or X.shape[-1] != Omega.shape[0]:
            raise ValueError(
                f"X: expected shape (n, {Omega.shape[0]}), got {tuple(X.shape)}"
            )
        Om = torch.as_tensor(Omega, dtype=X.dtype, device=X.device)
        bt = torch.as_tensor(b, dtype=X.dtype, device=X.device)
        return np.sqrt(2.0 / D) * torch.cos(X @ Om + bt)
    X = as_matrix("X", X)
    if X.shape[1] != Omega.shape[0]:
        raise ValueError(
            f"X: expected shape (n, {Omega.shape[0]}) to match Omega {Omega.shape}, "
            f"got {X.shape}"
        )
    return np.sqrt(2.0 / D) * np.cos(X @ Omega + b)


def gaussian_kernel(
    X1: Any, X2: Any | None = None, lengthscale: float = 1.0
) -> np.ndarray:
    r"""Gaussian kernel :math:`k(x, x') = \exp(-\|x - x'\|^2 / 2\ell^2)`, (n1, n2)."""
    A, B = _pair(X1, X2)
    ell = check_positive_float("lengthscale", lengthscale)
    sq = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2.0 * A @ B.T
    return np.exp(-np.maximum(sq, 0.0) / (2.0 * ell**2))


def _angles(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    na = np.linalg.norm(A, axis=1)
    nb = np.linalg.norm(B, axis=1)
    G = A @ B.T
    denom = np.outer(na, nb)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(denom > 0, G / np.where(denom > 0, denom, 1.0), 0.0)
    theta = np.arccos(np.clip(cos, -1.0, 1.0))
    # arccos loses half the digits near cos = +-1 (theta ~ sqrt(2(1 - cos))): there,
    # use Kahan's 2 atan2(|a - b|, |a + b|) on the unit vectors, accurate to rounding.
    i, j = np.nonzero((np.abs(cos) > 1.0 - 1e-4) & (denom > 0))
    if i.size:
        ua, ub = A[i] / na[i, None], B[j] / nb[j, None]
        theta[i, j] = 2.0 * np.arctan2(
            np.linalg.norm(ua - ub, axis=1), np.linalg.norm(ua + ub, axis=1)
        )
    return theta, denom, G


def arccos_kernel(X1: Any, X2: Any | None = None, order: int = 1) -> np.ndarray:
    r"""Arc-cosine kernel of Cho and Saul (2009), order 0 or 1.

    .. math:: k_n(x, x') = \frac1\pi \|x\|^n\|x'\|^n J_n(\theta),\qquad
              J_0 = \pi - \theta,\quad J_1 = \sin\theta + (\pi - \theta)\cos\theta,

    :math:`\theta` the angle between x and x'. Equivalently
    :math:`k_n(x,x') = 2\,\mathbb{E}_{w\sim N(0,I)}[\Theta(w^\top x)\Theta(w^\top x')
    (w^\top x)^n (w^\top x')^n]` with Θ the Heaviside step: order 1 is twice
    :math:`\mathbb{E}[\mathrm{relu}(w^\top x)\mathrm{relu}(w^\top x')]`, order 0 twice
    :math:`\mathbb{E}[1\{w^\top x > 0\}1\{w^\top x' > 0\}]`.

    Parameters
    ----------
    X1 : array_like, shape (n1, d)
    X2 : array_like, shape (n2, d), optional (default X1)
    order : {0, 1}

    Returns
    -------
    ndarray, shape (n1, n2)
    """
    order = check_scalar("order", order, "int", min_val=0, max_val=1)
    A, B = _pair(X1, X2)
    if order == 0 and (
        np.any(np.linalg.norm(A, axis=1) == 0) or np.any(np.linalg.norm(B, axis=1) == 0)
    ):
        raise ValueError("X1, X2: the order-0 arc-cosine kernel is undefined at x = 0")
    theta, denom, _ = _angles(A, B)
    if order == 0:
        return (np.pi - theta) / np.pi
    return denom * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi


def relu_ntk(X1: Any, X2: Any | None = None) -> np.ndarray:
    r"""Infinite-width NTK of :math:`h^{-1/2}V^\top\mathrm{relu}(d^{-1/2}W^\top x)`.

    With N(0, 1) weights, pre-activations :math:`u = d^{-1/2}w^\top x`,
    :math:`u' = d^{-1/2}w^\top x'` are jointly Gaussian with covariance
    :math:`x^\top x'/d`, and each diagonal block of the tangent kernel tends to

    .. math:: \Theta_\infty(x, x') &= \mathbb{E}[\sigma(u)\sigma(u')]
              + \frac{x^\top x'}{d}\,\mathbb{E}[\sigma'(u)\sigma'(u')] \\
              &= \frac{1}{2d}\big(k_1(x, x') + x^\top x'\,k_0(x, x')\big),

    the first term from the gradient in V, the second from the gradient in W,
    :math:`k_0, k_1` the arc-cosine kernels (:func:`arccos_kernel`). Rows equal to
    zero are allowed (both terms vanish there).

    Returns
    -------
    ndarray, shape (n1, n2)
    """
    A, B = _pair(X1, X2)
    d = A.shape[1]
    theta, denom, G = _angles(A, B)
    k1 = denom * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi
    k0 = (np.pi - theta) / np.pi
    return (k1 + G * k0) / (2.0 * d)


def two_layer_ntk(
    X1: Any, X2: Any | None = None, activation: str = "relu", quad_points: int = 200
) -> np.ndarray:
    r"""Infinite-width NTK of the two-layer network in the NTK parametrisation.

    .. math:: \Theta_\infty(x, x') &= \mathbb{E}[\sigma(u)\sigma(u')]
              + \frac{x^\top x'}{d}\,\mathbb{E}[\sigma'(u)\sigma'(u')], \\
              (u, u') &\sim N\Big(0, \tfrac1d\begin{pmatrix} \|x\|^2 & x^\top x' \\
              x^\top x' & \|x'\|^2\end{pmatrix}\Big),

    the limit of every diagonal block :math:`\Theta_{kk}` of
    :func:`ssl_notes.ntk.empirical_ntk` for
    ``two_layer_net(d, h, z, activation, init="gaussian")`` as h grows.

    ReLU uses the closed form (:func:`relu_ntk`), the identity the exact value
    :math:`2x^\top x'/d`. Every other activation is integrated numerically: with
    :math:`s = \|x\|/\sqrt d`, :math:`s' = \|x'\|/\sqrt d` and
    :math:`\rho = x^\top x'/(\|x\|\|x'\|)` (0 when a norm is 0), write
    :math:`u = s\,t_1`, :math:`u' = s'(\rho t_1 + \sqrt{1-\rho^2}\,t_2)` with
    :math:`t_1, t_2` independent standard normals, and apply the tensor
    Gauss-Legendre rule on :math:`[-10, 10]^2`,

    .. math:: \mathbb{E}\,g(t_1, t_2) \approx \sum_{i,j=1}^{m} w_i w_j\,
              g(t_i, t_j),\qquad t_i = 10\,\xi_i,\quad
              w_i = 10\,\omega_i\,\varphi(10\,\xi_i),

    :math:`(\xi_i, \omega_i)` the m-point Gauss-Legendre nodes and weights on
    :math:`[-1, 1]` (``numpy.polynomial.legendre.leggauss``), :math:`\varphi` the
    standard normal density, ``m = quad_points``. The Gaussian mass outside the
    square, which the rule ignores, is below :math:`10^{-22}`. (A Gauss-Hermite
    rule converges more slowly here: tanh scaled by s has poles at distance
    :math:`\pi/(2s)` from the real axis; for :math:`E[\tanh'(2t)^2]`, 200
    Hermite nodes are :math:`3\cdot10^{-7}` off, 200 Legendre nodes
    :math:`10^{-10}`.) For tanh, 200 nodes agree with 800 to :math:`10^{-12}` when
    :math:`\|x\|^2/d \le 2.5` (:math:`4\cdot10^{-10}` at
    :math:`\|x\|^2/d = 4`); sigmoid and softplus0 converge faster.

    Parameters
    ----------
    X1 : array_like, shape (n1, d)
    X2 : array_like, shape (n2, d), optional (default X1)
    activation : str, one of :data:`ssl_notes.activations.ACTIVATIONS`
    quad_points : int, 1 <= quad_points <= 2000
        Quadrature nodes m per axis (not used for ReLU and identity). The work is
        :math:`n_1 n_2 m^2` evaluations (about 1e8 a second), refused above
        :math:`5\cdot10^8`.

    Returns
    -------
    ndarray, shape (n1, n2)
    """
    act = get_activation(activation)
    m = check_positive_int("quad_points", quad_points)
    if m > _MAX_QUAD_POINTS:
        raise ValueError(
            f"quad_points: expected at most {_MAX_QUAD_POINTS} nodes per axis, got {m} "
            "(200 already reaches 1e-12 for |x|^2/d <= 2.5)"
        )
    A, B = _pair(X1, X2)
    d = A.shape[1]
    if activation == "relu":
        return relu_ntk(A, B)
    G = A @ B.T / d
    if activation == "identity":
        return 2.0 * G
    work = A.shape[0] * B.shape[0] * m * m
    if work > _MAX_QUAD_WORK:
        raise ValueError(
            f"quad_points: n1 n2 m^2 = {work:.1e} evaluations is more than "
            f"{_MAX_QUAD_WORK:.0e} (more than ~10 s); use fewer points or quad_points"
        )
    return _quadrature_ntk(A, B, act.numpy, act.derivative, m)


_MAX_QUAD_POINTS = 2000
_MAX_QUAD_WORK = 5 * 10**8


def _quadrature_ntk(A: np.ndarray, B: np.ndarray, sig, dsig, m: int) -> np.ndarray:
    r"""The two Gaussian expectations of :func:`two_layer_ntk` by tensor Gauss-Legendre.

    ``sig`` and ``dsig`` are :math:`\sigma` and :math:`\sigma'` on arrays, ``m``
    the nodes per axis; see :func:`two_layer_ntk` for the rule.
    """
    d = A.shape[1]
    G = A @ B.T / d
    L = 10.0
    t, w = np.polynomial.legendre.leggauss(m)
    t, w = L * t, L * w * np.exp(-0.5 * (L * t) ** 2) / np.sqrt(2.0 * np.pi)
    W2 = np.outer(w, w)  # (m, m) weights of (t_i, t_j) under N(0, I_2)
    va = np.sum(A**2, 1) / d
    vb = np.sum(B**2, 1) / d
    sb = np.sqrt(vb)
    out = np.empty((A.shape[0], B.shape[0]))
    block = 16  # columns per chunk: memory block * m^2 doubles
    for a in range(A.shape[0]):  # loops over points keep the memory bounded
        sa = np.sqrt(va[a])
        u = sa * t[:, None]  # (m, 1): depends on t_i only
        s_u, ds_u = sig(u)[None], dsig(u)[None]
        for c in range(0, B.shape[0], block):
            sl = slice(c, c + block)
            den = sa * sb[sl]
            with np.errstate(invalid="ignore", divide="ignore"):
                rho = np.where(den > 0, G[a, sl] / np.where(den > 0, den, 1.0), 0.0)
            rho = np.clip(rho, -1.0, 1.0)[:, None, None]
            up = sb[sl, None, None] * (
                rho * t[None, :, None] + np.sqrt(1.0 - rho**2) * t[None, None, :]
            )
            e_ss = np.sum(W2 * s_u * sig(up), axis=(1, 2))
            e_dd = np.sum(W2 * ds_u * dsig(up), axis=(1, 2))
            out[a, sl] = e_ss + G[a, sl] * e_dd
    return out
