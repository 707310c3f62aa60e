r"""Machinery of the chapter *From the linear theory to real training*
(``book/bridge.py``).

Theorem 1 of the paper needs a wide first layer, :math:`W \in \mathbb{R}^{h\times d}`
with :math:`h \ge d` and :math:`W^\top W = I_d`; Theorem 2 needs a narrow one,
:math:`z \le h \le d` with :math:`W^\top W = I_h`. This module works in Theorem 1's
orientation: W is h x d, V is h x z (both with orthonormal columns), the linear
embedding is :math:`f(x) = V^\top W x = M^\top x` with :math:`M = W^\top V`
(d x z), and C is the d x d symmetric data matrix of :math:`L = \operatorname{Tr}
(M^\top C M)`.

- :func:`factor_velocity_t1`: the constrained flow of the factors, for the three
  metrics (projected gradient, Euclidean and canonical Stiefel gradients);
- :func:`closed_velocity`: its closed form in M alone,
  :math:`\dot M = -4CM + (2+\kappa)MM^\top CM + (2-\kappa)CMM^\top M`;
- :func:`closure_check`: the two at random points of several widths
  (:class:`ClosureCheck`);
- :func:`flow_agreement`: the factor flow and the M-flow integrated side by side
  (:class:`FlowAgreement`);
- :func:`start_scale`: the size of M at a random start (:class:`StartScale`);
- :func:`limit_runs`: where the M-flow goes from random starts of several widths,
  against Theorem 2's flow (:class:`LimitRuns`);
- :func:`sgd_plateau_theory`, :func:`sgd_sweep`, :func:`plateau_check`: projected
  SGD with fresh samples against Oja's flow (:class:`SGDSweep`,
  :class:`PlateauCheck`).

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from ssl_notes import batched_gd, dynamics, manifold, metrics
from ssl_notes._validate import (
    as_matrix,
    as_rng,
    check_callable,
    check_choice,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_scalar,
    check_symmetric,
    check_tolerance,
)

__all__ = [
    "KAPPA",
    "UNIT_ROUNDOFF",
    "factor_velocity_t1",
    "closed_velocity",
    "oja_velocity",
    "ClosureCheck",
    "closure_check",
    "FlowAgreement",
    "flow_agreement",
    "StartScale",
    "start_scale",
    "LimitRuns",
    "limit_runs",
    "shift_images",
    "ShiftProblem",
    "shift_problem",
    "TwinFlowSweep",
    "twin_flow_sweep",
    "width_slope",
    "projected_linear_kernel",
    "KernelPath",
    "kernel_path",
    "RateCheck",
    "tail_rate_check",
    "pca_coordinates",
    "sgd_plateau_theory",
    "SGDSweep",
    "sgd_sweep",
    "PlateauCheck",
    "plateau_check",
]

#: The coefficient :math:`\kappa` of each metric in :func:`closed_velocity`.
KAPPA = {"grassmann": 0.0, "euclidean": 1.0, "canonical": 2.0}

#: Unit roundoff of float64, :math:`2^{-53}`.
UNIT_ROUNDOFF = 2.0**-53


def _widths(name: str, widths: Any, low: int) -> tuple[int, ...]:
    if isinstance(widths, (str, bytes)) or np.ndim(widths) != 1 or len(widths) == 0:
        raise TypeError(f"{name}: expected a non-empty sequence of ints")
    out = tuple(check_positive_int(f"{name}[{i}]", w) for i, w in enumerate(widths))
    if min(out) < low:
        raise ValueError(f"{name}: every width must be >= {low}, got {out}")
    if max(out) > 4096:
        raise ValueError(f"{name}: widths above 4096 are refused, got {max(out)}")
    return out


def _check_CM(C: Any, M: Any) -> tuple[np.ndarray, np.ndarray]:
    C = check_symmetric("C", C)
    M = as_matrix("M", M)
    if M.shape[0] != C.shape[0] or M.shape[1] > M.shape[0]:
        raise ValueError(
            f"M: expected shape (d, z) with z <= d = {C.shape[0]}, got {M.shape}"
        )
    return C, M


def factor_velocity_t1(
    C: Any, W: Any, V: Any, metric: str = "grassmann"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Velocities of the constrained flow of the factors in Theorem 1's orientation.

    With :math:`L = \operatorname{Tr}(V^\top W C W^\top V)`, the free gradients are
    :math:`G_W = 2VV^\top WC` (h x d) and :math:`G_V = 2WCW^\top V` (h x z); the
    velocity of each factor A with gradient G is minus

    - ``"grassmann"``: :math:`(I - AA^\top)G` (Theorem 2's recipe);
    - ``"euclidean"``: :math:`G - A\operatorname{sym}(A^\top G)` (what polar
      projection after a free gradient step follows to first order);
    - ``"canonical"``: :math:`G - AG^\top A`.

    Parameters
    ----------
    C : array_like (d, d), symmetric
    W : array_like (h, d), orthonormal columns (h >= d)
    V : array_like (h, z), orthonormal columns
    metric : {"grassmann", "euclidean", "canonical"}

    Returns
    -------
    (dW, dV) : ndarrays of shapes (h, d) and (h, z)
    """
    C = check_symmetric("C", C)
    W = check_orthonormal_columns("W", W)
    V = check_orthonormal_columns("V", V)
    check_choice("metric", metric, tuple(KAPPA))
    if W.shape[1] != C.shape[0] or V.shape[0] != W.shape[0]:
        raise ValueError(
            f"W, V: expected W (h, {C.shape[0]}) and V (h, z), "
            f"got {W.shape} and {V.shape}"
        )
    return _factor_rhs(C, W, V, metric)


