r"""Machinery of the chapter *MNIST: the cost of a step and the quality of the
embedding* (``book/mnist_experiment.py``).

The chapter times the routes of :mod:`ssl_notes.steps` with
:func:`ssl_notes.timing.run_benchmark` and trains them with
:mod:`ssl_notes.training`; this module holds what it does with them. Each check is
one function that returns a frozen dataclass with the measured numbers, the bound
they are held to and a ``passed`` verdict:

- :func:`ssl_problem`: two MNIST classes, positives, negatives,
  :math:`C = Z^\top DZ` and :math:`K = ZZ^\top` (:class:`SSLProblem`);
- :func:`output_check`: the outputs of (12) are :math:`ZM_k` for the Euler iterates
  of the flow, and least squares recovers :math:`M_k` (:class:`OutputCheck`);
- :func:`lowrank_check`: the low-rank (11) computes the iterates of (11) as written
  (:class:`IterateCheck`);
- :func:`flop_model_check`: the powers of h and m in the flop model of every route
  (:class:`FlopModelCheck`);
- :func:`runtime_check`: the claims of Figure 4 (left) on a benchmark result, as flop
  ratios (exact) and measured ratios with a margin of :data:`LOAD_MARGIN`
  (:class:`RuntimeCheck`); :func:`timing_table` prints the times with their
  distance to the GEMM rate;
- :func:`crossover_width`: the width above which a route of (11) is slower than a
  form of the flow (:class:`Crossover`);
- :func:`point_scaling`: the cost of (12) with more points (:class:`PointScaling`);
- :func:`retraction_gap`: QR against the polar factor in (11)
  (:class:`RetractionGap`);
- :func:`accuracy_sweep` and :func:`compare_accuracies`: the linear-SVM accuracy of
  the embeddings (Figure 4, right; :class:`AccuracySweep`,
  :class:`AccuracyComparison`); :func:`svm_accuracy` scores one embedding.

Shapes: d input dimension, h hidden width, z embedding dimension, n anchors,
m = 3n points (anchors, positives, negatives) as the rows of Z (m x d).

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_notes import data, losses, manifold, metrics, steps, timing, training
from ssl_notes._validate import (
    as_matrix,
    as_rng,
    check_callable,
    check_choice,
    check_nonnegative_int,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_scalar,
    check_symmetric,
)

__all__ = [
    "UNIT_ROUNDOFF",
    "LOAD_MARGIN",
    "CLAIMED_GAP",
    "FLAT_ROUTES",
    "IMPLEMENTATION",
    "METHODS",
    "SSLProblem",
    "ssl_problem",
    "OutputCheck",
    "output_check",
    "IterateCheck",
    "lowrank_check",
    "FlopModelCheck",
    "flop_model_check",
    "RouteRatio",
    "RuntimeCheck",
    "runtime_check",
    "timing_table",
    "Crossover",
    "crossover_width",
    "PointScaling",
    "point_scaling",
    "RetractionGap",
    "retraction_gap",
    "svm_accuracy",
    "AccuracySweep",
    "accuracy_sweep",
    "AccuracyComparison",
    "compare_accuracies",
]

#: Unit round-off of float64, :math:`u = 2^{-53}`.
UNIT_ROUNDOFF = np.finfo(np.float64).eps / 2
#: Factor by which a measured time ratio may miss its claim before a check fails:
#: a burst of load on a shared machine moves a ratio of interleaved timings by less.
LOAD_MARGIN = 5.0
#: The paper's claim for the left panel of its Figure 4, two orders of magnitude.
CLAIMED_GAP = 100.0
#: The routes in which the hidden width h does not appear.
FLAT_ROUTES = ("flow_F", "flow_M", "closed_form")
#: What each route of :mod:`ssl_notes.steps` computes, in a few words.
IMPLEMENTATION = {
    "gd_naive": "(11), SVD polar",
    "gd_lowrank": "(11), low-rank",
    "gd_qr": "(11), QR",
    "flow_F": "(12), points",
    "flow_M": "Euler in M",
    "closed_form": "closed form",
    "nonlinear_gd": "tanh net GD",
}
#: The three training routes of the accuracy sweep.
METHODS = ("(11) euclidean", "(11) grassmann", "(12)")

# Powers of h and m in the flop model of each route (lemma of the chapter, item 3):
# (lowest, highest) degree of the polynomial in h (h >= 2z) and in m.
_H_DEGREES = {
    "gd_naive": (2, 3),
    "gd_lowrank": (1, 1),
    "gd_qr": (2, 3),
    "flow_F": (0, 0),
    "flow_M": (0, 0),
    "closed_form": (0, 0),
    "nonlinear_gd": (2, 3),
}
_M_DEGREES = {r: (0, 0) for r in steps.ROUTES}
_M_DEGREES.update(flow_F=(2, 2), nonlinear_gd=(1, 1))

# The claims checked at the largest width: (num, den, direction, model bound,
# measured bound, what it says).
_CLAIMS = (
    ("gd_naive", "flow_M", ">", CLAIMED_GAP, CLAIMED_GAP / LOAD_MARGIN),
    ("nonlinear_gd", "flow_M", ">", CLAIMED_GAP, CLAIMED_GAP / LOAD_MARGIN),
    ("gd_lowrank", "flow_M", "<", CLAIMED_GAP / LOAD_MARGIN, CLAIMED_GAP),
    ("gd_naive", "gd_lowrank", ">", LOAD_MARGIN**2, LOAD_MARGIN),
)


def _check_result(result: Any) -> timing.BenchmarkResult:
    if not isinstance(result, timing.BenchmarkResult):
        raise TypeError(
            f"result: expected a timing.BenchmarkResult, got {type(result).__name__}"
        )
    return result


def _check_int_sequence(name: str, value: Any, nonnegative: bool = False) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a sequence of ints, got {value!r}")
    if len(value) == 0:
        raise ValueError(f"{name}: expected a non-empty sequence")
    check = check_nonnegative_int if nonnegative else check_positive_int
    return tuple(check(name, v) for v in value)


# ------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class SSLProblem:
    r"""Result of :func:`ssl_problem`: one draw of the MNIST problem.

    Attributes
    ----------
    X, y : ndarray, shapes (n, d), (n,): training anchors and their labels
    X_test, y_test : ndarray, shapes (n_test, d), (n_test,): disjoint test images
    C : ndarray, shape (d, d), the contrastive matrix (7)
    Z : ndarray, shape (m, d), anchors, positives, negatives; m = 3n
    D : ndarray, shape (m, m), dense, with :math:`C = Z^\top DZ`
    K : ndarray, shape (m, m), the Gram matrix :math:`ZZ^\top`
    data : losses.DataMatrix, Z with the block pattern of D
    cond_Z : float, condition number of Z (ratio of extreme singular values)
    rng : numpy.random.Generator, the generator after the draw (the initialisation
        of a run continues from it)
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    C: np.ndarray
    Z: np.ndarray
    D: np.ndarray
    K: np.ndarray
    data: losses.DataMatrix
    cond_Z: float
    rng: np.random.Generator

    @property
    def factor_error(self) -> float:
        r""":math:`\max|Z^\top DZ - C| / \max|C|`, rounding level."""
        return float(
            np.max(np.abs(self.Z.T @ self.D @ self.Z - self.C)) / np.max(np.abs(self.C))
        )


