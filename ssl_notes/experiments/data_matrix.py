r"""Machinery of the chapter *Losses as a trace (the data matrix C of eq. (7))*
(``book/data_matrix.py``).

Three checks of the trace lemma, each returning a small frozen result object:

- :func:`trace_identity`: the direct loss (1) or (2) of :math:`f(x) = M^\top x`
  against :math:`\operatorname{Tr}(M^\top C M)`, and its autograd gradient against
  :math:`2CM`, both within a worst-case rounding bound (:class:`TraceIdentity`);
- :func:`sign_structure`: the spectrum of C against its expectation on real data
  (:class:`SignStructure`);
- :func:`scale_ratios`: :math:`L(\alpha M)/\alpha^2` over a range of scales, which
  a quadratic form keeps constant and a nonlinear embedding does not
  (:class:`ScaleRatios`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import losses
from .._validate import (
    as_matrix,
    check_positive_int,
    check_same_shape,
    check_scalar,
    check_symmetric,
    check_tolerance,
)
from ..activations import get_activation

__all__ = [
    "TraceIdentity",
    "trace_identity",
    "SignStructure",
    "sign_structure",
    "ScaleRatios",
    "scale_ratios",
]

_U = np.finfo(np.float64).eps / 2  # unit round-off of float64


def _gamma(m: int) -> float:
    r""":math:`\gamma_m = mu/(1 - mu)`, the rounding factor of m operations."""
    return m * _U / (1 - m * _U)


def _points(X: Any, X_pos: Any, X_neg: Any) -> tuple[np.ndarray, ...]:
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    if X_neg is None:
        check_same_shape(("X", "X_pos"), X, X_pos)
        return X, X_pos, None
    X_neg = as_matrix("X_neg", X_neg)
    check_same_shape(("X", "X_pos", "X_neg"), X, X_pos, X_neg)
    return X, X_pos, X_neg


def _rows(name: str, A: np.ndarray, d: int) -> None:
    if A.shape[0] != d:
        raise ValueError(f"{name}: expected {d} rows, got shape {A.shape}")


@dataclass(frozen=True)
class TraceIdentity:
    """The result of :func:`trace_identity` (all numbers are Python floats).

    Attributes
    ----------
    kind : str
        ``"contrastive"`` or ``"non-contrastive"``.
    loss : float
        The direct loss (1) or (2).
    trace_err, trace_tol : float
        :math:`|L - \\operatorname{Tr}(M^\\top C M)|` and its rounding bound.
    grad_err, grad_tol : float
        :math:`\\max_{ab}|(\\nabla_M L)_{ab} - (2CM)_{ab}|` and its rounding bound.
    grad_rel : float
        ``grad_err`` relative to :math:`\\max_{ab}|(2CM)_{ab}|`.
    asym : float
        :math:`\\max|C - C^\\top|` (zero for C built by eq. (7)).
    """

    kind: str
    loss: float
    trace_err: float
    trace_tol: float
    grad_err: float
    grad_tol: float
    grad_rel: float
    asym: float

    @property
    def passed(self) -> bool:
        """Trace and gradient within their bounds and C exactly symmetric."""
        return (
            self.trace_err <= self.trace_tol
            and self.grad_err <= self.grad_tol
            and self.asym == 0.0
        )


def trace_identity(
    C: Any, M: Any, X: Any, X_pos: Any, X_neg: Any = None
) -> TraceIdentity:
    r"""Check the trace lemma on one data set: loss, gradient and symmetry of C.

    The direct loss, contrastive (1) with negatives or non-contrastive (2) without,

    .. math:: L(M) = -\frac1n\sum_i (M^\top x_i)^\top M^\top \delta_i,\qquad
              \delta_i = x_i^+ - x_i^- \ \text{or}\ x_i^+,

    is computed from the embedded points (:func:`ssl_notes.losses.contrastive_loss`)
    and compared with :math:`\operatorname{Tr}(M^\top C M)`; its gradient by torch
    autograd is compared with :math:`2CM`. With :math:`P = |X^+| + |X^-|` (or
    :math:`|X^+|`) entrywise, every rounded sum along either route is within
    :math:`\gamma_m = mu/(1 - mu)` of the same sum of absolute values
    (:math:`u = 2^{-53}`, m the number of rounded operations on a chain,
    :math:`m = n + d(z + 1) + 6` here), so

    .. math:: |L - \operatorname{Tr}(M^\top CM)| &\le 2\gamma_m\,\tfrac1n
              \textstyle\sum_{ik} (|X||M|)_{ik}(P|M|)_{ik}, \\
              |\nabla_M L - 2CM| &\le 2\gamma_m\,\tfrac1n
              (|X|^\top P + P^\top |X|)|M|,

    the second entrywise (its largest entry is the tolerance reported).

    Parameters
    ----------
    C : array_like, shape (d, d)
        The data matrix to test (symmetry is measured, not assumed).
    M : array_like, shape (d, z)
        Any matrix.
    X, X_pos : array_like, shape (n, d)
        Anchors and positives.
    X_neg : array_like, shape (n, d), optional
        Negatives; ``None`` for the non-contrastive loss (2).

    Returns
    -------
    TraceIdentity
    """
    import torch

    X, X_pos, X_neg = _points(X, X_pos, X_neg)
    n, d = X.shape
    C = as_matrix("C", C)
    if C.shape != (d, d):
        raise ValueError(f"C: expected shape ({d}, {d}) to match X, got {C.shape}")
    M = as_matrix("M", M)
    _rows("M", M, d)
    z = M.shape[1]
    kind = "non-contrastive" if X_neg is None else "contrastive"

    def loss(f: Any, *pts: Any) -> Any:
        if X_neg is None:
            return losses.noncontrastive_loss(f, *pts[:2])
        return losses.contrastive_loss(f, *pts)

    pts = (X, X_pos) if X_neg is None else (X, X_pos, X_neg)
    direct = float(loss(lambda A: A @ M, *pts))
    trace = float(np.sum(M * (C @ M)))
    Mt = torch.tensor(M, requires_grad=True)
    loss(lambda A: A @ Mt, *map(torch.as_tensor, pts)).backward()
    twoCM = 2 * C @ M
    grad_diff = np.abs(Mt.grad.numpy() - twoCM)

    P = np.abs(X_pos) + (0.0 if X_neg is None else np.abs(X_neg))
    aX, aM = np.abs(X), np.abs(M)
    g = 2 * _gamma(n + d * (z + 1) + 6)
    loss_scale = float(np.sum((aX @ aM) * (P @ aM))) / n
    grad_scale = (aX.T @ P + P.T @ aX) @ aM / n
    top = float(np.max(np.abs(twoCM)))
    grad_err = float(np.max(grad_diff))
    return TraceIdentity(
        kind=kind,
        loss=direct,
        trace_err=abs(direct - trace),
        trace_tol=float(g * loss_scale),
        grad_err=grad_err,
        grad_tol=float(g * np.max(grad_scale)),
        grad_rel=float(grad_err / top) if top > 0 else 0.0,
        asym=float(np.max(np.abs(C - C.T))),
    )


@dataclass(frozen=True)
class SignStructure:
    """The result of :func:`sign_structure`.

    Attributes
    ----------
    cos_pc : float
        :math:`|u_1^\\top p_1|`, the most negative eigenvector of the contrastive C
        against the top principal component of the anchors.
    n_big : int
        Number of eigenvalues of :math:`-X^\\top X/n` below ``level``.
    rel_nc : float
        Largest relative gap between those eigenvalues and the matching ones of
        the non-contrastive C.
    cos_min, rel_max : float
        The thresholds.
    """

    cos_pc: float
    n_big: int
    rel_nc: float
    cos_min: float
    rel_max: float

    @property
    def passed(self) -> bool:
        """``cos_pc > cos_min`` and ``rel_nc < rel_max``."""
        return self.cos_pc > self.cos_min and self.rel_nc < self.rel_max


def sign_structure(
    X: Any,
    C: Any,
    C_nc: Any,
    level: float = -1.0,
    cos_min: float = 0.95,
    rel_max: float = 0.05,
) -> SignStructure:
    r"""Compare the spectra of the two data matrices with their expectations.

    With Gaussian positives and negatives drawn from the other points,
    :math:`\mathbb{E}\,C = -\hat\Sigma` (minus the sample covariance) and
    :math:`\mathbb{E}\,C_{nc} = -\hat S = -X^\top X/n`. Checks that (i) the
    eigenvector :math:`u_1` of the smallest eigenvalue of C is the top principal
    component :math:`p_1` of X, :math:`|u_1^\top p_1| > ` ``cos_min``; and (ii)
    every eigenvalue :math:`\mu_j <` ``level`` of :math:`-\hat S` (ascending) is
    matched by the j-th eigenvalue :math:`\lambda_j` of :math:`C_{nc}`,
    :math:`\max_j |\lambda_j - \mu_j|/|\mu_j| <` ``rel_max``.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
        The anchors.
    C, C_nc : array_like, shape (d, d), symmetric
        Contrastive and non-contrastive data matrices built on X.
    level : float < 0
        Eigenvalues of :math:`-\hat S` below it are compared.
    cos_min, rel_max : float in (0, 1)
        Thresholds of (i) and (ii).

    Returns
    -------
    SignStructure
    """
    X = as_matrix("X", X)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X: need at least 2 points for a covariance, got {n}")
    C = check_symmetric("C", C)
    C_nc = check_symmetric("C_nc", C_nc)
    for name, A in (("C", C), ("C_nc", C_nc)):
        if A.shape != (d, d):
            raise ValueError(f"{name}: expected shape ({d}, {d}), got {A.shape}")
    level = check_scalar("level", level, "real", max_val=0.0, include_max=False)
    cos_min = check_scalar("cos_min", cos_min, "real", min_val=0.0, max_val=1.0)
    rel_max = check_tolerance("rel_max", rel_max)
    Xc = X - X.mean(axis=0)
    pc1 = np.linalg.eigh(Xc.T @ Xc / n)[1][:, -1]
    u1 = np.linalg.eigh(C)[1][:, 0]
    mu = np.linalg.eigvalsh(-X.T @ X / n)
    big = mu < level
    if not big.any():
        raise ValueError(
            f"level: no eigenvalue of -X^T X/n is below {level} "
            f"(the smallest is {mu[0]:.3g})"
        )
    lam = np.linalg.eigvalsh(C_nc)
    rel = np.abs(lam[big] - mu[big]) / np.abs(mu[big])
    return SignStructure(
        cos_pc=float(abs(u1 @ pc1)),
        n_big=int(big.sum()),
        rel_nc=float(rel.max()),
        cos_min=cos_min,
        rel_max=rel_max,
    )


@dataclass(frozen=True)
class ScaleRatios:
    """The result of :func:`scale_ratios`.

    Attributes
    ----------
    alphas : ndarray, shape (count,)
        The scales, geometric from ``1/alpha_max`` to ``alpha_max``.
    ratios : ndarray, shape (count,)
        :math:`L(\\alpha M)/\\alpha^2`.
    spread : float
        :math:`(\\max - \\min)/\\max|\\cdot|` of the ratios.
    flip : float
        :math:`|L(-M) - L(M)|/|L(M)|`: zero for a quadratic form.
    """

    alphas: np.ndarray
    ratios: np.ndarray
    spread: float
    flip: float


def scale_ratios(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    M: Any,
    activation: str = "identity",
    alpha_max: float = 10.0,
    count: int = 9,
) -> ScaleRatios:
    r"""How far the contrastive loss of :math:`f(x) = \sigma(M^\top x)` is from a
    quadratic form in M.

    A quadratic form :math:`L(M) = \operatorname{Tr}(M^\top CM)` has
    :math:`L(\alpha M) = \alpha^2 L(M)` for every real :math:`\alpha`: the ratios
    :math:`L(\alpha M)/\alpha^2` are constant and :math:`L(-M) = L(M)`.

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives and negatives.
    M : array_like, shape (d, z)
        The weights at scale 1.
    activation : str
        A name of :data:`ssl_notes.activations.ACTIVATIONS` (``"identity"``: the
        linear embedding).
    alpha_max : float > 1
        The scales run from ``1/alpha_max`` to ``alpha_max``.
    count : int >= 2
        Number of scales.

    Returns
    -------
    ScaleRatios
    """
    X, X_pos, X_neg = _points(X, X_pos, X_neg)
    if X_neg is None:
        raise TypeError("X_neg: expected an array of negatives, got None")
    M = as_matrix("M", M)
    _rows("M", M, X.shape[1])
    sigma = get_activation(activation).numpy
    alpha_max = check_scalar(
        "alpha_max", alpha_max, "real", min_val=1.0, include_min=False
    )
    count = check_positive_int("count", count)
    if count < 2:
        raise ValueError(f"count: expected at least 2 scales, got {count}")

    def L(W: np.ndarray) -> float:
        return float(losses.contrastive_loss(lambda A: sigma(A @ W), X, X_pos, X_neg))

    alphas = np.geomspace(1 / alpha_max, alpha_max, count)
    ratios = np.array([L(a * M) / a**2 for a in alphas])
    top = float(np.max(np.abs(ratios)))
    if top == 0:
        raise ValueError("M: the loss is zero at every scale; nothing to compare")
    L1 = L(M)
    return ScaleRatios(
        alphas=alphas,
        ratios=ratios,
        spread=float(np.ptp(ratios)) / top,
        flip=abs(L(-M) - L1) / abs(L1) if L1 != 0 else float(abs(L(-M))),
    )
