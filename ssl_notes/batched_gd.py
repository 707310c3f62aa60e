r"""Full-batch gradient descent on the contrastive loss (1) for a batch of networks.

The engine under :mod:`ssl_notes.twins`: B two-layer networks
(:class:`ssl_notes.models.TwoLayerNet`) with the same shapes, activation and
scales are stacked into ``W`` (B, d, h) and ``V`` (B, h, z) and trained together,

.. math:: \Theta_b \leftarrow \Theta_b - \eta\,\nabla_{\Theta_b} L_c(\Theta_b),
          \qquad L_c = -\frac1n\sum_i f(x_i)^\top\big(f(x_i^+) - f(x_i^-)\big),

optionally followed by the polar projection
(:func:`ssl_notes.manifold.polar_project_torch`) of both layers onto the
constraint set of Theorem 1. The loss summed over the B networks has, with
respect to each network's weights, that network's own gradient, so one
vectorised step is B independent steps. Everything runs in torch on the device
of the networks.

- :func:`contrastive_data` checks the anchors, positives, negatives (and
  evaluation points) once: a :class:`ContrastiveData`;
- :func:`check_training` checks the networks and the step parameters;
- :func:`train_batch` runs the descent and returns a :class:`BatchedRun`.

One call does at most :data:`MAX_WORK` multiply-adds of forward passes
(:func:`forward_work`); a larger run is refused with a message saying how to
split it.

Over 400 lines because one engine serves both training modes of the twins, full-batch
projected gradient descent and projected SGD with fresh samples, sharing the batched
forward pass, the polar projection and the work bounds.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._validate import (
    as_matrix,
    as_rng,
    check_callable,
    check_flag,
    check_nonnegative_int,
    check_orthonormal_columns,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_scalar,
)
from .activations import get_activation
from .losses import contrastive_loss
from .manifold import polar_project_torch
from .models import TwoLayerNet

__all__ = [
    "MAX_WORK",
    "ContrastiveData",
    "contrastive_data",
    "BatchedRun",
    "forward_work",
    "check_work",
    "check_training",
    "train_batch",
    "SGDRun",
    "projected_sgd",
]

#: The most forward-pass multiply-adds (:func:`forward_work`) one call accepts:
#: about a minute on one CPU core.
MAX_WORK = 5 * 10**10


@dataclass(frozen=True)
class ContrastiveData:
    """Anchors, positives and negatives of loss (1), from :func:`contrastive_data`.

    Attributes
    ----------
    X, X_pos, X_neg : ndarray (n, d), float64
    X_eval : ndarray (m, d) or None, the points where embeddings are recorded
    neg_index : ndarray of int64 (n,) or None, with ``X[neg_index] == X_neg``
    """

    X: np.ndarray
    X_pos: np.ndarray
    X_neg: np.ndarray
    X_eval: np.ndarray | None = None
    neg_index: np.ndarray | None = None

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.X.shape[1]

    def check_dim(self, d: int) -> None:
        """Raise ``ValueError`` unless the points have ``d`` coordinates."""
        if self.X.shape[1] != d:
            raise ValueError(
                f"X: expected {d} columns to match the network, "
                f"got shape {self.X.shape}"
            )
        if self.X_eval is not None and self.X_eval.shape[1] != d:
            raise ValueError(
                f"X_eval: expected {d} columns, got shape {self.X_eval.shape}"
            )

    def points_per_epoch(self) -> int:
        """Rows passed through a network per epoch (negatives by index are free)."""
        n = self.X.shape[0] * (2 if self.neg_index is not None else 3)
        return n + (0 if self.X_eval is None else self.X_eval.shape[0])

    def tensors(self, dtype: torch.dtype, device: Any) -> tuple:
        """(X, X_pos, ("index" | "points", negatives), X_eval or None) on ``device``."""

        def T(a):
            return None if a is None else torch.as_tensor(a, dtype=dtype, device=device)

        if self.neg_index is not None:
            neg = ("index", torch.as_tensor(self.neg_index, device=device))
        else:
            neg = ("points", T(self.X_neg))
        return T(self.X), T(self.X_pos), neg, T(self.X_eval)


def contrastive_data(
    X: Any, X_pos: Any, X_neg: Any, X_eval: Any = None, neg_index: Any = None
) -> ContrastiveData:
    """Check the data of loss (1) once, for any number of trainings.

    Parameters
    ----------
    X, X_pos, X_neg : array_like, shape (n, d), real and finite
    X_eval : array_like (m, d), optional
    neg_index : array of int (n,), optional
        When the negatives are anchors, ``X_neg = X[neg_index]``: their
        embeddings are then taken from the anchors' instead of a third forward
        pass (same loss and gradient). Checked against ``X_neg``.
    """
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    X_neg = as_matrix("X_neg", X_neg)
    check_same_shape(("X", "X_pos", "X_neg"), X, X_pos, X_neg)
    if X_eval is not None:
        X_eval = as_matrix("X_eval", X_eval)
    if neg_index is not None:
        idx = np.asarray(neg_index)
        if idx.shape != (X.shape[0],) or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(
                f"neg_index: expected {X.shape[0]} integer indices, "
                f"got {idx.dtype} array {idx.shape}"
            )
        if (
            np.any(idx < 0)
            or np.any(idx >= X.shape[0])
            or not np.array_equal(X[idx], X_neg)
        ):
            raise ValueError(
                "neg_index: X[neg_index] must equal X_neg "
                "(indices of the negatives among the anchors)"
            )
        neg_index = idx.astype(np.int64)
    return ContrastiveData(X, X_pos, X_neg, X_eval, neg_index)


@dataclass
class BatchedRun:
    r"""Record of :func:`train_batch`: index 0 is the initial state, k after k steps.

    Attributes
    ----------
    embeddings : torch.Tensor (epochs + 1, B, m, z)
        Embeddings of the evaluation points (the anchors by default).
    losses : ndarray (epochs + 1, B), loss (1) of each network
    max_preact : ndarray (epochs + 1, B)
        :math:`\max|s_1 (W_t^\top x)_j|` over the evaluation points.
    max_entry : ndarray (epochs + 1, B), :math:`\max_{ij}|(W_t)_{ij}|`
    """

    embeddings: Any
    losses: np.ndarray
    max_preact: np.ndarray
    max_entry: np.ndarray


def forward_work(data: ContrastiveData, epochs: int, runs: int, h: int, z: int) -> int:
    """Forward multiply-adds of ``runs`` trainings: (epochs + 1) runs points h (d+z).

    Parameters
    ----------
    data : ContrastiveData
    epochs, runs, h, z : int >= 1, steps, networks, width, embedding dimension
    """
    _check_data(data)
    epochs = check_positive_int("epochs", epochs)
    runs = check_positive_int("runs", runs)
    h = check_positive_int("h", h)
    z = check_positive_int("z", z)
    return (epochs + 1) * runs * data.points_per_epoch() * h * (data.d + z)


def check_work(work: int, what: str) -> None:
    """Raise ``ValueError`` (naming ``what``) when ``work`` exceeds :data:`MAX_WORK`.

    Parameters
    ----------
    work : int >= 0, a count of multiply-adds (:func:`forward_work`)
    what : str, the arguments to name in the message
    """
    work = check_nonnegative_int("work", work)
    if not isinstance(what, str):
        raise TypeError(f"what: expected a str, got {type(what).__name__}")
    if work > MAX_WORK:
        raise ValueError(
            f"{what}: {work:.1e} multiply-adds of forward passes is more than "
            f"MAX_WORK = {MAX_WORK:.0e} (over a minute); use fewer epochs, points or "
            "seeds, or split a sweep into one call per width"
        )


def _on_constraint_set(net: TwoLayerNet) -> bool:
    """Whether both layers meet Theorem 1's constraints to ``100 eps sqrt(h)``."""
    W = net.W.detach().cpu().double().numpy()
    V = net.V.detach().cpu().double().numpy()
    d, h = W.shape
    tol = 100.0 * torch.finfo(net.W.dtype).eps * math.sqrt(h)
    Wc = W.T if h >= d else W
    return bool(
        np.max(np.abs(Wc.T @ Wc - np.eye(Wc.shape[1]))) <= tol
        and np.max(np.abs(V.T @ V - np.eye(V.shape[1]))) <= tol
    )


