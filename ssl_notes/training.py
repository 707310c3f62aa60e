r"""The discrete iterations: projected gradient descent (11), the output iteration (12).

**(11)** for :math:`L(W, V) = \operatorname{Tr}(V^\top W^\top C W V)`
(:func:`projected_gd`):

.. math:: W \leftarrow \Pi(W - \eta\, G_W), \qquad V \leftarrow \Pi(V - \eta\, G_V),

both directions evaluated at the current (W, V), :math:`\Pi` a projection onto
orthonormal columns. Two choices of direction:

- ``gradient="euclidean"`` (the literal (11)): the free gradients
  :math:`G_W = 2CWVV^\top`, :math:`G_V = 2W^\top C W V`;
- ``gradient="grassmann"``: the projected gradients of Theorem 2,
  :math:`(I - WW^\top)G_W` and :math:`(I - VV^\top)G_V`
  (:func:`ssl_notes.dynamics.tangent_direction` with ``metric="grassmann"``), whose
  flow is :math:`\dot M = -2(I - MM^\top)CM`.

To first order in :math:`\eta` the polar projection of :math:`W - \eta G` moves along
:math:`-(G - W\operatorname{sym}(W^\top G))`, the Euclidean-metric Stiefel gradient
(``tangent_direction(W, G, "euclidean")``), which differs from
:math:`-(I - WW^\top)G` by :math:`-W\operatorname{skew}(W^\top G)`; the Theorem 2
chapter measures what that does to M. Three implementations (``method``), each an
unchecked kernel of :mod:`ssl_notes.steps`: ``"naive"`` (thin SVDs and :math:`CW`),
``"lowrank"`` (the same iterates from a 2z x 2z eigenproblem, no :math:`CW`) and
``"qr"`` (the positive-diagonal QR factor instead of the polar one: another
iteration, whose path differs from the polar one at first order in :math:`\eta`
for the literal (11) and only at second order for the Grassmann direction).

**(12)** on the outputs :math:`F = ZM` of the m points that build
:math:`C = Z^\top DZ` (:func:`output_flow`), and the Euler step of Theorem 2's flow
on M itself (:func:`euler_flow`), of which (12) is the image under Z.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import (
    as_matrix,
    as_rng,
    check_C_M0,
    check_choice,
    check_factors,
    check_flag,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_symmetric,
)
from .losses import DataMatrix, data_matrix
from .manifold import haar_orthonormal
from .steps import (
    block_product,
    flow_F_step,
    flow_M_step,
    gd_lowrank_step,
    gd_naive_step,
    gd_qr_step,
)

__all__ = [
    "GDResult",
    "projected_gd",
    "GD_METHODS",
    "OutputFlowResult",
    "output_flow",
    "output_factor",
    "EulerFlowResult",
    "euler_flow",
    "factors_with_product",
]

#: Implementations of (11) accepted by :func:`projected_gd` (kernels of ``steps``).
GD_METHODS = {
    "naive": gd_naive_step,
    "lowrank": gd_lowrank_step,
    "qr": gd_qr_step,
}


def _iterations(steps: int, progress: bool, desc: str):
    if not progress:
        return range(steps)
    from tqdm.auto import tqdm

    return tqdm(range(steps), desc=desc)


@dataclass
class GDResult:
    """Result of :func:`projected_gd`.

    Attributes
    ----------
    W : ndarray, shape (d, h), final first layer (orthonormal columns)
    V : ndarray, shape (h, z), final second layer (orthonormal columns)
    losses : ndarray, shape (steps + 1,), the loss before each step, the initial first
    M_trajectory : ndarray, shape (steps + 1, d, z), or None unless ``record=True``
    """

    W: np.ndarray
    V: np.ndarray
    losses: np.ndarray
    M_trajectory: np.ndarray | None = None

    @property
    def M(self) -> np.ndarray:
        """The end-to-end matrix WV, shape (d, z)."""
        return self.W @ self.V


def projected_gd(
    C: Any,
    W0: Any,
    V0: Any,
    lr: float,
    steps: int,
    gradient: str = "euclidean",
    record: bool = False,
    progress: bool = False,
    method: str = "naive",
) -> GDResult:
    r"""Projected gradient descent (11) on :math:`\operatorname{Tr}(V^\top W^\top CWV)`.

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    W0 : array_like, shape (d, h), orthonormal columns
    V0 : array_like, shape (h, z), orthonormal columns (z <= h <= d)
    lr : float, positive step size
    steps : int, positive number of steps
    gradient : {"euclidean", "grassmann"}
        Direction before the projection (see the module docstring).
    record : bool
        Keep :math:`M_k = W_kV_k` at every step.
    progress : bool
        Show a tqdm progress bar.
    method : {"naive", "lowrank", "qr"}
        ``"naive"`` and ``"lowrank"`` give the same iterates (polar factor; to
        rounding), the second in :math:`O(d^2z + dhz)` per step instead of
        :math:`O(d^2h + dh^2)`; ``"qr"`` replaces the polar factor by the
        positive-diagonal QR factor (a different iteration). See
        :mod:`ssl_notes.steps`.

    Returns
    -------
    GDResult
    """
    C, W, V = check_factors(C, W0, V0, "W0", "V0")
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    grassmann = (
        check_choice("gradient", gradient, ("euclidean", "grassmann")) == "grassmann"
    )
    step = GD_METHODS[check_choice("method", method, tuple(GD_METHODS))]
    record = check_flag("record", record)
    d, h = W.shape
    losses = np.empty(steps + 1)
    traj = np.empty((steps + 1, d, V.shape[1])) if record else None
    for k in _iterations(steps, check_flag("progress", progress), f"(11), h = {h}"):
        if record:
            traj[k] = W @ V
        W, V, losses[k] = step(C, W, V, lr, grassmann)
    M = W @ V
    losses[steps] = np.sum(M * (C @ M))
    if record:
        traj[steps] = M
    return GDResult(W, V, losses, traj)


@dataclass
class OutputFlowResult:
    r"""Result of :func:`output_flow`.

    Attributes
    ----------
    F : ndarray, shape (m, z), the outputs after the last step
    losses : ndarray, shape (steps + 1,), :math:`\operatorname{Tr}(F^\top DF)` before
        each step and after the last
    trajectory : ndarray, shape (steps + 1, m, z) or None (if not recorded)
    """

    F: np.ndarray
    losses: np.ndarray
    trajectory: np.ndarray | None = None


def output_flow(
    F0: Any,
    K: Any,
    D: Any,
    lr: float,
    steps: int,
    record: bool = False,
    progress: bool = False,
) -> OutputFlowResult:
    r"""The output iteration (12), :math:`F_{k+1} = F_k - 2\eta (K - F_kF_k^\top)DF_k`.

    ``F = Z M`` holds the outputs :math:`f(z_j) = M^\top z_j` of the m points that
    build :math:`C = Z^\top D Z`, and :math:`K = ZZ^\top` is their Gram matrix
    (:math:`K = I` for an orthonormal basis). The loss is
    :math:`\operatorname{Tr}(M^\top C M) = \operatorname{Tr}(F^\top D F)`. With D a
    :class:`ssl_notes.losses.DataMatrix` its block structure is used (DF in O(mz),
    kernel :func:`ssl_notes.steps.flow_F_step`) and a step costs
    :math:`2m^2z + O(mz^2)`; a dense D costs :math:`4m^2z`. The hidden width h does
    not appear.

    Parameters
    ----------
    F0 : array_like, shape (m, z)
    K : array_like, shape (m, m), symmetric Gram matrix, or None when D is a
        DataMatrix (then :math:`K = ZZ^\top` is formed once)
    D : DataMatrix (m points), or array_like, shape (m, m), symmetric
    lr : float, positive step size (time advances by ``lr`` per step)
    steps : int, positive
    record : bool, keep every iterate
    progress : bool, show a tqdm progress bar
    """
    F = as_matrix("F0", F0).copy()
    m = F.shape[0]
    if isinstance(D, DataMatrix):
        if D.m != m:
            raise ValueError(
                f"D: a DataMatrix of {D.m} points does not match F0 {F.shape}"
            )
        S = np.asarray(D.D_blocks)
        K = D.Z @ D.Z.T if K is None else check_symmetric("K", K)

        def step(F: np.ndarray, lr: float):
            return flow_F_step(F, K, S, lr)

        def loss(F: np.ndarray) -> float:
            return np.sum(F * block_product(S, F))

    else:
        D = check_symmetric("D", D)
        K = check_symmetric("K", K)
        if D.shape != (m, m):
            raise ValueError(
                f"D: expected shape ({m}, {m}) to match F0 {F.shape}, got {D.shape}"
            )

        def step(F: np.ndarray, lr: float):
            DF = D @ F
            return F - 2.0 * lr * (K @ DF - F @ (F.T @ DF)), np.sum(F * DF)

        def loss(F: np.ndarray) -> float:
            return np.sum(F * (D @ F))

    if K.shape != (m, m):
        raise ValueError(
            f"K: expected shape ({m}, {m}) to match F0 {F.shape}, got {K.shape}"
        )
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    record = check_flag("record", record)
    losses = np.empty(steps + 1)
    traj = np.empty((steps + 1, *F.shape)) if record else None
    for k in _iterations(steps, check_flag("progress", progress), "output flow (12)"):
        if record:
            traj[k] = F
        F, losses[k] = step(F, lr)
    losses[steps] = loss(F)
    if record:
        traj[steps] = F
    return OutputFlowResult(F, losses, traj)


def output_factor(
    X: Any, X_pos: Any, X_neg: Any | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Z and the dense D with :math:`C = Z^\top D Z` (from ``losses.data_matrix``).

    Contrastive (``X_neg`` given): :math:`Z = [X; X^+; X^-]` (3n x d) and
    :math:`D = -\frac{1}{2n}\begin{pmatrix}0&I&-I\\ I&0&0\\ -I&0&0\end{pmatrix}`;
    non-contrastive: :math:`Z = [X; X^+]`,
    :math:`D = -\frac{1}{2n}\begin{pmatrix}0&I\\I&0\end{pmatrix}`. Prefer the
    :class:`~ssl_notes.losses.DataMatrix` itself, which never stores D densely.

    Returns
    -------
    Z : ndarray, shape (3n, d) or (2n, d)
    D : ndarray, symmetric, shape (3n, 3n) or (2n, 2n)
    """
    dm = data_matrix(X, X_pos, X_neg)
    return np.array(dm.Z), dm.dense_D()