def ssl_problem(
    digits: Sequence[int] = (3, 5),
    per_class: int = 200,
    test_per_class: int = 200,
    sigma: float = 0.1,
    rng: Any = 0,
) -> SSLProblem:
    r"""Two MNIST classes, Gaussian positives, random negatives, C and its factor.

    Anchors :math:`x_i` (``per_class`` per digit, :func:`ssl_notes.data.mnist_split`),
    positives :math:`x_i + \varepsilon_i`, :math:`\varepsilon_i \sim N(0,\sigma^2 I)`,
    negatives drawn from the other anchors; :math:`C` is (7)
    (:func:`ssl_notes.losses.contrastive_matrix`) and :math:`C = Z^\top DZ` with
    :math:`Z = [X; X^+; X^-]` (:func:`ssl_notes.losses.data_matrix`).

    Parameters
    ----------
    digits : sequence of two or more distinct ints in 0..9
    per_class, test_per_class : int, >= 1, sum at most 500
    sigma : float, >= 0, noise of the positives
    rng : int, numpy.random.Generator or None

    Returns
    -------
    SSLProblem
    """
    per_class = check_positive_int("per_class", per_class)
    test_per_class = check_positive_int("test_per_class", test_per_class)
    sigma = check_scalar("sigma", sigma, "real", min_val=0.0)
    gen = as_rng(rng)
    X, y, X_test, y_test = data.mnist_split(digits, per_class, test_per_class, gen)
    Xp, Xn = data.gaussian_positives(X, sigma, gen), data.random_negatives(X, gen)
    dm = losses.data_matrix(X, Xp, Xn)
    Z = np.array(dm.Z)
    sv = np.linalg.svd(Z, compute_uv=False)
    return SSLProblem(
        X=X,
        y=y,
        X_test=X_test,
        y_test=y_test,
        C=losses.contrastive_matrix(X, Xp, Xn),
        Z=Z,
        D=dm.dense_D(),
        K=Z @ Z.T,
        data=dm,
        cond_Z=float(sv[0] / sv[-1]),
        rng=gen,
    )


# ------------------------------------------------------------ check 1: outputs


@dataclass(frozen=True)
class OutputCheck:
    r"""Result of :func:`output_check`.

    Attributes
    ----------
    rel_F : float, :math:`\max_k \|ZM_k - F_k\|_{\max} / \|F_k\|_{\max}`
    tol_F : float, :math:`k(m + d)u`
    rel_lsq : float, relative max error of :math:`Z^+F_k` against :math:`M_k` at the
        last step
    tol_lsq : float, :math:`\operatorname{cond}(Z)\,k(m + d)u`
    drift : float, :math:`\max|M_k^\top M_k - I|` at the last step
    cond_Z : float
    """

    rel_F: float
    tol_F: float
    rel_lsq: float
    tol_lsq: float
    drift: float
    cond_Z: float

    @property
    def passed(self) -> bool:
        """Both agreements within their rounding bounds."""
        return self.rel_F <= self.tol_F and self.rel_lsq <= self.tol_lsq