def _check_data(data: Any) -> None:
    if not isinstance(data, ContrastiveData):
        raise TypeError(
            "data: expected a ContrastiveData (ssl_notes.batched_gd.contrastive_data), "
            f"got {type(data).__name__}"
        )


def check_training(
    nets: Any,
    data: Any,
    lr: Any,
    epochs: Any,
    project: Any = False,
    threads: Any = 1,
) -> tuple[list, float, int, bool, int | None]:
    """Check the arguments of :func:`train_batch`.

    Returns ``(nets, lr, epochs, project, threads)``, normalised.

    ``nets`` must be a non-empty list of :class:`~ssl_notes.models.TwoLayerNet`
    on one device with the same shapes, activation and scales, matching ``data``
    (a :class:`ContrastiveData`); with ``project=True`` each must start on the
    constraint set (``init="orthonormal"``).
    """
    if isinstance(nets, TwoLayerNet) or not isinstance(nets, (list, tuple)) or not nets:
        raise TypeError("nets: expected a non-empty list of TwoLayerNet")
    for m in nets:
        if not isinstance(m, TwoLayerNet):
            raise TypeError(
                "nets: expected TwoLayerNet (ssl_notes.models.two_layer_net), "
                f"got {type(m).__name__}"
            )
    first = nets[0]
    key = (
        first.activation,
        first.scale_in,
        first.scale_out,
        first.W.shape,
        first.V.shape,
    )
    for m in nets[1:]:
        if (m.activation, m.scale_in, m.scale_out, m.W.shape, m.V.shape) != key:
            raise ValueError(
                "nets: networks trained together must share shapes, activation "
                "and scales"
            )
        if m.W.device != first.W.device or m.W.dtype != first.W.dtype:
            raise ValueError(
                "nets: networks trained together must share device and dtype"
            )
    _check_data(data)
    data.check_dim(first.d)
    lr = check_positive_float("lr", lr)
    epochs = check_positive_int("epochs", epochs)
    project = check_flag("project", project)
    if threads is not None:
        threads = check_positive_int("threads", threads)
    if project and not all(_on_constraint_set(m) for m in nets):
        raise ValueError(
            "net: project=True needs an initialisation on the constraint set "
            "(init='orthonormal')"
        )
    return list(nets), lr, epochs, bool(project), threads