@dataclass
class EulerFlowResult:
    r"""Result of :func:`euler_flow`.

    Attributes
    ----------
    M : ndarray, shape (d, z), after the last step
    losses : ndarray, shape (steps + 1,), :math:`\operatorname{Tr}(M^\top CM)` before
        each step and after the last
    trajectory : ndarray, shape (steps + 1, d, z) or None (if not recorded)
    """

    M: np.ndarray
    losses: np.ndarray
    trajectory: np.ndarray | None = None


def euler_flow(
    C: Any, M0: Any, lr: float, steps: int, record: bool = False
) -> EulerFlowResult:
    r"""Euler steps of the flow, :math:`M_{k+1} = M_k - 2\eta(I - M_kM_k^\top)CM_k`.

    :math:`2d^2z + O(dz^2)` flops per step (kernel :func:`ssl_notes.steps.flow_M_step`),
    neither h nor the number of points appears; bit for bit
    ``M + lr * dynamics.flow_velocity(C, M)``. For :math:`C = Z^\top DZ` the outputs
    :math:`ZM_k` are the iterates of (12) (:func:`output_flow`). The iterates leave
    :math:`M^\top M = I` by :math:`O(\eta^2)` per step (there is no projection).

    Parameters
    ----------
    C : array_like, shape (d, d), symmetric
    M0 : array_like, shape (d, z), orthonormal columns
    lr : float, positive step size
    steps : int, positive
    record : bool, keep every iterate
    """
    C, M = check_C_M0(C, M0)
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    record = check_flag("record", record)
    losses = np.empty(steps + 1)
    traj = np.empty((steps + 1, *M.shape)) if record else None
    for k in range(steps):
        if record:
            traj[k] = M
        M, losses[k] = flow_M_step(C, M, lr)
    losses[steps] = np.sum(M * (C @ M))
    if record:
        traj[steps] = M
    return EulerFlowResult(M, losses, traj)


