r"""Gradient-descent baselines for the constrained problem (8).

Reference training (11): for :math:`L(W, V) = \operatorname{Tr}(V^\top W^\top C W V)`,

.. math:: W \leftarrow \Pi(W - \eta\, G_W), \qquad V \leftarrow \Pi(V - \eta\, G_V),

with :math:`\Pi` the polar projection onto orthonormal columns
(:func:`ssl_notes.manifold.project_orthonormal`), both directions evaluated at the
current (W, V). Two choices of direction:

- ``gradient="euclidean"`` (the literal (11)): the free gradients
  :math:`G_W = 2CWVV^\top`, :math:`G_V = 2W^\top C W V`;
- ``gradient="grassmann"``: the projected gradients of Theorem 2,
  :math:`(I - WW^\top)G_W` and :math:`(I - VV^\top)G_V`, whose flow is
  :math:`\dot M = -2(I - MM^\top)CM`.

To first order in :math:`\eta` the polar projection of :math:`W - \eta G` moves
along :math:`-(G - W\operatorname{sym}(W^\top G))`, the Euclidean-metric Stiefel
gradient, which differs from :math:`-(I - WW^\top)G` by
:math:`-W\operatorname{skew}(W^\top G)`; the Theorem 2 chapter measures what that
does to M.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_matrix, check_orthonormal_columns, check_positive_int, check_symmetric
from .manifold import project_orthonormal

__all__ = ["GDResult", "projected_gd", "factors_with_product"]


@dataclass
class GDResult:
    """Result of :func:`projected_gd`.

    Attributes
    ----------
    W : ndarray, shape (d, h), final first layer (orthonormal columns)
    V : ndarray, shape (h, z), final second layer (orthonormal columns)
    losses : ndarray, shape (steps + 1,), the loss before each step, the initial loss first
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
        Direction before the polar projection (see the module docstring).
    record : bool
        Keep :math:`M_k = W_kV_k` at every step.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    GDResult
    """
    C = check_symmetric("C", C)
    W = check_orthonormal_columns("W0", W0).copy()
    V = check_orthonormal_columns("V0", V0).copy()
    d, h = W.shape
    if C.shape[0] != d:
        raise ValueError(f"W0: expected {C.shape[0]} rows to match C {C.shape}, got shape {W.shape}")
    if V.shape[0] != h:
        raise ValueError(f"V0: expected {h} rows to match W0 {W.shape}, got shape {V.shape}")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr: expected a positive step size, got {lr!r}")
    steps = check_positive_int("steps", steps)
    if gradient not in ("euclidean", "grassmann"):
        raise ValueError(f"gradient: expected 'euclidean' or 'grassmann', got {gradient!r}")
    losses = np.empty(steps + 1)
    traj = np.empty((steps + 1, d, V.shape[1])) if record else None
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"projected GD (11), h = {h}")
    for k in it:
        M = W @ V
        CM = C @ M
        losses[k] = np.sum(M * CM)
        if record:
            traj[k] = M
        GW = 2.0 * CM @ V.T
        CW = C @ W
        GV = 2.0 * W.T @ (CW @ V)
        if gradient == "grassmann":
            GW = GW - W @ (W.T @ GW)
            GV = GV - V @ (V.T @ GV)
        W, V = project_orthonormal(W - lr * GW), project_orthonormal(V - lr * GV)
    M = W @ V
    losses[steps] = np.sum(M * (C @ M))
    if record:
        traj[steps] = M
    return GDResult(W, V, losses, traj)


def factors_with_product(M0: Any, h: int, rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Factors :math:`W_0` (d x h) and :math:`V_0` (h x z), both with orthonormal columns, with :math:`W_0V_0 = M_0`.

    :math:`W_0 = [M_0, N]` with N a Haar-random orthonormal basis of an
    (h - z)-dimensional subspace of the orthogonal complement of the span of
    :math:`M_0`, and :math:`V_0 = [I_z; 0]`. Used to start networks of several
    widths from one end-to-end matrix. Nothing is lost by the special form of
    :math:`V_0`: the flows and the projected steps (11) are equivariant under
    :math:`(W, V) \mapsto (WQ, Q^\top V)` for orthogonal Q (the polar factor
    satisfies :math:`\Pi(AQ) = \Pi(A)Q`).

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
    from ._validate import as_rng
    from .manifold import haar_orthonormal

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
    B = np.linalg.svd(R, full_matrices=False)[0][:, : d - z]  # orthonormal basis of the complement
    N = B @ haar_orthonormal(d - z, h - z, gen)  # Haar (h - z)-frame inside it
    return np.hstack([M0, N]), V0