def output_check(
    Z: Any, D: Any, C: Any, M0: Any, lr: float = 0.05, steps: int = 100
) -> OutputCheck:
    r"""Compare (12) on the points with the Euler iteration of the flow in M.

    Runs :math:`M_{k+1} = M_k - 2\eta(I - M_kM_k^\top)CM_k`
    (:func:`ssl_notes.training.euler_flow`) and
    :math:`F_{k+1} = F_k - 2\eta(K - F_kF_k^\top)DF_k`, :math:`K = ZZ^\top`,
    :math:`F_0 = ZM_0` (:func:`ssl_notes.training.output_flow`). If
    :math:`C = Z^\top DZ`, then :math:`F_k = ZM_k` exactly; in floating point each
    step commits a relative error of order :math:`(m + d)u`, so the bound after k
    steps is :math:`k(m + d)u`, and least squares multiplies it by
    :math:`\operatorname{cond}(Z)`.

    Parameters
    ----------
    Z : array_like, shape (m, d), full column rank
    D : array_like, shape (m, m), symmetric
    C : array_like, shape (d, d), symmetric (a C that is not :math:`Z^\top DZ`
        fails the check)
    M0 : array_like, shape (d, z), orthonormal columns
    lr : float, > 0
    steps : int, >= 1

    Returns
    -------
    OutputCheck
    """
    Z = as_matrix("Z", Z)
    D = check_symmetric("D", D)
    C = check_symmetric("C", C)
    M0 = check_orthonormal_columns("M0", M0)
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    m, d = Z.shape
    if D.shape != (m, m):
        raise ValueError(f"D: expected shape ({m}, {m}) for Z of shape {Z.shape}")
    if C.shape != (d, d) or M0.shape[0] != d:
        raise ValueError(
            f"C: expected shape ({d}, {d}) and M0 {d} rows, got {C.shape}, {M0.shape}"
        )
    if m < d:
        raise ValueError(f"Z: expected at least d = {d} rows (full column rank)")
    Ms = training.euler_flow(C, M0, lr, steps, record=True).trajectory
    Fs = training.output_flow(Z @ M0, Z @ Z.T, D, lr, steps, record=True).trajectory
    rel_F = max(
        float(np.max(np.abs(Z @ M - F)) / np.max(np.abs(F)))
        for M, F in zip(Ms, Fs, strict=True)
    )
    M_lsq = np.linalg.lstsq(Z, Fs[-1], rcond=None)[0]
    rel_lsq = float(np.max(np.abs(M_lsq - Ms[-1])) / np.max(np.abs(Ms[-1])))
    sv = np.linalg.svd(Z, compute_uv=False)
    cond = float(sv[0] / sv[-1])
    tol = steps * (m + d) * UNIT_ROUNDOFF
    drift = float(np.max(np.abs(Ms[-1].T @ Ms[-1] - np.eye(M0.shape[1]))))
    return OutputCheck(rel_F, float(tol), rel_lsq, float(cond * tol), drift, cond)


# ------------------------------------------------------ the low-rank (11)


@dataclass(frozen=True)
class IterateCheck:
    """Result of :func:`lowrank_check`: largest entry of the difference of the W."""

    method: str
    steps: int
    gap: float
    tolerance: float

    @property
    def passed(self) -> bool:
        """Whether the iterates agree to the tolerance."""
        return self.gap <= self.tolerance


def lowrank_check(
    C: Any,
    W0: Any,
    V0: Any,
    lr: float = 0.01,
    steps: int = 3,
    method: str = "lowrank",
    tol: float = 1e-12,
) -> IterateCheck:
    r"""Whether ``method`` computes the iterates of (11) as written.

    Runs :func:`ssl_notes.training.projected_gd` with ``method="naive"`` (thin-SVD
    polar factors) and with ``method``, and returns
    :math:`\max|W_k^{\rm naive} - W_k^{\rm method}|`. The low-rank update is an
    exact rewriting (the chapter's lemma), so it agrees to rounding; the QR
    retraction is another iteration and fails.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, h), orthonormal columns
    V0 : array_like, shape (h, z), orthonormal columns
    lr : float, > 0
    steps : int, >= 1
    method : {"lowrank", "qr", "naive"}
    tol : float, > 0

    Returns
    -------
    IterateCheck
    """
    method = check_choice("method", method, ("lowrank", "qr", "naive"))
    tol = check_positive_float("tol", tol)
    steps = check_positive_int("steps", steps)
    ref = training.projected_gd(C, W0, V0, lr, steps, method="naive")
    other = training.projected_gd(C, W0, V0, lr, steps, method=method)
    return IterateCheck(method, steps, float(np.max(np.abs(ref.W - other.W))), tol)


# ------------------------------------------------------------ flop models


def _degree(values: np.ndarray) -> int:
    """Degree of the polynomial through equally spaced values (exact arithmetic)."""
    scale = float(np.max(np.abs(values)))
    v = np.asarray(values, dtype=float)
    for k in range(len(values)):
        if np.all(np.abs(v) <= 1e-9 * scale):
            return k - 1
        v = np.diff(v)
    return len(values) - 1  # as high as the points can tell


@dataclass(frozen=True)
class FlopModelCheck:
    """Result of :func:`flop_model_check`.

    Attributes
    ----------
    degree_h, degree_m : dict, route -> degree of its flop model in h and in m
    expected_h, expected_m : dict, route -> (lowest, highest) degree allowed
    d, z, m : int, the sizes at which the model was evaluated
    """

    degree_h: dict[str, int]
    degree_m: dict[str, int]
    expected_h: dict[str, tuple[int, int]]
    expected_m: dict[str, tuple[int, int]]
    d: int
    z: int
    m: int

    def failures(self) -> list[str]:
        """One line per route whose power of h or m is not the lemma's."""
        out = []
        for what, deg, exp in (
            ("h", self.degree_h, self.expected_h),
            ("m", self.degree_m, self.expected_m),
        ):
            for r, k in deg.items():
                lo, hi = exp[r]
                if not lo <= k <= hi:
                    out.append(f"{r}: degree {k} in {what}, expected {lo}..{hi}")
        return out

    @property
    def passed(self) -> bool:
        """Whether every route has the powers of h and m of the lemma."""
        return not self.failures()

    def table(self) -> str:
        """One line per route: its degree in h and in m."""
        lines = [f"{'route':13s} {'power of h':>10s} {'power of m':>10s}"]
        for r in self.degree_h:
            lines.append(f"{r:13s} {self.degree_h[r]:10d} {self.degree_m[r]:10d}")
        return "\n".join(lines)


