r"""Lemma 2 and Theorem 1: how far a wide network is from its linear twin (numpy).

Orientation of Theorem 1: hidden width :math:`h \ge d`, first layer
:math:`W \in \mathbb{R}^{h\times d}` with orthonormal columns, second layer
:math:`V\in\mathbb{R}^{h\times z}` with orthonormal columns, and (6)

.. math:: f_{nl}(x) = V^\top \sigma(W x), \qquad f_{lin}(x) = V^\top W x .

:class:`ssl_notes.models.TwoLayerNet` stores the first layer as ``net.W`` of shape
(d, h); for h > d its rows are orthonormal, so ``net.W.T`` is the W above.

Contents:

- Lemma 2: the explicit bound :func:`lemma2_bound` on the entries of a Haar
  matrix and its probability (:func:`lemma2_probability`), the exact law of one
  entry (:func:`haar_entry_tail`) and the union bound built from it
  (:func:`lemma2_failure_bound`), Lemma 2's quantity :func:`max_entry_ratio`;
- Theorem 1: the explicit bound :func:`theorem1_bound` (constant
  :func:`theorem1_constant`) and the measured gaps :func:`linearization_gap`.

The activations and their constants (:math:`\sigma(0)`, :math:`\sigma'(0)`,
:math:`K = \sup|\sigma''|`) come from :mod:`ssl_notes.activations`; training the
two networks apart is :mod:`ssl_notes.twins`. Nothing here imports torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validate import as_array, as_matrix, check_positive_int, check_scalar
from .activations import get_activation

__all__ = [
    "LEMMA2_C",
    "lemma2_bound",
    "lemma2_probability",
    "haar_entry_tail",
    "lemma2_failure_bound",
    "max_entry_ratio",
    "theorem1_constant",
    "theorem1_bound",
    "linearization_gap",
]

_LOG2 = math.log(2.0)
_KAPPA = (_LOG2 - 0.5) / 2.0  # the Chernoff constant of Lemma 2's proof

#: The constant c of Lemma 2 in :math:`\max_{ij}|W_{ij}| \le c\sqrt{\log h / h}`.
LEMMA2_C = 2.0 * math.sqrt(2.0)


def _check_width(
    h: Any, d: Any | None = None, need_d: bool = True
) -> tuple[int, int | None]:
    h = check_positive_int("h", h)
    if h < 2:
        raise ValueError(
            f"h: expected a width h >= 2 (log h must be positive), got {h}"
        )
    if d is None and need_d:
        raise TypeError("d: expected a positive integer d <= h, got None")
    if d is not None:
        d = check_positive_int("d", d)
        if d > h:
            raise ValueError(f"d: Theorem 1 needs d <= h, got d = {d}, h = {h}")
    return h, d


def _check_delta(delta: Any) -> float:
    return check_scalar(
        "delta",
        delta,
        "real",
        min_val=0.0,
        max_val=1.0,
        include_min=False,
        include_max=False,
    )


def _nonnegative(name: str, x: Any) -> tuple[np.ndarray, bool]:
    """A scalar or an array of finite values >= 0, as (float64 array, was scalar)."""
    if np.ndim(x) == 0:
        return np.asarray(check_scalar(name, x, "real", min_val=0.0)), True
    arr = as_array(name, x)
    if np.any(arr < 0):
        raise ValueError(f"{name}: expected non-negative values, got min {arr.min()!r}")
    return arr, False


def lemma2_bound(h: int, d: int | None = None, delta: float | None = None) -> float:
    r"""Lemma 2's bound on :math:`\max_{ij} |W_{ij}|`, W Haar with orthonormal columns.

    - ``delta`` None: :math:`c\sqrt{\log h / h}` with :math:`c = 2\sqrt2`
      (:data:`LEMMA2_C`), which holds with probability at least
      :math:`1 - 2d/h - d\,e^{-\kappa h}`, :math:`\kappa = (\log 2 - 1/2)/2`;
    - ``delta`` in (0, 1) (needs ``d``): :math:`2\sqrt{\log(2hd/\delta)/h}`, which
      holds with probability at least :math:`1 - \delta - d\,e^{-\kappa h}`.

    Parameters
    ----------
    h : int, the number of rows (the width), h >= 2
    d : int, the number of columns, d <= h (only with ``delta``)
    delta : float in (0, 1), optional
    """
    h, d = _check_width(h, d, need_d=False)
    if delta is None:
        return LEMMA2_C * math.sqrt(math.log(h) / h)
    if d is None:
        raise ValueError("d: required with delta")
    delta = _check_delta(delta)
    return 2.0 * math.sqrt(math.log(2.0 * h * d / delta) / h)


def lemma2_probability(h: int, d: int, delta: float | None = None) -> float:
    r"""Lemma 2's lower bound on the probability that :func:`lemma2_bound` holds.

    :math:`1 - \delta - d e^{-\kappa h}`, :math:`\kappa = (\log 2 - 1/2)/2`, with
    :math:`\delta = 2d/h` when ``delta`` is None, clipped at 0 (a vacuous bound).

    Parameters
    ----------
    h, d : int, width and number of columns, 1 <= d <= h, h >= 2
    delta : float in (0, 1), optional
    """
    h, d = _check_width(h, d)
    dl = 2.0 * d / h if delta is None else _check_delta(delta)
    return max(0.0, 1.0 - dl - d * math.exp(-_KAPPA * h))


def haar_entry_tail(s: Any, h: int) -> Any:
    r"""Exact :math:`P(|W_{ij}| > s)` for one entry of a Haar matrix with h rows.

    A column of W is uniform on the sphere :math:`S^{h-1}`, so
    :math:`W_{ij}^2 = g_i^2/\|g\|^2` with :math:`g\sim N(0, I_h)`: a ratio
    :math:`\chi^2_1/(\chi^2_1 + \chi^2_{h-1})` of independent variables, i.e.
    :math:`W_{ij}^2 \sim \mathrm{Beta}(1/2, (h-1)/2)` and
    :math:`P(|W_{ij}| > s) = 1 - I_{s^2}(1/2, (h-1)/2)` for :math:`s < 1`, 0 for
    :math:`s \ge 1`.

    Parameters
    ----------
    s : float or array_like of thresholds >= 0
    h : int, h >= 2

    Returns
    -------
    float or ndarray of the shape of ``s``
    """
    from scipy.stats import beta

    h, _ = _check_width(h, need_d=False)
    s, scalar = _nonnegative("s", s)
    out = np.where(s >= 1.0, 0.0, beta.sf(np.minimum(s, 1.0) ** 2, 0.5, (h - 1) / 2.0))
    return float(out) if scalar else out


def lemma2_failure_bound(s: float, h: int, d: int) -> float:
    r"""Union bound :math:`\min(1, hd\,P(|W_{11}| > s)) \ge P(\max_{ij}|W_{ij}| > s)`.

    Uses the exact tail :func:`haar_entry_tail`, so it is much smaller than the
    Chernoff bound of Lemma 2 and can justify a numerical assertion.

    Parameters
    ----------
    s : float >= 0, the threshold
    h, d : int, the shape of W, 1 <= d <= h, h >= 2
    """
    h, d = _check_width(h, d)
    s = check_scalar("s", s, "real", min_val=0.0)
    return float(min(1.0, h * d * haar_entry_tail(s, h)))


def max_entry_ratio(W: Any) -> float:
    r"""Lemma 2's quantity :math:`\max_{ij}|W_{ij}|\,\sqrt{h/\log h}`.

    Parameters
    ----------
    W : array_like, shape (h, d), h >= 2
    """
    W = as_matrix("W", W)
    h = W.shape[0]
    if h < 2:
        raise ValueError(
            f"W: expected h >= 2 rows (log h must be positive), got {W.shape}"
        )
    return float(np.max(np.abs(W)) * math.sqrt(h / math.log(h)))


def theorem1_constant(K: float) -> float:
    r"""The constant :math:`C = cK/2 = \sqrt2 K` of Theorem 1 (c from Lemma 2).

    Parameters
    ----------
    K : float >= 0, finite, a bound on :math:`|\sigma''|`
    """
    K = check_scalar("K", K, "real", min_val=0.0)
    return LEMMA2_C * K / 2.0


def theorem1_bound(x_norm: Any, h: int, d: int, K: float) -> Any:
    r"""Theorem 1's bound :math:`C\|x\|^2\sqrt{d\log h/h}` with :math:`C = \sqrt2 K`.

    Valid for every x at once on the event of Lemma 2 (:math:`c = 2\sqrt2`), when
    :math:`|\sigma''| \le K` on the whole line (tanh: :math:`K = 4/(3\sqrt3)`).

    Parameters
    ----------
    x_norm : float or array_like of norms :math:`\|x\| \ge 0`
    h, d : int, width and input dimension, d <= h
    K : float, a bound on :math:`|\sigma''|`

    Returns
    -------
    float or ndarray of the shape of ``x_norm``
    """
    h, d = _check_width(h, d)
    x_norm, scalar = _nonnegative("x_norm", x_norm)
    out = theorem1_constant(K) * x_norm**2 * math.sqrt(d * math.log(h) / h)
    return float(out) if scalar else out


def linearization_gap(
    X: Any, W: Any, V: Any, activation_name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-point gaps between :math:`f_{nl}(x) = V^\top\sigma(Wx)` and its linear twin.

    The linear twin is :math:`f_{lin}(x) = V^\top W x` (same weights).

    Parameters
    ----------
    X : array_like, shape (n, d), one input per row
    W : array_like, shape (h, d), the first layer in Theorem 1's orientation
    V : array_like, shape (h, z)
    activation_name : str, one of :data:`ssl_notes.activations.ACTIVATIONS`

    Returns
    -------
    output : ndarray (n,), :math:`\|f_{nl}(x) - f_{lin}(x)\|_2`
    hidden : ndarray (n,), :math:`\|\sigma(Wx) - Wx\|_2` (an upper bound on
        ``output`` when V has orthonormal columns)
    linear : ndarray (n,), :math:`\|f_{lin}(x)\|_2`
    """
    X = as_matrix("X", X)
    W = as_matrix("W", W)
    V = as_matrix("V", V)
    fn = get_activation(activation_name, "activation_name").numpy
    if W.shape[1] != X.shape[1]:
        raise ValueError(
            f"W: expected shape (h, {X.shape[1]}) to match X {X.shape}, got {W.shape}"
        )
    if V.shape[0] != W.shape[0]:
        raise ValueError(
            f"V: expected {W.shape[0]} rows to match W {W.shape}, got shape {V.shape}"
        )
    U = X @ W.T  # rows: (Wx)^T
    D = fn(U) - U
    out = D @ V
    return (
        np.linalg.norm(out, axis=1),
        np.linalg.norm(D, axis=1),
        np.linalg.norm(U @ V, axis=1),
    )
