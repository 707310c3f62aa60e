r"""The self-supervised losses (1), (2) and the data matrix C of eq. (7).

For an embedding :math:`f:\mathbb{R}^d\to\mathbb{R}^z`, anchors :math:`x_i`,
positives :math:`x_i^+` and negatives :math:`x_i^-` (rows of ``X``, ``X_pos``,
``X_neg``):

- contrastive (1): :math:`L_c = -\frac1n\sum_i f(x_i)^\top (f(x_i^+) - f(x_i^-))`;
- non-contrastive (2): :math:`L_{nc} = -\frac1n\sum_i f(x_i)^\top f(x_i^+)`.

For a linear embedding :math:`f(x) = M^\top x` both are
:math:`\operatorname{Tr}(M^\top C M)` with the symmetric :math:`d\times d` matrix C
returned by :func:`contrastive_matrix` or :func:`noncontrastive_matrix`.

The same C written with the points that build it, :math:`C = Z^\top D Z` with
:math:`Z = [X; X^+; X^-]` (rows are points) and a block matrix D, is
:func:`data_matrix` (a :class:`DataMatrix`): the form the output iteration (12)
works with.

Over 400 lines because every loss of the book lives here, with the data matrix it
reduces to: (1), (2), the spectral loss, InfoNCE (both similarities) and the C / (Z, D)
constructions, so that each loss sits beside the matrix it is checked against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import (
    as_array,
    as_matrix,
    check_choice,
    check_positive_float,
    check_same_shape,
    check_symmetric,
)

__all__ = [
    "contrastive_loss",
    "noncontrastive_loss",
    "contrastive_matrix",
    "noncontrastive_matrix",
    "trace_loss",
    "spectral_contrastive_loss",
    "DataMatrix",
    "data_matrix",
    "info_nce_loss",
    "info_nce_matrix",
    "multi_contrastive_matrix",
]


def _is_torch(a: Any) -> bool:
    return hasattr(a, "detach") and hasattr(a, "requires_grad")


def _check_points(names: tuple[str, ...], *arrays: Any) -> list[Any]:
    """Validate data arrays, leaving torch tensors as tensors (autograd)."""
    out = []
    for name, a in zip(names, arrays, strict=True):
        if _is_torch(a):
            if a.is_complex() or str(a.dtype) == "torch.bool":
                raise TypeError(f"{name}: expected a real tensor, got dtype {a.dtype}")
            if a.ndim != 2:
                raise ValueError(
                    f"{name}: expected a 2-D array (n, d), got shape {tuple(a.shape)}"
                )
            if not bool(a.isfinite().all()):
                raise ValueError(f"{name}: contains NaN or infinite entries")
            out.append(a)
        else:
            out.append(as_matrix(name, a))
    check_same_shape(names, *out)
    return out


def _embed(f: Callable[[Any], Any], X: Any, name: str) -> Any:
    if not callable(f):
        raise TypeError(f"f: expected a callable embedding, got {type(f).__name__}")
    F = f(X)
    if not _is_torch(F):
        F = as_array(f"f({name})", F)
    elif F.is_complex():
        raise TypeError(f"f({name}): expected a real tensor, got dtype {F.dtype}")
    if F.ndim == 1:  # a scalar embedding, z = 1
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] != X.shape[0]:
        raise ValueError(
            f"f({name}) must have shape (n, z) with n = {X.shape[0]}, "
            f"got {tuple(F.shape)}"
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

    so that :math:`L_{nc}(f) = \operatorname{Tr}(M^\top C M)` for
    :math:`f(x) = M^\top x`.
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
        raise ValueError(
            f"M: expected {C.shape[0]} rows to match C {C.shape}, got shape {M.shape}"
        )
    return float(np.sum(M * (C @ M)))


def spectral_contrastive_loss(f: Callable[[Any], Any], X: Any, X_pos: Any) -> Any:
    r"""Spectral contrastive loss of HaoChen et al. (2021) on a batch of positive pairs.

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
        raise ValueError(
            f"X: the spectral contrastive loss needs at least 2 pairs, got n = {n}"
        )
    F, Fp = _embed(f, X, "X"), _embed(f, X_pos, "X_pos")
    G = F @ Fp.T  # G[i, j] = f(x_i)^T f(x_j^+)
    diag = (F * Fp).sum(-1)
    return -2.0 * diag.mean() + ((G**2).sum() - (diag**2).sum()) / (n * (n - 1))