def _riem(A: np.ndarray, G: np.ndarray, metric: str) -> np.ndarray:
    if metric == "grassmann":
        return G - A @ (A.T @ G)
    if metric == "euclidean":
        S = A.T @ G
        return G - A @ ((S + S.T) / 2)
    return G - A @ (G.T @ A)


def _factor_rhs(C, W, V, metric):
    M = W.T @ V
    GW = 2 * V @ (M.T @ C)
    GV = 2 * W @ (C @ M)
    return -_riem(W, GW, metric), -_riem(V, GV, metric)


def closed_velocity(C: Any, M: Any, metric: str = "grassmann") -> np.ndarray:
    r"""The closed equation of the factor flow in M alone (Theorem 1's orientation).

    .. math:: \dot M = -4CM + (2+\kappa)\,MM^\top CM + (2-\kappa)\,CMM^\top M,

    with :math:`\kappa` = 0, 1, 2 for the metrics ``"grassmann"``,
    ``"euclidean"``, ``"canonical"`` (:data:`KAPPA`). For :math:`\kappa = 0` this is
    :math:`-2(I - MM^\top)CM - 2CM(I - M^\top M)`; for :math:`\kappa = 2` it is
    :math:`-4(I - MM^\top)CM`.

    Parameters
    ----------
    C : array_like (d, d), symmetric
    M : array_like (d, z), z <= d
    metric : {"grassmann", "euclidean", "canonical"}

    Returns
    -------
    ndarray (d, z)
    """
    C, M = _check_CM(C, M)
    k = KAPPA[check_choice("metric", metric, tuple(KAPPA))]
    CM = C @ M
    return -4 * CM + (2 + k) * M @ (M.T @ CM) + (2 - k) * CM @ (M.T @ M)


def oja_velocity(C: Any, M: Any, metric: str = "grassmann") -> np.ndarray:
    r"""Theorem 2's flow :math:`\dot M = -2(I - MM^\top)CM` (a wrong closure here).

    ``metric`` is accepted (and ignored) so that it can stand in for
    :func:`closed_velocity` in :func:`closure_check`.
    """
    C, M = _check_CM(C, M)
    check_choice("metric", metric, tuple(KAPPA))
    CM = C @ M
    return -2 * (CM - M @ (M.T @ CM))


@dataclass(frozen=True)
class ClosureCheck:
    r"""Result of :func:`closure_check`.

    Attributes
    ----------
    widths : tuple of int
    rel_err : ndarray (len(widths),), max over draws of
        :math:`\|\dot M_{\rm factors} - \dot M_{\rm closed}\|_F /
        (\|C\|_2\|M\|_F)`
    tol : ndarray (len(widths),), the rounding bound
        :math:`64\,u\,\sqrt{hd}` it is held to
    m_norm : ndarray (len(widths),), mean :math:`\|M\|_2` of the draws
    passed : bool
    """

    widths: tuple[int, ...]
    rel_err: np.ndarray
    tol: np.ndarray
    m_norm: np.ndarray
    passed: bool


def closure_check(
    C: Any,
    z: int,
    widths: Sequence[int],
    metric: str = "grassmann",
    velocity: Callable | None = None,
    n_draws: int = 5,
    rng: Any = None,
) -> ClosureCheck:
    r"""Compare :math:`\tfrac{d}{dt}(W^\top V)` of the factor flow with a closed form.

    At ``n_draws`` Haar-random W (h x d) and V (h x z) for each width, computes
    :math:`\dot W^\top V + W^\top\dot V` from :func:`factor_velocity_t1` and the
    ``velocity(C, M, metric)`` (default :func:`closed_velocity`) at
    :math:`M = W^\top V`. The rounding error of the products is below
    :math:`\gamma\,\|C\|_2\|M\|_F` with :math:`\gamma \approx u\sqrt{hd}` times a
    small constant; the check allows 64 times that.

    Returns
    -------
    ClosureCheck
    """
    C = check_symmetric("C", C)
    d = C.shape[0]
    z = check_positive_int("z", z)
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    widths = _widths("widths", widths, d)
    check_choice("metric", metric, tuple(KAPPA))
    velocity = check_callable("velocity", velocity) or closed_velocity
    n_draws = check_positive_int("n_draws", n_draws)
    gen = as_rng(rng)
    cn = float(np.max(np.abs(np.linalg.eigvalsh(C)))) or 1.0
    errs, tols, norms = [], [], []
    for h in widths:
        e, nm = 0.0, 0.0
        for _ in range(n_draws):
            W, V = (
                manifold.haar_orthonormal(h, d, gen),
                manifold.haar_orthonormal(h, z, gen),
            )
            dW, dV = _factor_rhs(C, W, V, metric)
            M = W.T @ V
            dM = dW.T @ V + W.T @ dV
            ref = np.asarray(velocity(C, M, metric), dtype=float)
            e = max(e, float(np.linalg.norm(dM - ref) / (cn * np.linalg.norm(M))))
            nm += float(np.linalg.norm(M, 2)) / n_draws
        errs.append(e)
        tols.append(64 * UNIT_ROUNDOFF * np.sqrt(h * d))
        norms.append(nm)
    errs, tols = np.asarray(errs), np.asarray(tols)
    return ClosureCheck(
        widths, errs, tols, np.asarray(norms), bool(np.all(errs <= tols))
    )


@dataclass(frozen=True)
class FlowAgreement:
    """Result of :func:`flow_agreement`.

    Attributes
    ----------
    widths : tuple of int
    max_dev : ndarray, :math:`\\max_t \\|M_{\\rm factors}(t) - M_{\\rm closed}(t)\\|_F`
    tol : float, the bound it is held to (from the solver tolerances)
    passed : bool
    """

    widths: tuple[int, ...]
    max_dev: np.ndarray
    tol: float
    passed: bool


