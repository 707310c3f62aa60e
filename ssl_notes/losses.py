r"""The self-supervised losses (1), (2) and the data matrix C of eq. (7).

For an embedding :math:`f:\mathbb{R}^d\to\mathbb{R}^z`, anchors :math:`x_i`,
positives :math:`x_i^+` and negatives :math:`x_i^-` (rows of ``X``, ``X_pos``,
``X_neg``):

- contrastive (1): :math:`L_c = -\frac1n\sum_i f(x_i)^\top (f(x_i^+) - f(x_i^-))`;
- non-contrastive (2): :math:`L_{nc} = -\frac1n\sum_i f(x_i)^\top f(x_i^+)`.

For a linear embedding :math:`f(x) = M^\top x` both are
:math:`\operatorname{Tr}(M^\top C M)` with the symmetric :math:`d\times d` matrix C
returned by :func:`contrastive_matrix` or :func:`noncontrastive_matrix`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._validate import as_matrix, check_same_shape, check_symmetric

__all__ = [
    "contrastive_loss",
    "noncontrastive_loss",
    "contrastive_matrix",
    "noncontrastive_matrix",
    "trace_loss",
]


def _is_torch(a: Any) -> bool:
    return hasattr(a, "detach") and hasattr(a, "requires_grad")


def _check_points(names: tuple[str, ...], *arrays: Any) -> list[Any]:
    """Validate data arrays, leaving torch tensors as tensors (autograd)."""
    out = []
    for name, a in zip(names, arrays):
        if _is_torch(a):
            if a.ndim != 2:
                raise ValueError(f"{name}: expected a 2-D array (n, d), got shape {tuple(a.shape)}")
            if not bool(a.isfinite().all()):
                raise ValueError(f"{name}: contains NaN or infinite entries")
            out.append(a)
        else:
            out.append(as_matrix(name, a))
    shapes = [tuple(a.shape) for a in out]
    if any(s != shapes[0] for s in shapes[1:]):
        desc = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
        raise ValueError(f"expected arrays of the same shape, got {desc}")
    return out


def _embed(f: Callable[[Any], Any], X: Any, name: str) -> Any:
    F = f(X)
    if F.ndim == 1:  # a scalar embedding, z = 1
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] != X.shape[0]:
        raise ValueError(
            f"f({name}) must have shape (n, z) with n = {X.shape[0]}, got {tuple(F.shape)}"
        )
    return F


def contrastive_loss(f: Callable[[Any], Any], X: Any, X_pos: Any, X_neg: Any) -> Any:
    r"""Contrastive loss (1), :math:`-\frac1n\sum_i f(x_i)^\top(f(x_i^+)-f(x_i^-))`.

    Parameters
    ----------
    f : callable
        Embedding, mapping an ``(n, d)`` array to ``(n, z)`` (or ``(n,)``).
        Numpy arrays or torch tensors; the loss has the type ``f`` returns,
        so it can be differentiated with torch.
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives and negatives.
    """
    X, X_pos, X_neg = _check_points(("X", "X_pos", "X_neg"), X, X_pos, X_neg)
    F, Fp, Fn = _embed(f, X, "X"), _embed(f, X_pos, "X_pos"), _embed(f, X_neg, "X_neg")
    return -(F * (Fp - Fn)).sum(-1).mean()


def noncontrastive_loss(f: Callable[[Any], Any], X: Any, X_pos: Any) -> Any:
    r"""Non-contrastive loss (2), :math:`-\frac1n\sum_i f(x_i)^\top f(x_i^+)`.

    Parameters as in :func:`contrastive_loss`, without negatives.
    """
    X, X_pos = _check_points(("X", "X_pos"), X, X_pos)
    F, Fp = _embed(f, X, "X"), _embed(f, X_pos, "X_pos")
    return -(F * Fp).sum(-1).mean()


def _sym_cross(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r""":math:`-\frac{1}{2n}\sum_i (a_i b_i^\top + b_i a_i^\top)` for rows a_i, b_i."""
    n = A.shape[0]
    G = A.T @ B
    return -(G + G.T) / (2.0 * n)


def contrastive_matrix(X: Any, X_pos: Any, X_neg: Any) -> np.ndarray:
    r"""Data matrix of the contrastive loss, eq. (7).

    .. math:: C = -\frac{1}{2n}\sum_{i=1}^n \big[x_i (x_i^+ - x_i^-)^\top
              + (x_i^+ - x_i^-) x_i^\top\big],

    so that :math:`L_c(f) = \operatorname{Tr}(M^\top C M)` for :math:`f(x) = M^\top x`.

    Returns
    -------
    ndarray, shape (d, d), exactly symmetric
    """
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    X_neg = as_matrix("X_neg", X_neg)
    check_same_shape(("X", "X_pos", "X_neg"), X, X_pos, X_neg)
    return _sym_cross(X, X_pos - X_neg)


def noncontrastive_matrix(X: Any, X_pos: Any) -> np.ndarray:
    r"""Data matrix of the non-contrastive loss.

    .. math:: C = -\frac{1}{2n}\sum_{i=1}^n \big[x_i x_i^{+\top} + x_i^+ x_i^\top\big],

    so that :math:`L_{nc}(f) = \operatorname{Tr}(M^\top C M)` for :math:`f(x) = M^\top x`.
    """
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    check_same_shape(("X", "X_pos"), X, X_pos)
    return _sym_cross(X, X_pos)


def trace_loss(C: Any, M: Any) -> float:
    r"""The loss of a linear embedding, :math:`\operatorname{Tr}(M^\top C M)`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M : array_like, shape (d, z)
    """
    C = check_symmetric("C", C)
    M = as_matrix("M", M)
    if M.shape[0] != C.shape[0]:
        raise ValueError(f"M: expected {C.shape[0]} rows to match C {C.shape}, got shape {M.shape}")
    return float(np.sum(M * (C @ M)))


def spectral_contrastive_loss(f: Callable[[Any], Any], X: Any, X_pos: Any) -> Any:
    r"""Spectral contrastive loss of HaoChen et al. (2021), on a batch of positive pairs.

    .. math:: L_{sc}(f) = -\frac2n\sum_{i=1}^n f(x_i)^\top f(x_i^+)
              + \frac{1}{n(n-1)}\sum_{i \ne j} \big(f(x_i)^\top f(x_j^+)\big)^2 .

    The population loss is :math:`-2\,\mathbb{E}[f(x)^\top f(x^+)] +
    \mathbb{E}[(f(x)^\top f(x'))^2]` with :math:`x'` independent of x; as in
    HaoChen et al., the second expectation is estimated on the pairs formed by an
    anchor and the positive of *another* anchor, so the negatives are implicit and
    every embedded point enters the quadratic term (with explicit negatives only,
    the positives would appear in the linear term alone and a model with more
    parameters than data points could send the loss to minus infinity). Unlike (1)
    and (2), the quadratic term :math:`(\sum_k f_k(x) f_k(x'))^2` contains the
    products :math:`f_k f_l` for :math:`k \ne l`: it couples the output
    dimensions, and it bounds the loss from below.

    Parameters
    ----------
    f : callable
        Embedding, mapping an ``(n, d)`` array to ``(n, z)`` (or ``(n,)``);
        numpy or torch (differentiable) as in :func:`contrastive_loss`.
    X, X_pos : array_like, shape (n, d), n >= 2
        Anchors and their positives.
    """
    X, X_pos = _check_points(("X", "X_pos"), X, X_pos)
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X: the spectral contrastive loss needs at least 2 pairs, got n = {n}")
    F, Fp = _embed(f, X, "X"), _embed(f, X_pos, "X_pos")
    G = F @ Fp.T  # G[i, j] = f(x_i)^T f(x_j^+)
    diag = (F * Fp).sum(-1)
    return -2.0 * diag.mean() + ((G**2).sum() - (diag**2).sum()) / (n * (n - 1))


__all__.append("spectral_contrastive_loss")