@dataclass(frozen=True)
class DataMatrix:
    r"""The data matrix written with its points: :math:`C = Z^\top D Z`.

    Rows of Z are the :math:`m = kn` points, in k blocks of n (anchors, positives
    and, for the contrastive loss, negatives), and
    :math:`D = D_{\text{blocks}} \otimes I_n` acts blockwise:

    - contrastive (k = 3): :math:`D_{\text{blocks}} = -\frac{1}{2n}
      \begin{pmatrix}0 & 1 & -1\\ 1 & 0 & 0\\ -1 & 0 & 0\end{pmatrix}`;
    - non-contrastive (k = 2): :math:`D_{\text{blocks}} = -\frac{1}{2n}
      \begin{pmatrix}0 & 1\\ 1 & 0\end{pmatrix}`.

    Then :math:`Z^\top D Z` is :func:`contrastive_matrix` (resp.
    :func:`noncontrastive_matrix`), and for :math:`F = ZM` (the outputs
    :math:`M^\top z_j`) :math:`\operatorname{Tr}(M^\top CM) = \operatorname{Tr}
    (F^\top DF)`. D is never stored densely: :meth:`apply_D` costs
    :math:`O(k^2 n q)` for an m x q matrix.

    Attributes
    ----------
    Z : ndarray, shape (m, d), m = k n
    D_blocks : ndarray, shape (k, k), symmetric
    """

    Z: np.ndarray
    D_blocks: np.ndarray

    @property
    def k(self) -> int:
        """Number of blocks (3 contrastive, 2 non-contrastive)."""
        return int(self.D_blocks.shape[0])

    @property
    def n(self) -> int:
        """Number of anchors."""
        return int(self.Z.shape[0] // self.k)

    @property
    def m(self) -> int:
        """Number of points, k n."""
        return int(self.Z.shape[0])

    @property
    def d(self) -> int:
        """Input dimension."""
        return int(self.Z.shape[1])

    def apply_D(self, F: Any, validate: bool = True) -> np.ndarray:
        r""":math:`DF` blockwise, :math:`(DF)_a = \sum_b (D_{\text{blocks}})_{ab} F_b`.

        Parameters
        ----------
        F : array_like, shape (m,) or (m, q)
        validate : bool
            ``False`` skips the checks (inner loops passing a float64 ndarray).
        """
        if validate:
            F = as_array("F", F)
            if F.ndim not in (1, 2) or F.shape[0] != self.m:
                raise ValueError(
                    f"F: expected shape ({self.m},) or ({self.m}, q), got {F.shape}"
                )
        blocks = F.reshape(self.k, self.n, *F.shape[1:])
        return np.tensordot(self.D_blocks, blocks, axes=(1, 0)).reshape(F.shape)

    def C(self) -> np.ndarray:
        r"""The d x d matrix :math:`Z^\top D Z`, exactly symmetric."""
        G = self.Z.T @ self.apply_D(self.Z, validate=False)
        return (G + G.T) / 2.0

    def dense_D(self) -> np.ndarray:
        r"""D as a dense m x m matrix, :math:`D_{\text{blocks}} \otimes I_n`."""
        return np.kron(self.D_blocks, np.eye(self.n))


def data_matrix(X: Any, X_pos: Any, X_neg: Any | None = None) -> DataMatrix:
    r"""C as :math:`Z^\top D Z` from its points: a :class:`DataMatrix`.

    Contrastive when ``X_neg`` is given (:math:`Z = [X; X^+; X^-]`, C of
    :func:`contrastive_matrix`), non-contrastive otherwise
    (:math:`Z = [X; X^+]`, C of :func:`noncontrastive_matrix`).

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives and (optionally) negatives.
    """
    names = ("X", "X_pos") if X_neg is None else ("X", "X_pos", "X_neg")
    given = (X, X_pos) if X_neg is None else (X, X_pos, X_neg)
    arrays = [as_matrix(name, a) for name, a in zip(names, given, strict=True)]
    check_same_shape(names, *arrays)
    n = arrays[0].shape[0]
    blocks = np.zeros((len(arrays), len(arrays)))
    blocks[0, 1] = blocks[1, 0] = 1.0
    if X_neg is not None:
        blocks[0, 2] = blocks[2, 0] = -1.0
    Z, D_blocks = np.vstack(arrays), -blocks / (2.0 * n)
    Z.setflags(write=False)
    D_blocks.setflags(write=False)
    return DataMatrix(Z, D_blocks)


def info_nce_loss(
    f: Callable[[Any], Any],
    X: Any,
    X_pos: Any,
    tau: float = 1.0,
    similarity: str = "dot",
) -> Any:
    r"""InfoNCE (van den Oord et al. 2018) with in-batch negatives.

    .. math:: L_\tau(f) = \frac1n\sum_{i=1}^n \Big[-s_{ii}
              + \log\sum_{j=1}^n e^{s_{ij}}\Big],
              \qquad s_{ij} = \operatorname{sim}(f(x_i), f(x_j^+))/\tau,

    the cross-entropy of picking the anchor's own positive among the n positives
    of the batch (the other n - 1 are its negatives). ``similarity="dot"`` uses
    :math:`\operatorname{sim}(u, v) = u^\top v`; ``"cosine"`` uses
    :math:`u^\top v/(\lVert u\rVert\lVert v\rVert)` (SimCLR's choice, one
    direction of its symmetric loss).

    Parameters
    ----------
    f : callable
        Embedding, ``(n, d)`` to ``(n, z)`` (or ``(n,)``); numpy or torch
        (differentiable) as in :func:`contrastive_loss`.
    X, X_pos : array_like, shape (n, d), n >= 2
        Anchors and their positives.
    tau : float > 0
        Temperature.
    similarity : {"dot", "cosine"}

    Returns
    -------
    float or 0-d tensor (the type ``f`` returns)
    """
    X, X_pos = _check_points(("X", "X_pos"), X, X_pos)
    tau = check_positive_float("tau", tau)
    similarity = check_choice("similarity", similarity, ("dot", "cosine"))
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X: InfoNCE needs at least 2 pairs, got n = {n}")
    F, Fp = _embed(f, X, "X"), _embed(f, X_pos, "X_pos")
    if similarity == "cosine":
        for name, A in (("f(X)", F), ("f(X_pos)", Fp)):
            norms = (A**2).sum(-1) ** 0.5
            if bool((norms == 0).any()):
                raise ValueError(f"{name}: a zero embedding has no cosine similarity")
        F = F / (F**2).sum(-1, keepdims=True) ** 0.5
        Fp = Fp / (Fp**2).sum(-1, keepdims=True) ** 0.5
    S = (F @ Fp.T) / tau
    if _is_torch(S):
        import torch

        return (torch.logsumexp(S, dim=1) - torch.diagonal(S)).mean()
    top = S.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(S - top).sum(axis=1))
    return float(np.mean(lse - np.diag(S)))