def _solve(rhs, y0, T, n_times):
    ts = np.linspace(0.0, T, n_times)
    sol = solve_ivp(
        rhs, (0.0, T), y0, method="DOP853", t_eval=ts, rtol=1e-12, atol=1e-14
    )
    if not sol.success:  # pragma: no cover - DOP853 on a polynomial field
        raise RuntimeError(sol.message)
    return ts, sol.y.T


def flow_agreement(
    C: Any,
    z: int,
    widths: Sequence[int],
    T: float = 2.0,
    metric: str = "grassmann",
    rng: Any = None,
) -> FlowAgreement:
    r"""Integrate the factor flow (W, V) and the closed M-flow from one random start.

    Both by DOP853 with rtol 1e-12, atol 1e-14, at 21 times in [0, T]; the
    deviation allowed is :math:`10^{-9}` (a thousand times the per-step
    tolerance, for error growth over :math:`T \le 5/\|C\|_2`).

    Returns
    -------
    FlowAgreement
    """
    C = check_symmetric("C", C)
    d = C.shape[0]
    z = check_positive_int("z", z)
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    widths = _widths("widths", widths, d)
    if max(widths) > 512:
        raise ValueError(f"widths: at most 512 for an ODE of the factors, got {widths}")
    cn = float(np.max(np.abs(np.linalg.eigvalsh(C)))) or 1.0
    T = check_scalar("T", T, min_val=0.0, max_val=5.0 / cn, include_min=False)
    check_choice("metric", metric, tuple(KAPPA))
    gen = as_rng(rng)
    devs = []
    for h in widths:
        W0, V0 = (
            manifold.haar_orthonormal(h, d, gen),
            manifold.haar_orthonormal(h, z, gen),
        )

        def rhs_f(_t, y, h=h):
            W, V = y[: h * d].reshape(h, d), y[h * d :].reshape(h, z)
            dW, dV = _factor_rhs(C, W, V, metric)
            return np.concatenate([dW.ravel(), dV.ravel()])

        def rhs_m(_t, y):
            return closed_velocity(C, y.reshape(d, z), metric).ravel()

        _, Y = _solve(rhs_f, np.concatenate([W0.ravel(), V0.ravel()]), T, 21)
        _, Ym = _solve(rhs_m, (W0.T @ V0).ravel(), T, 21)
        Mf = np.stack(
            [y[: h * d].reshape(h, d).T @ y[h * d :].reshape(h, z) for y in Y]
        )
        devs.append(
            float(np.max(np.linalg.norm(Mf - Ym.reshape(-1, d, z), axis=(1, 2))))
        )
    devs = np.asarray(devs)
    return FlowAgreement(widths, devs, 1e-9, bool(np.all(devs <= 1e-9)))


@dataclass(frozen=True)
class StartScale:
    r"""Result of :func:`start_scale`.

    Attributes
    ----------
    widths : tuple of int
    frob_ratio : ndarray, mean of :math:`\|M\|_F^2\,h/(dz)` (exactly 1 in
        expectation)
    frob_se : ndarray, its standard error over the draws
    op_norm : ndarray, mean :math:`\|M\|_2`
    """

    widths: tuple[int, ...]
    frob_ratio: np.ndarray
    frob_se: np.ndarray
    op_norm: np.ndarray


def start_scale(
    d: int, z: int, widths: Sequence[int], n_draws: int = 50, rng: Any = None
) -> StartScale:
    r"""Size of :math:`M = W^\top V` at a Haar-random start, W (h x d), V (h x z).

    :math:`\mathbb{E}\|M\|_F^2 = \operatorname{Tr}\mathbb{E}[V^\top WW^\top V]
    = z\,d/h`, because :math:`\mathbb{E}[VV^\top] = (z/h) I_h` and
    :math:`\operatorname{Tr}(WW^\top) = d`.

    Returns
    -------
    StartScale
    """
    d = check_positive_int("d", d)
    z = check_positive_int("z", z)
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    widths = _widths("widths", widths, d)
    n_draws = check_positive_int("n_draws", n_draws)
    if n_draws < 2 or n_draws > 1000:
        raise ValueError(f"n_draws: expected 2..1000, got {n_draws}")
    gen = as_rng(rng)
    fr, se, op = [], [], []
    for h in widths:
        r, o = [], []
        for _ in range(n_draws):
            M = manifold.haar_orthonormal(h, d, gen).T @ manifold.haar_orthonormal(
                h, z, gen
            )
            r.append(np.sum(M**2) * h / (d * z))
            o.append(np.linalg.norm(M, 2))
        fr.append(np.mean(r))
        se.append(np.std(r, ddof=1) / np.sqrt(n_draws))
        op.append(np.mean(o))
    return StartScale(widths, np.asarray(fr), np.asarray(se), np.asarray(op))


@dataclass(frozen=True)
class LimitRuns:
    r"""Result of :func:`limit_runs`.

    Attributes
    ----------
    widths : tuple of int
    times : ndarray (T,)
    angle : ndarray (len(widths), T), largest principal angle between
        :math:`M(t)` and the eigenvectors of the z most negative eigenvalues of C
    defect : ndarray (len(widths), T), :math:`\|I - M^\top M\|_2`
    angle_oja : ndarray (len(widths), T), the same angle for Theorem 2's flow
        from the orthonormal polar factor of :math:`M(0)`
    loss : ndarray (len(widths), T), :math:`\operatorname{Tr}(M^\top C M)`
    target : float, :math:`\lambda_1 + \dots + \lambda_z`
    z : int
    """

    widths: tuple[int, ...]
    times: np.ndarray
    angle: np.ndarray
    defect: np.ndarray
    angle_oja: np.ndarray
    loss: np.ndarray
    target: float
    z: int


