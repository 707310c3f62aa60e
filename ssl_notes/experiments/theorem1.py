r"""Machinery of the chapter
*Theorem 1 and Conjecture 1 (wide networks are almost linear)*
(``book/theorem1.py``).

Orientation of Theorem 1: width :math:`h \ge d`, first layer
:math:`W\in\mathbb{R}^{h\times d}` with orthonormal columns, second layer
:math:`V\in\mathbb{R}^{h\times z}` with orthonormal columns, both Haar
distributed and independent, and

.. math:: f_{nl}(x) = V^\top\sigma(Wx), \qquad f_{lin}(x) = V^\top W x .

The bounds themselves (Lemma 2, Theorem 1) are :mod:`ssl_notes.wide_bounds`;
training the twins apart (Conjecture 1) is :mod:`ssl_notes.twins`. Here:

- :func:`mnist_problem`: the chapter's data (:class:`MnistProblem`);
- :func:`lemma2_sweep`: Lemma 2's ratio over many Haar draws (:class:`Lemma2Sweep`);
- :func:`expected_gap_sq` (exact) and :func:`leading_gap_sq` (leading Taylor
  term): the expected squared gap of one hidden unit, which gives the exact level
  :math:`\mathbb{E}\|f_{nl}(x) - f_{lin}(x)\|^2 = z\,m_\sigma(\|x\|, h)`;
- :func:`projection_moments`: mean and variance of the output gap over the
  random second layer;
- :func:`init_gaps`: the gaps of ``two_layer_net`` at initialisation over widths,
  seeds and activations (:class:`InitGaps`);
- the checks, each a frozen result with a ``passed`` verdict:
  :func:`level_check` (measured / expected level, Student-t error bars over
  seeds), :func:`projection_check` (the random second layer, standardised by its
  exact conditional variance), :func:`slope_check` (fitted exponent);
- :func:`coordinate_layer`: a first layer that is orthonormal but not spread out;
- Conjecture 1: :func:`conjecture1` (free and projected sweeps,
  :class:`Conjecture1Run`), :func:`gap_summary` (:class:`GapSummary`),
  :func:`conjecture1_orderings` (:class:`Orderings`) and :func:`twin_precision`
  (:class:`PrecisionCheck`).

``tests/experiments/test_chapter_theorem1.py`` feeds each check a wrong input (a
level off by a factor 1.5, the wrong power of h, the wrong second-layer factor,
swapped activations) and asserts that it fails.

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import data as _data
from .. import manifold, metrics
from .. import wide_bounds as wb
from .._validate import (
    as_array,
    as_matrix,
    check_choice,
    check_device,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_scalar,
)
from ..activations import ACTIVATION_FACTS, get_activation

__all__ = [
    "MnistProblem",
    "mnist_problem",
    "Lemma2Sweep",
    "lemma2_sweep",
    "expected_gap_sq",
    "leading_gap_sq",
    "projection_moments",
    "InitGaps",
    "init_gaps",
    "LevelCheck",
    "level_check",
    "ProjectionCheck",
    "projection_check",
    "SlopeCheck",
    "slope_check",
    "CoordinateLayer",
    "coordinate_layer",
    "GapSummary",
    "gap_summary",
    "Conjecture1Run",
    "conjecture1",
    "Orderings",
    "conjecture1_orderings",
    "PrecisionCheck",
    "twin_precision",
]

_MAX_WIDTH = 10**5
_MAX_DRAWS = 5 * 10**4


def _widths(name: str, values: Any, d: int, lo: int = 2) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected a sequence of widths, got {values!r}")
    out = [check_positive_int(name, v) for v in values]
    if not out:
        raise ValueError(f"{name}: expected at least one width")
    for h in out:
        if h < max(lo, d) or h > _MAX_WIDTH:
            raise ValueError(
                f"{name}: expected widths {max(lo, d)} <= h <= {_MAX_WIDTH}, got {h}"
            )
    if len(set(out)) != len(out) or sorted(out) != out:
        raise ValueError(f"{name}: expected increasing distinct widths, got {out}")
    return np.array(out)


def _seeds(name: str, values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected a sequence of seeds, got {values!r}")
    out = [check_nonnegative_int(name, v) for v in values]
    if not out:
        raise ValueError(f"{name}: expected at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: expected distinct seeds, got {out}")
    return np.array(out)


def _activations(name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected a sequence of activation names")
    out = tuple(get_activation(v, name).name for v in values)
    if not out:
        raise ValueError(f"{name}: expected at least one activation")
    return out


def _grid(name: str, A: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    A = as_array(name, A)
    if shape is not None and A.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {A.shape}")
    return A


# ----------------------------------------------------------------------- the data


@dataclass(frozen=True)
class MnistProblem:
    r"""The chapter's data: MNIST digits projected on their top d components.

    Attributes
    ----------
    X, X_pos, X_neg : ndarray (n, d)
        Anchors (centred, scaled so that the mean of :math:`\|x_i\|^2` is 1),
        positives (anchor plus Gaussian noise), negatives (other anchors).
    neg_index : ndarray of int (n,), ``X_neg = X[neg_index]``
    norms : ndarray (n,), :math:`\|x_i\|`
    """

    X: np.ndarray
    X_pos: np.ndarray
    X_neg: np.ndarray
    neg_index: np.ndarray
    norms: np.ndarray

    def moment(self, k: int) -> float:
        r"""Mean over the anchors of :math:`\|x_i\|^k`."""
        k = check_nonnegative_int("k", k)
        return float(np.mean(self.norms**k))


def mnist_problem(
    d: int = 10, per_class: int = 20, noise: float = 0.1, seed: int = 0
) -> MnistProblem:
    r"""``per_class`` MNIST images of each digit 0 to 4, reduced to d dimensions.

    The images are centred and projected on their top d principal components,
    then scaled so that :math:`\frac1n\sum_i\|x_i\|^2 = 1`; positives are
    :math:`x_i + \epsilon_i`, :math:`\epsilon_i\sim N(0, (\mathrm{noise}^2/d) I_d)`;
    each negative is another anchor drawn at random. One generator
    ``default_rng(seed)`` draws the images, the noise and the negatives.

    Parameters
    ----------
    d : int, the input dimension, d <= 5 * per_class
    per_class : int >= 1, images per digit
    noise : float >= 0, the noise level (per input, relative to a unit norm)
    seed : int >= 0

    Returns
    -------
    MnistProblem, n = 5 * per_class points
    """
    d = check_positive_int("d", d)
    per_class = check_positive_int("per_class", per_class)
    noise = check_scalar("noise", noise, "real", min_val=0.0)
    seed = check_nonnegative_int("seed", seed)
    if d > 5 * per_class or d > 784:
        raise ValueError(f"d: expected d <= min(784, 5 * per_class), got {d}")
    rng = np.random.default_rng(seed)
    img, _ = _data.mnist_digits((0, 1, 2, 3, 4), per_class, rng)
    Xc = img - img.mean(axis=0)
    X = Xc @ np.linalg.svd(Xc, full_matrices=False)[2][:d].T
    X /= np.sqrt(np.mean(np.sum(X**2, axis=1)))
    X_pos = _data.gaussian_positives(X, noise / np.sqrt(d), rng)
    X_neg, idx = _data.random_negatives(X, rng, return_index=True)
    return MnistProblem(X, X_pos, X_neg, np.asarray(idx), np.linalg.norm(X, axis=1))


# ------------------------------------------------------------------------ Lemma 2


@dataclass(frozen=True)
class Lemma2Sweep:
    r"""Lemma 2's ratio :math:`\max_{ij}|W_{ij}|\sqrt{h/\log h}` over Haar draws.

    Attributes
    ----------
    widths : ndarray (w,)
    ratio : ndarray (w, s), one entry per width and draw
    guarantee : ndarray (w,), Lemma 2's probability bound
        :math:`1 - 2d/h - d e^{-\kappa h}`
        (:func:`~ssl_notes.wide_bounds.lemma2_probability`)
    union_bound : ndarray (w,), the exact union bound on the probability that
        one draw exceeds c (:func:`~ssl_notes.wide_bounds.lemma2_failure_bound`)
    p_any : float, ``min(1, s * sum(union_bound))``: the chance that any draw
        exceeds c if Lemma 2 holds
    passed : bool, every ratio <= :data:`~ssl_notes.wide_bounds.LEMMA2_C`
    """

    widths: np.ndarray
    ratio: np.ndarray
    guarantee: np.ndarray
    union_bound: np.ndarray
    p_any: float
    passed: bool

    @property
    def growth_without_log(self) -> float:
        r"""Growth of the mean of :math:`\max_{ij}|W_{ij}|\sqrt h` (no log) from
        the narrowest to the widest width."""
        logs = np.log(self.widths[[0, -1]])
        return float(
            self.ratio[-1].mean() / self.ratio[0].mean() * math.sqrt(logs[1] / logs[0])
        )


def lemma2_sweep(
    widths: Sequence[int], draws: int, d: int, seed: int = 0
) -> Lemma2Sweep:
    r"""Draw ``draws`` Haar matrices (h x d) per width and record Lemma 2's ratio.

    Draw s at width h uses ``default_rng([seed, 1, h, s])``
    (:func:`~ssl_notes.manifold.haar_orthonormal`).

    Parameters
    ----------
    widths : increasing sequence of int, d <= h <= 1e5
    draws : int >= 1, at most 5e4 draws in all
    d : int >= 1, the number of columns
    seed : int >= 0

    Returns
    -------
    Lemma2Sweep
    """
    d = check_positive_int("d", d)
    W_ = _widths("widths", widths, d)
    draws = check_positive_int("draws", draws)
    seed = check_nonnegative_int("seed", seed)
    if draws * W_.size > _MAX_DRAWS:
        raise ValueError(f"draws: expected at most {_MAX_DRAWS} draws in all")
    ratio = np.empty((W_.size, draws))
    for i, h in enumerate(W_):
        for s in range(draws):
            rng = np.random.default_rng([seed, 1, int(h), s])
            Wm = manifold.haar_orthonormal(int(h), d, rng)
            ratio[i, s] = wb.max_entry_ratio(Wm)
    hs = [int(h) for h in W_]
    ub = np.array([wb.lemma2_failure_bound(wb.lemma2_bound(h), h, d) for h in hs])
    guar = np.array([wb.lemma2_probability(h, d) for h in hs])
    p_any = min(1.0, draws * float(ub.sum()))
    passed = bool(ratio.max() <= wb.LEMMA2_C)
    return Lemma2Sweep(W_, ratio, guar, ub, p_any, passed)


# ----------------------------------------------------------- the level of the gap


def _rho_h(x_norm: Any, h: Any) -> tuple[np.ndarray, int]:
    h = check_positive_int("h", h)
    if h < 2 or h > _MAX_WIDTH:
        raise ValueError(f"h: expected 2 <= h <= {_MAX_WIDTH}, got {h}")
    if np.ndim(x_norm) == 0:
        rho = np.asarray(check_scalar("x_norm", x_norm, "real", min_val=0.0))
    else:
        rho = as_array("x_norm", x_norm)
        if np.any(rho < 0):
            raise ValueError("x_norm: expected norms >= 0")
    return rho, h


def expected_gap_sq(
    activation: str, x_norm: Any, h: int, quad_points: int = 200
) -> Any:
    r"""Exact :math:`m_\sigma(\rho, h) = \mathbb{E}(\sigma(u) - u)^2`, u one
    coordinate of a uniform vector on the sphere of radius :math:`\rho` in
    :math:`\mathbb{R}^h`.

    For W Haar with orthonormal columns and :math:`\|x\| = \rho`, every
    coordinate of u = Wx has this law, so
    :math:`\mathbb{E}\|\sigma(Wx) - Wx\|^2 = h\,m_\sigma` and, V Haar and
    independent of W (:math:`\mathbb{E}VV^\top = (z/h)I_h`),
    :math:`\mathbb{E}\|f_{nl}(x) - f_{lin}(x)\|^2 = z\,m_\sigma`. With
    :math:`u = \rho\sin\theta`, the density of :math:`\theta` on
    :math:`(-\pi/2, \pi/2)` is proportional to :math:`\cos^{h-2}\theta`:

    .. math:: m_\sigma(\rho, h) &= \frac{\int_0^{\pi/2}
              \tfrac12[\phi(\rho\sin\theta) + \phi(-\rho\sin\theta)]
              \cos^{h-2}\theta\,d\theta}{\int_0^{\pi/2}\cos^{h-2}\theta\,d\theta}, \\
              \phi(u) &= (\sigma(u) - u)^2,

    by Gauss-Legendre quadrature on :math:`[0, \min(\pi/2, 14/\sqrt{h-2})]`
    (the weight beyond is below :math:`e^{-98}`); the folded integrand is smooth
    (also for ReLU), and the rule is exact to about 1e-12 relative for the
    moments :math:`\mathbb{E}u^{2k}` (tests).

    Parameters
    ----------
    activation : str, a name of :data:`ssl_notes.activations.ACTIVATIONS`
    x_norm : float or array_like of :math:`\rho \ge 0`
    h : int, 2 <= h <= 1e5
    quad_points : int >= 8, nodes of the rule

    Returns
    -------
    float or ndarray of the shape of ``x_norm``
    """
    fn = get_activation(activation, "activation").numpy
    rho, h = _rho_h(x_norm, h)
    quad_points = check_positive_int("quad_points", quad_points)
    if not 8 <= quad_points <= 10**4:
        raise ValueError(f"quad_points: expected 8 to 10000 nodes, got {quad_points}")
    nodes, weights = np.polynomial.legendre.leggauss(quad_points)
    top = math.pi / 2 if h <= 2 else min(math.pi / 2, 14.0 / math.sqrt(h - 2))
    theta = 0.5 * top * (nodes + 1.0)
    w = 0.5 * top * weights * np.cos(theta) ** (h - 2)
    u = np.multiply.outer(rho, np.sin(theta))
    with np.errstate(over="ignore", invalid="ignore"):
        phi = 0.5 * ((fn(u) - u) ** 2 + (fn(-u) + u) ** 2)
    out = (phi @ w) / w.sum()
    if not np.all(np.isfinite(out)):
        raise ValueError("x_norm: too large, the activation overflows")
    return float(out) if np.ndim(out) == 0 else out


def leading_gap_sq(activation: str, x_norm: Any, h: int) -> Any:
    r"""Leading Taylor term of :func:`expected_gap_sq` (the chapter's table).

    With :math:`\mathbb{E}u^{2k} = \rho^{2k}(2k-1)!!/(h(h+2)\cdots(h+2k-2))`:

    - :math:`\sigma''(0)\ne 0` (softplus0): :math:`\tfrac14\sigma''(0)^2
      \cdot 3\rho^4/(h(h+2))`;
    - tanh (:math:`\sigma(u) - u \approx -u^3/3`):
      :math:`15\rho^6/(9h(h+2)(h+4))`;
    - ReLU (exact): :math:`\rho^2/(2h)`;
    - sigmoid (:math:`\sigma(u) - u \approx \tfrac12 - \tfrac34u`):
      :math:`\tfrac14 + 9\rho^2/(16h)`;
    - identity: 0.

    Parameters
    ----------
    activation : str, a name of :data:`ssl_notes.activations.ACTIVATIONS`
    x_norm : float or array_like of :math:`\rho \ge 0`
    h : int, 2 <= h <= 1e5

    Returns
    -------
    float or ndarray of the shape of ``x_norm``
    """
    name = get_activation(activation, "activation").name
    rho, h = _rho_h(x_norm, h)
    table = {
        "identity": 0.0 * rho,
        "softplus0": (0.5**2 / 4) * 3 * rho**4 / (h * (h + 2)),
        "tanh": 15 * rho**6 / (9 * h * (h + 2) * (h + 4)),
        "relu": rho**2 / (2 * h),
        "sigmoid": 0.25 + 9 * rho**2 / (16 * h),
    }
    out = table[name]
    return float(out) if np.ndim(out) == 0 else out


# -------------------------------------------------------------- initial gaps


def projection_moments(rows: Any, z: int) -> tuple[float, float]:
    r"""Mean and variance of :math:`Q = \frac1n\sum_i\|V^\top a_i\|^2` over V Haar.

    V (h x z) has orthonormal columns and is Haar distributed; the :math:`a_i`
    are fixed. With :math:`A = \frac1n\sum_i a_ia_i^\top`,

    .. math:: \mathbb{E}Q = \frac zh\operatorname{tr}A, \qquad
              \operatorname{Var}Q = \frac{2z(h-z)}{h(h-1)(h+2)}
              \big(\operatorname{tr}A^2 - (\operatorname{tr}A)^2/h\big),

    from the isotropic fourth moments of the projector :math:`VV^\top`
    (derived in the chapter). :math:`\operatorname{tr}A^2` is computed from the
    n x n Gram matrix of the rows.

    Parameters
    ----------
    rows : array_like (n, h), the vectors :math:`a_i` as rows, h >= 2
    z : int, 1 <= z <= h

    Returns
    -------
    mean, var : float
    """
    rows = as_matrix("rows", rows)
    n, h = rows.shape
    z = check_positive_int("z", z)
    if h < 2 or z > h:
        raise ValueError(f"z: expected 1 <= z <= h with h >= 2, got z = {z}, h = {h}")
    trA = float(np.sum(rows**2)) / n
    trA2 = float(np.sum((rows @ rows.T) ** 2)) / n**2
    beta = z * (h - z) / (h * (h - 1) * (h + 2))
    return z / h * trA, 2 * beta * max(trA2 - trA**2 / h, 0.0)


@dataclass(frozen=True)
class InitGaps:
    r"""Gaps between the networks and their linear twins at initialisation.

    Each network is ``two_layer_net(d, h, z, init="orthonormal", rng=s)``
    (W = ``net.W.T``, h x d); every activation uses the same W and V. Each array
    has shape (w, s) (widths, seeds) and holds a mean over the n points.

    Attributes
    ----------
    widths, seeds : ndarray
    activations : tuple of str
    z : int
    out_sq : dict name -> ndarray (w, s)
        :math:`\frac1n\sum_i\|f_{nl}(x_i) - f_{lin}(x_i)\|^2`.
    hid_sq : dict name -> ndarray (w, s)
        :math:`\frac1n\sum_i\|\sigma(Wx_i) - Wx_i\|^2 = \operatorname{tr}A`,
        :math:`A = \frac1n\sum_i a_ia_i^\top`, :math:`a_i = \sigma(Wx_i) - Wx_i`.
    proj_var : dict name -> ndarray (w, s)
        The variance of ``out_sq`` over V Haar given W,
        :math:`\frac{2z(h-z)}{h(h-1)(h+2)}(\operatorname{tr}A^2 -
        (\operatorname{tr}A)^2/h)`; its mean given W is :math:`(z/h)\operatorname{tr}A`.
    lin_sq : ndarray (w, s), :math:`\frac1n\sum_i\|f_{lin}(x_i)\|^2`
    bound_ratio : dict name -> ndarray (w, s)
        :math:`\max_i\|\sigma(Wx_i) - Wx_i\|` / Theorem 1's bound
        (:func:`~ssl_notes.wide_bounds.theorem1_bound`), for the activations that
        meet its hypotheses (:math:`\sigma(0) = 0`, :math:`\sigma'(0) = 1`, K finite).
    in_event : ndarray of bool (w, s), W in the event of Lemma 2
    max_excess : float, the largest :math:`\|f_{nl}(x) - f_{lin}(x)\| -
        \|\sigma(Wx) - Wx\|` (<= 0 up to rounding, since V^T does not enlarge)
    """

    widths: np.ndarray
    seeds: np.ndarray
    activations: tuple
    z: int
    out_sq: dict
    hid_sq: dict
    proj_var: dict
    lin_sq: np.ndarray
    bound_ratio: dict
    in_event: np.ndarray
    max_excess: float

    def rel(self, name: str) -> np.ndarray:
        """Relative RMS gap ``sqrt(out_sq / lin_sq)``, shape (w, s)."""
        if name not in self.out_sq:
            raise ValueError(f"name: expected one of {self.activations}, got {name!r}")
        return np.sqrt(self.out_sq[name] / self.lin_sq)


def init_gaps(
    X: Any,
    widths: Sequence[int],
    seeds: Sequence[int],
    activations: Sequence[str],
    z: int,
) -> InitGaps:
    r"""Measure :class:`InitGaps` on the points X for every width, seed, activation.

    Parameters
    ----------
    X : array_like (n, d), the points, n <= 1000
    widths : increasing sequence of int, max(d, z, 2) <= h <= 1e5
    seeds : sequence of distinct int >= 0
    activations : sequence of names of :data:`ssl_notes.activations.ACTIVATIONS`
    z : int >= 1, the embedding dimension

    Returns
    -------
    InitGaps
    """
    from ..models import two_layer_net

    X = as_matrix("X", X)
    n, d = X.shape
    if n > 1000:
        raise ValueError(f"X: expected at most 1000 points, got {n}")
    z = check_positive_int("z", z)
    W_ = _widths("widths", widths, max(d, z))
    S_ = _seeds("seeds", seeds)
    acts = _activations("activations", activations)
    if W_.sum() * S_.size * len(acts) * max(n, d) * n > 5 * 10**10:
        raise ValueError("widths, seeds: too much work (more than 5e10 products)")
    shape = (W_.size, S_.size)
    keys = ("out_sq", "hid_sq", "proj_var")
    res = {k: {a: np.empty(shape) for a in acts} for k in keys}
    hyp = [a for a in acts if _meets_hypotheses(a)]
    ratio = {a: np.empty(shape) for a in hyp}
    lin_sq, event = np.empty(shape), np.empty(shape, dtype=bool)
    excess = -np.inf
    norms = np.linalg.norm(X, axis=1)
    for i, h in enumerate(int(v) for v in W_):
        bound = np.where(norms > 0, wb.theorem1_bound(norms, h, d, 1.0), 1.0)
        for j, s in enumerate(int(v) for v in S_):
            net = two_layer_net(d, h, z, init="orthonormal", rng=s)
            W, V = net.W.detach().numpy().T, net.V.detach().numpy()
            event[i, j] = np.abs(W).max() <= wb.lemma2_bound(h)
            U = X @ W.T
            lin_sq[i, j] = np.mean(np.sum((U @ V) ** 2, axis=1))
            for a in acts:
                Dm = get_activation(a).numpy(U) - U  # rows a_i
                out = np.linalg.norm(Dm @ V, axis=1)
                hid = np.linalg.norm(Dm, axis=1)
                excess = max(excess, float(np.max(out - hid)))
                res["out_sq"][a][i, j] = np.mean(out**2)
                res["hid_sq"][a][i, j] = np.mean(hid**2)
                res["proj_var"][a][i, j] = projection_moments(Dm, z)[1]
                if a in ratio:
                    K = ACTIVATION_FACTS[a][2]
                    ratio[a][i, j] = np.max(hid / (K * bound))
    return InitGaps(
        W_, S_, acts, z, res["out_sq"], res["hid_sq"], res["proj_var"], lin_sq,
        ratio, event, excess,
    )  # fmt: skip


def _meets_hypotheses(name: str) -> bool:
    v0, s0, K = ACTIVATION_FACTS[name]
    return v0 == 0.0 and s0 == 1.0 and 0.0 < K < math.inf


# ------------------------------------------------------------------ the checks


def _student_k(alpha: float, seeds: int, tests: int) -> float:
    from scipy.stats import t

    return float(t.ppf(1.0 - alpha / (2 * tests), seeds - 1))


@dataclass(frozen=True)
class LevelCheck:
    r"""Measured level against the expected one, width by width.

    Attributes
    ----------
    ratio : ndarray (w,), seed mean of measured / expected
    se : ndarray (w,), its standard error from the seed-to-seed spread
    t : ndarray (w,), ``(ratio - 1) / se``
    k : float, the tolerance in standard errors (Student t, Bonferroni)
    passed : bool, every ``|t| <= k``
    """

    ratio: np.ndarray
    se: np.ndarray
    t: np.ndarray
    k: float
    passed: bool

    def summary(self) -> str:
        """One line: the range of the ratios, the largest ``|t|`` and the tolerance."""
        return (
            f"{self.ratio.min():.4f} .. {self.ratio.max():.4f}  "
            f"max|t| {np.abs(self.t).max():.2f} (tol {self.k:.2f})"
        )


def level_check(measured: Any, expected: Any, alpha: float = 1e-3) -> LevelCheck:
    r"""Is the seed mean of ``measured / expected`` equal to 1 at every width?

    ``measured[i, s]`` is an unbiased draw of ``expected[i]`` for independent
    seeds s, so :math:`r_{is} = \mathrm{measured}_{is}/\mathrm{expected}_i` has
    mean 1; with S seeds, :math:`t_i = (\bar r_i - 1)/(\mathrm{sd}_i/\sqrt S)`
    is approximately Student-t with S - 1 degrees of freedom. The check passes
    when every :math:`|t_i| \le k`, k the :math:`1 - \alpha/(2w)` quantile of
    :math:`t_{S-1}` (Bonferroni over the w widths: a true prediction fails with
    probability about :math:`\alpha`).

    Parameters
    ----------
    measured : array_like (w, s), s >= 3, positive
    expected : array_like (w,), positive
    alpha : float in (0, 1), the false-alarm probability

    Returns
    -------
    LevelCheck
    """
    expected = _grid("expected", expected)
    if expected.ndim != 1 or np.any(expected <= 0):
        raise ValueError("expected: expected a 1-D array of positive levels")
    measured = _grid("measured", measured)
    if measured.ndim != 2 or measured.shape[0] != expected.size:
        raise ValueError(
            f"measured: expected shape ({expected.size}, s), got {measured.shape}"
        )
    if measured.shape[1] < 3:
        raise ValueError("measured: expected at least 3 seeds (columns)")
    alpha = check_scalar("alpha", alpha, "real", min_val=0.0, max_val=1.0,
                         include_min=False, include_max=False)  # fmt: skip
    r = measured / expected[:, None]
    S = r.shape[1]
    mean = r.mean(axis=1)
    se = r.std(axis=1, ddof=1) / math.sqrt(S)
    if np.any(se <= 0):
        raise ValueError("measured: no spread between seeds (identical columns)")
    t = (mean - 1.0) / se
    k = _student_k(alpha, S, r.shape[0])
    return LevelCheck(mean, se, t, k, bool(np.all(np.abs(t) <= k)))


@dataclass(frozen=True)
class ProjectionCheck:
    r"""The random second layer: measured output gap against its mean given W.

    Attributes
    ----------
    ratio : ndarray (w,), seed mean of measured / conditional mean
    zscore : ndarray (w,), :math:`\sum_s T_{is}/\sqrt S`, with
        :math:`T = (\text{measured} - \text{mean})/\sqrt{\text{var}}`
    k : float, the tolerance (normal quantile, Bonferroni over widths)
    passed : bool, every ``|zscore| <= k``
    """

    ratio: np.ndarray
    zscore: np.ndarray
    k: float
    passed: bool

    def summary(self) -> str:
        """One line: the range of the ratios, the largest ``|Z|`` and the tolerance."""
        return (
            f"{self.ratio.min():.3f} .. {self.ratio.max():.3f}  "
            f"max|Z| {np.abs(self.zscore).max():.2f} (tol {self.k:.2f})"
        )


def projection_check(
    measured: Any, cond_mean: Any, cond_var: Any, alpha: float = 1e-3
) -> ProjectionCheck:
    r"""Does the output gap have the predicted mean given the first layer?

    Given W, ``measured[i, s]`` has (if the prediction is right) mean
    ``cond_mean[i, s]`` and variance ``cond_var[i, s]`` exactly, so each
    :math:`T_{is}` has mean 0 and variance 1, independently over the seeds, and
    :math:`Z_i = \sum_s T_{is}/\sqrt S` is approximately N(0, 1) (CLT). Passes
    when every :math:`|Z_i| \le k`, k the normal :math:`1 - \alpha/(2w)` quantile.

    Parameters
    ----------
    measured, cond_mean : array_like (w, s), positive
    cond_var : array_like (w, s), positive
    alpha : float in (0, 1)

    Returns
    -------
    ProjectionCheck
    """
    from scipy.stats import norm

    measured = _grid("measured", measured)
    if measured.ndim != 2:
        raise ValueError(f"measured: expected a (w, s) array, got {measured.shape}")
    cond_mean = _grid("cond_mean", cond_mean, measured.shape)
    cond_var = _grid("cond_var", cond_var, measured.shape)
    if np.any(cond_mean <= 0) or np.any(cond_var <= 0):
        raise ValueError("cond_mean, cond_var: expected positive values")
    alpha = check_scalar("alpha", alpha, "real", min_val=0.0, max_val=1.0,
                         include_min=False, include_max=False)  # fmt: skip
    T = (measured - cond_mean) / np.sqrt(cond_var)
    Z = T.sum(axis=1) / math.sqrt(T.shape[1])
    k = float(norm.ppf(1.0 - alpha / (2 * T.shape[0])))
    ratio = (measured / cond_mean).mean(axis=1)
    return ProjectionCheck(ratio, Z, k, bool(np.all(np.abs(Z) <= k)))


@dataclass(frozen=True)
class SlopeCheck:
    r"""Fitted exponent of an RMS gap against the exponent of its prediction.

    Attributes
    ----------
    slope, se : float, seed mean of the per-seed log-log slopes and its error
    target : float, the log-log slope of the predicted RMS over the same widths
    k : float, the tolerance in standard errors (Student t)
    passed : bool, ``|slope - target| <= k * se``
    """

    slope: float
    se: float
    target: float
    k: float
    passed: bool

    def summary(self) -> str:
        """One line: the fitted slope, its error, the target and the tolerance."""
        return (
            f"slope {self.slope:+.3f} +- {self.se:.3f}, exact {self.target:+.3f}"
            f" (tol {self.k * self.se:.3f})"
        )


def slope_check(
    widths: Any, measured: Any, expected: Any, alpha: float = 1e-3
) -> SlopeCheck:
    r"""Fit :math:`\log\sqrt{\text{measured}}` against :math:`\log h` per seed.

    Each seed gives one independent slope (:func:`ssl_notes.metrics.loglog_slope`);
    their mean is compared with the slope of :math:`\sqrt{\text{expected}}`,
    within k standard errors, k the :math:`1 - \alpha/2` quantile of
    :math:`t_{S-1}`.

    Parameters
    ----------
    widths : array_like (w,), w >= 2 positive widths
    measured : array_like (w, s), s >= 3, mean squares (positive)
    expected : array_like (w,), predicted mean squares (positive)
    alpha : float in (0, 1)

    Returns
    -------
    SlopeCheck
    """
    widths = _grid("widths", widths)
    if widths.ndim != 1 or widths.size < 2 or np.any(widths <= 0):
        raise ValueError("widths: expected at least 2 positive widths")
    expected = _grid("expected", expected, widths.shape)
    measured = _grid("measured", measured)
    if measured.ndim != 2 or measured.shape[0] != widths.size or measured.shape[1] < 3:
        raise ValueError(f"measured: expected shape ({widths.size}, s >= 3)")
    if np.any(measured <= 0) or np.any(expected <= 0):
        raise ValueError("measured, expected: expected positive mean squares")
    alpha = check_scalar("alpha", alpha, "real", min_val=0.0, max_val=1.0,
                         include_min=False, include_max=False)  # fmt: skip
    S = measured.shape[1]
    per = [metrics.loglog_slope(widths, np.sqrt(measured[:, s]))[0] for s in range(S)]
    per = np.array(per)
    se = float(per.std(ddof=1) / math.sqrt(S))
    target = metrics.loglog_slope(widths, np.sqrt(expected))[0]
    k = _student_k(alpha, S, 1)
    mean = float(per.mean())
    return SlopeCheck(mean, se, target, k, bool(abs(mean - target) <= k * se))


# ------------------------------------------------- a first layer not spread out


@dataclass(frozen=True)
class CoordinateLayer:
    r"""Tanh-type gaps for the coordinate first layer :math:`W = [I_d; 0]`.

    Attributes
    ----------
    widths : ndarray (w,)
    lemma2_ratio : ndarray (w,), :math:`\sqrt{h/\log h}` (Lemma 2's ratio of W)
    rel_coord : ndarray (w,), relative RMS gap with the coordinate W
    rel_haar : ndarray (w,), the same with the Haar W of the same network
    """

    widths: np.ndarray
    lemma2_ratio: np.ndarray
    rel_coord: np.ndarray
    rel_haar: np.ndarray


def coordinate_layer(
    X: Any, widths: Sequence[int], z: int, activation: str = "tanh", seed: int = 0
) -> CoordinateLayer:
    r"""Relative RMS gap :math:`\sqrt{\sum_i\|f_{nl}-f_{lin}\|^2/\sum_i\|f_{lin}\|^2}`
    with the first d coordinate vectors as first layer, and with a Haar one.

    Both use the V (and the Haar W) of ``two_layer_net(d, h, z, rng=seed)``.

    Parameters
    ----------
    X : array_like (n, d)
    widths : increasing sequence of int, max(d, z, 2) <= h <= 1e5
    z : int >= 1
    activation : str, a name of :data:`ssl_notes.activations.ACTIVATIONS`
    seed : int >= 0

    Returns
    -------
    CoordinateLayer
    """
    from ..models import two_layer_net

    X = as_matrix("X", X)
    d = X.shape[1]
    z = check_positive_int("z", z)
    W_ = _widths("widths", widths, max(d, z))
    name = get_activation(activation, "activation").name
    seed = check_nonnegative_int("seed", seed)
    out = np.empty((3, W_.size))
    for i, h in enumerate(int(v) for v in W_):
        net = two_layer_net(d, h, z, init="orthonormal", rng=seed)
        V = net.V.detach().numpy()
        coord = np.zeros((h, d))
        coord[:d] = np.eye(d)
        rel = []
        for W in (coord, net.W.detach().numpy().T):
            o, _, lin = wb.linearization_gap(X, W, V, name)
            rel.append(math.sqrt(np.sum(o**2) / np.sum(lin**2)))
        out[:, i] = wb.max_entry_ratio(coord), *rel
    return CoordinateLayer(W_, out[0], out[1], out[2])


# ------------------------------------------------------------------ Conjecture 1


@dataclass(frozen=True)
class GapSummary:
    r"""Gaps of trained twins, each of shape (w, s) (widths, seeds).

    Attributes
    ----------
    abs_end, rel_end : after the last epoch, absolute and relative RMS gap
    abs_sup, rel_sup : the largest over the epochs (0 included)
    """

    abs_end: np.ndarray
    abs_sup: np.ndarray
    rel_end: np.ndarray
    rel_sup: np.ndarray


@dataclass(frozen=True)
class Conjecture1Run:
    r"""The sweeps of :func:`conjecture1`: ``free`` and ``projected``
    (:class:`ssl_notes.twins.TwinSweep` each), and their settings."""

    free: Any
    projected: Any
    widths: tuple
    activations: tuple
    z: int
    lr: float
    epochs: int

    def sweep(self, mode: str) -> Any:
        """The sweep of one mode, ``"free"`` or ``"projected"``."""
        return getattr(self, check_choice("mode", mode, ("free", "projected")))

    def max_lemma2_ratio(self, mode: str) -> float:
        r"""Largest :math:`\max_{ij}|(W_t)_{ij}|\sqrt{h/\log h}` over the runs
        and epochs of one mode (all activations)."""
        sw = self.sweep(mode)
        scale = np.sqrt(np.array(self.widths) / np.log(self.widths))[:, None, None]
        return max(float((sw.max_entry[a] * scale).max()) for a in self.activations)


def gap_summary(sweep: Any, activation: str) -> GapSummary:
    r"""Summarise one activation of a :class:`~ssl_notes.twins.TwinSweep`.

    Parameters
    ----------
    sweep : TwinSweep
    activation : str, one of the sweep's activations

    Returns
    -------
    GapSummary
    """
    from ..twins import TwinSweep

    if not isinstance(sweep, TwinSweep):
        raise TypeError(f"sweep: expected a TwinSweep, got {type(sweep).__name__}")
    if not isinstance(activation, str) or activation not in sweep.diff:
        raise ValueError(
            f"activation: expected one of {tuple(sweep.diff)}, got {activation!r}"
        )
    a, r = sweep.diff[activation], sweep.rel_diff(activation)
    return GapSummary(a[:, :, -1], a.max(axis=2), r[:, :, -1], r.max(axis=2))


def conjecture1(
    problem: MnistProblem,
    widths: Sequence[int],
    seeds: Sequence[int],
    z: int = 4,
    lr: float = 0.01,
    epochs: int = 100,
    activations: Sequence[str] = ("sigmoid", "relu", "tanh"),
    device: Any = None,
) -> Conjecture1Run:
    r"""Train every network and its linear twin, free and projected (float32).

    Two calls of :func:`ssl_notes.twins.sweep_twins` (``project`` False and
    True) on the problem's anchors, positives and negatives, with the
    contrastive loss (1), full-batch gradient descent, step ``lr``.

    Parameters
    ----------
    problem : MnistProblem
    widths : increasing sequence of int >= d
    seeds : sequence of int >= 0
    z : int, embedding dimension
    lr : float > 0
    epochs : int >= 1
    activations : names (not ``"identity"``)
    device : torch device or None (CPU)

    Returns
    -------
    Conjecture1Run
    """
    import torch

    from ..twins import sweep_twins

    if not isinstance(problem, MnistProblem):
        raise TypeError(
            f"problem: expected a MnistProblem, got {type(problem).__name__}"
        )
    acts = _activations("activations", activations)
    W_ = _widths("widths", widths, problem.X.shape[1])
    S_ = _seeds("seeds", seeds)
    z = check_positive_int("z", z)
    lr = check_positive_float("lr", lr)
    epochs = check_positive_int("epochs", epochs)
    device = check_device(device, "cpu")
    p = problem
    run = {
        mode: sweep_twins(
            p.X, p.X_pos, p.X_neg, [int(h) for h in W_], acts, S_.tolist(), z=z, lr=lr,
            epochs=epochs, project=(mode == "projected"), device=device,
            dtype=torch.float32, neg_index=p.neg_index, progress=False,
        )
        for mode in ("free", "projected")
    }  # fmt: skip
    widths_ = tuple(int(h) for h in W_)
    return Conjecture1Run(run["free"], run["projected"], widths_, acts, z, lr, epochs)


@dataclass(frozen=True)
class PrecisionCheck:
    r"""Is float32 enough for :func:`conjecture1`?

    Attributes
    ----------
    float32_dev : float, largest relative deviation over the epochs of one free
        tanh run (widest width, first seed) from a float64 rerun
    epoch0_dev : float, largest relative deviation of the recorded gaps at epoch
        0 from the float64 gaps of :func:`init_gaps` (same initialisations)
    tol : float
    passed : bool, both deviations <= tol
    """

    float32_dev: float
    epoch0_dev: float
    tol: float
    passed: bool


def twin_precision(
    run: Conjecture1Run, problem: MnistProblem, gaps: InitGaps, tol: float = 1e-3
) -> PrecisionCheck:
    r"""Compare the float32 records of ``run`` with float64 computations.

    Parameters
    ----------
    run : Conjecture1Run with ``"tanh"`` among its activations
    problem : MnistProblem, the problem the run was trained on
    gaps : InitGaps on ``problem.X`` whose widths include the run's and whose
        seeds start with the run's; same z
    tol : float > 0, relative tolerance

    Returns
    -------
    PrecisionCheck
    """
    from ..models import two_layer_net
    from ..twins import train_twins

    if not isinstance(run, Conjecture1Run):
        raise TypeError(f"run: expected a Conjecture1Run, got {type(run).__name__}")
    if not isinstance(problem, MnistProblem):
        raise TypeError(
            f"problem: expected a MnistProblem, got {type(problem).__name__}"
        )
    if not isinstance(gaps, InitGaps):
        raise TypeError(f"gaps: expected an InitGaps, got {type(gaps).__name__}")
    tol = check_positive_float("tol", tol)
    if "tanh" not in run.activations:
        raise ValueError("run: expected tanh among the activations")
    seeds = [int(s) for s in run.free.seeds]
    S = len(seeds)
    ki = np.searchsorted(gaps.widths, run.widths)
    if (
        np.any(ki >= gaps.widths.size)
        or np.any(gaps.widths[np.minimum(ki, gaps.widths.size - 1)] != run.widths)
        or [int(s) for s in gaps.seeds[:S]] != seeds
        or gaps.z != run.z
        or not set(run.activations) <= set(gaps.activations)
    ):
        raise ValueError("gaps: expected the run's widths, seeds, z and activations")
    p, h = problem, run.widths[-1]
    net0 = two_layer_net(
        p.X.shape[1], h, run.z, "tanh", init="orthonormal", rng=seeds[0]
    )
    ref = train_twins(net0, p.X, p.X_pos, p.X_neg, lr=run.lr, epochs=run.epochs,
                      neg_index=p.neg_index, progress=False)  # fmt: skip
    dev32 = float(np.max(np.abs(run.free.diff["tanh"][-1, 0] / ref.diff - 1.0)))
    e0 = max(
        float(np.max(np.abs(sw.diff[a][:, :, 0] / np.sqrt(gaps.out_sq[a][ki, :S]) - 1)))
        for sw in (run.free, run.projected)
        for a in run.activations
    )
    return PrecisionCheck(dev32, e0, tol, bool(dev32 <= tol and e0 <= tol))


@dataclass(frozen=True)
class Orderings:
    r"""The width comparisons of Conjecture 1 that must hold for every seed.

    Attributes
    ----------
    tanh_shrinks : bool, tanh's four gaps (abs/rel, end/sup) smaller at the wider
        width of every pair of widths a decade or more apart
    relu_abs_shrinks : bool, ReLU's absolute gap after training smaller there
    sigmoid_rel_grows : bool, the sigmoid's relative gap after training larger
    relu_rel_min : float, ReLU's smallest relative gap (end or sup)
    sigmoid_abs_ratio : float, seed mean of the sigmoid's absolute gap at the
        widest width over its value a decade narrower (NaN without such a width)
    pairs : int, the number of width pairs compared
    passed : bool, all three flags, ``relu_rel_min > 0.5`` and
        ``sigmoid_abs_ratio >= 0.5``
    """

    tanh_shrinks: bool
    relu_abs_shrinks: bool
    sigmoid_rel_grows: bool
    relu_rel_min: float
    sigmoid_abs_ratio: float
    pairs: int
    passed: bool


def conjecture1_orderings(
    tanh: GapSummary, relu: GapSummary, sigmoid: GapSummary, widths: Sequence[int]
) -> Orderings:
    r"""Check the seed-wise orderings of Conjecture 1 for one mode.

    Parameters
    ----------
    tanh, relu, sigmoid : GapSummary of the three activations (same shapes)
    widths : increasing sequence of the w widths of the summaries

    Returns
    -------
    Orderings
    """
    for nm, g in (("tanh", tanh), ("relu", relu), ("sigmoid", sigmoid)):
        if not isinstance(g, GapSummary):
            raise TypeError(f"{nm}: expected a GapSummary, got {type(g).__name__}")
    W_ = _widths("widths", widths, 1, lo=1)
    shape = tanh.abs_end.shape
    if relu.abs_end.shape != shape or sigmoid.abs_end.shape != shape:
        raise ValueError("relu, sigmoid: expected the shape of tanh's summary")
    if shape[0] != W_.size:
        raise ValueError(f"widths: expected {shape[0]} widths, got {W_.size}")
    n = W_.size
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if W_[j] >= 10 * W_[i]]

    def smaller(A):
        return all(np.all(A[j] < A[i]) for i, j in pairs)

    t_ok = all(
        smaller(getattr(tanh, k)) for k in ("abs_end", "abs_sup", "rel_end", "rel_sup")
    )
    r_ok = smaller(relu.abs_end)
    s_ok = smaller(-sigmoid.rel_end)
    r_min = float(min(relu.rel_end.min(), relu.rel_sup.min()))
    narrower = np.flatnonzero(W_ == W_[-1] // 10)
    s_ratio = (
        float(sigmoid.abs_end[-1].mean() / sigmoid.abs_end[narrower[0]].mean())
        if narrower.size
        else float("nan")
    )
    passed = bool(t_ok and r_ok and s_ok and r_min > 0.5 and s_ratio >= 0.5 and pairs)
    return Orderings(t_ok, r_ok, s_ok, r_min, s_ratio, len(pairs), passed)
