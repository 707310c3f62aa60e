r"""Machinery of the chapter *Beyond the two losses* (``book/beyond_two_losses.py``).

InfoNCE (:func:`ssl_notes.losses.info_nce_loss`) for a linear embedding
:math:`f(x) = W^\top x`, trained by gradient descent, and Remark 3's fixed projector
:math:`f(x) = P^\top W^\top x`.

- :func:`info_nce_gradient`: the exact gradient of InfoNCE (dot product, cosine) or
  of its small-norm expansion, in closed form (checked against autograd in the
  tests).
- :func:`column_coupling`: does the velocity of output column 0 depend on column 1?
  Zero for a decoupled flow :math:`\dot W = AW`, A independent of W.
- :func:`rank_run`: effective rank of the embedding XW along gradient descent, at
  step :math:`\eta` and :math:`\eta/2`; :func:`rank_table` sweeps data sets,
  similarities, temperatures and initial scales.
- :func:`projector_blocks` and :func:`projector_check`: the flow of W under a fixed
  projector, :math:`\dot W = -2CWPP^\top`, block by block.

Data: :func:`anisotropic_gaussian` and :func:`lifted_moons` (the two moons lifted
to :math:`d = 5` by their monomials of degree at most two).

Longer than the package's ~400 lines by design: it holds every check of one chapter,
each with its frozen result object and a docstring carrying the equation it checks,
so that the chapter keeps only the claim, the call, the table and the asserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ssl_notes import data, kernels, losses, metrics
from ssl_notes._validate import (
    as_array,
    as_matrix,
    as_rng,
    check_choice,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_scalar,
    check_symmetric,
    check_tolerance,
)

__all__ = [
    "SIMILARITIES",
    "anisotropic_gaussian",
    "lifted_moons",
    "info_nce_gradient",
    "Coupling",
    "column_coupling",
    "RankRun",
    "rank_run",
    "rank_table",
    "collapse_verdict",
    "ProjectorCheck",
    "projector_blocks",
    "projector_check",
    "projector_flow",
    "TwoOutputs",
    "frobenius_scaled_gradient",
    "grassmann_scaled_gradient",
    "two_outputs",
    "MultiSample",
    "multi_excess",
    "multi_sample",
    "KernelBlocks",
    "kernel_blocks",
    "KernelCollapse",
    "kernel_collapse",
    "DecayRun",
    "WeightDecay",
    "weight_decay_check",
]

#: The three flows of the chapter, InfoNCE with the dot product, with the cosine,
#: and the first-order (small-norm) expansion of the dot-product InfoNCE.
SIMILARITIES = ("dot", "cosine", "small_norm")

#: Most gradient steps one run may take (work bound).
MAX_STEPS = 200_000


# ------------------------------------------------------------------------- data
def anisotropic_gaussian(
    n: int, d: int, ratio: float = 10.0, rng: Any = None
) -> np.ndarray:
    r"""n points of :math:`N(0, \Sigma)`, :math:`\Sigma` diagonal, geometric spectrum.

    The variances run geometrically from 1 down to ``1/ratio``.

    Returns
    -------
    ndarray, shape (n, d)
    """
    n = check_positive_int("n", n)
    d = check_positive_int("d", d)
    ratio = check_positive_float("ratio", ratio)
    if ratio < 1:
        raise ValueError(f"ratio: expected a float >= 1, got {ratio}")
    scale = np.geomspace(1.0, 1.0 / ratio, d) ** 0.5
    return as_rng(rng).standard_normal((n, d)) * scale


def lifted_moons(n: int, noise: float = 0.1, rng: Any = None) -> np.ndarray:
    r"""The two moons lifted to :math:`\mathbb{R}^5` and standardised.

    A point :math:`(a, b)` becomes :math:`(a, b, a^2, ab, b^2)`; every coordinate
    is then centred and scaled to unit variance.

    Returns
    -------
    ndarray, shape (n, 5)
    """
    n = check_positive_int("n", n)
    if n < 2:
        raise ValueError(f"n: expected at least 2 points, got {n}")
    X, _ = data.two_moons(n, noise, rng)
    a, b = X[:, 0], X[:, 1]
    Z = np.stack([a, b, a * a, a * b, b * b], axis=1)
    return (Z - Z.mean(0)) / Z.std(0)


# -------------------------------------------------------------------- gradients
def _pairs(X: Any, X_pos: Any) -> tuple[np.ndarray, np.ndarray]:
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    check_same_shape(("X", "X_pos"), X, X_pos)
    if X.shape[0] < 2:
        raise ValueError(f"X: InfoNCE needs at least 2 pairs, got n = {X.shape[0]}")
    return X, X_pos


def _weights(name: str, M: Any, d: int) -> np.ndarray:
    M = as_matrix(name, M)
    if M.shape[0] != d:
        raise ValueError(f"{name}: expected {d} rows to match X, got shape {M.shape}")
    return M


def _softmax_rows(S: np.ndarray) -> np.ndarray:
    P = np.exp(S - S.max(axis=1, keepdims=True))
    return P / P.sum(axis=1, keepdims=True)


def _grad(X: np.ndarray, Xp: np.ndarray, M: np.ndarray, tau: float, sim: str):
    n = X.shape[0]
    if sim == "small_norm":
        return 2.0 * losses.info_nce_matrix(X, Xp, np.zeros_like(M), tau) @ M
    if sim == "dot":
        return 2.0 * losses.info_nce_matrix(X, Xp, M, tau) @ M
    U, V = X @ M, Xp @ M
    nu = np.linalg.norm(U, axis=1, keepdims=True)
    nv = np.linalg.norm(V, axis=1, keepdims=True)
    if np.any(nu == 0) or np.any(nv == 0):
        raise ValueError("M: a point with a zero embedding has no cosine similarity")
    Uh, Vh = U / nu, V / nv
    G = (_softmax_rows(Uh @ Vh.T / tau) - np.eye(n)) / (n * tau)  # dL/d(s tau)
    gU, gV = G @ Vh, G.T @ Uh
    gU = (gU - Uh * (gU * Uh).sum(1, keepdims=True)) / nu
    gV = (gV - Vh * (gV * Vh).sum(1, keepdims=True)) / nv
    return X.T @ gU + Xp.T @ gV


def info_nce_gradient(
    X: Any, X_pos: Any, M: Any, tau: float = 1.0, similarity: str = "dot"
) -> np.ndarray:
    r"""Gradient of InfoNCE for :math:`f(x) = M^\top x`, in closed form.

    With :math:`u_i = M^\top x_i`, :math:`v_j = M^\top x_j^+`, P the row softmax
    of the similarities and :math:`G = (P - I)/(n\tau)`:

    - ``"dot"``: :math:`\nabla_M L_\tau = 2C_\tau(M)M`
      (:func:`ssl_notes.losses.info_nce_matrix`);
    - ``"small_norm"``: the gradient :math:`2C_\tau(0)M` of the first-order
      expansion :math:`L_\tau \approx \log n + \operatorname{Tr}(M^\top
      C_\tau(0)M)`, a decoupled linear flow;
    - ``"cosine"``: :math:`\nabla_M = X^\top A + X^{+\top}B` with rows
      :math:`a_i = (I - \hat u_i\hat u_i^\top)(G\hat V)_i/\lVert u_i\rVert` and
      :math:`b_j = (I - \hat v_j\hat v_j^\top)(G^\top\hat U)_j/\lVert v_j\rVert`.

    Parameters
    ----------
    X, X_pos : array_like, shape (n, d), n >= 2
    M : array_like, shape (d, z)
    tau : float > 0
    similarity : {"dot", "cosine", "small_norm"}

    Returns
    -------
    ndarray, shape (d, z)
    """
    X, X_pos = _pairs(X, X_pos)
    M = _weights("M", M, X.shape[1])
    tau = check_positive_float("tau", tau)
    similarity = check_choice("similarity", similarity, SIMILARITIES)
    return _grad(X, X_pos, M, tau, similarity)


@dataclass(frozen=True)
class Coupling:
    r"""How much output column 0's velocity depends on column 1.

    Attributes
    ----------
    similarity : str
    tau : float
    coupling : float
        :math:`\lVert g_0(M') - g_0(M)\rVert / \lVert g_0(M)\rVert`, with
        :math:`g_0` column 0 of the gradient and M' equal to M except column 1.
        Exactly 0 for a decoupled flow :math:`\dot M = AM`.
    """

    similarity: str
    tau: float
    coupling: float


def column_coupling(
    X: Any,
    X_pos: Any,
    M: Any,
    M_other: Any,
    tau: float = 1.0,
    similarity: str = "dot",
) -> Coupling:
    """Change of column 0's gradient when column 1 of M is replaced.

    Parameters
    ----------
    X, X_pos : array_like, shape (n, d)
    M : array_like, shape (d, z), z >= 2
    M_other : array_like, shape (d,)
        The replacement for column 1.
    tau : float > 0
    similarity : {"dot", "cosine", "small_norm"}
    """
    X, X_pos = _pairs(X, X_pos)
    M = _weights("M", M, X.shape[1])
    if M.shape[1] < 2:
        raise ValueError(f"M: expected at least 2 columns, got shape {M.shape}")
    other = as_matrix("M_other", M_other, ndim=1)
    if other.shape != (X.shape[1],):
        raise ValueError(f"M_other: expected shape ({X.shape[1]},), got {other.shape}")
    tau = check_positive_float("tau", tau)
    similarity = check_choice("similarity", similarity, SIMILARITIES)
    M2 = M.copy()
    M2[:, 1] = other
    g = _grad(X, X_pos, M, tau, similarity)[:, 0]
    g2 = _grad(X, X_pos, M2, tau, similarity)[:, 0]
    return Coupling(similarity, tau, float(np.linalg.norm(g2 - g) / np.linalg.norm(g)))


# ------------------------------------------------------------------------ ranks
@dataclass(frozen=True)
class RankRun:
    r"""Effective rank of the embedding XW along gradient descent.

    Attributes
    ----------
    similarity : str
    tau, scale, eta, T : float
        Temperature, initial scale, step and final time (``T/eta`` steps).
    times : tuple of float
        Checkpoints.
    eranks : tuple of float
        :func:`ssl_notes.metrics.effective_rank` of XW at the checkpoints (step eta).
    eranks_half : tuple of float
        The same at step eta/2.
    step_gap : float
        Largest gap between the two trajectories' effective ranks.
    z : int
        Output dimension (the largest possible effective rank).
    W_end : ndarray, shape (d, z)
        Weights at t = T (step eta); for ``"small_norm"`` up to a positive
        factor (the exact flow grows like :math:`e^{-2\lambda_1 t}`).
    """

    similarity: str
    tau: float
    scale: float
    eta: float
    T: float
    times: tuple[float, ...]
    eranks: tuple[float, ...]
    eranks_half: tuple[float, ...]
    step_gap: float
    z: int
    W_end: np.ndarray

    @property
    def start(self) -> float:
        """Effective rank at t = 0."""
        return self.eranks[0]

    @property
    def end(self) -> float:
        """Effective rank at t = T."""
        return self.eranks[-1]

    @property
    def low(self) -> float:
        """Smallest effective rank along the run."""
        return min(self.eranks)


def _descend(X, Xp, W0, tau, sim, eta, n_steps, every):
    W, out = W0.copy(), []
    for k in range(n_steps + 1):
        if k % every == 0:
            out.append(metrics.effective_rank(X @ W))
        if k < n_steps:
            W -= eta * _grad(X, Xp, W, tau, sim)
    return out, W


def rank_run(
    X: Any,
    X_pos: Any,
    W0: Any,
    tau: float = 1.0,
    similarity: str = "dot",
    eta: float = 0.01,
    T: float = 1.0,
    n_checkpoints: int = 10,
) -> RankRun:
    r"""Gradient descent on InfoNCE at steps :math:`\eta` and :math:`\eta/2`.

    ``similarity="small_norm"`` runs the decoupled linear flow
    :math:`\dot W = -2C_\tau(0)W` of the first-order expansion in closed form
    (eigenvectors of :math:`C_\tau(0)`, no step), so its two trajectories agree.

    Parameters
    ----------
    X, X_pos : array_like, shape (n, d)
    W0 : array_like, shape (d, z)
        Initial weights (``scale`` is read off as their Frobenius norm over
        :math:`\sqrt z`).
    tau : float > 0
    similarity : {"dot", "cosine", "small_norm"}
    eta : float > 0
        Step; ``T/eta`` must be a whole number of steps, divisible by
        ``n_checkpoints``.
    T : float > 0
    n_checkpoints : int
    """
    X, X_pos = _pairs(X, X_pos)
    W0 = _weights("W0", W0, X.shape[1])
    tau = check_positive_float("tau", tau)
    similarity = check_choice("similarity", similarity, SIMILARITIES)
    eta = check_positive_float("eta", eta)
    T = check_positive_float("T", T)
    n_checkpoints = check_positive_int("n_checkpoints", n_checkpoints)
    n_steps = int(round(T / eta))
    if n_steps < 1 or abs(n_steps * eta - T) > 1e-9 * T or n_steps % n_checkpoints:
        raise ValueError(
            f"eta: T/eta = {T / eta:g} must be a whole number of steps divisible by "
            f"n_checkpoints = {n_checkpoints}"
        )
    if 2 * n_steps > MAX_STEPS:
        raise ValueError(f"eta: {2 * n_steps} steps exceed the bound {MAX_STEPS}")
    times = tuple(float(t) for t in np.linspace(0.0, T, n_checkpoints + 1))
    if similarity == "small_norm":
        lam, U = np.linalg.eigh(losses.info_nce_matrix(X, X_pos, 0 * W0, tau))
        B = U.T @ W0
        er = []
        for t in times:  # e^{-2 C t} W0 up to the scalar e^{-2 lam_1 t}
            W = U @ (np.exp(-2 * (lam - lam[0]) * t)[:, None] * B)
            er.append(metrics.effective_rank(X @ W))
        half = list(er)
    else:
        every = n_steps // n_checkpoints
        er, W = _descend(X, X_pos, W0, tau, similarity, eta, n_steps, every)
        half, _ = _descend(
            X, X_pos, W0, tau, similarity, eta / 2, 2 * n_steps, 2 * every
        )
    gap = float(np.max(np.abs(np.subtract(er, half))))
    scale = float(np.linalg.norm(W0) / np.sqrt(W0.shape[1]))
    return RankRun(
        similarity,
        tau,
        scale,
        eta,
        T,
        times,
        tuple(er),
        tuple(half),
        gap,
        W0.shape[1],
        W,
    )


def rank_table(
    X: Any,
    X_pos: Any,
    taus: Any = (0.2, 1.0),
    scales: Any = (0.1, 1.0),
    T: float = 10.0,
    steps_per_unit: int = 50,
    rng: Any = None,
) -> tuple[RankRun, ...]:
    r""":func:`rank_run` for every similarity, temperature and initial scale.

    The start is ``scale`` times a Gaussian d x d matrix over :math:`\sqrt d`
    (the same draw for every run); the step is :math:`\eta = \tau/`
    ``steps_per_unit`` (the flow's time scale is :math:`\tau`). The cosine loss
    is scale-invariant, so a start at scale c is the start at scale 1 run for
    time :math:`t/c^2`, and the effective rank of the linear small-norm flow does
    not depend on the scale: both are run at the largest scale only.
    """
    X, X_pos = _pairs(X, X_pos)
    taus = [check_positive_float("taus", t) for t in as_array("taus", taus).ravel()]
    scales = [
        check_positive_float("scales", s) for s in as_array("scales", scales).ravel()
    ]
    T = check_positive_float("T", T)
    steps_per_unit = check_positive_int("steps_per_unit", steps_per_unit)
    d = X.shape[1]
    G = as_rng(rng).standard_normal((d, d)) / np.sqrt(d)
    runs = []
    for sim in SIMILARITIES:
        for tau in taus:
            for s in scales if sim == "dot" else [max(scales)]:
                eta = tau / steps_per_unit
                n = int(round(T / eta))
                n = max(10, 10 * (n // 10))
                runs.append(rank_run(X, X_pos, s * G, tau, sim, eta, n * eta, 10))
    return tuple(runs)


def collapse_verdict(run: RankRun, threshold: float = 0.5) -> bool:
    r"""True when the run collapsed: final effective rank below
    :math:`1 + \text{threshold}\,(z - 1)`, and the step gap below a tenth of it.

    Parameters
    ----------
    run : RankRun
    threshold : float in (0, 1)
    """
    if not isinstance(run, RankRun):
        raise TypeError(f"run: expected a RankRun, got {type(run).__name__}")
    threshold = check_tolerance("threshold", threshold)
    if threshold >= 1:
        raise ValueError(f"threshold: expected a float < 1, got {threshold}")
    return bool(run.end < 1 + threshold * (run.z - 1))


# -------------------------------------------------------------------- projector
def projector_blocks(C: Any, P: Any) -> np.ndarray:
    r"""The blocks of the flow :math:`\dot W = -2CWPP^\top` (Remark 3).

    Column k of W obeys :math:`\dot w_k = -2C\sum_l Q_{kl}w_l` with
    :math:`Q = PP^\top`: the Jacobian of :math:`\operatorname{vec}\dot W` is
    :math:`-2\,Q\otimes C`. Returns the norms of its d x d blocks,
    :math:`2|Q_{kl}|\,\lVert C\rVert_F` (h x h): column k is decoupled from column l
    exactly when block (k, l) vanishes.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    P : array_like, shape (h, z)

    Returns
    -------
    ndarray, shape (h, h)
    """
    C = check_symmetric("C", C)
    P = as_matrix("P", P)
    d, h = C.shape[0], P.shape[0]
    J = -2.0 * np.kron(P @ P.T, C)
    return np.linalg.norm(J.reshape(h, d, h, d), axis=(1, 3))


@dataclass(frozen=True)
class ProjectorCheck:
    r"""Remark 3's projector: what the components of :math:`W^\top x` do.

    Attributes
    ----------
    decoupled : bool
        Off-diagonal blocks of :func:`projector_blocks` vanish (Q diagonal).
    identical : bool
        Every column obeys the same equation (Q a multiple of the identity).
    frozen : int
        Number of columns of W with zero velocity (zero rows of Q).
    offdiag : float
        Largest off-diagonal block norm.
    """

    decoupled: bool
    identical: bool
    frozen: int
    offdiag: float


def projector_check(C: Any, P: Any, tol: float = 1e-12) -> ProjectorCheck:
    r"""Classify Remark 3's flow :math:`\dot W = -2CWPP^\top` for a fixed P.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    P : array_like, shape (h, z)
    tol : float
        Relative tolerance on Q's entries (against :math:`\lVert Q\rVert_F`).
    """
    B = projector_blocks(C, P)
    tol = check_tolerance("tol", tol)
    P = as_matrix("P", P)
    Q = P @ P.T
    scale = np.linalg.norm(Q)
    off = B - np.diag(np.diag(B))
    offdiag = float(off.max()) if B.shape[0] > 1 else 0.0
    cn = 2.0 * np.linalg.norm(C)
    decoupled = offdiag <= tol * scale * cn
    dq = np.diag(Q)
    identical = decoupled and float(np.ptp(dq)) <= tol * scale
    frozen = int(np.sum(np.linalg.norm(Q, axis=1) <= tol * scale))
    return ProjectorCheck(bool(decoupled), bool(identical), frozen, offdiag)


def projector_flow(C: Any, P: Any, W0: Any, t: float) -> np.ndarray:
    r"""Exact solution of :math:`\dot W = -2CWPP^\top` at time t.

    :math:`\operatorname{vec}W(t) = \exp(-2t\,Q\otimes C)\operatorname{vec}W(0)`
    with :math:`Q = PP^\top` (column-major vec), by a matrix exponential of size
    dh.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    P : array_like, shape (h, z)
    W0 : array_like, shape (d, h)
    t : float >= 0
    """
    from scipy.linalg import expm

    C = check_symmetric("C", C)
    P = as_matrix("P", P)
    W0 = as_matrix("W0", W0)
    if W0.shape != (C.shape[0], P.shape[0]):
        raise ValueError(
            f"W0: expected shape ({C.shape[0]}, {P.shape[0]}), got {W0.shape}"
        )
    if W0.size > 400:
        raise ValueError(f"W0: at most 400 entries (d h), got {W0.size}")
    t = check_scalar("t", t, "real", min_val=0.0)
    J = -2.0 * t * np.kron(P @ P.T, C)
    if not np.isfinite(np.abs(J).max()) or np.abs(J).max() > 700:
        raise ValueError("t: exp(-2 t Q x C) overflows; take a smaller t")
    w = expm(J) @ W0.reshape(-1, order="F")
    return w.reshape(W0.shape, order="F")


# ---------------------------------------------------------------- Example 1, z = 2
@dataclass(frozen=True)
class TwoOutputs:
    r"""Example 1 with z = d = 2: the ratio :math:`\sigma_2/\sigma_1` of M at time T.

    Attributes
    ----------
    plain : float
        Loss (1), :math:`M(T) = e^{-2CT}M_0`.
    frobenius : float
        Scaled loss :math:`\operatorname{Tr}(M^\top CM)/\lVert M\rVert_F^2`, closed
        form :math:`M(T) = r\,N/\lVert N\rVert_F`,
        :math:`N = e^{-2CT/r^2}M_0`, :math:`r = \lVert M_0\rVert_F`.
    frobenius_euler : float
        The same by gradient descent with step ``eta``.
    grassmann : float
        Scaled loss :math:`\operatorname{Tr}((M^\top M)^{-1}M^\top CM)`: its
        gradient vanishes for square invertible M, so this is the ratio of
        :math:`M_0`.
    grassmann_grad : float
        :math:`\lVert\nabla\rVert_F` of that loss at :math:`M_0`, relative to
        :math:`\lVert C\rVert_F/\lVert M_0\rVert_F`.
    start : float
        Ratio of :math:`M_0`.
    """

    plain: float
    frobenius: float
    frobenius_euler: float
    grassmann: float
    grassmann_grad: float
    start: float


def _ratio(M: np.ndarray) -> float:
    """sigma_2 / sigma_1."""
    s = np.linalg.svd(M, compute_uv=False)
    return float(s[1] / s[0])


def frobenius_scaled_gradient(C: Any, M: Any) -> np.ndarray:
    r"""Gradient of :math:`\operatorname{Tr}(M^\top CM)/\lVert M\rVert_F^2`,
    :math:`\frac{2}{\lVert M\rVert_F^2}(CM - LM)` with L the loss value.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M : array_like, shape (d, z), not zero
    """
    C = check_symmetric("C", C)
    M = _weights("M", M, C.shape[0])
    r2 = float(np.sum(M * M))
    if r2 == 0:
        raise ValueError("M: the zero matrix has no scaled loss")
    L = float(np.sum(M * (C @ M))) / r2
    return 2.0 * (C @ M - L * M) / r2


def grassmann_scaled_gradient(C: Any, M: Any) -> np.ndarray:
    r"""Gradient of :math:`\operatorname{Tr}((M^\top M)^{-1}M^\top CM)`,
    :math:`2(I - M(M^\top M)^{-1}M^\top)CM(M^\top M)^{-1}`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M : array_like, shape (d, z), full column rank
    """
    C = check_symmetric("C", C)
    M = _weights("M", M, C.shape[0])
    G = M.T @ M
    if np.linalg.matrix_rank(G) < M.shape[1]:
        raise ValueError("M: expected full column rank")
    Gi = np.linalg.inv(G)
    Pm = M @ Gi @ M.T
    return 2.0 * (np.eye(C.shape[0]) - Pm) @ C @ M @ Gi


def two_outputs(C: Any, M0: Any, T: float = 5.0, eta: float = 0.01) -> TwoOutputs:
    r"""Example 1 with two outputs: plain and two scaled losses at time T.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, d), invertible (z = d)
    T, eta : float > 0
        Final time; step of the gradient-descent run of the Frobenius-scaled loss.
    """
    C = check_symmetric("C", C)
    M0 = _weights("M0", M0, C.shape[0])
    if M0.shape[1] != C.shape[0]:
        raise ValueError(f"M0: expected a square ({C.shape[0]}, {C.shape[0]}) matrix")
    T = check_positive_float("T", T)
    eta = check_positive_float("eta", eta)
    n_steps = int(round(T / eta))
    if n_steps > MAX_STEPS:
        raise ValueError(f"eta: {n_steps} steps exceed the bound {MAX_STEPS}")
    lam, U = np.linalg.eigh(C)
    r2 = float(np.sum(M0 * M0))

    def expC(t):  # e^{-2Ct}, up to a positive scalar (ratios only)
        return U @ np.diag(np.exp(-2.0 * (lam - lam[0]) * t)) @ U.T

    M = M0.copy()
    for _ in range(n_steps):
        M = M - eta * frobenius_scaled_gradient(C, M)
    g = grassmann_scaled_gradient(C, M0)
    return TwoOutputs(
        plain=_ratio(expC(T) @ M0),
        frobenius=_ratio(expC(T / r2) @ M0),
        frobenius_euler=_ratio(M),
        grassmann=_ratio(M0 - T * g),
        grassmann_grad=float(np.linalg.norm(g) * np.sqrt(r2) / np.linalg.norm(C)),
        start=_ratio(M0),
    )


# ------------------------------------------------- several positives and negatives
@dataclass(frozen=True)
class MultiSample:
    r"""Monte Carlo of the data matrix with k positives and m negatives per anchor.

    Data :math:`x \sim N(\mu, \Sigma)`, positives :math:`x + \sigma\varepsilon`,
    negatives independent draws of the data, C of
    :func:`ssl_notes.losses.multi_contrastive_matrix`.

    Attributes
    ----------
    k, m : int
    mean_z : float
        Largest absolute z-score over the entries of the Monte Carlo mean of
        :math:`C + \Sigma` (CLT standard errors): :math:`\mathbb{E}C = -\Sigma`.
    excess : float
        Monte Carlo mean of :math:`\lVert C + \Sigma\rVert_F^2 - \lVert C_a +
        \Sigma\rVert_F^2`, with :math:`C_a` the anchor part (same anchors, no
        noise, negatives replaced by :math:`\mu`).
    excess_se : float
        Its CLT standard error.
    excess_pred : float
        The prediction :func:`multi_excess`.
    """

    k: int
    m: int
    mean_z: float
    excess: float
    excess_se: float
    excess_pred: float

    @property
    def excess_z(self) -> float:
        """(excess - prediction) / standard error."""
        return (self.excess - self.excess_pred) / self.excess_se


def multi_excess(mu: Any, Sigma: Any, sigma: float, n: int, k: int, m: int) -> float:
    r"""The fluctuation that k positives and m negatives add to C.

    .. math:: \frac{\sigma^2(d+1)(\operatorname{tr}\Sigma + \lVert\mu\rVert^2)}
              {2nk} + \frac{(\operatorname{tr}\Sigma + \lVert\mu\rVert^2)
              \operatorname{tr}\Sigma + \operatorname{tr}\Sigma^2
              + \mu^\top\Sigma\mu}{2nm}

    Parameters
    ----------
    mu : array_like, shape (d,)
    Sigma : array_like, shape (d, d), symmetric
    sigma : float >= 0
    n, k, m : int
    """
    mu = as_matrix("mu", mu, ndim=1)
    Sigma = check_symmetric("Sigma", Sigma)
    if mu.shape[0] != Sigma.shape[0]:
        raise ValueError(f"mu: expected shape ({Sigma.shape[0]},), got {mu.shape}")
    sigma = check_scalar("sigma", sigma, "real", min_val=0.0)
    n, k, m = (check_positive_int(a, v) for a, v in (("n", n), ("k", k), ("m", m)))
    d, tr, mm = mu.shape[0], float(np.trace(Sigma)), float(mu @ mu)
    pos = sigma**2 * (d + 1) * (tr + mm) / (2 * n * k)
    neg = ((tr + mm) * tr + float(np.sum(Sigma * Sigma)) + float(mu @ Sigma @ mu)) / (
        2 * n * m
    )
    return pos + neg


def multi_sample(
    mu: Any,
    Sigma: Any,
    sigma: float = 0.5,
    n: int = 20,
    k: int = 1,
    m: int = 1,
    draws: int = 2000,
    rng: Any = None,
) -> MultiSample:
    """Monte Carlo of :class:`MultiSample` over ``draws`` independent batches.

    Parameters
    ----------
    mu : array_like, shape (d,)
    Sigma : array_like, shape (d, d), symmetric positive semi-definite
    sigma : float >= 0
    n, k, m, draws : int (draws >= 2, draws * n * (k + m) <= 10^7)
    rng : seed or Generator
    """
    mu = as_matrix("mu", mu, ndim=1)
    Sigma = check_symmetric("Sigma", Sigma)
    sigma = check_scalar("sigma", sigma, "real", min_val=0.0)
    n, k, m, draws = (
        check_positive_int(a, v)
        for a, v in (("n", n), ("k", k), ("m", m), ("draws", draws))
    )
    pred = multi_excess(mu, Sigma, sigma, n, k, m)
    if draws < 2:
        raise ValueError(f"draws: expected at least 2, got {draws}")
    if draws * n * (k + m) > 10**7:
        raise ValueError("draws: draws * n * (k + m) exceeds 10^7 (work bound)")
    lam, U = np.linalg.eigh(Sigma)
    if lam[0] < -1e-12 * max(1.0, abs(lam[-1])):
        raise ValueError("Sigma: expected a positive semi-definite matrix")
    L = U * np.sqrt(np.clip(lam, 0.0, None))
    gen, d = as_rng(rng), mu.shape[0]
    Cs, ex = np.empty((draws, d, d)), np.empty(draws)
    for r in range(draws):
        X = mu + gen.standard_normal((n, d)) @ L.T
        Xp = X + sigma * gen.standard_normal((k, n, d))
        Xn = mu + gen.standard_normal((m, n, d)) @ L.T
        C = losses.multi_contrastive_matrix(X, Xp, Xn)
        Ca = losses.multi_contrastive_matrix(X, X[None], mu + 0 * X[None])
        Cs[r] = C
        ex[r] = np.sum((C + Sigma) ** 2) - np.sum((Ca + Sigma) ** 2)
    se = Cs.std(axis=0, ddof=1) / np.sqrt(draws)
    dev = np.abs(Cs.mean(axis=0) + Sigma)
    z = np.where(se > 0, dev / np.where(se > 0, se, 1.0), np.where(dev > 0, np.inf, 0))
    return MultiSample(
        k,
        m,
        float(z.max()),
        float(ex.mean()),
        float(ex.std(ddof=1) / np.sqrt(draws)),
        pred,
    )


# ------------------------------------------------------ the exact Gaussian kernel
def _kernel_setup(X, X_pos, X_neg, lengthscale):
    if X_neg is None:
        raise TypeError("X_neg: expected an (n, d) array of negatives, got None")
    dm = losses.data_matrix(X, X_pos, X_neg)
    ell = check_positive_float("lengthscale", lengthscale)
    return dm, kernels.gaussian_kernel(dm.Z, dm.Z, ell), ell


def _fvalues_loss(F, n, loss):
    """Loss (1) (or the spectral loss) of an embedding given by its values F on Z."""
    Fx, Fp, Fn = F[:n], F[n : 2 * n], F[2 * n :]
    if loss == "contrastive":
        return -(Fx * (Fp - Fn)).sum(-1).mean()
    G = Fx @ Fp.T
    diag = (Fx * Fp).sum(-1)
    return -2.0 * diag.mean() + ((G**2).sum() - (diag**2).sum()) / (n * (n - 1))


@dataclass(frozen=True)
class KernelBlocks:
    r"""The Jacobian of the function-space velocity, block by block.

    The velocity on the m = 3n training points is
    :math:`\dot F = -K\,\partial L/\partial F` (K the Gram matrix of the Gaussian
    kernel on :math:`Z = [X; X^+; X^-]`), differentiated by autograd of the loss
    itself. Output k's equation is :math:`\dot F_k = J_{kk}F_k + \sum_{l\ne k}
    J_{kl}F_l`.

    Attributes
    ----------
    offdiag : float
        :math:`\max_{k\ne l}\lVert J_{kl}\rVert_F / \lVert J_{00}\rVert_F`: 0 when
        the outputs are decoupled.
    diag_spread : float
        :math:`\max_k\lVert J_{kk} - J_{00}\rVert_F/\lVert J_{00}\rVert_F`: 0 when
        they obey the same equation.
    vs_formula : float
        :math:`\lVert J_{00} + 2KD\rVert_F/\lVert 2KD\rVert_F` (D of
        :func:`ssl_notes.losses.data_matrix`).
    """

    offdiag: float
    diag_spread: float
    vs_formula: float


def kernel_blocks(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    F: Any,
    lengthscale: float = 1.0,
    loss: str = "contrastive",
) -> KernelBlocks:
    r"""Function-space Jacobian of gradient flow with an exact Gaussian kernel.

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d), n >= 2
    F : array_like, shape (3n, z), z >= 2
        Values of the embedding on :math:`Z = [X; X^+; X^-]`.
    lengthscale : float > 0
    loss : {"contrastive", "spectral"}
        Loss (1), or the spectral contrastive loss on the anchors and positives
        (a coupled loss, for contrast).
    """
    import torch

    dm, K, _ = _kernel_setup(X, X_pos, X_neg, lengthscale)
    loss = check_choice("loss", loss, ("contrastive", "spectral"))
    F = as_matrix("F", F)
    if F.shape[0] != dm.m or F.shape[1] < 2:
        raise ValueError(f"F: expected shape ({dm.m}, z) with z >= 2, got {F.shape}")
    if dm.n < 2:
        raise ValueError(f"X: expected at least 2 anchors, got {dm.n}")
    if dm.m * F.shape[1] > 600:
        raise ValueError(f"F: at most 600 entries (3n z), got {dm.m * F.shape[1]}")
    Kt = torch.tensor(K)

    def velocity(Ft):
        Ft = Ft.reshape(F.shape)
        (g,) = torch.autograd.grad(_fvalues_loss(Ft, dm.n, loss), Ft, create_graph=True)
        return -(Kt @ g).T.reshape(-1)  # output-major: block k = output k

    Ft = torch.tensor(F.T.reshape(-1), requires_grad=True)

    def vel_flat(v):
        return velocity(v.reshape(F.shape[1], dm.m).T)

    J = torch.autograd.functional.jacobian(vel_flat, Ft).numpy()
    z, m = F.shape[1], dm.m
    B = J.reshape(z, m, z, m).transpose(0, 2, 1, 3)
    ref = np.linalg.norm(B[0, 0])
    off = max(
        (np.linalg.norm(B[k, l]) for k in range(z) for l in range(z) if k != l),
        default=0.0,
    )
    spread = max(np.linalg.norm(B[k, k] - B[0, 0]) for k in range(z))
    KD = 2.0 * K @ dm.dense_D()
    return KernelBlocks(
        float(off / ref),
        float(spread / ref),
        float(np.linalg.norm(B[0, 0] + KD) / np.linalg.norm(KD)),
    )


@dataclass(frozen=True)
class KernelCollapse:
    r"""Collapse of an exact Gaussian-kernel embedding, in function space.

    Attributes
    ----------
    times : tuple of float
    ratio_train, ratio_test : tuple of float
        :math:`\sigma_2/\sigma_1` of the outputs on the training points Z and on
        held-out points.
    rate_fit : float
        Decay rate of ``ratio_test`` between the last two times.
    rate_pred : float
        :math:`2(\nu_2 - \nu_1)`, with :math:`\nu_1 < \nu_2` the two smallest
        eigenvalues of :math:`K^{1/2}DK^{1/2}` (the spectrum of KD).
    """

    times: tuple[float, ...]
    ratio_train: tuple[float, ...]
    ratio_test: tuple[float, ...]
    rate_fit: float
    rate_pred: float


def kernel_collapse(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    A0: Any,
    X_test: Any,
    times: Any = (0.0, 1.0, 2.0),
    lengthscale: float = 1.0,
) -> KernelCollapse:
    r"""Exact function-space flow of loss (1) with a Gaussian kernel.

    With :math:`f_0 = \sum_j k(\cdot, z_j)A_{0j}`, the RKHS gradient flow is
    :math:`\dot f_t(x) = -2k(x, Z)DF(t)` with :math:`F(t) = K^{1/2}e^{-2St}
    K^{1/2}A_0` on Z, :math:`S = K^{1/2}DK^{1/2}`; integrating,
    :math:`f_t(x) = k(x,Z)A_0 - 2k(x,Z)DK^{1/2}QS'Q^\top K^{1/2}A_0` with
    :math:`S' = (I - e^{-2\Lambda t})/(2\Lambda)` in the eigenbasis
    :math:`S = Q\Lambda Q^\top` (symmetric eigen-decompositions only).
    (:math:`S'` is computed with ``expm1``, exact as :math:`\Lambda \to 0`.)

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d)
    A0 : array_like, shape (3n, z), z >= 2
    X_test : array_like, shape (p, d)
    times : array_like of float >= 0, increasing, at least 2
    lengthscale : float > 0
    """
    dm, K, ell = _kernel_setup(X, X_pos, X_neg, lengthscale)
    A0 = as_matrix("A0", A0)
    if A0.shape[0] != dm.m or A0.shape[1] < 2:
        raise ValueError(f"A0: expected shape ({dm.m}, z) with z >= 2, got {A0.shape}")
    X_test = as_matrix("X_test", X_test)
    if X_test.shape[1] != dm.d:
        raise ValueError(f"X_test: expected {dm.d} columns, got {X_test.shape}")
    ts = as_array("times", times, ndim=1)
    if ts.size < 2 or np.any(ts < 0) or np.any(np.diff(ts) <= 0):
        raise ValueError("times: expected at least 2 increasing times >= 0")
    w, V = np.linalg.eigh(K)
    Kh = (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T
    D = dm.dense_D()
    nu, Q = np.linalg.eigh(Kh @ D @ Kh)
    if float(-2.0 * nu[0] * ts[-1]) > 600:
        raise ValueError("times: exp(-2 S t) overflows; take smaller times")
    Kx = kernels.gaussian_kernel(X_test, dm.Z, ell)
    B0 = Q.T @ Kh @ A0
    tr, te = [], []
    for t in ts:
        e = np.exp(-2.0 * nu * t)[:, None]
        tr.append(_ratio(Kh @ Q @ (e * B0)))  # F(t) = K^(1/2) e^(-2St) K^(1/2) A0
        safe = np.where(nu == 0, 1.0, nu)
        ker = np.where(nu == 0, t, -np.expm1(-2.0 * safe * t) / (2.0 * safe))
        integral = Q @ (ker[:, None] * B0)
        te.append(_ratio(Kx @ A0 - 2.0 * Kx @ D @ Kh @ integral))
    rate = float(np.log(te[-2] / te[-1]) / (ts[-1] - ts[-2]))
    return KernelCollapse(
        tuple(float(t) for t in ts),
        tuple(tr),
        tuple(te),
        rate,
        float(2.0 * (nu[1] - nu[0])),
    )


# ------------------------------------------------------ weight decay on the factors
def _decay_gd(C, W, V, beta, penalty, T, eta, big):
    """Gradient descent on the two-layer loss with a penalty; stops at |M| > big."""
    A = C + beta * np.eye(C.shape[0]) if penalty == "product" else C
    fac = beta if penalty == "factor" else 0.0
    n0 = float(np.linalg.norm(W @ V))
    n_steps = int(round(T / eta))
    for k in range(n_steps):
        M = W @ V
        if not np.linalg.norm(M) <= big:
            return W, V, (k * eta), True, n0
        gW = 2.0 * A @ M @ V.T + 2.0 * fac * W
        gV = 2.0 * W.T @ A @ M + 2.0 * fac * V
        W, V = W - eta * gW, V - eta * gV
    return W, V, T, not np.linalg.norm(W @ V) <= big, n0


@dataclass(frozen=True)
class DecayRun:
    r"""One gradient-descent run of the two-layer loss with weight decay.

    Attributes
    ----------
    penalty : str
        ``"factor"`` (:math:`\beta(\lVert W\rVert_F^2 + \lVert V\rVert_F^2)`) or
        ``"product"`` (:math:`\beta\lVert WV\rVert_F^2`).
    beta, scale : float
        Penalty weight; for ``"factor"`` the start's :math:`a^2` over the claimed
        threshold, for ``"product"`` the claimed threshold over beta.
    predicted : str
        ``"blow-up"``, ``"shrink"`` (factor) or ``"collapse"``, ``"vanish"``
        (product), from the claimed threshold.
    observed : str
        The same, from the run.
    norm_ratio : float
        :math:`\lVert M(t_{\rm end})\rVert_F/\lVert M_0\rVert_F`.
    align : float
        :math:`|u_1^\top m_1|`, m_1 the top left singular vector of M at the end.
    sv_ratio : float
        :math:`\sigma_2/\sigma_1` of M at the end.
    t_end, t_pred : float
        Time the run stopped (blow-up or T); for a factor run started on the ray,
        the closed-form time at which :math:`\lVert M\rVert_F` reaches ``big``
        (0 when it never does, and for product runs).
    """

    penalty: str
    beta: float
    scale: float
    predicted: str
    observed: str
    norm_ratio: float
    align: float
    sv_ratio: float
    t_end: float
    t_pred: float


@dataclass(frozen=True)
class WeightDecay:
    r"""Weight decay on the factors of f(x) = V^T W^T x, :math:`\lambda_1(C) < 0`.

    Attributes
    ----------
    runs : tuple of DecayRun
    ray_error : float
        Largest :math:`|L(a) - (\lambda_1a^4 + 2\beta a^2)|` along
        :math:`W = au_1e^\top, V = ae e'^\top`, over a grid of a, relative to
        :math:`\beta^2/|\lambda_1|`.
    barrier : float
        :math:`a^2` of the largest L on that grid, over :math:`\beta/|\lambda_1|`.
    curvature : float
        Smallest :math:`L(\epsilon D)/(\beta\epsilon^2)` over random unit
        directions D = (W, V), :math:`\epsilon = 10^{-3}` (1 for a strict local
        minimum at 0 with Hessian :math:`2\beta I`).
    time_error : float
        Largest relative gap between ``t_end`` and ``t_pred`` of the factor runs
        that blew up.
    passed : bool
        Every run's observed fate is the predicted one, ``ray_error < 1e-12``,
        ``|barrier - 1| < 0.02``, ``|curvature - 1| < 0.01`` and
        ``time_error < 0.05``.
    """

    runs: tuple[DecayRun, ...]
    ray_error: float
    barrier: float
    curvature: float
    time_error: float
    passed: bool

    def table(self) -> str:
        """The runs, one line each (at most 60 characters)."""
        head = f"{'penalty':8s} {'beta':>5s} {'scale':>5s} {'predicted':>9s} "
        lines = [head + f"{'observed':>9s} {'|M|/|M0|':>8s} {'align':>6s}"]
        for r in self.runs:
            lines.append(
                f"{r.penalty:8s} {r.beta:5.2f} {r.scale:5.2f} {r.predicted:>9s} "
                f"{r.observed:>9s} {r.norm_ratio:8.1e} {r.align:6.3f}"
            )
        return "\n".join(lines)


def weight_decay_check(
    C: Any,
    beta: float = 0.2,
    scales: Any = (0.5, 0.9, 1.1, 2.0),
    product_betas: Any = (0.1, 2.0),
    threshold: float | None = None,
    product_threshold: float | None = None,
    h: int = 3,
    z: int = 2,
    T: float = 20.0,
    eta: float = 1e-3,
    big: float = 1e3,
    seed: int = 0,
) -> WeightDecay:
    r"""Weight decay on the two-layer linear model, :math:`M = WV`, loss
    :math:`\operatorname{Tr}(M^\top CM)` with :math:`\lambda_1(C) < 0`.

    Factor penalty: :math:`L = \operatorname{Tr}(M^\top CM) + \beta(\lVert
    W\rVert_F^2 + \lVert V\rVert_F^2)`; along :math:`W = au_1e^\top`,
    :math:`V = aee'^\top` it is :math:`\lambda_1a^4 + 2\beta a^2`, unbounded below,
    with a barrier at :math:`a^2 = \beta/|\lambda_1|`; on the ray
    :math:`s = a^2` obeys :math:`\dot s = 4s(|\lambda_1|s - \beta)`. Runs start on
    the ray at :math:`a^2 = {\rm scale}\cdot{\rm threshold}` (plus a random
    perturbation of size :math:`10^{-3}`) and are predicted to blow up iff
    scale > 1. Product penalty: :math:`\operatorname{Tr}(M^\top(C + \beta I)M)`;
    from a random start M is predicted to collapse onto :math:`u_1` (and blow
    up) iff :math:`\beta <` ``product_threshold``, else to vanish.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric, :math:`\lambda_1 < 0`
    beta : float > 0
        Factor penalty weight.
    scales : array_like of float > 0
    product_betas : array_like of float > 0
    threshold, product_threshold : float > 0 or None
        The claimed thresholds: :math:`a^2_* = \beta/|\lambda_1|` and
        :math:`-\lambda_1` when None (pass wrong ones to see the check fail).
    h, z : int > 0
        Hidden width and output dimension.
    T, eta, big : float > 0
        Time, step, and the norm of M counted as a blow-up.
    seed : int >= 0
    """
    C = check_symmetric("C", C)
    lam, U = np.linalg.eigh(C)
    if not lam[0] < 0:
        raise ValueError("C: expected a negative smallest eigenvalue")
    beta = check_positive_float("beta", beta)
    sc = as_array("scales", scales, ndim=1)
    pb = as_array("product_betas", product_betas, ndim=1)
    for name, v in (("scales", sc), ("product_betas", pb)):
        if v.size == 0 or v.size > 8 or not np.all(v > 0):
            raise ValueError(f"{name}: expected 1 to 8 positive numbers")
    a2s = beta / -lam[0]
    thr = check_positive_float("threshold", threshold, allow_none=True)
    thr = a2s if thr is None else thr
    pthr = check_positive_float("product_threshold", product_threshold, True)
    pthr = -lam[0] if pthr is None else pthr
    h = check_positive_int("h", h)
    z = check_positive_int("z", z)
    T = check_positive_float("T", T)
    eta = check_positive_float("eta", eta)
    big = check_positive_float("big", big)
    n_steps = int(round(T / eta))
    if n_steps * (len(sc) + len(pb)) > MAX_STEPS:
        raise ValueError(f"eta: the runs exceed the bound of {MAX_STEPS} steps")
    if max(sc) * thr > 1e6 * a2s or big > 1e100:
        raise ValueError("threshold: starts too large to integrate")
    rng = np.random.default_rng(check_nonnegative_int("seed", seed))
    d, u1 = C.shape[0], U[:, 0]
    e, e2 = np.eye(h)[0], np.eye(z)[0]
    lam1 = -lam[0]

    def fate(W, V):
        s = np.linalg.svd(W @ V)
        m1, sv = s[0][:, 0], s[1]
        ratio = float(sv[1] / sv[0]) if sv.size > 1 and sv[0] > 0 else 0.0
        return float(abs(u1 @ m1)), ratio

    runs = []
    for s0 in sc:
        a = np.sqrt(s0 * thr)
        W0 = a * np.outer(u1, e) + 1e-3 * rng.standard_normal((d, h))
        V0 = a * np.outer(e, e2) + 1e-3 * rng.standard_normal((h, z))
        W, V, t, blew, n0 = _decay_gd(C, W0, V0, beta, "factor", T, eta, big)
        sa = s0 * thr
        den = lam1 - beta / sa
        t_pred = (
            float(np.log((lam1 - beta / big) / den) / (4 * beta)) if den > 0 else 0.0
        )
        small = np.linalg.norm(W @ V) < 1e-3 * n0
        al, ra = fate(W, V)
        runs.append(
            DecayRun(
                "factor",
                beta,
                float(s0),
                "blow-up" if s0 > 1 else "shrink",
                "blow-up" if blew else ("shrink" if small else "neither"),
                float(np.linalg.norm(W @ V) / n0),
                al,
                ra,
                float(t),
                t_pred,
            )
        )
    for b in pb:
        W0 = rng.standard_normal((d, h)) / np.sqrt(d)
        V0 = rng.standard_normal((h, z)) / np.sqrt(h)
        W, V, t, blew, n0 = _decay_gd(C, W0, V0, float(b), "product", T, eta, big)
        al, ra = fate(W, V)
        nr = float(np.linalg.norm(W @ V) / n0)
        if blew and al > 0.99 and ra < 0.05:
            obs = "collapse"
        elif not blew and nr < 0.1:
            obs = "vanish"
        else:
            obs = "neither"
        runs.append(
            DecayRun(
                "product",
                float(b),
                float(pthr / b),
                "collapse" if b < pthr else "vanish",
                obs,
                nr,
                al,
                ra,
                float(t),
                0.0,
            )
        )
    # the landscape along the ray and at 0
    a_grid = np.sqrt(np.linspace(0.0, 3.0, 3001) * a2s)
    Ls, errs = [], []
    for a in a_grid:
        W, V = a * np.outer(u1, e), a * np.outer(e, e2)
        M = W @ V
        L = float(np.sum(M * (C @ M)) + beta * (np.sum(W * W) + np.sum(V * V)))
        Ls.append(L)
        errs.append(abs(L - (lam[0] * a**4 + 2 * beta * a**2)))
    barrier = float(a_grid[int(np.argmax(Ls))] ** 2 / a2s)
    eps, curv = 1e-3, np.inf
    for _ in range(20):
        W, V = rng.standard_normal((d, h)), rng.standard_normal((h, z))
        nrm = np.sqrt(np.sum(W * W) + np.sum(V * V))
        W, V = eps * W / nrm, eps * V / nrm
        M = W @ V
        L = np.sum(M * (C @ M)) + beta * (np.sum(W * W) + np.sum(V * V))
        curv = min(curv, float(L / (beta * eps**2)))
    blown = [r for r in runs if r.penalty == "factor" and r.observed == "blow-up"]
    terr = max(
        (abs(r.t_end / r.t_pred - 1) if r.t_pred > 0 else 1.0 for r in blown),
        default=0.0,
    )
    ray_error = float(max(errs) / (beta**2 / lam1))
    passed = bool(
        all(r.predicted == r.observed for r in runs)
        and ray_error < 1e-12
        and abs(barrier - 1) < 0.02
        and abs(curv - 1) < 0.01
        and terr < 0.05
    )
    return WeightDecay(tuple(runs), ray_error, barrier, curv, float(terr), passed)