def limit_runs(
    C: Any,
    z: int,
    widths: Sequence[int],
    T: float,
    n_times: int = 61,
    metric: str = "grassmann",
    rng: Any = None,
) -> LimitRuns:
    r"""Run the closed M-flow from random starts :math:`M(0) = W_0^\top V_0` of
    each width, and Theorem 2's flow from the polar factor of the same M(0).

    The M-flow is integrated by DOP853 (rtol 1e-10, atol 1e-13); Theorem 2's flow
    by :func:`ssl_notes.dynamics.flow_projector` (closed form, span only).

    Returns
    -------
    LimitRuns
    """
    C = check_symmetric("C", C)
    d = C.shape[0]
    z = check_positive_int("z", z)
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    widths = _widths("widths", widths, d)
    cn = float(np.max(np.abs(np.linalg.eigvalsh(C)))) or 1.0
    T = check_scalar("T", T, min_val=0.0, max_val=200.0 / cn, include_min=False)
    n_times = check_positive_int("n_times", n_times)
    if n_times < 2 or n_times > 1000:
        raise ValueError(f"n_times: expected 2..1000, got {n_times}")
    check_choice("metric", metric, tuple(KAPPA))
    gen = as_rng(rng)
    lam, Q = np.linalg.eigh(C)
    Qz = Q[:, :z]
    ts = np.linspace(0.0, T, n_times)
    ang, dfc, ango, loss = (np.empty((len(widths), n_times)) for _ in range(4))
    for a, h in enumerate(widths):
        M0 = manifold.haar_orthonormal(h, d, gen).T @ manifold.haar_orthonormal(
            h, z, gen
        )
        sol = solve_ivp(
            lambda _t, y: closed_velocity(C, y.reshape(d, z), metric).ravel(),
            (0.0, T),
            M0.ravel(),
            method="DOP853",
            t_eval=ts,
            rtol=1e-10,
            atol=1e-13,
        )
        Ms = sol.y.T.reshape(-1, d, z)
        P = dynamics.flow_projector(C, manifold.project_orthonormal(M0), ts)
        for k, M in enumerate(Ms):
            ang[a, k] = metrics.subspace_distance(M, Qz)
            dfc[a, k] = np.linalg.norm(np.eye(z) - M.T @ M, 2)
            loss[a, k] = np.trace(M.T @ C @ M)
            s = np.linalg.svd(Qz.T @ P[k] @ Qz, compute_uv=False)
            ango[a, k] = np.arccos(np.sqrt(np.clip(s.min(), 0.0, 1.0)))
    return LimitRuns(widths, ts, ang, dfc, ango, loss, float(np.sum(lam[:z])), z)