def info_nce_matrix(X: Any, X_pos: Any, M: Any, tau: float = 1.0) -> np.ndarray:
    r"""The state-dependent data matrix of dot-product InfoNCE, :math:`C_\tau(M)`.

    For :math:`f(x) = M^\top x` and :math:`s_{ij} = x_i^\top MM^\top x_j^+/\tau`,

    .. math:: C_\tau(M) = \frac{1}{2n\tau}\sum_{i,j=1}^n (P_{ij} - \delta_{ij})
              \big(x_i x_j^{+\top} + x_j^+ x_i^\top\big),
              \qquad P_{ij} = \frac{e^{s_{ij}}}{\sum_k e^{s_{ik}}},

    so that :math:`\nabla_M L_\tau = 2\,C_\tau(M)\,M` (:func:`info_nce_loss`,
    ``similarity="dot"``): every column of M sees the same matrix, but the matrix
    depends on M through the softmax P. At M = 0, :math:`P_{ij} = 1/n` and
    :math:`C_\tau(0) = \tfrac1\tau C` with C the matrix of loss (1) whose negative
    is the batch mean of the positives,
    :math:`-\tfrac{1}{2n}\sum_i [x_i(x_i^+ - \bar x^+)^\top + (x_i^+ - \bar x^+)
    x_i^\top]`.

    Parameters
    ----------
    X, X_pos : array_like, shape (n, d), n >= 2
    M : array_like, shape (d, z)
    tau : float > 0

    Returns
    -------
    ndarray, shape (d, d), exactly symmetric
    """
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    check_same_shape(("X", "X_pos"), X, X_pos)
    M = as_matrix("M", M)
    tau = check_positive_float("tau", tau)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X: InfoNCE needs at least 2 pairs, got n = {n}")
    if M.shape[0] != d:
        raise ValueError(f"M: expected {d} rows to match X, got shape {M.shape}")
    S = (X @ M) @ (X_pos @ M).T / tau
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    R = P - np.eye(n)
    G = X.T @ R @ X_pos
    return (G + G.T) / (2.0 * n * tau)


def multi_contrastive_matrix(X: Any, X_pos: Any, X_neg: Any) -> np.ndarray:
    r"""Data matrix of loss (1) with k positives and m negatives per anchor.

    With :math:`\bar x_i^+ = \frac1k\sum_a x_i^{+a}` and
    :math:`\bar x_i^- = \frac1m\sum_b x_i^{-b}` (the average of the
    corresponding terms),

    .. math:: C = -\frac{1}{2n}\sum_{i=1}^n \big[x_i (\bar x_i^+ - \bar x_i^-)^\top
              + (\bar x_i^+ - \bar x_i^-) x_i^\top\big],

    so that :math:`-\frac1n\sum_i f(x_i)^\top\big(\frac1k\sum_a f(x_i^{+a})
    - \frac1m\sum_b f(x_i^{-b})\big) = \operatorname{Tr}(M^\top CM)` for
    :math:`f(x) = M^\top x`; k = m = 1 is :func:`contrastive_matrix`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    X_pos : array_like, shape (k, n, d)
    X_neg : array_like, shape (m, n, d)

    Returns
    -------
    ndarray, shape (d, d), exactly symmetric
    """
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos, ndim=3)
    X_neg = as_matrix("X_neg", X_neg, ndim=3)
    for name, A in (("X_pos", X_pos), ("X_neg", X_neg)):
        if A.shape[1:] != X.shape:
            raise ValueError(
                f"{name}: expected shape (k, {X.shape[0]}, {X.shape[1]}) to match X, "
                f"got {A.shape}"
            )
    return _sym_cross(X, X_pos.mean(axis=0) - X_neg.mean(axis=0))