def flop_model_check(
    flops: Callable[..., float] | None = None,
    d: int = 784,
    z: int = 10,
    m: int = 1200,
) -> FlopModelCheck:
    r"""The powers of h and m in the flop model of every route, against the lemma.

    Item 3 of the chapter's lemma: (11) as written costs :math:`2d^2h` plus a
    polar decomposition, :math:`O(dh^2)` (degree 2 or 3 in h); the low-rank (11)
    :math:`2d^2z + O(dhz)` (degree 1); the three forms of the flow do not involve
    h (degree 0); (12) costs :math:`2m^2z` (degree 2 in m), the nonlinear step
    :math:`4mdh` (degree 1 in m), and no other route involves m. The degree of
    ``flops`` as a polynomial is read off exact finite differences at seven
    consecutive integers (h from 2z, where the low-rank factor has its full rank
    2z).

    Parameters
    ----------
    flops : callable ``flops(route, d, h, z, m) -> float``, optional
        The flop model; default :func:`ssl_notes.steps.route_flops`.
    d, z, m : int, with 2z + 6 <= d

    Returns
    -------
    FlopModelCheck
    """
    flops = check_callable("flops", flops) or steps.route_flops
    d, z, m = (check_positive_int(k, v) for k, v in (("d", d), ("z", z), ("m", m)))
    if 2 * z + 6 > d:
        raise ValueError(f"z: expected 2z + 6 <= d = {d}, got z = {z}")
    hs = np.arange(2 * z, 2 * z + 7)
    ms = np.arange(m, m + 7)
    deg_h, deg_m = {}, {}
    for r in steps.ROUTES:
        fh = np.array([float(flops(r, d, int(h), z, m)) for h in hs])
        fm = np.array([float(flops(r, d, 2 * z, z, int(k))) for k in ms])
        if not (np.all(np.isfinite(fh)) and np.all(np.isfinite(fm))):
            raise ValueError(f"flops: returned a non-finite count for {r}")
        deg_h[r], deg_m[r] = _degree(fh), _degree(fm)
    return FlopModelCheck(deg_h, deg_m, dict(_H_DEGREES), dict(_M_DEGREES), d, z, m)


# --------------------------------------------------------- Figure 4, left


@dataclass(frozen=True)
class RouteRatio:
    """One claim about the time ratio num/den at the largest width.

    ``direction`` is ">" (num is the slower route by at least the bound) or "<"
    (by at most the bound). The flop model is held to ``model_bound`` exactly, the
    measured ratio to ``measured_bound``, which is :data:`LOAD_MARGIN` times looser.
    """

    num: str
    den: str
    measured: float
    model: float
    direction: str
    model_bound: float
    measured_bound: float

    @property
    def passed(self) -> bool:
        """Whether the flop model and the measurement both satisfy the claim."""
        if self.direction == ">":
            return self.model > self.model_bound and self.measured > self.measured_bound
        return self.model < self.model_bound and self.measured < self.measured_bound


@dataclass(frozen=True)
class RuntimeCheck:
    """Result of :func:`runtime_check` for one z.

    Attributes
    ----------
    z, d : int
    widths : tuple of int, the widths timed
    ratios : tuple of RouteRatio, the claims at the largest width
    spreads : dict, flat route -> max/min over the widths of its median time
    flat_flops : bool, whether the flop model of every flat route is the same at
        every width (load-independent)
    growth, model_growth : float, time (flops) of ``gd_naive`` at the largest width
        over that at the smallest
    """

    z: int
    d: int
    widths: tuple[int, ...]
    ratios: tuple[RouteRatio, ...]
    spreads: dict[str, float]
    flat_flops: bool
    growth: float
    model_growth: float

    def ratio(self, num: str, den: str) -> RouteRatio:
        """The claim about num/den."""
        for r in self.ratios:
            if (r.num, r.den) == (num, den):
                return r
        raise KeyError((num, den))

    def failures(self) -> list[str]:
        """One line per claim that fails."""
        out = [f"{r.num}/{r.den}" for r in self.ratios if not r.passed]
        if self.widths[0] != self.z or self.widths[-1] != self.d:
            out.append(f"widths {self.widths} do not run from z to d")
        if not self.flat_flops:
            out.append("a flat route's flop model depends on h")
        if self.model_growth < 10 * LOAD_MARGIN or self.growth < 2 * LOAD_MARGIN:
            out.append(f"gd_naive grows only x{self.growth:.1f} over the widths")
        for r, s in self.spreads.items():
            if s > self.growth / LOAD_MARGIN:
                out.append(f"{r} varies x{s:.1f} over h, not << x{self.growth:.0f}")
        return out

    @property
    def passed(self) -> bool:
        """Whether every claim holds."""
        return not self.failures()

    def table(self) -> str:
        """One line per claim: measured ratio, flop model, bounds."""
        lines = [
            f"z = {self.z}, h = {self.widths[-1]}: time ratios",
            f"{'ratio':22s} {'measured':>8s} {'model':>8s}  claim",
        ]
        for r in self.ratios:
            lines.append(
                f"{r.num + ' / ' + r.den:22s} {r.measured:8.3g} {r.model:8.3g}"
                f"  {r.direction} {r.measured_bound:g} (model {r.direction} "
                f"{r.model_bound:g})"
            )
        flat = ", ".join(f"{k} x{v:.2f}" for k, v in self.spreads.items())
        lines.append(f"max/min over h: {flat}")
        lines.append(f"  against gd_naive x{self.growth:.0f}")
        return "\n".join(lines)