@contextlib.contextmanager
def _few_threads(device: torch.device, threads: int | None):
    """Run torch on ``threads`` CPU threads inside the block, then restore the setting.

    The networks here are small (matrices of a few thousand entries): several
    threads only add synchronisation, and on a loaded machine OpenMP threads that
    wait for each other made one 500 x 10 x 100 product 200 times slower.
    """
    if threads is None or device.type != "cpu":
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train_batch(
    nets: Any,
    data: Any,
    lr: float,
    epochs: int,
    project: bool = False,
    threads: int | None = 1,
    tick: Callable[[int], Any] | None = None,
) -> BatchedRun:
    r"""Full-batch gradient descent on loss (1) for several networks at once.

    The forward pass is the one of :class:`ssl_notes.models.TwoLayerNet`,
    :math:`f(x) = s_2 V^\top\sigma(s_1 W^\top x)`; the trained weights are copied
    back into ``nets`` at the end.

    Parameters
    ----------
    nets : list of TwoLayerNet, B networks sharing shapes, activation, scales
    data : ContrastiveData, from :func:`contrastive_data`
    lr : float > 0, the step size :math:`\eta`
    epochs : int >= 1, the number of steps
    project : bool
        After each step, replace the h x d first layer (``net.W.T`` for h >= d,
        ``net.W`` otherwise) and V by their polar factors.
    threads : int or None, torch CPU threads during the run (restored afterwards)
    tick : callable, optional, called with B after each step (a progress bar)

    Raises
    ------
    FloatingPointError
        If a loss or an embedding becomes infinite or NaN.
    """
    nets, lr, epochs, project, threads = check_training(
        nets, data, lr, epochs, project, threads
    )
    tick = check_callable("tick", tick)
    first = nets[0]
    check_work(forward_work(data, epochs, len(nets), first.h, first.z), "epochs")
    device = first.W.device
    with _few_threads(device, threads):
        return _descend(
            nets, data.tensors(first.W.dtype, device), lr, epochs, project, tick
        )


