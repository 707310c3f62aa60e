r"""Wide nonlinear networks against their linear twins (Theorem 1, Lemma 2, Conjecture 1).

Orientation of Theorem 1: hidden width :math:`h \ge d`, first layer
:math:`W \in \mathbb{R}^{h\times d}` with orthonormal columns, second layer
:math:`V\in\mathbb{R}^{h\times z}` with orthonormal columns, and (6)

.. math:: f_{nl}(x) = V^\top \sigma(W x), \qquad f_{lin}(x) = V^\top W x .

:class:`ssl_notes.models.TwoLayerNet` stores the first layer as ``net.W`` of shape
(d, h); for h > d its rows are orthonormal, so ``net.W.T`` is the W above.

Contents:

- activations as numpy functions with the quantities Theorem 1 asks about
  (:data:`ACTIVATION_FACTS`);
- Lemma 2: the explicit bound :func:`lemma2_bound` on the entries of a Haar
  matrix, the exact law of one entry (:func:`haar_entry_tail`) and the union bound
  built from it (:func:`lemma2_failure_bound`);
- Theorem 1: the explicit bound :func:`theorem1_bound` and the measured gaps
  :func:`linearization_gap` (numpy, same weights) and :func:`twin_difference`
  (two torch networks);
- Conjecture 1: :func:`train_twins` trains a nonlinear network and its linear
  twin from the same initialisation with the contrastive loss (1) by full-batch
  gradient descent, optionally keeping the orthonormality constraints by polar
  projection; :func:`sweep_twins` repeats it over widths, activations and seeds.

Everything about training runs in torch on the device of the networks (a GPU
when there is one); the seeds of a sweep are trained as one batch.
"""

from __future__ import annotations

import contextlib
import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ._validate import as_matrix, check_positive_int, check_same_shape
from .losses import contrastive_loss

__all__ = [
    "ACTIVATION_FACTS",
    "LEMMA2_C",
    "activation",
    "lemma2_bound",
    "lemma2_probability",
    "haar_entry_tail",
    "lemma2_failure_bound",
    "max_entry_ratio",
    "theorem1_constant",
    "theorem1_bound",
    "linearization_gap",
    "twin_difference",
    "polar_project_torch",
    "TwinTraining",
    "train_twins",
    "TwinSweep",
    "sweep_twins",
]

_LOG2 = math.log(2.0)

_NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda u: u,
    "tanh": np.tanh,
    "relu": lambda u: np.maximum(u, 0.0),
    "sigmoid": lambda u: 0.5 * (1.0 + np.tanh(0.5 * u)),  # = 1/(1+e^{-u}), overflow-free
    "softplus0": lambda u: 2.0 * (np.logaddexp(0.0, u) - _LOG2),
}

#: For each activation: (sigma(0), sigma'(0), sup over the real line of |sigma''|).
#: Theorem 1 needs sigma(0) = 0, sigma'(0) = 1 and a finite bound K on |sigma''|.
#: ReLU has no derivative at 0 (one-sided derivatives 0 and 1), recorded as nan,
#: and no second derivative there (K = inf). ``softplus0`` is the centred softplus
#: :math:`2\log((1 + e^u)/2)`, which meets every hypothesis with sigma''(0) = 1/2
#: (tanh has sigma''(0) = 0).
ACTIVATION_FACTS: dict[str, tuple[float, float, float]] = {
    "identity": (0.0, 1.0, 0.0),
    "tanh": (0.0, 1.0, 4.0 / (3.0 * math.sqrt(3.0))),
    "relu": (0.0, float("nan"), float("inf")),
    "sigmoid": (0.5, 0.25, 1.0 / (6.0 * math.sqrt(3.0))),
    "softplus0": (0.0, 1.0, 0.5),
}

#: The constant c of Lemma 2 in :math:`\max_{ij}|W_{ij}| \le c\sqrt{\log h / h}`.
LEMMA2_C = 2.0 * math.sqrt(2.0)


def activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The numpy function of an activation named in :data:`ACTIVATION_FACTS`."""
    if name not in _NUMPY_ACTIVATIONS:
        raise ValueError(f"name: expected one of {tuple(_NUMPY_ACTIVATIONS)}, got {name!r}")
    return _NUMPY_ACTIVATIONS[name]


def _check_width(h: Any, d: Any | None = None) -> tuple[int, int | None]:
    h = check_positive_int("h", h)
    if h < 2:
        raise ValueError(f"h: expected a width h >= 2 (log h must be positive), got {h}")
    if d is not None:
        d = check_positive_int("d", d)
        if d > h:
            raise ValueError(f"d: Theorem 1 needs d <= h, got d = {d}, h = {h}")
    return h, d


def lemma2_bound(h: int, d: int | None = None, delta: float | None = None) -> float:
    r"""The bound of Lemma 2 on :math:`\max_{ij} |W_{ij}|`, W Haar with orthonormal columns.

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
    h, d = _check_width(h, d)
    if delta is None:
        return LEMMA2_C * math.sqrt(math.log(h) / h)
    if d is None:
        raise ValueError("d: required with delta")
    if not (0.0 < float(delta) < 1.0):
        raise ValueError(f"delta: expected a probability in (0, 1), got {delta!r}")
    return 2.0 * math.sqrt(math.log(2.0 * h * d / float(delta)) / h)


def lemma2_probability(h: int, d: int, delta: float | None = None) -> float:
    r"""The lower bound of Lemma 2 on the probability that :func:`lemma2_bound` holds.

    :math:`1 - \delta - d e^{-\kappa h}` with :math:`\delta = 2d/h` when ``delta`` is
    None, clipped at 0 (a vacuous bound).
    """
    h, d = _check_width(h, d)
    kappa = (_LOG2 - 0.5) / 2.0
    dl = 2.0 * d / h if delta is None else float(delta)
    return max(0.0, 1.0 - dl - d * math.exp(-kappa * h))


def haar_entry_tail(s: Any, h: int) -> Any:
    r"""Exact :math:`P(|W_{ij}| > s)` for one entry of a Haar matrix with h rows.

    A column of W is uniform on the sphere :math:`S^{h-1}`, so
    :math:`W_{ij}^2 = g_i^2/\|g\|^2` with :math:`g\sim N(0, I_h)`: a ratio
    :math:`\chi^2_1/(\chi^2_1 + \chi^2_{h-1})` of independent variables, i.e.
    :math:`W_{ij}^2 \sim \mathrm{Beta}(1/2, (h-1)/2)`.
    """
    from scipy.stats import beta

    h, _ = _check_width(h)
    s = np.asarray(s, dtype=np.float64)
    if np.any(~np.isfinite(s)) or np.any(s < 0):
        raise ValueError("s: expected finite non-negative thresholds")
    out = np.where(s >= 1.0, 0.0, beta.sf(np.minimum(s, 1.0) ** 2, 0.5, (h - 1) / 2.0))
    return float(out) if out.ndim == 0 else out


def lemma2_failure_bound(s: float, h: int, d: int) -> float:
    r"""Union bound :math:`\min(1, hd\,P(|W_{11}| > s))` on :math:`P(\max_{ij}|W_{ij}| > s)`.

    Uses the exact tail :func:`haar_entry_tail`, so it is much smaller than the
    Chernoff bound of Lemma 2 and can justify a numerical assertion.
    """
    h, d = _check_width(h, d)
    return float(min(1.0, h * d * haar_entry_tail(float(s), h)))


def max_entry_ratio(W: Any) -> float:
    r""":math:`\max_{ij}|W_{ij}|\,\sqrt{h/\log h}` for W of shape (h, d) (Lemma 2's quantity)."""
    W = as_matrix("W", W)
    h, _ = _check_width(W.shape[0])
    return float(np.max(np.abs(W)) * math.sqrt(h / math.log(h)))


def theorem1_constant(K: float) -> float:
    r"""The constant :math:`C = cK/2 = \sqrt2 K` of Theorem 1 (c from Lemma 2)."""
    if not np.isfinite(K) or K < 0:
        raise ValueError(f"K: expected a finite non-negative bound on |sigma''|, got {K!r}")
    return LEMMA2_C * float(K) / 2.0


def theorem1_bound(x_norm: Any, h: int, d: int, K: float) -> Any:
    r"""Theorem 1's bound :math:`C\|x\|^2\sqrt{d\log h/h}` with :math:`C = \sqrt2 K`.

    Valid for every x at once on the event of Lemma 2 (``c = 2\sqrt2``), when
    :math:`|\sigma''| \le K` on the whole line (tanh: :math:`K = 4/(3\sqrt3)`).

    Parameters
    ----------
    x_norm : float or array of norms :math:`\|x\|`
    h, d : int, width and input dimension, d <= h
    K : float, a bound on :math:`|\sigma''|`
    """
    h, d = _check_width(h, d)
    x_norm = np.asarray(x_norm, dtype=np.float64)
    if np.any(~np.isfinite(x_norm)) or np.any(x_norm < 0):
        raise ValueError("x_norm: expected finite non-negative norms")
    out = theorem1_constant(K) * x_norm**2 * math.sqrt(d * math.log(h) / h)
    return float(out) if out.ndim == 0 else out