def runtime_check(result: Any) -> RuntimeCheck:
    r"""The claims of Figure 4 (left) on one :func:`~ssl_notes.timing.run_benchmark`.

    At the largest width (h = d in the chapter), four claims, each a ratio of
    median times and of flop models (:func:`ssl_notes.steps.route_flops`):
    ``gd_naive / flow_M`` and ``nonlinear_gd / flow_M`` at least
    :data:`CLAIMED_GAP` (the paper's gap), ``gd_lowrank / flow_M`` below it (no
    such gap against the low-rank (11)), ``gd_naive / gd_lowrank`` above
    :data:`LOAD_MARGIN` (the naive projection is the cost). A claim of a gap of at least
    :data:`CLAIMED_GAP` is held to the flop model exactly and to the measurement
    with the margin :data:`LOAD_MARGIN`; a claim of no such gap the other way round.
    Width independence of the flat routes: their flop models equal at every width
    (exact), and their spread over widths smaller by :data:`LOAD_MARGIN` than the
    growth of (11) as written.

    Parameters
    ----------
    result : timing.BenchmarkResult, with every route, at least two widths

    Returns
    -------
    RuntimeCheck
    """
    result = _check_result(result)
    missing = [r for r in steps.ROUTES if r not in result.routes]
    if missing or len(result.widths) < 2:
        raise ValueError(
            "result: expected every route at two widths or more, "
            f"missing {missing}, widths {result.widths}"
        )
    ratios = []
    for num, den, direction, model_bound, measured_bound in _CLAIMS:
        ratios.append(
            RouteRatio(
                num,
                den,
                float(result.ratio(num, den)[-1]),
                float(result.flops[num][-1] / result.flops[den][-1]),
                direction,
                model_bound,
                measured_bound,
            )
        )
    spreads = {
        r: float(max(result.routes[r]) / min(result.routes[r])) for r in FLAT_ROUTES
    }
    flat = all(len(set(result.flops[r])) == 1 for r in FLAT_ROUTES)
    t, f = result.routes["gd_naive"], result.flops["gd_naive"]
    return RuntimeCheck(
        z=int(result.z),
        d=int(result.d),
        widths=tuple(int(h) for h in result.widths),
        ratios=tuple(ratios),
        spreads=spreads,
        flat_flops=flat,
        growth=float(t[-1] / t[0]),
        model_growth=float(f[-1] / f[0]),
    )