def _descend(nets, tensors, lr, epochs, project, tick):
    first = nets[0]
    act, s1, s2 = first.activation, first.scale_in, first.scale_out
    fn = get_activation(act).torch
    Xt, Xp, (neg_kind, Xn), Xe = tensors
    B = len(nets)
    d, h = first.W.shape
    W = torch.stack([m.W.detach() for m in nets]).clone().requires_grad_(True)
    V = torch.stack([m.V.detach() for m in nets]).clone().requires_grad_(True)

    def embed(A):
        return s2 * (fn(s1 * (A @ W)) @ V)

    def identity(A):  # loss (1) of embeddings already computed
        return A

    m_eval = Xt.shape[0] if Xe is None else Xe.shape[0]
    F_traj = torch.empty(
        (epochs + 1, B, m_eval, first.z), dtype=W.dtype, device=W.device
    )
    losses, preact, entry = (np.empty((epochs + 1, B)) for _ in range(3))
    for k in range(epochs + 1):
        F = embed(Xt)
        with torch.no_grad():
            F_traj[k] = F if Xe is None else embed(Xe)
            H = s1 * ((Xt if Xe is None else Xe) @ W)
            preact[k] = torch.amax(torch.abs(H), dim=(1, 2)).cpu().numpy()
            entry[k] = torch.amax(torch.abs(W), dim=(1, 2)).cpu().numpy()
        # negatives among the anchors: no new forward pass
        Fn = F[:, Xn] if neg_kind == "index" else embed(Xn)
        Fp = embed(Xp)
        per_net = torch.stack(
            [contrastive_loss(identity, F[b], Fp[b], Fn[b]) for b in range(B)]
        )  # loss (1)
        losses[k] = per_net.detach().cpu().numpy()
        if not np.all(np.isfinite(losses[k])) or not bool(
            torch.isfinite(F_traj[k]).all()
        ):
            raise FloatingPointError(
                f"training diverged at epoch {k} (activation {act!r}, h = {h}): "
                "the loss is not finite; lower lr or epochs, or project"
            )
        if k == epochs:
            break
        gW, gV = torch.autograd.grad(per_net.sum(), [W, V])
        with torch.no_grad():
            W -= lr * gW
            V -= lr * gV
            if project:  # Theorem 1's orientation: W^T (h x d) gets orthonormal columns
                if h >= d:
                    W.copy_(polar_project_torch(W.transpose(1, 2)).transpose(1, 2))
                else:
                    W.copy_(polar_project_torch(W))
                V.copy_(polar_project_torch(V))
        if tick is not None:
            tick(B)
    with torch.no_grad():
        for b, m in enumerate(nets):
            m.W.copy_(W[b])
            m.V.copy_(V[b])
    return BatchedRun(F_traj, losses, preact, entry)


# ------------------------------------------------------------------ stochastic training


@dataclass(frozen=True)
class SGDRun:
    r"""Record of :func:`projected_sgd`.

    Attributes
    ----------
    times : ndarray (K,), :math:`t = k\eta` of the recorded steps (0 first)
    M : ndarray (K, R, d, z), the iterates of the R independent runs at those
        steps (orthonormal columns)
    """

    times: np.ndarray
    M: np.ndarray


def _polar_batch(A: np.ndarray) -> np.ndarray:
    """Polar factors A (A^T A)^{-1/2} of a stack (R, d, z) of full-rank matrices."""
    w, U = np.linalg.eigh(np.swapaxes(A, 1, 2) @ A)
    if not np.all(np.isfinite(w)) or np.any(w <= 1e-24 * np.max(w, axis=1)[:, None]):
        raise FloatingPointError("projected_sgd: rank-deficient step; lower lr")
    return A @ (U / np.sqrt(w)[:, None, :]) @ np.swapaxes(U, 1, 2)