def linearization_gap(X: Any, W: Any, V: Any, activation_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-point gaps between :math:`f_{nl}(x) = V^\top\sigma(Wx)` and :math:`f_{lin}(x) = V^\top W x`.

    Parameters
    ----------
    X : array_like, shape (n, d), one input per row
    W : array_like, shape (h, d), the first layer in Theorem 1's orientation
    V : array_like, shape (h, z)
    activation_name : str, a key of :data:`ACTIVATION_FACTS`

    Returns
    -------
    output : ndarray (n,), :math:`\|f_{nl}(x) - f_{lin}(x)\|_2`
    hidden : ndarray (n,), :math:`\|\sigma(Wx) - Wx\|_2` (an upper bound on ``output``
        when V has orthonormal columns)
    linear : ndarray (n,), :math:`\|f_{lin}(x)\|_2`
    """
    X = as_matrix("X", X)
    W = as_matrix("W", W)
    V = as_matrix("V", V)
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W: expected shape (h, {X.shape[1]}) to match X {X.shape}, got {W.shape}")
    if V.shape[0] != W.shape[0]:
        raise ValueError(f"V: expected {W.shape[0]} rows to match W {W.shape}, got shape {V.shape}")
    fn = activation(activation_name)
    U = X @ W.T  # rows: (Wx)^T
    D = fn(U) - U
    out = D @ V
    return np.linalg.norm(out, axis=1), np.linalg.norm(D, axis=1), np.linalg.norm(U @ V, axis=1)


def _check_net(name: str, net: Any) -> Any:
    if not (hasattr(net, "W") and hasattr(net, "V") and hasattr(net, "linear_copy")):
        raise TypeError(f"{name}: expected a TwoLayerNet (ssl_notes.models.two_layer_net), got {type(net).__name__}")
    return net


def twin_difference(net_nl: Any, net_lin: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-point :math:`\|f_{nl}(x) - f_{lin}(x)\|` and :math:`\|f_{lin}(x)\|` for two networks.

    At initialisation pass ``net.linear_copy()`` as ``net_lin``; after training,
    the two separately trained networks.

    Parameters
    ----------
    net_nl, net_lin : TwoLayerNet with the same d and z
    X : array_like or tensor, shape (n, d)

    Returns
    -------
    diff, linear : ndarray (n,)
    """
    import torch

    _check_net("net_nl", net_nl)
    _check_net("net_lin", net_lin)
    if (net_nl.d, net_nl.z) != (net_lin.d, net_lin.z):
        raise ValueError(
            f"net_lin: expected d = {net_nl.d}, z = {net_nl.z} as net_nl, got d = {net_lin.d}, z = {net_lin.z}"
        )
    with torch.no_grad():
        a, b = net_nl(X), net_lin(X)
        diff = torch.linalg.vector_norm(a - b.to(a.device), dim=1)
        lin = torch.linalg.vector_norm(b, dim=1)
    return diff.cpu().numpy().astype(np.float64), lin.cpu().numpy().astype(np.float64)


@dataclass
class TwinTraining:
    r"""Record of :func:`train_twins`; every array has one entry per epoch, the initial state first.

    Attributes
    ----------
    diff : ndarray (epochs + 1,)
        Root mean square over the evaluation points of :math:`\|f_{nl,t}(x) - f_{lin,t}(x)\|`.
    linear_norm : ndarray (epochs + 1,)
        Root mean square of :math:`\|f_{lin,t}(x)\|`.
    loss_nl, loss_lin : ndarray (epochs + 1,)
        Contrastive loss (1) of each network before each step (and after the last).
    max_preact : ndarray (epochs + 1,)
        :math:`\max_{x, j}|(W_t x)_j|` of the nonlinear network over the evaluation points.
    max_entry : ndarray (epochs + 1,)
        :math:`\max_{ij}|(W_t)_{ij}|` of the nonlinear network.
    net_nl, net_lin : the trained networks
    """

    diff: np.ndarray
    linear_norm: np.ndarray
    loss_nl: np.ndarray
    loss_lin: np.ndarray
    max_preact: np.ndarray
    max_entry: np.ndarray
    net_nl: Any = field(repr=False, default=None)
    net_lin: Any = field(repr=False, default=None)

    @property
    def rel_diff(self) -> np.ndarray:
        r"""``diff / linear_norm``: the relative difference at each epoch."""
        return self.diff / self.linear_norm


@contextlib.contextmanager
def _few_threads(device: Any, threads: int | None):
    """Run torch on ``threads`` CPU threads inside the block, then restore the setting.

    The networks here are small (matrices of a few thousand entries): several
    threads only add synchronisation, and on a loaded machine OpenMP threads that
    wait for each other made one 500 x 10 x 100 product 200 times slower.
    """
    import torch

    if threads is None or torch.device(device).type != "cpu":
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def polar_project_torch(A: Any, rcond: float = 1e-12) -> Any:
    r"""Polar factor :math:`UP^\top` of a torch matrix (m, k), k <= m, on its own device.

    The torch twin of :func:`ssl_notes.manifold.project_orthonormal` (same
    definition, same rank check), so that projected training stays on the GPU
    when there is one; the tests compare the two. A stack of matrices
    (..., m, k) is projected matrix by matrix.
    """
    import torch

    if not torch.is_tensor(A) or A.ndim < 2:
        raise TypeError("A: expected a torch tensor of matrices (..., m, k)")
    if A.shape[-1] > A.shape[-2]:
        raise ValueError(f"A: expected at most as many columns as rows, got shape {tuple(A.shape)}")
    U, S, Pt = torch.linalg.svd(A, full_matrices=False)
    if not bool((S[..., -1] > rcond * S[..., 0]).all()):
        raise ValueError(
            f"A: rank deficient (smallest singular value {float(S[..., -1].min()):.3e}), "
            "the nearest orthonormal matrix is not unique"
        )
    return U @ Pt


def _on_constraint_set(net: Any) -> bool:
    """Whether both layers satisfy Theorem 1's constraints to ``100 eps sqrt(h)`` (eps of the dtype)."""
    import torch

    W = net.W.detach().cpu().double().numpy()
    V = net.V.detach().cpu().double().numpy()
    d, h = W.shape
    tol = 100.0 * torch.finfo(net.W.dtype).eps * math.sqrt(h)
    Wc = W.T if h >= d else W
    return bool(
        np.max(np.abs(Wc.T @ Wc - np.eye(Wc.shape[1]))) <= tol
        and np.max(np.abs(V.T @ V - np.eye(V.shape[1]))) <= tol
    )


def _check_training_args(net, X, X_pos, X_neg, lr, epochs, project, X_eval, threads, neg_index=None):
    _check_net("net", net)
    X = as_matrix("X", X)
    X_pos = as_matrix("X_pos", X_pos)
    X_neg = as_matrix("X_neg", X_neg)
    check_same_shape(("X", "X_pos", "X_neg"), X, X_pos, X_neg)
    if neg_index is not None:
        idx = np.asarray(neg_index)
        if idx.shape != (X.shape[0],) or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"neg_index: expected {X.shape[0]} integer indices, got {idx.dtype} array {idx.shape}")
        if np.any(idx < 0) or np.any(idx >= X.shape[0]) or not np.array_equal(X[idx], X_neg):
            raise ValueError("neg_index: X[neg_index] must equal X_neg (indices of the negatives among the anchors)")
        neg_index = idx.astype(np.int64)
    if X.shape[1] != net.d:
        raise ValueError(f"X: expected {net.d} columns to match the network, got shape {X.shape}")
    if X_eval is not None:
        X_eval = as_matrix("X_eval", X_eval)
        if X_eval.shape[1] != net.d:
            raise ValueError(f"X_eval: expected {net.d} columns, got shape {X_eval.shape}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr: expected a positive step size, got {lr!r}")
    epochs = check_positive_int("epochs", epochs)
    if threads is not None:
        threads = check_positive_int("threads", threads)
    if project and not _on_constraint_set(net):
        raise ValueError("net: project=True needs an initialisation on the constraint set (init='orthonormal')")
    return X, X_pos, X_neg, float(lr), epochs, X_eval, threads, neg_index