def pca_coordinates(X: Any, d: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Centre the rows of X and express them in their top-d principal axes.

    Returns the coordinates (n, d), whose covariance (1/n normalisation) is
    diagonal with the top d eigenvalues of :math:`\operatorname{Cov}(x)`
    descending, and those eigenvalues (d,).
    """
    X = as_matrix("X", X)
    d = check_positive_int("d", d)
    if d > min(X.shape):
        raise ValueError(f"d: expected d <= {min(X.shape)}, got {d}")
    Xc = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt[:d].T, s[:d] ** 2 / X.shape[0]


def sgd_plateau_theory(X: Any, z: int, sigma: float) -> float:
    r"""The coefficient A of the stationary error :math:`\mathbb{E}\sum_k
    \sin^2\theta_k \approx A\,\eta/B` of :func:`ssl_notes.batched_gd.projected_sgd`.

    X must be centred principal coordinates (diagonal covariance
    :math:`\operatorname{diag}(s_1 > s_2 > \dots)`, e.g. from
    :func:`pca_coordinates`). Linearising the step at the top-z axes, the
    tangent coordinate :math:`b_{ji}` (j > z >= i) obeys
    :math:`b \leftarrow (1 - 2\eta(s_i - s_j))b + 2\eta\xi`, with
    :math:`\operatorname{Var}\xi = v_{ji}/B`, so
    :math:`\mathbb{E}b_{ji}^2 \to \eta v_{ji}/(B(s_i - s_j))` and

    .. math:: A = \sum_{i\le z<j}\frac{v_{ji}}{s_i - s_j},\qquad
              v_{ji} = \overline{x_j^2x_i^2} + \tfrac12 s_is_j
              + \tfrac14\sigma^2(s_i + s_j),

    the variance of :math:`u_j^\top C_1u_i` for one anchor, negative and noise
    draw (the bar is the average over the rows).
    """
    X = as_matrix("X", X)
    n, d = X.shape
    z = check_positive_int("z", z)
    if z >= d:
        raise ValueError(f"z: expected z < d = {d}, got {z}")
    sigma = check_scalar("sigma", sigma, min_val=0.0)
    S = X.T @ X / n
    s = np.diag(S).copy()
    scale = float(np.max(np.abs(S)))
    if (
        float(np.max(np.abs(X.mean(axis=0)))) > 1e-8 * np.sqrt(scale)
        or np.max(np.abs(S - np.diag(s))) > 1e-8 * scale
        or np.any(np.diff(s[: z + 1]) >= 0)
    ):
        raise ValueError(
            "X: expected centred principal coordinates (diagonal covariance, "
            "descending, s_z > s_{z+1}); use pca_coordinates"
        )
    A = 0.0
    for i in range(z):
        xi2 = X[:, i] ** 2
        for j in range(z, d):
            v = np.mean(X[:, j] ** 2 * xi2) + s[i] * s[j] / 2
            v += sigma**2 * (s[i] + s[j]) / 4
            A += v / (s[i] - s[j])
    return float(A)


@dataclass(frozen=True)
class SGDSweep:
    r"""Result of :func:`sgd_sweep`.

    Attributes
    ----------
    settings : tuple of (lr, batch)
    times : ndarray (K,)
    s2 : ndarray (len(settings), K), :math:`\sum_k\sin^2\theta_k` between the
        SGD iterate and the top-z principal axes, mean over the seeds
    s2_flow : ndarray (K,), the same for Oja's flow from the same start
    plateau : ndarray (len(settings),), mean of s2 over the last third of the run
    plateau_se : ndarray (len(settings),), its standard error over the seeds
        (NaN for one seed)
    """

    settings: tuple[tuple[float, int], ...]
    times: np.ndarray
    s2: np.ndarray
    s2_flow: np.ndarray
    plateau: np.ndarray
    plateau_se: np.ndarray


def sgd_sweep(
    X: Any,
    z: int,
    sigma: float,
    settings: Sequence[tuple[float, int]],
    T: float,
    n_seeds: int = 4,
    rng: Any = None,
    n_records: int = 60,
) -> SGDSweep:
    r"""Projected SGD (:func:`ssl_notes.batched_gd.projected_sgd`) for each
    (step, batch) in ``settings``, from one random start, against Oja's flow
    :math:`\dot M = 2(I - MM^\top)\operatorname{Cov}(x)M`
    (:func:`ssl_notes.dynamics.flow_projector` with :math:`C = -\operatorname{Cov}`).

    X: centred principal coordinates (:func:`pca_coordinates`), so the top-z axes
    are the first z coordinates. Records at ``n_records`` equal times in [0, T];
    T / lr must be a multiple of ``n_records``.

    Returns
    -------
    SGDSweep
    """
    X = as_matrix("X", X)
    n, d = X.shape
    z = check_positive_int("z", z)
    if z >= d:
        raise ValueError(f"z: expected z < d = {d}, got {z}")
    T = check_positive_float("T", T)
    n_seeds = check_positive_int("n_seeds", n_seeds)
    n_records = check_positive_int("n_records", n_records)
    if (
        isinstance(settings, (str, bytes))
        or not isinstance(settings, Sequence | np.ndarray)
        or len(settings) == 0
    ):
        raise TypeError("settings: expected a non-empty sequence of (lr, batch)")
    sets = []
    for k, st in enumerate(settings):
        if np.ndim(st) != 1 or len(st) != 2:
            raise TypeError(f"settings[{k}]: expected a pair (lr, batch), got {st!r}")
        lr = check_positive_float(f"settings[{k}][0]", st[0])
        B = check_positive_int(f"settings[{k}][1]", st[1])
        steps = T / lr
        if abs(steps - round(steps)) > 1e-6 or round(steps) % n_records:
            raise ValueError(
                f"settings[{k}]: T / lr = {steps:.6g} must be a multiple of "
                f"n_records = {n_records}"
            )
        sets.append((lr, B))
    gen = as_rng(rng)
    M0 = manifold.haar_orthonormal(d, z, gen)
    S = X.T @ X / n
    s2 = np.empty((len(sets), n_records + 1))
    se = np.empty(len(sets))
    times = np.linspace(0.0, T, n_records + 1)
    for a, (lr, B) in enumerate(sets):
        steps = round(T / lr)
        run = batched_gd.projected_sgd(
            X, M0, sigma, lr, B, steps, rng=gen, every=steps // n_records, runs=n_seeds
        )
        per = z - np.sum(run.M[:, :, :z, :] ** 2, axis=(2, 3))  # (K, seeds)
        acc = np.sum(per, axis=1)
        tail_means = per[times >= 2 * T / 3].mean(axis=0)
        se[a] = np.std(tail_means, ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else np.nan
        s2[a] = acc / n_seeds
    P = dynamics.flow_projector(-S, M0, times)
    s2f = z - np.einsum("kii->k", P[:, :z, :z])
    tail = times >= 2 * T / 3
    return SGDSweep(tuple(sets), times, s2, s2f, s2[:, tail].mean(axis=1), se)


@dataclass(frozen=True)
class PlateauCheck:
    """Result of :func:`plateau_check`.

    Attributes
    ----------
    ratio : ndarray, measured plateau / predicted, per setting
    tol : float, the band is [1 / (1 + tol), 1 + tol]
    passed : bool
    """

    ratio: np.ndarray
    tol: float
    passed: bool


def plateau_check(
    sweep: SGDSweep, A: float, predict: Callable | None = None, tol: float = 0.25
) -> PlateauCheck:
    r"""Compare the measured plateaus with ``predict(A, lr, batch)`` (default
    :math:`A\eta/B`, from :func:`sgd_plateau_theory`)."""
    if not isinstance(sweep, SGDSweep):
        raise TypeError(f"sweep: expected an SGDSweep, got {type(sweep).__name__}")
    A = check_positive_float("A", A)
    predict = check_callable("predict", predict) or (lambda a, lr, b: a * lr / b)
    tol = check_tolerance("tol", tol)
    pred = np.array([float(predict(A, lr, b)) for lr, b in sweep.settings])
    ratio = sweep.plateau / pred
    ok = bool(np.all((ratio <= 1 + tol) & (ratio >= 1 / (1 + tol))))
    return PlateauCheck(ratio, tol, ok)


@dataclass(frozen=True)
class RateCheck:
    r"""Result of :func:`tail_rate_check`.

    Attributes
    ----------
    measured : ndarray, fitted decay rate of the largest angle, per width
    predicted : float, :math:`(2+\kappa)(\lambda_{z+1} - \lambda_z)`
    tol : float, relative
    passed : bool
    """

    measured: np.ndarray
    predicted: float
    tol: float
    passed: bool


def tail_rate_check(
    runs: LimitRuns,
    C: Any,
    metric: str = "grassmann",
    factor: float | None = None,
    tol: float = 0.02,
) -> RateCheck:
    r"""Fit :math:`-\frac{d}{dt}\log\theta_{\max}` over the second half of each run
    of :func:`limit_runs` and compare with :math:`(2+\kappa)(\lambda_{z+1} -
    \lambda_z)` (``factor`` replaces :math:`2+\kappa` to test a wrong claim).

    Linearising the closed flow at :math:`M = U_z` (eigenvectors of the z most
    negative eigenvalues) gives, for the block B of M outside the span of
    :math:`U_z`, :math:`\dot B = -(2+\kappa)(\Lambda_2B - B\Lambda_1)`.
    """
    if not isinstance(runs, LimitRuns):
        raise TypeError(f"runs: expected a LimitRuns, got {type(runs).__name__}")
    C = check_symmetric("C", C)
    k = KAPPA[check_choice("metric", metric, tuple(KAPPA))]
    f = 2 + k if factor is None else check_positive_float("factor", factor)
    tol = check_tolerance("tol", tol)
    lam = np.linalg.eigvalsh(C)
    half = runs.times >= runs.times[-1] / 2
    rates = []
    for a in runs.angle:
        ok = half & (a > 1e-9)
        if ok.sum() < 3:
            raise ValueError("runs: too few times with angle > 1e-9 in the second half")
        rates.append(-np.polyfit(runs.times[ok], np.log(a[ok]), 1)[0])
    rates = np.asarray(rates)
    zz = runs.z
    pred = f * float(lam[zz] - lam[zz - 1])
    ok = bool(np.all(np.abs(rates / pred - 1) <= tol))
    return RateCheck(rates, pred, tol, ok)


# ------------------------------------------------------------------ real augmentations


def shift_images(X: Any, max_shift: int, rng: Any = None) -> np.ndarray:
    r"""Shift each 28 x 28 image (a row of X, 784 pixels) by a random integer
    offset in :math:`\{-s, \dots, s\}^2`, filling with zeros.

    Parameters
    ----------
    X : array_like (n, 784)
    max_shift : int in 1..6, the largest shift s (pixels, each axis)
    rng : int, numpy.random.Generator or None
    """
    X = as_matrix("X", X)
    if X.shape[1] != 784:
        raise ValueError(f"X: expected rows of 784 pixels, got shape {X.shape}")
    s = check_scalar("max_shift", max_shift, "int", min_val=1, max_val=6)
    gen = as_rng(rng)
    imgs = X.reshape(-1, 28, 28)
    out = np.zeros_like(imgs)
    for i, (dy, dx) in enumerate(gen.integers(-s, s + 1, size=(len(imgs), 2))):
        src = imgs[i, max(0, -dy) : 28 - max(0, dy), max(0, -dx) : 28 - max(0, dx)]
        out[i, max(0, dy) : 28 - max(0, -dy), max(0, dx) : 28 - max(0, -dx)] = src
    return out.reshape(len(imgs), 784)


@dataclass(frozen=True)
class ShiftProblem:
    r"""A contrastive problem on MNIST with shifted positives, from
    :func:`shift_problem`.

    Attributes
    ----------
    X, X_pos, X_neg : ndarray (n, d), anchors, positives, negatives in the
        principal coordinates of the anchors
    neg_index : ndarray of int (n,), ``X[neg_index] == X_neg``
    C : ndarray (d, d), the data matrix (7) of the triples
    """

    X: np.ndarray
    X_pos: np.ndarray
    X_neg: np.ndarray
    neg_index: np.ndarray
    C: np.ndarray


def shift_problem(
    images: Any, d: int, max_shift: int = 2, rng: Any = None
) -> ShiftProblem:
    r"""Anchors, shifted positives and random negatives, in d principal coordinates.

    The coordinates are :math:`U_d^\top(x - \bar x)` with :math:`U_d` the top d
    principal axes of the anchors (one fixed linear map, applied to the
    positives as well); the negatives are other anchors.
    """
    from ssl_notes import data as _data
    from ssl_notes import losses as _losses

    images = as_matrix("images", images)
    d = check_positive_int("d", d)
    if d > min(images.shape[0] - 1, 784):
        raise ValueError(f"d: expected d < n = {images.shape[0]}, got {d}")
    gen = as_rng(rng)
    pos = shift_images(images, max_shift, gen)
    mu = images.mean(axis=0)
    U = np.linalg.svd(images - mu, full_matrices=False)[2][:d].T
    X, Xp = (images - mu) @ U, (pos - mu) @ U
    Xn, idx = _data.random_negatives(X, gen, return_index=True)
    return ShiftProblem(X, Xp, Xn, idx, _losses.contrastive_matrix(X, Xp, Xn))


@dataclass(frozen=True)
class TwinFlowSweep:
    r"""Result of :func:`twin_flow_sweep` (index [width, record]).

    Attributes
    ----------
    widths : tuple of int
    times : ndarray (K,), :math:`t = k\eta` of the records
    gap_nl_lin : ndarray, :math:`\|F_{\rm nl} - F_{\rm lin}\|_F/\|F_{\rm lin}\|_F`
        on the anchors
    gap_lin_flow : ndarray, :math:`\|M_{\rm lin} - M_{\rm flow}\|_F/\|M_{\rm
        flow}\|_F`, the linear twin against the closed flow (kappa = 1)
    gap_lin_flow0 : ndarray, the same against the kappa = 0 flow (a wrong model
        of the polar step)
    angle_nl_lin : ndarray, largest principal angle between the spans of
        :math:`M_{\rm nl}` and :math:`M_{\rm lin}` (the end-to-end matrices)
    angle_limit : ndarray, largest principal angle between :math:`M_{\rm nl}`
        and the eigenvectors of the z most negative eigenvalues of C
    max_preact : ndarray, :math:`\max|(Wx)_j|` of the nonlinear network
    """

    widths: tuple[int, ...]
    times: np.ndarray
    gap_nl_lin: np.ndarray
    gap_lin_flow: np.ndarray
    gap_lin_flow0: np.ndarray
    angle_nl_lin: np.ndarray
    angle_limit: np.ndarray
    max_preact: np.ndarray


def twin_flow_sweep(
    problem: ShiftProblem,
    widths: Sequence[int],
    z: int,
    lr: float,
    epochs: int,
    records: int = 10,
    activation: str = "tanh",
    rng: Any = None,
    device: Any = None,
) -> TwinFlowSweep:
    r"""Train the constrained network and its linear twin by projected GD
    (:func:`ssl_notes.batched_gd.train_batch`, free step then polar projection,
    Theorem 1's orientation) from one orthonormal start per width, and integrate
    the closed flow with :math:`\kappa = 1` (:func:`closed_velocity`, the flow the
    polar step follows) from the same :math:`M(0)`.

    ``epochs`` must be a multiple of ``records``; measurements every
    ``epochs // records`` steps.

    Returns
    -------
    TwinFlowSweep
    """
    import copy

    from ssl_notes import models

    if not isinstance(problem, ShiftProblem):
        raise TypeError(f"problem: expected a ShiftProblem, got {type(problem)}")
    d = problem.X.shape[1]
    widths = _widths("widths", widths, d)
    z = check_positive_int("z", z)
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    lr = check_positive_float("lr", lr)
    epochs = check_positive_int("epochs", epochs)
    records = check_positive_int("records", records)
    if epochs % records:
        raise ValueError(f"epochs: must be a multiple of records = {records}")
    check_choice("activation", activation, ("tanh", "identity", "relu", "sigmoid"))
    gen = as_rng(rng)
    C = problem.C
    Qz = np.linalg.eigh(C)[1][:, :z]
    data = batched_gd.contrastive_data(
        problem.X, problem.X_pos, problem.X_neg, None, problem.neg_index
    )
    chunk = epochs // records
    times = lr * chunk * np.arange(records + 1)
    shape = (len(widths), records + 1)
    g1, g2, g0, a1, a2, pre = (np.zeros(shape) for _ in range(6))
    for w, h in enumerate(widths):
        net = models.two_layer_net(d, h, z, activation, rng=gen, device=device)
        nl, lin = copy.deepcopy(net), net.linear_copy()
        M0 = net.M().detach().cpu().numpy()
        sol = solve_ivp(
            lambda _t, y: closed_velocity(C, y.reshape(d, z), "euclidean").ravel(),
            (0.0, times[-1]), M0.ravel(), method="DOP853", t_eval=times,
            rtol=1e-10, atol=1e-12,
        )  # fmt: skip
        Mf = sol.y.T.reshape(-1, d, z)
        sol0 = solve_ivp(
            lambda _t, y: closed_velocity(C, y.reshape(d, z), "grassmann").ravel(),
            (0.0, times[-1]), M0.ravel(), method="DOP853", t_eval=times,
            rtol=1e-10, atol=1e-12,
        )  # fmt: skip
        Mf0 = sol0.y.T.reshape(-1, d, z)
        for k in range(records + 1):
            if k:
                run = batched_gd.train_batch([nl], data, lr, chunk, project=True)
                batched_gd.train_batch([lin], data, lr, chunk, project=True)
                pre[w, k] = run.max_preact[-1, 0]
            else:
                run = batched_gd.train_batch([copy.deepcopy(nl)], data, lr, 1)
                pre[w, k] = run.max_preact[0, 0]
            Mn = nl.M().detach().cpu().numpy()
            Ml = lin.M().detach().cpu().numpy()
            Fn = nl(problem.X).detach().cpu().numpy()
            Fl = problem.X @ Ml
            g1[w, k] = np.linalg.norm(Fn - Fl) / np.linalg.norm(Fl)
            g2[w, k] = np.linalg.norm(Ml - Mf[k]) / np.linalg.norm(Mf[k])
            g0[w, k] = np.linalg.norm(Ml - Mf0[k]) / np.linalg.norm(Mf0[k])
            a1[w, k] = metrics.subspace_distance(Mn, Ml)
            a2[w, k] = metrics.subspace_distance(Mn, Qz)
    return TwinFlowSweep(widths, times, g1, g2, g0, a1, a2, pre)


def width_slope(widths: Sequence[int], values: Any) -> float:
    r"""Least-squares slope of :math:`\log` ``values`` against :math:`\log h`."""
    widths = _widths("widths", widths, 1)
    v = as_matrix("values", values, ndim=1)
    if v.shape != (len(widths),) or len(widths) < 2 or np.any(v <= 0):
        raise ValueError(
            f"values: expected {len(widths)} positive numbers (>= 2 widths), "
            f"got {v.shape}"
        )
    return float(metrics.loglog_slope(np.asarray(widths, float), v)[0])


def projected_linear_kernel(X: Any, M: Any) -> np.ndarray:
    r"""The projected tangent kernel of the constrained *linear* network.

    For :math:`f(x) = V^\top W_1x` with :math:`W_1^\top W_1 = I_d`,
    :math:`V^\top V = I_z`, :math:`M = W_1^\top V`, using
    :math:`\nabla_{W_1}f_k(x) = v_kx^\top` and :math:`\nabla_Vf_k(x) = W_1x\,e_k^\top`,

    .. math:: \Theta^P_{kl}(x, x') = \big(\delta_{kl} - (M^\top M)_{kl}\big)\,
              x^\top x' + \delta_{kl}\,\big(x^\top x' - x^\top MM^\top x'\big).

    It depends on the factors only through M; it is :math:`2x^\top x'\delta_{kl}`
    (Lemma 1's form) at M = 0 and :math:`\delta_{kl}x^\top(I - MM^\top)x'` when
    :math:`M^\top M = I`.

    Returns
    -------
    ndarray (n, n, z, z)
    """
    X = as_matrix("X", X)
    M = as_matrix("M", M)
    if M.shape[0] != X.shape[1] or M.shape[1] > M.shape[0]:
        raise ValueError(f"M: expected shape ({X.shape[1]}, z), got {M.shape}")
    G = X @ X.T
    Y = X @ M
    z = M.shape[1]
    eye = np.eye(z)
    K = G[:, :, None, None] * (eye - M.T @ M)[None, None]
    K += (G - Y @ Y.T)[:, :, None, None] * eye[None, None]
    return K


@dataclass(frozen=True)
class KernelPath:
    r"""Result of :func:`kernel_path` (index [width, record]).

    Attributes
    ----------
    widths : tuple of int
    times : ndarray (K,)
    cross : ndarray, :func:`ssl_notes.ntk.block_ratio` of the projected kernel
    drift : ndarray, :math:`\|\Theta^P(t) - \Theta^P(0)\|_F/\|\Theta^P(0)\|_F`
    to_linear : ndarray, :math:`\|\Theta^P - \Theta^P_{\rm lin}(M)\|_F /
        \|\Theta^P_{\rm lin}(M)\|_F`, against :func:`projected_linear_kernel`
        at the network's own :math:`M = W_1^\top V`
    free_to_lemma1 : ndarray, the unprojected kernel against
        :math:`2x^\top x'\delta_{kl}`, relative
    drift_linear : ndarray, the drift of :func:`projected_linear_kernel` at the
        network's own M(t) from its value at M(0)
    """

    widths: tuple[int, ...]
    times: np.ndarray
    cross: np.ndarray
    drift: np.ndarray
    to_linear: np.ndarray
    free_to_lemma1: np.ndarray
    drift_linear: np.ndarray


def kernel_path(
    problem: ShiftProblem,
    widths: Sequence[int],
    z: int,
    lr: float,
    epochs: int,
    records: int = 5,
    n_points: int = 12,
    activation: str = "tanh",
    rng: Any = None,
    device: Any = None,
) -> KernelPath:
    r"""Projected and free tangent kernels of the constrained network along the
    literal projected GD (:func:`ssl_notes.batched_gd.train_batch`), on the first
    ``n_points`` anchors (:func:`ssl_notes.ntk.projected_ntk`,
    :func:`ssl_notes.ntk.empirical_ntk`).

    Returns
    -------
    KernelPath
    """
    from ssl_notes import models, ntk

    if not isinstance(problem, ShiftProblem):
        raise TypeError(f"problem: expected a ShiftProblem, got {type(problem)}")
    d = problem.X.shape[1]
    widths = _widths("widths", widths, d)
    z = check_positive_int("z", z)
    if z < 2 or z > d:
        raise ValueError(f"z: expected 2 <= z <= d = {d}, got {z}")
    lr = check_positive_float("lr", lr)
    epochs = check_positive_int("epochs", epochs)
    records = check_positive_int("records", records)
    if epochs % records:
        raise ValueError(f"epochs: must be a multiple of records = {records}")
    n_points = check_positive_int("n_points", n_points)
    if n_points > min(50, problem.X.shape[0]):
        raise ValueError(f"n_points: at most {min(50, problem.X.shape[0])}")
    check_choice("activation", activation, ("tanh", "identity", "relu", "sigmoid"))
    gen = as_rng(rng)
    data = batched_gd.contrastive_data(
        problem.X, problem.X_pos, problem.X_neg, None, problem.neg_index
    )
    Xe = problem.X[:n_points]
    lemma1 = 2 * (Xe @ Xe.T)[:, :, None, None] * np.eye(z)[None, None]
    chunk = epochs // records
    shape = (len(widths), records + 1)
    cross, drift, tolin, free, dlin = (np.zeros(shape) for _ in range(5))
    for w, h in enumerate(widths):
        net = models.two_layer_net(d, h, z, activation, rng=gen, device=device)
        K0 = Kl0 = None
        for k in range(records + 1):
            if k:
                batched_gd.train_batch([net], data, lr, chunk, project=True)
            K = ntk.projected_ntk(net, Xe)
            K0 = K if K0 is None else K0
            Kl = projected_linear_kernel(Xe, net.M().detach().cpu().numpy())
            Kl0 = Kl if Kl0 is None else Kl0
            dlin[w, k] = np.linalg.norm(Kl - Kl0) / np.linalg.norm(Kl0)
            Kf = ntk.empirical_ntk(net, Xe)
            cross[w, k] = ntk.block_ratio(K)
            drift[w, k] = np.linalg.norm(K - K0) / np.linalg.norm(K0)
            tolin[w, k] = np.linalg.norm(K - Kl) / np.linalg.norm(Kl)
            free[w, k] = np.linalg.norm(Kf - lemma1) / np.linalg.norm(lemma1)
    times = lr * chunk * np.arange(records + 1)
    return KernelPath(widths, times, cross, drift, tolin, free, dlin)