def projected_sgd(
    X: Any,
    M0: Any,
    sigma: float,
    lr: float,
    batch: int,
    steps: int,
    rng: Any = None,
    every: int = 1,
    runs: int = 1,
) -> SGDRun:
    r"""Projected SGD on loss (1) of a linear embedding, fresh samples at every step.

    At step k, ``batch`` anchors :math:`x_b` and ``batch`` negatives
    :math:`x_b^-` are drawn uniformly with replacement from the rows of X
    (independently, so a negative may equal its anchor), positives are
    :math:`x_b^+ = x_b + \varepsilon_b`, :math:`\varepsilon_b \sim
    N(0, \sigma^2 I)`, and with the mini-batch data matrix (7)
    :math:`C_k = -\frac{1}{2B}\sum_b [x_b(x_b^+ - x_b^-)^\top + (x_b^+ -
    x_b^-)x_b^\top]`,

    .. math:: M_{k+1} = \Pi_{\rm polar}\big(M_k - 2\eta\, C_k M_k\big).

    Then :math:`\mathbb{E}[C_k] = -\operatorname{Cov}(x)` (the covariance of
    the rows of X with the 1/n normalisation), so the mean field is Oja's
    subspace flow :math:`\dot M = 2(I - MM^\top)\operatorname{Cov}(x)M`
    in the time :math:`t = k\eta`. :math:`C_k M` is formed from the rows
    without the d x d matrix: O(B d z) work per step and run. ``runs``
    independent runs from the same start are advanced together.

    Parameters
    ----------
    X : array_like (n, d), the data set (n >= 2)
    M0 : array_like (d, z), orthonormal columns, the start
    sigma : float >= 0, the noise level of the positives
    lr : float > 0, the step :math:`\eta`
    batch : int >= 1, the mini-batch size B
    steps : int >= 1, the number of steps (at most 10**6)
    rng : int, numpy.random.Generator or None
    every : int >= 1, record every ``every`` steps (and the last)
    runs : int >= 1, independent runs (at most 1000)

    Returns
    -------
    SGDRun
    """
    X = as_matrix("X", X)
    if X.shape[0] < 2:
        raise ValueError(f"X: need at least 2 points, got shape {X.shape}")
    M0 = check_orthonormal_columns("M0", M0, tol=1e-8)
    if M0.shape[0] != X.shape[1]:
        raise ValueError(
            f"M0: expected {X.shape[1]} rows to match X {X.shape}, got {M0.shape}"
        )
    sigma = check_scalar("sigma", sigma, "real", min_val=0.0)
    lr = check_positive_float("lr", lr)
    batch = check_positive_int("batch", batch)
    steps = check_positive_int("steps", steps)
    every = check_positive_int("every", every)
    runs = check_positive_int("runs", runs)
    if steps > 10**6 or runs > 1000:
        raise ValueError(f"steps, runs: at most 10**6 and 1000, got {steps}, {runs}")
    if steps * runs * batch * X.shape[1] * M0.shape[1] > MAX_WORK:
        raise ValueError(
            f"steps, batch: {steps * runs * batch} samples of dimension "
            f"{X.shape[1]} is more than {MAX_WORK:.0e} multiply-adds; use fewer steps"
        )
    gen = as_rng(rng)
    n, d = X.shape
    M = np.repeat(M0[None], runs, axis=0)
    times, path = [0.0], [M.copy()]
    for k in range(1, steps + 1):
        Xa = X[gen.integers(n, size=(runs, batch))]
        Xn = X[gen.integers(n, size=(runs, batch))]
        Dl = Xa - Xn + sigma * gen.standard_normal((runs, batch, d))  # x^+ - x^-
        XaT, DlT = np.swapaxes(Xa, 1, 2), np.swapaxes(Dl, 1, 2)
        CM = -(XaT @ (Dl @ M) + DlT @ (Xa @ M)) / (2 * batch)
        M = _polar_batch(M - 2 * lr * CM)
        if k % every == 0 or k == steps:
            times.append(k * lr)
            path.append(M.copy())
    return SGDRun(np.asarray(times), np.stack(path))