def _tensors(dtype, device, X, X_pos, X_neg, X_eval, neg_index):
    """The data of :func:`_gradient_descent` on the device: (X, X_pos, X_neg or index, X_eval)."""
    import torch

    T = lambda a: None if a is None else torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
    neg = ("index", torch.as_tensor(neg_index, device=device)) if neg_index is not None else ("points", T(X_neg))
    return T(X), T(X_pos), neg, T(X_eval)


_TORCH_ACTIVATIONS = {"identity": None, "tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid"}


def _gradient_descent(nets, data, lr, epochs, project, tick=None):
    r"""Full-batch GD on the contrastive loss (1), for several networks at once.

    ``nets`` share their shapes, activation and scales (e.g. one network per seed);
    their weights are stacked into ``W`` (B, d, h) and ``V`` (B, h, z) and trained
    together: the loss summed over the B networks has, with respect to each
    network's weights, that network's own gradient, so this is B independent runs
    of :math:`\Theta\leftarrow\Theta - \eta\nabla_\Theta L_c`, vectorised. The
    forward pass is the one of :class:`ssl_notes.models.TwoLayerNet`,
    :math:`f(x) = s_2 V^\top\sigma(s_1 W^\top x)`; the trained weights are copied
    back into ``nets`` at the end. ``data`` comes from :func:`_tensors`.

    Returns
    -------
    F : tensor (epochs + 1, B, m, z), embeddings of the evaluation points at every epoch
    losses, preact, entry : ndarray (epochs + 1, B)
        Loss (1), :math:`\max|s_1 (W_t^\top x)_j|` over the evaluation points and
        :math:`\max|(W_t)_{ij}|`, before each step and after the last.
    """
    import torch

    first = nets[0]
    act, s1, s2 = first.activation, first.scale_in, first.scale_out
    for m in nets[1:]:
        if (m.activation, m.scale_in, m.scale_out, m.W.shape, m.V.shape) != (act, s1, s2, first.W.shape, first.V.shape):
            raise ValueError("nets: networks trained together must share shapes, activation and scales")
    fn = _TORCH_ACTIVATIONS[act]
    fn = (lambda u: u) if fn is None else getattr(torch, fn)
    identity = lambda A: A  # noqa: E731  (loss (1) of embeddings already computed)
    Xt, Xp, (neg_kind, Xn), Xe = data
    B = len(nets)
    d, h = first.W.shape
    W = torch.stack([m.W.detach() for m in nets]).clone().requires_grad_(True)
    V = torch.stack([m.V.detach() for m in nets]).clone().requires_grad_(True)

    def embed(A):
        return s2 * (fn(s1 * (A @ W)) @ V)

    m_eval = Xt.shape[0] if Xe is None else Xe.shape[0]
    F_traj = torch.empty((epochs + 1, B, m_eval, first.z), dtype=W.dtype, device=W.device)
    losses, preact, entry = (np.empty((epochs + 1, B)) for _ in range(3))
    for k in range(epochs + 1):
        F = embed(Xt)
        with torch.no_grad():
            F_traj[k] = F if Xe is None else embed(Xe)
            H = s1 * ((Xt if Xe is None else Xe) @ W)
            preact[k] = torch.amax(torch.abs(H), dim=(1, 2)).cpu().numpy()
            entry[k] = torch.amax(torch.abs(W), dim=(1, 2)).cpu().numpy()
        Fn = F[:, Xn] if neg_kind == "index" else embed(Xn)  # negatives among the anchors: no new forward pass
        Fp = embed(Xp)
        per_net = torch.stack([contrastive_loss(identity, F[b], Fp[b], Fn[b]) for b in range(B)])  # loss (1)
        losses[k] = per_net.detach().cpu().numpy()
        if not np.all(np.isfinite(losses[k])) or not bool(torch.isfinite(F_traj[k]).all()):
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
            if project:  # Theorem 1's orientation: the h x d matrix W^T gets orthonormal columns
                W.copy_(polar_project_torch(W.transpose(1, 2)).transpose(1, 2) if h >= d else polar_project_torch(W))
                V.copy_(polar_project_torch(V))
        if tick is not None:
            tick(B)
    with torch.no_grad():
        for b, m in enumerate(nets):
            m.W.copy_(W[b])
            m.V.copy_(V[b])
    return F_traj, losses, preact, entry