def timing_table(result: Any) -> str:
    """Time per step of each route at the smallest and largest width, and how far
    the largest is from the machine's GEMM rate (measured time over the time of the
    route's flops at the rate of a d x d x d product in the same run; 1 = as fast)."""
    result = _check_result(result)
    h0, h1 = result.widths[0], result.widths[-1]
    rate = result.gemm_flops_per_second / 1e9
    lines = [
        f"GEMM {result.d}^3: {rate:.1f} Gflop/s; z = {result.z}, "
        f"median of {result.repeats}",
        f"{'route':13s}{'implementation':16s}{'ms, h=' + str(h0):>10s}"
        f"{'ms, h=' + str(h1):>11s}{'x GEMM':>8s}",
    ]
    for r, t in result.routes.items():
        lines.append(
            f"{r:13s}{IMPLEMENTATION.get(r, r):16s}{1e3 * t[0]:10.3g}"
            f"{1e3 * t[-1]:11.3g}{result.vs_gemm(r)[-1]:8.2f}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Crossover:
    """Result of :func:`crossover_width`.

    Attributes
    ----------
    slow, fast : str, the route that grows with h and the flat one
    z : int
    width : float or None, measured width at which ``slow`` reaches ``fast``'s
        median time (the smallest width if it is slower there already; None if it
        never does up to the largest width)
    model_width : float or None, the same for the flop models
    """

    slow: str
    fast: str
    z: int
    width: float | None
    model_width: float | None


def _cross(widths: np.ndarray, g: np.ndarray, level: float) -> float | None:
    h, g, f = np.log(widths), np.log(g), np.log(level)
    if g[0] >= f:
        return float(widths[0])
    if g[-1] < f:
        return None
    i = int(np.argmax(g >= f))
    return float(
        np.exp(h[i - 1] + (f - g[i - 1]) * (h[i] - h[i - 1]) / (g[i] - g[i - 1]))
    )


def crossover_width(
    result: Any, slow: str, fast: str, fast_scale: float = 1.0
) -> Crossover:
    r"""Width above which route ``slow`` (growing with h) is slower than ``fast``.

    Log-log interpolation of ``slow``'s median times against h, at the level of
    ``fast``'s median time over all widths (times ``fast_scale``: the chapter's
    larger problem rescales (12) without re-timing (11), which does not depend on
    the number of points). ``slow`` must grow with h in the flop model and ``fast``
    must not depend on h: swapped routes raise ``ValueError``.

    Parameters
    ----------
    result : timing.BenchmarkResult, at least two widths
    slow : str, a route of (11) or the nonlinear step
    fast : str, one of :data:`FLAT_ROUTES`
    fast_scale : float, > 0

    Returns
    -------
    Crossover
    """
    result = _check_result(result)
    slow = check_choice("slow", slow, tuple(result.routes))
    fast = check_choice("fast", fast, tuple(result.routes))
    fast_scale = check_positive_float("fast_scale", fast_scale)
    if len(result.widths) < 2:
        raise ValueError(f"result: expected two widths or more, got {result.widths}")
    fl_slow, fl_fast = result.flops[slow], result.flops[fast]
    if not fl_slow[-1] > fl_slow[0]:
        raise ValueError(f"slow: the flop model of {slow} does not grow with h")
    if len(set(fl_fast)) != 1:
        raise ValueError(f"fast: the flop model of {fast} depends on h")
    w = np.array(result.widths, dtype=float)
    level = fast_scale * float(np.median(result.routes[fast]))
    return Crossover(
        slow,
        fast,
        int(result.z),
        _cross(w, np.array(result.routes[slow]), level),
        _cross(w, np.array(fl_slow), fast_scale * fl_fast[0]),
    )


# ------------------------------------------------------------- more points


@dataclass(frozen=True)
class PointScaling:
    """Result of :func:`point_scaling`: (12) and the Euler step in M, m -> m_big.

    Attributes
    ----------
    m_small, m_big : int, points in the two problems
    seconds_small : dict, route -> median seconds per step on the small problem
        (mean of the timings just before and just after the large one)
    seconds_big : dict, route -> median seconds per step on the large problem
    flop_ratio : dict, route -> flop model (large) over flop model (small)
    vs_gemm_big : dict, route -> measured time over its flops at the GEMM rate
    """

    m_small: int
    m_big: int
    seconds_small: dict[str, float]
    seconds_big: dict[str, float]
    flop_ratio: dict[str, float]
    vs_gemm_big: dict[str, float]

    def growth(self, route: str) -> float:
        """Measured time per step, large over small."""
        return self.seconds_big[route] / self.seconds_small[route]

    @property
    def passed(self) -> bool:
        """(12) dearer by more than its flop ratio over :data:`LOAD_MARGIN`, the
        flop ratio that of :math:`m^2`, and the Euler step in M (no m in it)
        cheaper than :data:`LOAD_MARGIN` times its old cost."""
        r2 = (self.m_big / self.m_small) ** 2
        return (
            abs(self.flop_ratio["flow_F"] / r2 - 1) < 0.05
            and self.flop_ratio["flow_M"] == 1.0
            and self.growth("flow_F") > self.flop_ratio["flow_F"] / LOAD_MARGIN
            and self.growth("flow_M") < LOAD_MARGIN
        )


def point_scaling(
    small: Any,
    big: Any,
    z: int = 1,
    repeats: int = 3,
    target_seconds: float = 0.02,
    threads: int | None = 1,
    rng: Any = 0,
) -> PointScaling:
    r"""Time ``flow_F`` and ``flow_M`` on a larger problem, bracketed by the small one.

    A step of (12) costs :math:`2m^2z` flops, the Euler step in M :math:`2d^2z`.
    The small problem is timed just before and just after the large one (at the
    width z: neither route involves h) and the two are averaged, so that a drift
    of the machine's load cancels to first order.

    Parameters
    ----------
    small, big : timing.BenchmarkProblem, same d
    z : int, embedding dimension
    repeats : int, target_seconds : float, threads : int or None, rng
        As in :func:`ssl_notes.timing.run_benchmark`.

    Returns
    -------
    PointScaling
    """
    for name, p in (("small", small), ("big", big)):
        if not isinstance(p, timing.BenchmarkProblem):
            raise TypeError(f"{name}: expected a timing.BenchmarkProblem")
    if small.data.d != big.data.d:
        raise ValueError("big: expected the same input dimension d as small")
    z = check_positive_int("z", z)
    kw = dict(
        repeats=repeats,
        target_seconds=target_seconds,
        threads=threads,
        device="cpu",
        rng=rng,
        routes=["flow_F", "flow_M"],
    )
    before = timing.run_benchmark([z], z, problem=small, **kw)
    large = timing.run_benchmark([z], z, problem=big, **kw)
    after = timing.run_benchmark([z], z, problem=small, **kw)
    names = ("flow_F", "flow_M")
    return PointScaling(
        m_small=int(before.m),
        m_big=int(large.m),
        seconds_small={
            r: (before.routes[r][0] + after.routes[r][0]) / 2 for r in names
        },
        seconds_big={r: large.routes[r][0] for r in names},
        flop_ratio={r: large.flops[r][0] / before.flops[r][0] for r in names},
        vs_gemm_big={r: large.vs_gemm(r)[0] for r in names},
    )


# ------------------------------------------------------- which projection?


@dataclass(frozen=True)
class RetractionGap:
    """Result of :func:`retraction_gap`.

    Attributes
    ----------
    time : float, the time :math:`t = k\\eta` at which the paths are compared
    lrs : tuple of float, the step sizes (the second half the first)
    gaps : dict, gradient -> largest principal angle between the polar and the
        ``method`` paths of M at each step size
    """

    time: float
    lrs: tuple[float, float]
    gaps: dict[str, tuple[float, float]]

    def ratio(self, gradient: str) -> float:
        """Gap at the smaller step over the gap at the larger."""
        a, b = self.gaps[gradient]
        return b / a if a > 0 else float("inf")

    @property
    def passed(self) -> bool:
        """Whether the Grassmann gap halves with the step (within 0.1, an
        O(lr) gap) while the Euclidean one does not vanish (ratio above 0.8, gap
        above rounding)."""
        return (
            0.4 < self.ratio("grassmann") < 0.6
            and self.ratio("euclidean") > 0.8
            and self.gaps["euclidean"][1] > 1e-6
        )


def retraction_gap(
    C: Any,
    W0: Any,
    V0: Any,
    time: float = 1.0,
    lr: float = 0.02,
    method: str = "qr",
) -> RetractionGap:
    r"""The path of (11) with ``method`` against the polar (low-rank) one.

    Both directions (free gradient, Grassmann projection) at step sizes
    :math:`\eta` and :math:`\eta/2`, up to ``time``, compared by the largest
    principal angle between the two final M
    (:func:`ssl_notes.metrics.subspace_distance`). For a tangent direction QR and
    polar agree to first order in :math:`\eta`: the gap halves; for the free
    gradient they differ at first order and the gap stays.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0, V0 : array_like, shapes (d, h), (h, z), orthonormal columns
    time : float, > 0, with ``time / lr`` at most 10,000 steps
    lr : float, > 0
    method : {"qr", "lowrank", "naive"}

    Returns
    -------
    RetractionGap
    """
    time = check_positive_float("time", time)
    lr = check_positive_float("lr", lr)
    method = check_choice("method", method, ("qr", "lowrank", "naive"))
    n = int(round(time / lr))
    if not 1 <= n <= 5000:
        raise ValueError(f"time: expected 1 to 5000 steps of lr, got {time / lr:g}")
    gaps = {}
    for g in ("euclidean", "grassmann"):
        out = []
        for k, step in ((n, lr), (2 * n, lr / 2)):
            M_pol = training.projected_gd(C, W0, V0, step, k, g, method="lowrank").M
            M_oth = training.projected_gd(C, W0, V0, step, k, g, method=method).M
            out.append(float(metrics.subspace_distance(M_pol, M_oth)))
        gaps[g] = tuple(out)
    return RetractionGap(n * lr, (lr, lr / 2), gaps)


# ------------------------------------------------------ Figure 4, right


def svm_accuracy(F_train: Any, y_train: Any, F_test: Any, y_test: Any) -> float:
    """Test accuracy of a linear SVM on embedded points.

    scikit-learn's ``LinearSVC`` (C = 1, ``random_state=0``) on standardised
    features, fitted on ``(F_train, y_train)``, scored on ``(F_test, y_test)``.

    Parameters
    ----------
    F_train : array_like, shape (n, q); y_train : array_like, shape (n,), two
        classes or more
    F_test : array_like, shape (n_test, q); y_test : array_like, shape (n_test,)

    Returns
    -------
    float, fraction of test points classified correctly
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    F_train, F_test = as_matrix("F_train", F_train), as_matrix("F_test", F_test)
    y_train = as_matrix("y_train", y_train, ndim=1)
    y_test = as_matrix("y_test", y_test, ndim=1)
    if F_train.shape[0] != y_train.shape[0]:
        raise ValueError("y_train: expected one label per row of F_train")
    if F_test.shape[0] != y_test.shape[0]:
        raise ValueError("y_test: expected one label per row of F_test")
    if F_test.shape[1] != F_train.shape[1]:
        raise ValueError("F_test: expected as many columns as F_train")
    if len(np.unique(y_train)) < 2:
        raise ValueError("y_train: expected at least two classes")
    clf = make_pipeline(
        StandardScaler(), LinearSVC(C=1.0, max_iter=20_000, random_state=0)
    )
    return float(clf.fit(F_train, y_train).score(F_test, y_test))


@dataclass(frozen=True, eq=False)
class AccuracySweep:
    """Result of :func:`accuracy_sweep`.

    Attributes
    ----------
    seeds : tuple of int
    eval_steps : tuple of int, the numbers of steps k at which the SVM is fitted
    accuracy : dict, method (:data:`METHODS`) -> ndarray (seeds, eval_steps)
    baselines : dict, name -> ndarray (seeds,): raw pixels, PCA, eigenvectors of C
    angles : dict, each (11) method -> largest principal angle to the (12) path
        over the evaluated steps and seeds
    output_gap : float, largest relative gap of :math:`ZM_k` to the (12) outputs at
        the last step over the seeds; output_tolerance : float, k(m + d)u
    """

    seeds: tuple[int, ...]
    eval_steps: tuple[int, ...]
    accuracy: dict[str, np.ndarray]
    baselines: dict[str, np.ndarray]
    angles: dict[str, float]
    output_gap: float
    output_tolerance: float

    def mean(self, method: str) -> np.ndarray:
        """Mean accuracy over seeds at each evaluated step."""
        return self.accuracy[method].mean(axis=0)

    def sd(self, method: str) -> np.ndarray:
        """Standard deviation over seeds (ddof 1) at each evaluated step."""
        return self.accuracy[method].std(axis=0, ddof=1)

    def table(self) -> str:
        """Mean accuracy of each method at each k (one column per method)."""
        lines = ["steps" + "".join(f"{m:>16s}" for m in self.accuracy)]
        for j, k in enumerate(self.eval_steps):
            row = "".join(
                f"{self.mean(m)[j]:>9.3f} ± {self.sd(m)[j]:.3f}" for m in self.accuracy
            )
            lines.append(f"{k:5d}{row}")
        return "\n".join(lines)


def accuracy_sweep(
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    z: int = 5,
    h: int = 32,
    lr: float = 0.05,
    steps: int = 100,
    eval_steps: Sequence[int] = (0, 5, 10, 20, 50, 100),
    digits: Sequence[int] = (3, 5),
    per_class: int = 200,
    test_per_class: int = 200,
    sigma: float = 0.1,
) -> AccuracySweep:
    r"""Train (11) in both directions and (12), and score the embeddings.

    For each seed: a new :func:`ssl_problem` (``rng=seed``), Haar factors
    :math:`W_0` (d x h), :math:`V_0` (h x z) drawn from its generator,
    :math:`M_0 = W_0V_0`; (11) with the free and the Grassmann gradient
    (:func:`ssl_notes.training.projected_gd`) and (12) as the Euler iteration in
    M (:func:`ssl_notes.training.euler_flow`; its outputs :math:`ZM_k` are checked
    against :func:`ssl_notes.training.output_flow` at the last step). At each k in
    ``eval_steps``, :func:`svm_accuracy` of :math:`M_k^\top x` on the test images.
    Baselines: raw pixels, the first z principal components of the anchors, and
    :math:`U_z^\top x` with :math:`U_z` the eigenvectors of the z most negative
    eigenvalues of C (the fixed point).

    Parameters
    ----------
    seeds : sequence of int, >= 0, at least one
    z, h : int, 1 <= z <= h <= 784
    lr : float, > 0; steps : int, >= 1
    eval_steps : sequence of int in [0, steps]
    digits, per_class, test_per_class, sigma : as in :func:`ssl_problem`

    Returns
    -------
    AccuracySweep
    """
    from sklearn.decomposition import PCA

    seeds = _check_int_sequence("seeds", seeds, nonnegative=True)
    z, h = check_positive_int("z", z), check_positive_int("h", h)
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    ks = tuple(sorted(set(_check_int_sequence("eval_steps", eval_steps, True))))
    if ks[-1] > steps:
        raise ValueError(f"eval_steps: expected values <= steps = {steps}, got {ks}")
    if not z <= h <= 784:
        raise ValueError(f"h: expected z <= h <= 784, got z = {z}, h = {h}")
    acc = {name: np.zeros((len(seeds), len(ks))) for name in METHODS}
    names = ("raw pixels", f"PCA, {z} components", "eigenvectors of C")
    base = {name: np.zeros(len(seeds)) for name in names}
    angles = {name: 0.0 for name in METHODS[:2]}
    gap = tol = 0.0
    for s, seed in enumerate(seeds):
        P = ssl_problem(digits, per_class, test_per_class, sigma, rng=seed)
        if P.X.shape[0] < 2 * z:
            raise ValueError(f"per_class: too few anchors for z = {z}")
        W0 = manifold.haar_orthonormal(P.C.shape[0], h, P.rng)
        V0 = manifold.haar_orthonormal(h, z, P.rng)
        M0 = W0 @ V0
        traj = {
            g: training.projected_gd(
                P.C, W0, V0, lr, steps, g.split()[1], record=True
            ).M_trajectory
            for g in METHODS[:2]
        }
        traj["(12)"] = training.euler_flow(P.C, M0, lr, steps, record=True).trajectory
        F = training.output_flow(P.Z @ M0, P.K, P.D, lr, steps).F
        gap = max(
            gap, float(np.max(np.abs(P.Z @ traj["(12)"][-1] - F)) / np.max(np.abs(F)))
        )
        tol = float(steps * sum(P.Z.shape) * UNIT_ROUNDOFF)
        for name in METHODS[:2]:
            angles[name] = max(
                angles[name],
                *(
                    metrics.subspace_distance(traj[name][k], traj["(12)"][k])
                    for k in ks
                ),
            )
        for name, Mt in traj.items():
            for j, k in enumerate(ks):
                acc[name][s, j] = svm_accuracy(
                    P.X @ Mt[k], P.y, P.X_test @ Mt[k], P.y_test
                )
        pca = PCA(z).fit(P.X)
        U = np.linalg.eigh(P.C)[1][:, :z]
        base[names[0]][s] = svm_accuracy(P.X, P.y, P.X_test, P.y_test)
        base[names[1]][s] = svm_accuracy(
            pca.transform(P.X), P.y, pca.transform(P.X_test), P.y_test
        )
        base[names[2]][s] = svm_accuracy(P.X @ U, P.y, P.X_test @ U, P.y_test)
    return AccuracySweep(seeds, ks, acc, base, angles, gap, tol)


@dataclass(frozen=True)
class AccuracyComparison:
    r"""Result of :func:`compare_accuracies`.

    Attributes
    ----------
    reference : str, the method the others are compared with
    s_bar : float, pooled seed spread of the reference over k >= 1 (root mean
        square of the per-k standard deviations)
    tolerance : float, :math:`2\sqrt{2/S}\,\bar s` for S seeds
    gaps : dict, method -> largest absolute difference of mean accuracy to the reference
    learned : float, mean accuracy of the reference at the last k minus at the first
    """

    reference: str
    s_bar: float
    tolerance: float
    gaps: dict[str, float]
    learned: float

    @property
    def passed(self) -> bool:
        """Every method within the tolerance of the reference, and the reference
        after training distinguishable from itself before."""
        return (
            all(g <= self.tolerance for g in self.gaps.values())
            and self.learned > self.tolerance
        )


def compare_accuracies(
    accuracy: Any, eval_steps: Any, reference: str = "(12)"
) -> AccuracyComparison:
    r"""Are the mean accuracies of the methods indistinguishable from the reference?

    Two means over S seeds with seed spread :math:`\bar s` are called
    indistinguishable when they differ by at most :math:`2\sqrt{2/S}\,\bar s`, twice
    the standard error of the difference of two independent means. :math:`\bar s`
    pools the reference's standard deviations over the evaluated k >= 1 (at k = 0
    every method has the same embedding). The check also requires that training
    moved the reference by more than the tolerance (so that it can tell two
    different embeddings apart).

    Parameters
    ----------
    accuracy : dict, method -> array (S, len(eval_steps)), S >= 2
    eval_steps : sequence of int, increasing, with a 0 and at least one k >= 1
    reference : str, a key of ``accuracy``

    Returns
    -------
    AccuracyComparison
    """
    if not isinstance(accuracy, dict) or len(accuracy) < 2:
        raise TypeError("accuracy: expected a dict of two methods or more")
    ks = np.array(_check_int_sequence("eval_steps", eval_steps, nonnegative=True))
    reference = check_choice("reference", reference, tuple(accuracy))
    arrays = {k: as_matrix("accuracy", v) for k, v in accuracy.items()}
    S = arrays[reference].shape[0]
    if S < 2 or any(a.shape != (S, len(ks)) for a in arrays.values()):
        raise ValueError(
            f"accuracy: expected arrays of shape (seeds >= 2, {len(ks)}) per method"
        )
    if not np.any(ks > 0):
        raise ValueError("eval_steps: expected at least one k >= 1")
    ref = arrays[reference]
    sd = ref.std(axis=0, ddof=1)
    s_bar = float(np.sqrt(np.mean(sd[ks > 0] ** 2)))
    tol = 2 * np.sqrt(2 / S) * s_bar
    mean_ref = ref.mean(axis=0)
    gaps = {
        k: float(np.max(np.abs(a.mean(axis=0) - mean_ref)))
        for k, a in arrays.items()
        if k != reference
    }
    learned = float(mean_ref[-1] - mean_ref[0])
    return AccuracyComparison(reference, s_bar, float(tol), gaps, learned)
