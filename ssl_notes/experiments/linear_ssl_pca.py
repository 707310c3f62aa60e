r"""Machinery of the chapter *What linear SSL learns (PCA)*
(``book/linear_ssl_pca.py``).

- spectra and subspaces: :func:`top_eig` (the top k eigenpairs, a :class:`TopEig`),
  :func:`pca_basis` (scikit-learn's PCA), :func:`procrustes_align`;
- the expectation of C by Monte Carlo: :func:`mc_expectation` (a
  :class:`MonteCarloCheck` with CLT error bars);
- the shift augmentation: :func:`shift_images`, :func:`shift_matrix`,
  :func:`mean_shift_matrix`, :func:`shift_positives` and its expected data matrix
  :func:`expected_shift_C`;
- one draw against its expectation: :func:`davis_kahan` (a :class:`DavisKahan`),
  :func:`noise_term` (item 4 of the proposition), :func:`averaged_matrix`, and the
  sweep over sample sizes and noise levels :func:`one_draw_sweep` (a
  :class:`DrawSweep`).

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import data, losses, metrics
from .._validate import (
    as_array,
    as_matrix,
    as_rng,
    check_callable,
    check_orthonormal_columns,
    check_positive_int,
    check_scalar,
    check_symmetric,
    check_tolerance,
)

__all__ = [
    "TopEig",
    "top_eig",
    "pca_basis",
    "procrustes_align",
    "MonteCarloCheck",
    "mc_expectation",
    "shift_images",
    "shift_matrix",
    "mean_shift_matrix",
    "shift_positives",
    "expected_shift_C",
    "DavisKahan",
    "davis_kahan",
    "noise_term",
    "averaged_matrix",
    "DrawSweep",
    "one_draw_sweep",
]

SIDE = 28  # MNIST images are 28 x 28


# ------------------------------------------------------------------ spectra


@dataclass(frozen=True)
class TopEig:
    """The k largest eigenvalues of a symmetric matrix and their eigenvectors.

    Attributes
    ----------
    values : ndarray, shape (k,)
        Descending, :math:`\\lambda_1 \\ge \\dots \\ge \\lambda_k`.
    vectors : ndarray, shape (d, k)
        Orthonormal; column j belongs to ``values[j]``.
    """

    values: np.ndarray
    vectors: np.ndarray


def top_eig(A: Any, k: int) -> TopEig:
    r"""The top k eigenpairs of the symmetric A, in descending order.

    :math:`A v_j = \lambda_j v_j` with :math:`\lambda_1\ge\dots\ge\lambda_k` the k
    largest eigenvalues (LAPACK's ``syevr`` on that index range only).

    Parameters
    ----------
    A : array_like, shape (d, d), symmetric
    k : int, 1 <= k <= d

    Returns
    -------
    TopEig
        ``values`` of shape (k,), ``vectors`` of shape (d, k).
    """
    from scipy.linalg import eigh

    A = check_symmetric("A", A)
    d = A.shape[0]
    k = check_positive_int("k", k)
    if k > d:
        raise ValueError(f"k: expected at most d = {d} eigenpairs, got {k}")
    lam, U = eigh(A, subset_by_index=[d - k, d - 1])
    return TopEig(values=lam[::-1].copy(), vectors=U[:, ::-1].copy())


def pca_basis(X: Any, z: int) -> np.ndarray:
    """scikit-learn's ``PCA(n_components=z)`` of the rows of X, as a (d, z) basis.

    The exact solver through the covariance matrix (``covariance_eigh``, much
    faster for n >> d) where scikit-learn has it (>= 1.5), else ``full``.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
    z : int, 1 <= z <= min(n, d)

    Returns
    -------
    ndarray, shape (d, z), orthonormal columns (``components_.T``)
    """
    from sklearn.decomposition import PCA

    X = as_matrix("X", X)
    z = check_positive_int("z", z)
    if z > min(X.shape):
        raise ValueError(f"z: expected at most min(n, d) = {min(X.shape)}, got {z}")
    try:
        pca = PCA(n_components=z, svd_solver="covariance_eigh").fit(X)
    except ValueError:  # scikit-learn < 1.5
        pca = PCA(n_components=z, svd_solver="full").fit(X)
    return pca.components_.T


def procrustes_align(B: Any, ref: Any) -> np.ndarray:
    r"""The orthonormal basis of span(B) closest to ``ref`` (for display).

    :math:`B Q` with the orthogonal :math:`Q = U V^\top` from the SVD
    :math:`B^\top \mathrm{ref} = U S V^\top` (orthogonal Procrustes).

    Parameters
    ----------
    B, ref : array_like, shape (d, z), orthonormal columns
    """
    B = check_orthonormal_columns("B", B)
    ref = check_orthonormal_columns("ref", ref)
    if B.shape != ref.shape:
        raise ValueError(f"ref: expected shape {B.shape} like B, got {ref.shape}")
    u, _, vt = np.linalg.svd(B.T @ ref)
    return B @ (u @ vt)


# ------------------------------------------------------------------ Monte Carlo


Sampler = Callable[[np.ndarray, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class MonteCarloCheck:
    """The result of :func:`mc_expectation`.

    Attributes
    ----------
    max_z : float
        Largest :math:`|z|`-score over the compared entries.
    entries : int
        Number of entries compared, :math:`k(k+1)/2`.
    z_max : float
        The threshold.
    false_alarm : float
        Bonferroni bound on the probability that a correct expectation scores
        above ``z_max``: ``entries`` times :math:`P(|N(0,1)| > z_{\\max})`.
    """

    max_z: float
    entries: int
    z_max: float
    false_alarm: float

    @property
    def passed(self) -> bool:
        """``max_z < z_max``: no entry is significantly off."""
        return self.max_z < self.z_max


def _sampler(name: str, value: Any) -> Sampler:
    check_callable(name, value, allow_none=False)
    return value


def _draw(fn: Sampler, X: np.ndarray, gen: np.random.Generator, name: str):
    out = as_matrix(f"{name}(X)", fn(X, gen))
    if out.shape != X.shape:
        raise ValueError(f"{name}: returned shape {out.shape}, expected {X.shape}")
    return out


def mc_expectation(
    X: Any,
    W: Any,
    expected: Any,
    positives: Sampler,
    negatives: Sampler | None = None,
    draws: int = 2000,
    rng: Any = None,
    z_max: float = 4.5,
) -> MonteCarloCheck:
    r"""Test :math:`\mathbb{E}\,C = ` ``expected`` by Monte Carlo, in the directions W.

    Draws the positives and negatives ``draws`` times, builds (7) each time and
    compares the mean of :math:`W^\top C W` with :math:`W^\top \mathbb{E}\,C\,W`,
    entry by entry (upper triangle), in units of the standard error
    :math:`s/\sqrt R` (s the sample standard deviation over the R draws). By the
    central limit theorem each score is approximately :math:`N(0, 1)` when the
    expectation is right; a wrong one moves it by :math:`\sqrt R` times the bias
    over s.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The anchors (fixed).
    W : array_like, shape (d, k)
        The directions compared (e.g. the top principal components).
    expected : array_like, shape (d, d)
        The claimed :math:`\mathbb{E}\,C`.
    positives, negatives : callable ``(X, rng) -> (n, d)``
        The samplers; ``negatives=None`` tests the non-contrastive C.
    draws : int >= 2
        Number R of draws.
    rng : int, numpy.random.Generator or None
    z_max : float > 0
        The threshold on the largest score.

    Returns
    -------
    MonteCarloCheck
    """
    X = as_matrix("X", X)
    n, d = X.shape
    W = as_matrix("W", W)
    if W.shape[0] != d:
        raise ValueError(f"W: expected {d} rows, got shape {W.shape}")
    E = as_matrix("expected", expected)
    if E.shape != (d, d):
        raise ValueError(f"expected: expected shape ({d}, {d}), got {E.shape}")
    positives = _sampler("positives", positives)
    if negatives is not None:
        negatives = _sampler("negatives", negatives)
    draws = check_positive_int("draws", draws)
    if draws < 2:
        raise ValueError(f"draws: need at least 2 draws for an error bar, got {draws}")
    z_max = check_tolerance("z_max", z_max)
    gen = as_rng(rng)
    k = W.shape[1]
    XW = X @ W
    acc = np.empty((draws, k, k))
    for r in range(draws):
        D = _draw(positives, X, gen, "positives")
        if negatives is not None:
            D = D - _draw(negatives, X, gen, "negatives")
        G = XW.T @ (D @ W)
        acc[r] = -(G + G.T) / (2 * n)
    iu = np.triu_indices(k)
    mean = acc.mean(0)[iu]
    se = acc.std(0, ddof=1)[iu] / math.sqrt(draws)
    target = (W.T @ E @ W)[iu]
    if np.any(se == 0):
        raise ValueError("positives: the draws do not vary; no error bar")
    entries = int(iu[0].size)
    return MonteCarloCheck(
        max_z=float(np.max(np.abs(mean - target) / se)),
        entries=entries,
        z_max=z_max,
        false_alarm=float(entries * math.erfc(z_max / math.sqrt(2))),
    )


# ------------------------------------------------------------------ shifts


def _side(side: Any, d: int | None = None) -> int:
    side = check_positive_int("side", side)
    if d is not None and side * side != d:
        raise ValueError(f"side: {side} x {side} images need d = {side**2}, got {d}")
    return side


def _shift(shift: Any, side: int, name: str = "dr") -> int:
    shift = check_scalar(name, shift, "int")
    if abs(shift) >= side:
        raise ValueError(f"{name}: a shift must be smaller than side = {side}")
    return shift


def shift_images(X: Any, dr: int, dc: int, side: int = SIDE) -> np.ndarray:
    r"""Translate square images (rows of X) by ``dr`` rows and ``dc`` columns.

    :math:`(Sx)[r, c] = x[r - d_r, c - d_c]` where that pixel exists, 0 elsewhere
    (zero fill). This is :math:`x \mapsto S x` with the :math:`d\times d` matrix
    :func:`shift_matrix`, and ``shift_images(X, -dr, -dc)`` applies
    :math:`S^\top`.

    Parameters
    ----------
    X : array_like, shape (n, side * side)
        One image per row, row-major.
    dr, dc : int, |dr|, |dc| < side
        Positive ``dr`` moves the content down, positive ``dc`` right.
    side : int
        Image side (28 for MNIST).

    Returns
    -------
    ndarray, shape (n, side * side)
    """
    X = as_matrix("X", X)
    side = _side(side, X.shape[1])
    dr, dc = _shift(dr, side, "dr"), _shift(dc, side, "dc")
    n = X.shape[0]
    img, out = X.reshape(n, side, side), np.zeros((n, side, side))
    src_r = slice(max(-dr, 0), side - max(dr, 0))
    src_c = slice(max(-dc, 0), side - max(dc, 0))
    dst_r = slice(max(dr, 0), side - max(-dr, 0))
    dst_c = slice(max(dc, 0), side - max(-dc, 0))
    out[:, dst_r, dst_c] = img[:, src_r, src_c]
    return out.reshape(n, -1)


def shift_matrix(dr: int, dc: int, side: int = SIDE) -> np.ndarray:
    """The :math:`d\\times d` matrix S of :func:`shift_images`, ``S @ x``.

    Parameters
    ----------
    dr, dc : int
        The shift, as in :func:`shift_images`.
    side : int
        Image side; :math:`d = ` ``side**2``.

    Returns
    -------
    ndarray, shape (side**2, side**2), entries 0 and 1
    """
    side = _side(side)
    return shift_images(np.eye(side * side), dr, dc, side).T


def _directions(s: int) -> list[tuple[int, int]]:
    return [(s, 0), (-s, 0), (0, s), (0, -s)]


def mean_shift_matrix(shift: int, side: int = SIDE) -> np.ndarray:
    r""":math:`\bar S = \frac14\sum_k S_k` over the four shifts by ``shift`` pixels.

    Down, up, right and left; symmetric, since the opposite shifts are each
    other's transposes.

    Parameters
    ----------
    shift : int, 1 <= shift < side
    side : int

    Returns
    -------
    ndarray, shape (side**2, side**2)
    """
    side = _side(side)
    shift = check_positive_int("shift", shift)
    _shift(shift, side, "shift")
    return sum(shift_matrix(dr, dc, side) for dr, dc in _directions(shift)) / 4


def shift_positives(
    X: Any, shift: int, rng: Any = None, side: int = SIDE
) -> np.ndarray:
    r"""Positives by a random translation: :math:`x_i^+ = S_{k_i} x_i`.

    :math:`k_i` uniform on the four shifts by ``shift`` pixels (down, up, right,
    left; zero fill), independent across i.

    Parameters
    ----------
    X : array_like, shape (n, side * side)
    shift : int, 1 <= shift < side
    rng : int, numpy.random.Generator or None
    side : int

    Returns
    -------
    ndarray, shape (n, side * side)
    """
    X = as_matrix("X", X)
    side = _side(side, X.shape[1])
    shift = check_positive_int("shift", shift)
    _shift(shift, side, "shift")
    gen = as_rng(rng)
    k = gen.integers(0, 4, X.shape[0])
    out = np.empty_like(X)
    for j, (dr, dc) in enumerate(_directions(shift)):
        out[k == j] = shift_images(X[k == j], dr, dc, side) if np.any(k == j) else 0
    return out


def expected_shift_C(X: Any, shift: int, side: int = SIDE) -> np.ndarray:
    r"""The expected contrastive C with shifted positives and random negatives.

    With :math:`x_i^+ = S_{k_i}x_i` (:func:`shift_positives`) and negatives drawn
    uniformly from the other points,

    .. math:: \mathbb{E}\,C = -\hat\Sigma
              + \tfrac12\big(\hat S(I - \bar S) + (I - \bar S)\hat S\big),

    with :math:`\hat S = X^\top X/n`, :math:`\hat\Sigma` the sample covariance
    (normalised by n - 1) and :math:`\bar S` the :func:`mean_shift_matrix`.

    Parameters
    ----------
    X : array_like, shape (n, side * side), n >= 2
    shift : int, 1 <= shift < side
    side : int

    Returns
    -------
    ndarray, shape (d, d), symmetric
    """
    X = as_matrix("X", X)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X: need at least 2 points, got {n}")
    S_bar = mean_shift_matrix(shift, _side(side, d))
    S_hat = X.T @ X / n
    corr = S_hat @ (np.eye(d) - S_bar)
    return -np.cov(X.T) + (corr + corr.T) / 2


# ------------------------------------------------------------------ one draw


@dataclass(frozen=True)
class DavisKahan:
    r"""The result of :func:`davis_kahan`.

    Attributes
    ----------
    learned, predicted : ndarray, shape (d, z)
        Eigenvectors of the z smallest eigenvalues of C and of :math:`\mathbb{E}\,C`.
    angle : float
        Largest principal angle :math:`\theta` between them (radians).
    bound : float
        :math:`\|FV\|_2/\delta` with :math:`F = \mathbb{E}\,C - C` and V =
        ``predicted``; meaningful where ``delta > 0``.
    delta : float
        :math:`\lambda_z(-\mathbb{E}\,C) - \lambda_{z+1}(-C)` (descending order).
    fv : float
        :math:`\|FV\|_F`.
    """

    learned: np.ndarray
    predicted: np.ndarray
    angle: float
    bound: float
    delta: float
    fv: float

    @property
    def applies(self) -> bool:
        """``delta > 0``: the hypothesis of the theorem."""
        return self.delta > 0

    @property
    def holds(self) -> bool:
        r""":math:`\sin\theta \le` ``bound`` (up to rounding) where it applies."""
        return (not self.applies) or math.sin(self.angle) <= self.bound * (1 + 1e-9)


def davis_kahan(C: Any, EC: Any, z: int) -> DavisKahan:
    r"""Learned subspace of one draw of C against that of its expectation.

    The flow (F) on C converges to the span of the eigenvectors of the z
    smallest eigenvalues of C (the learned subspace). With
    :math:`A = -\mathbb{E}\,C`, :math:`\hat A = -C = A + F`, V the top-z
    eigenvectors of A and :math:`\delta = \lambda_z(A) - \lambda_{z+1}(\hat A)`,
    the Davis–Kahan theorem bounds the largest principal angle by
    :math:`\sin\theta \le \|FV\|_2/\delta` when :math:`\delta > 0`.

    Parameters
    ----------
    C, EC : array_like, shape (d, d), symmetric
        One draw and the expectation.
    z : int, 1 <= z < d

    Returns
    -------
    DavisKahan
    """
    C = check_symmetric("C", C)
    EC = check_symmetric("EC", EC)
    d = C.shape[0]
    if EC.shape != C.shape:
        raise ValueError(f"EC: expected shape {C.shape} like C, got {EC.shape}")
    z = check_positive_int("z", z)
    if z >= d:
        raise ValueError(f"z: expected z < d = {d}, got {z}")
    lam_E, Q_E = np.linalg.eigh(EC)  # ascending: predicted subspace = Q_E[:, :z]
    return _davis_kahan(C, EC, Q_E[:, :z], -lam_E[z - 1])


def _davis_kahan(C: np.ndarray, EC: np.ndarray, V: np.ndarray, lam_z: float):
    """DavisKahan for C against EC, given EC's predicted basis V and
    lam_z = lambda_z(-EC) (descending order)."""
    z = V.shape[1]
    lam_C, Q_C = np.linalg.eigh(C)  # ascending: learned subspace = Q_C[:, :z]
    FV = (EC - C) @ V
    delta = float(lam_z + lam_C[z])
    return DavisKahan(
        learned=Q_C[:, :z],
        predicted=V,
        angle=metrics.subspace_distance(Q_C[:, :z], V),
        bound=float(np.linalg.norm(FV, 2) / delta) if delta != 0 else math.inf,
        delta=delta,
        fv=float(np.linalg.norm(FV)),
    )


def noise_term(X: Any, V: Any) -> float:
    r"""The :math:`\sigma^2` coefficient of :math:`\mathbb{E}\|FV\|_F^2` (item 4).

    For :math:`x_i^+ = x_i + \sigma e_i`, :math:`e_i \sim N(0, I_d)`, the noise
    part :math:`F_\varepsilon V = -\frac{1}{2n}\sum_i(x_i e_i^\top V + e_i
    x_i^\top V)` of :math:`F = -C - \hat\Sigma` has

    .. math:: \mathbb{E}\|F_\varepsilon V\|_F^2 = \frac{1}{4n}\cdot\frac1n
              \sum_i\big(z\|x_i\|^2 + (d + 2)\|V^\top x_i\|^2\big).

    Parameters
    ----------
    X : array_like, shape (n, d)
    V : array_like, shape (d, z), orthonormal columns

    Returns
    -------
    float
    """
    X = as_matrix("X", X)
    V = check_orthonormal_columns("V", V)
    n, d = X.shape
    if V.shape[0] != d:
        raise ValueError(f"V: expected {d} rows, got shape {V.shape}")
    z = V.shape[1]
    sq = z * np.sum(X**2, 1) + (d + 2) * np.sum((X @ V) ** 2, 1)
    return float(np.mean(sq) / (4 * n))


def averaged_matrix(
    X: Any,
    positives: Sampler,
    negatives: Sampler | None = None,
    count: int = 4,
    rng: Any = None,
) -> np.ndarray:
    r"""C of (7) with ``count`` positives and negatives per anchor: the terms averaged.

    :math:`\frac1K\sum_{k=1}^K C(X, X^{+(k)}, X^{-(k)})`, each draw from the
    samplers in turn (positives, then negatives); the non-contrastive C when
    ``negatives`` is None. The expectation is that of one draw; the fluctuation
    shrinks like :math:`K^{-1/2}`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    positives, negatives : callable ``(X, rng) -> (n, d)``
    count : int >= 1
    rng : int, numpy.random.Generator or None

    Returns
    -------
    ndarray, shape (d, d), symmetric
    """
    X = as_matrix("X", X)
    positives = _sampler("positives", positives)
    if negatives is not None:
        negatives = _sampler("negatives", negatives)
    count = check_positive_int("count", count)
    gen = as_rng(rng)
    total = np.zeros((X.shape[1], X.shape[1]))
    for _ in range(count):
        Xp = _draw(positives, X, gen, "positives")
        if negatives is None:
            total += losses.noncontrastive_matrix(X, Xp)
        else:
            Xn = _draw(negatives, X, gen, "negatives")
            total += losses.contrastive_matrix(X, Xp, Xn)
    return total / count


@dataclass(frozen=True)
class DrawSweep:
    """The result of :func:`one_draw_sweep`: one entry per (n, draw, sigma).

    Attributes
    ----------
    n, sigma : ndarray
        Sample size and noise level of each entry.
    theta : ndarray
        Largest angle between the learned subspace of C and PCA (radians).
    bound, delta : ndarray
        Davis–Kahan bound on :math:`\\sin\\theta` and its gap (bound meaningful
        where delta > 0).
    fv, fv_pred : ndarray
        :math:`\\|FV\\|_F` and the square root of item 4's expectation.
    """

    n: np.ndarray
    sigma: np.ndarray
    theta: np.ndarray
    bound: np.ndarray
    delta: np.ndarray
    fv: np.ndarray
    fv_pred: np.ndarray

    @property
    def applies(self) -> np.ndarray:
        """Entries with delta > 0."""
        return self.delta > 0

    def dk_holds(self) -> bool:
        r""":math:`\sin\theta \le` bound on every entry where it applies."""
        ok = self.applies
        return bool(np.all(np.sin(self.theta[ok]) <= self.bound[ok] * (1 + 1e-9)))

    def fv_deviation(self) -> float:
        """Largest relative deviation of fv from fv_pred."""
        return float(np.max(np.abs(self.fv / self.fv_pred - 1)))

    def mean_over_draws(self, field: str, n: int, sigma: float) -> float:
        """Mean of ``field`` (``"theta"``, ``"fv"``...) over the draws at (n, sigma)."""
        sel = (self.n == n) & (self.sigma == sigma)
        if not sel.any():
            raise ValueError(f"n, sigma: no entry at n = {n}, sigma = {sigma}")
        return float(getattr(self, field)[sel].mean())

    def fv_slope(self) -> tuple[float, float]:
        """Log-log slope (and its standard error) of the mean fv at the smallest
        sigma against n; -1/2 for a sum of n independent terms over n."""
        s0 = float(self.sigma.min())
        ns = np.unique(self.n)
        y = [self.mean_over_draws("fv", int(n), s0) for n in ns]
        return metrics.loglog_slope(ns.astype(float), np.array(y))


def _sizes(name: str, values: Any, n_max: int) -> list[int]:
    arr = as_array(name, values, ndim=1)
    if np.any(arr != np.round(arr)) or np.any(arr < 2) or np.any(arr > n_max):
        raise ValueError(f"{name}: expected integers in [2, {n_max}], got {values!r}")
    return [int(v) for v in arr]


def one_draw_sweep(
    X: Any,
    ns: Sequence[int],
    sigmas: Sequence[float],
    draws: int,
    z: int,
    rng: Any = None,
) -> DrawSweep:
    r"""One draw of Gaussian positives and random negatives, against PCA.

    For each n in ``ns`` (nested subsets of a random permutation of the rows of
    X) and each of ``draws`` draws of the noise :math:`e` and the negatives,
    builds :math:`C(\sigma) = C(0) + \sigma(C(1) - C(0))` for every
    :math:`\sigma` in ``sigmas`` (C is linear in the noise) and records the
    angle of its learned subspace to the top-z principal subspace V of the n
    images, the Davis–Kahan bound (:func:`davis_kahan` with
    :math:`\mathbb{E}\,C = -\hat\Sigma`), :math:`\|FV\|_F` and its prediction
    :math:`\sqrt{\|F_{\rm neg}V\|_F^2 + \sigma^2 T}`, with T the value of
    :func:`noise_term`.

    Parameters
    ----------
    X : array_like, shape (N, d)
    ns : sequence of int, each in [2, N]
    sigmas : sequence of float >= 0
    draws : int >= 1
    z : int, 1 <= z < d
    rng : int, numpy.random.Generator or None
        Used in order: the permutation, then per n and draw the noise and the
        negatives.

    Returns
    -------
    DrawSweep
    """
    X = as_matrix("X", X)
    N, d = X.shape
    ns = _sizes("ns", ns, N)
    sig = as_array("sigmas", sigmas, ndim=1)
    if np.any(sig < 0):
        raise ValueError(f"sigmas: expected noise levels >= 0, got {sigmas!r}")
    draws = check_positive_int("draws", draws)
    z = check_positive_int("z", z)
    if z >= d:
        raise ValueError(f"z: expected z < d = {d}, got {z}")
    gen = as_rng(rng)
    perm = gen.permutation(N)
    rows = []
    for n in ns:
        Xs = X[perm[:n]]
        Sig = np.cov(Xs.T).reshape(d, d)
        top = top_eig(Sig, z)
        V = top.vectors
        coef = noise_term(Xs, V)
        for _ in range(draws):
            e = gen.standard_normal(Xs.shape)
            Xn = data.random_negatives(Xs, gen)
            C0 = losses.contrastive_matrix(Xs, Xs, Xn)
            C1 = losses.contrastive_matrix(Xs, Xs + e, Xn) - C0
            F0V_sq = float(np.sum(((-C0 - Sig) @ V) ** 2))
            for s in sig:
                r = _davis_kahan(C0 + s * C1, -Sig, V, top.values[z - 1])
                pred = math.sqrt(F0V_sq + s**2 * coef)
                rows.append((n, s, r.angle, r.bound, r.delta, r.fv, pred))
    cols = np.array(rows, dtype=float).T
    return DrawSweep(*cols)