def _rms_norm(F):
    """Root mean square over the points (axis -2) of the norms (axis -1), as float64 numpy."""
    import torch

    return torch.sqrt(torch.mean(torch.sum(F**2, dim=-1), dim=-1)).cpu().numpy().astype(np.float64)


def train_twins(
    net: Any,
    X: Any,
    X_pos: Any,
    X_neg: Any,
    lr: float = 0.01,
    epochs: int = 100,
    project: bool = False,
    X_eval: Any = None,
    device: Any = None,
    progress: bool = True,
    threads: int | None = 1,
    neg_index: Any = None,
) -> TwinTraining:
    r"""Train a nonlinear network and its linear twin from the same initialisation.

    Both start from the weights of ``net``: the nonlinear one is a copy of ``net``,
    the linear one is ``net.linear_copy()`` (identity activation). Each is trained
    separately by full-batch gradient descent on the contrastive loss (1),
    :math:`L_c = -\frac1n\sum_i f(x_i)^\top(f(x_i^+) - f(x_i^-))`: one epoch is one
    step :math:`\Theta \leftarrow \Theta - \eta\nabla_\Theta L_c` over the whole data
    set. With ``project=True`` each step is followed by the polar projection
    (:func:`polar_project_torch`, the on-device twin of
    :func:`ssl_notes.manifold.project_orthonormal`) of both layers onto the
    constraint set of Theorem 1 (the h x d first layer and V with orthonormal
    columns), as in the reference training (11).

    Parameters
    ----------
    net : TwoLayerNet
        The shared initialisation (left unchanged), e.g.
        ``two_layer_net(d, h, z, "tanh", init="orthonormal", rng=seed)``.
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives, negatives.
    lr : float, the step size :math:`\eta`
    epochs : int, the number of full-batch steps
    project : bool, keep the orthonormality constraints by projection
    X_eval : array_like (m, d), optional
        Points where the difference is measured (default: the anchors X).
    device : torch.device or str, optional (default: the device of ``net``)
    progress : bool, show a tqdm progress bar
    threads : int or None
        Number of torch CPU threads during training (restored afterwards);
        None leaves torch's setting alone. One thread is fastest for these small
        networks.
    neg_index : array of int (n,), optional
        When the negatives are anchors, ``X_neg = X[neg_index]`` (as returned by
        ``ssl_notes.data.random_negatives(X, rng, return_index=True)``): their
        embeddings are then taken from the anchors' instead of a third forward
        pass (same loss and gradient, a third less work). Checked against X_neg.

    Returns
    -------
    TwinTraining

    Raises
    ------
    FloatingPointError
        If a loss becomes infinite or NaN (the contrastive loss is unbounded
        below; without projection the weights can blow up).
    """
    import torch

    X, X_pos, X_neg, lr, epochs, X_eval, threads, neg_index = _check_training_args(
        net, X, X_pos, X_neg, lr, epochs, project, X_eval, threads, neg_index
    )
    device = net.W.device if device is None else torch.device(device)
    nets = {"nl": copy.deepcopy(net).to(device), "lin": net.linear_copy().to(device)}
    data = _tensors(net.W.dtype, device, X, X_pos, X_neg, X_eval, neg_index)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2 * epochs, desc=f"twins h={net.h} {net.activation}{' projected' if project else ''}")
    out = {}
    try:
        with _few_threads(device, threads):
            for key, m in nets.items():
                out[key] = _gradient_descent([m], data, lr, epochs, project, None if bar is None else bar.update)
    finally:
        if bar is not None:
            bar.close()
    (F_nl, loss_nl, preact, entry), (F_lin, loss_lin, _, _) = out["nl"], out["lin"]
    return TwinTraining(
        diff=_rms_norm(F_nl[:, 0] - F_lin[:, 0]),
        linear_norm=_rms_norm(F_lin[:, 0]),
        loss_nl=loss_nl[:, 0],
        loss_lin=loss_lin[:, 0],
        max_preact=preact[:, 0],
        max_entry=entry[:, 0],
        net_nl=nets["nl"],
        net_lin=nets["lin"],
    )