def factors_with_product(
    M0: Any, h: int, rng: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Orthonormal factors W0 (d x h), V0 (h x z) with :math:`W_0V_0 = M_0`.

    :math:`W_0 = [M_0, N]` with N a Haar-random orthonormal basis of an
    (h - z)-dimensional subspace of the orthogonal complement of the span of
    :math:`M_0`, and :math:`V_0 = [I_z; 0]`. Used to start networks of several
    widths from one end-to-end matrix. Nothing is lost by the special form of
    :math:`V_0`: the flows and the polar steps (11) are equivariant under
    :math:`(W, V) \mapsto (WQ, Q^\top V)` for orthogonal Q (the polar factor
    satisfies :math:`\Pi(AQ) = \Pi(A)Q`; the QR factor does not).

    Parameters
    ----------
    M0 : array_like, shape (d, z), orthonormal columns
    h : int, hidden width, z <= h <= d
    rng : int, numpy.random.Generator or None

    Returns
    -------
    W0 : ndarray, shape (d, h)
    V0 : ndarray, shape (h, z)
    """
    M0 = check_orthonormal_columns("M0", M0)
    d, z = M0.shape
    h = check_positive_int("h", h)
    if not z <= h <= d:
        raise ValueError(f"h: expected z <= h <= d, i.e. {z} <= h <= {d}, got {h}")
    V0 = np.zeros((h, z))
    V0[:z] = np.eye(z)
    if h == z:
        return M0.copy(), V0
    gen = as_rng(rng)
    R = haar_orthonormal(d, d - z, gen)  # random directions ...
    R = R - M0 @ (M0.T @ R)  # ... projected onto the complement of span(M0)
    B = np.linalg.svd(R, full_matrices=False)[0][:, : d - z]  # basis of the complement
    N = B @ haar_orthonormal(d - z, h - z, gen)  # Haar (h - z)-frame inside it
    return np.hstack([M0, N]), V0