@dataclass
class TwinSweep:
    """Result of :func:`sweep_twins`.

    Attributes
    ----------
    widths : ndarray of int
    seeds : ndarray of int
    diff, linear_norm, max_preact, max_entry : dict activation -> ndarray (len(widths), len(seeds), epochs + 1)
        The corresponding fields of :class:`TwinTraining` for every run (``linear_norm``
        is the same for every activation: one linear twin per width and seed).
    loss_nl : dict activation -> ndarray (len(widths), len(seeds), epochs + 1)
    loss_lin : ndarray (len(widths), len(seeds), epochs + 1)
    """

    widths: np.ndarray
    seeds: np.ndarray
    diff: dict
    linear_norm: dict
    max_preact: dict
    max_entry: dict
    loss_nl: dict
    loss_lin: np.ndarray

    def rel_diff(self, name: str) -> np.ndarray:
        """``diff / linear_norm`` for one activation."""
        return self.diff[name] / self.linear_norm[name]


def sweep_twins(
    X: Any,
    X_pos: Any,
    X_neg: Any,
    widths: Sequence[int],
    activations: Sequence[str],
    seeds: Sequence[int],
    z: int,
    lr: float = 0.01,
    epochs: int = 100,
    project: bool = False,
    X_eval: Any = None,
    device: Any = None,
    dtype: Any = None,
    progress: bool = True,
    threads: int | None = 1,
    neg_index: Any = None,
) -> TwinSweep:
    r""":func:`train_twins` for every width, activation and seed (orthonormal initialisation).

    Run (width h, seed s) starts every network from the same weights,
    ``two_layer_net(d, h, z, act, init="orthonormal", rng=s)``: the activations
    are compared on paired initialisations, and the linear twin, which does not
    depend on the activation, is trained once per (h, s). The seeds of one width and
    activation are trained together as one batch (one vectorised gradient step for
    all of them). One tqdm bar for the sweep.
    Parameters as in :func:`train_twins`; ``dtype`` is passed to
    :func:`ssl_notes.models.two_layer_net` (default float64).

    Returns
    -------
    TwinSweep
    """
    import torch

    from .models import ACTIVATIONS, two_layer_net

    X = as_matrix("X", X)
    widths = [check_positive_int("widths", w) for w in widths]
    seeds = [int(s) for s in seeds]
    activations = list(activations)
    if not widths or not seeds or not activations:
        raise ValueError("widths, activations and seeds must be non-empty")
    for a in activations:
        if a not in ACTIVATIONS or a == "identity":
            raise ValueError(f"activations: expected names from {ACTIVATIONS[1:]}, got {a!r}")
    z = check_positive_int("z", z)
    d = X.shape[1]
    for h in widths:
        if h < d:
            raise ValueError(f"widths: Theorem 1's setting needs h >= d = {d}, got {h}")
    epochs = check_positive_int("epochs", epochs)
    device = torch.device("cpu") if device is None else torch.device(device)
    shape = (len(widths), len(seeds), epochs + 1)
    keys = ("diff", "linear_norm", "max_preact", "max_entry", "loss_nl")
    res = {k: {a: np.empty(shape) for a in activations} for k in keys}
    loss_lin = np.empty(shape)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = len(widths) * len(seeds) * (len(activations) + 1) * epochs
        bar = tqdm(total=total, desc=f"twins ({'projected ' if project else ''}GD)")
    def build(h, act):
        return [two_layer_net(d, h, z, act, init="orthonormal", rng=s, dtype=dtype, device=device) for s in seeds]

    try:
        for i, h in enumerate(widths):
            lins = build(h, "identity")
            args = _check_training_args(lins[0], X, X_pos, X_neg, lr, epochs, project, X_eval, threads, neg_index)
            X_, Xp_, Xn_, lr_, _, Xe_, threads_, idx_ = args
            data = _tensors(lins[0].W.dtype, device, X_, Xp_, Xn_, Xe_, idx_)
            tick = None if bar is None else bar.update
            with _few_threads(device, threads_):
                F_lin, L_lin, _, _ = _gradient_descent(lins, data, lr_, epochs, project, tick)  # all seeds at once
                loss_lin[i] = L_lin.T
                lin_norm = _rms_norm(F_lin).T  # (seeds, epochs + 1)
                for a in activations:
                    F_nl, L_nl, pre, ent = _gradient_descent(build(h, a), data, lr_, epochs, project, tick)
                    res["diff"][a][i] = _rms_norm(F_nl - F_lin).T
                    res["linear_norm"][a][i] = lin_norm
                    res["loss_nl"][a][i] = L_nl.T
                    res["max_preact"][a][i] = pre.T
                    res["max_entry"][a][i] = ent.T
    finally:
        if bar is not None:
            bar.close()
    return TwinSweep(np.array(widths), np.array(seeds), **res, loss_lin=loss_lin)
