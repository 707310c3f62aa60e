r"""Training a wide network and its linear twin apart (Conjecture 1), in torch.

Theorem 1 (:mod:`ssl_notes.wide_bounds`) compares :math:`f_{nl}(x) = V^\top\sigma(Wx)`
with :math:`f_{lin}(x) = V^\top W x` at one set of weights. Conjecture 1 asks
whether the two stay close when each is trained on its own from the same
initialisation. Here:

- :func:`twin_difference`: per-point :math:`\|f_{nl}(x) - f_{lin}(x)\|` of two
  networks (:class:`ssl_notes.models.TwoLayerNet`);
- :func:`train_twins`: trains a nonlinear network and its linear twin from the
  same initialisation with the contrastive loss (1) by full-batch gradient
  descent, optionally keeping the orthonormality constraints by polar projection
  (:func:`ssl_notes.manifold.polar_project_torch`); the record is a
  :class:`TwinTraining`;
- :func:`sweep_twins`: the same over widths, activations and seeds
  (:class:`TwinSweep`), the seeds of one width trained as one batch.

Everything runs in torch on the device of the networks (a GPU when there is
one), by the engine :func:`ssl_notes.batched_gd.train_batch`. One call does at
most :data:`ssl_notes.batched_gd.MAX_WORK` multiply-adds of forward passes; a
larger run is refused with a message saying how to split it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ._validate import (
    as_matrix,
    check_device,
    check_flag,
    check_nonnegative_int,
    check_positive_int,
    check_tensor,
)
from .activations import get_activation
from .batched_gd import (
    check_training,
    check_work,
    contrastive_data,
    forward_work,
    train_batch,
)
from .models import TwoLayerNet, two_layer_net

__all__ = ["twin_difference", "TwinTraining", "train_twins", "TwinSweep", "sweep_twins"]


def _check_net(name: str, net: Any) -> TwoLayerNet:
    if not isinstance(net, TwoLayerNet):
        raise TypeError(
            f"{name}: expected a TwoLayerNet (ssl_notes.models.two_layer_net), "
            f"got {type(net).__name__}"
        )
    return net


def twin_difference(net_nl: Any, net_lin: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-point :math:`\|f_{nl}(x) - f_{lin}(x)\|` and :math:`\|f_{lin}(x)\|`.

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
    _check_net("net_nl", net_nl)
    _check_net("net_lin", net_lin)
    if (net_nl.d, net_nl.z) != (net_lin.d, net_lin.z):
        raise ValueError(
            f"net_lin: expected d = {net_nl.d}, z = {net_nl.z} as net_nl, "
            f"got d = {net_lin.d}, z = {net_lin.z}"
        )
    X = check_tensor("X", X, ndim=2) if torch.is_tensor(X) else as_matrix("X", X)
    if X.shape[1] != net_nl.d:
        raise ValueError(f"X: expected shape (n, {net_nl.d}), got {tuple(X.shape)}")
    with torch.no_grad():
        a, b = net_nl(X), net_lin(X)
        diff = torch.linalg.vector_norm(a - b.to(a.device), dim=1)
        lin = torch.linalg.vector_norm(b, dim=1)
    return diff.cpu().numpy().astype(np.float64), lin.cpu().numpy().astype(np.float64)


@dataclass
class TwinTraining:
    r"""Record of :func:`train_twins`; one entry per epoch, the initial state first.

    Attributes
    ----------
    diff : ndarray (epochs + 1,)
        Root mean square over the evaluation points of
        :math:`\|f_{nl,t}(x) - f_{lin,t}(x)\|`.
    linear_norm : ndarray (epochs + 1,)
        Root mean square of :math:`\|f_{lin,t}(x)\|`.
    loss_nl, loss_lin : ndarray (epochs + 1,)
        Contrastive loss (1) of each network before each step (and after the last).
    max_preact : ndarray (epochs + 1,)
        :math:`\max_{x, j}|(W_t x)_j|` of the nonlinear network over the
        evaluation points.
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


def _rms_norm(F):
    """Root mean square over the points (axis -2) of the norms (axis -1), float64."""
    rms = torch.sqrt(torch.mean(torch.sum(F**2, dim=-1), dim=-1))
    return rms.cpu().numpy().astype(np.float64)


def _progress_bar(progress: Any, total: int, desc: str):
    if not check_flag("progress", progress):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc)


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

    Both start from the weights of ``net``: the nonlinear one is a copy of
    ``net``, the linear one is ``net.linear_copy()`` (identity activation). Each is
    trained separately by full-batch gradient descent on the contrastive loss (1),
    :math:`L_c = -\frac1n\sum_i f(x_i)^\top(f(x_i^+) - f(x_i^-))`: one epoch is one
    step :math:`\Theta \leftarrow \Theta - \eta\nabla_\Theta L_c` over the whole
    data set. With ``project=True`` each step is followed by the polar projection
    (:func:`ssl_notes.manifold.polar_project_torch`) of both layers onto the
    constraint set of Theorem 1 (the h x d first layer and V with orthonormal
    columns), as in the reference training (11).

    Parameters
    ----------
    net : TwoLayerNet
        The shared initialisation (left unchanged), e.g.
        ``two_layer_net(d, h, z, "tanh", init="orthonormal", rng=seed)``.
    X, X_pos, X_neg : array_like, shape (n, d)
        Anchors, positives, negatives.
    lr : float > 0, the step size :math:`\eta`
    epochs : int >= 1, the number of full-batch steps
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
    ValueError
        Bad input, or a run of more than :data:`ssl_notes.batched_gd.MAX_WORK`
        multiply-adds.
    """
    _check_net("net", net)
    data = contrastive_data(X, X_pos, X_neg, X_eval, neg_index)
    _, lr, epochs, project, threads = check_training(
        [net], data, lr, epochs, project, threads
    )
    device = check_device(device, net.W.device)
    check_work(forward_work(data, epochs, 2, net.h, net.z), "epochs")
    desc = f"twins h={net.h} {net.activation}{' projected' if project else ''}"
    bar = _progress_bar(progress, 2 * epochs, desc)
    nets = {"nl": copy.deepcopy(net).to(device), "lin": net.linear_copy().to(device)}
    tick = None if bar is None else bar.update
    try:
        out = {
            key: train_batch([m], data, lr, epochs, project, threads, tick)
            for key, m in nets.items()
        }
    finally:
        if bar is not None:
            bar.close()
    nl, lin = out["nl"], out["lin"]
    return TwinTraining(
        diff=_rms_norm(nl.embeddings[:, 0] - lin.embeddings[:, 0]),
        linear_norm=_rms_norm(lin.embeddings[:, 0]),
        loss_nl=nl.losses[:, 0],
        loss_lin=lin.losses[:, 0],
        max_preact=nl.max_preact[:, 0],
        max_entry=nl.max_entry[:, 0],
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
    diff, linear_norm, max_preact, max_entry : dict activation -> ndarray
        Shape (len(widths), len(seeds), epochs + 1): the fields of
        :class:`TwinTraining` for every run (``linear_norm`` is the same for every
        activation: one linear twin per width and seed).
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
        if name not in self.diff:
            raise ValueError(f"name: expected one of {tuple(self.diff)}, got {name!r}")
        return self.diff[name] / self.linear_norm[name]


def _check_list(name: str, values: Any, check) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name}: expected a sequence, got {type(values).__name__}")
    out = [check(name, v) for v in values]
    if not out:
        raise ValueError(f"{name}: expected a non-empty sequence")
    return out


def _nonlinear_name(name: str, value: Any) -> str:
    return get_activation(value, name, exclude=("identity",)).name


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
    r""":func:`train_twins` for every width, activation and seed (orthonormal init).

    Run (width h, seed s) starts every network from the same weights,
    ``two_layer_net(d, h, z, act, init="orthonormal", rng=s)``: the activations
    are compared on paired initialisations, and the linear twin, which does not
    depend on the activation, is trained once per (h, s). The seeds of one width
    and activation are trained together as one batch (one vectorised gradient
    step for all of them). One tqdm bar for the sweep.

    Parameters
    ----------
    X, X_pos, X_neg, lr, epochs, project, X_eval, device, progress, threads, neg_index
        As in :func:`train_twins` (``device`` defaults to the CPU).
    widths : sequence of int, each h >= d
    activations : sequence of str
        Names from :data:`ssl_notes.activations.ACTIVATIONS` except ``"identity"``.
    seeds : sequence of int >= 0
    z : int, the embedding dimension, z <= min(widths)
    dtype : torch floating dtype, optional
        Passed to :func:`ssl_notes.models.two_layer_net` (default float64).

    Returns
    -------
    TwinSweep
    """
    data = contrastive_data(X, X_pos, X_neg, X_eval, neg_index)
    widths = _check_list("widths", widths, check_positive_int)
    seeds = _check_list("seeds", seeds, check_nonnegative_int)
    activations = _check_list("activations", activations, _nonlinear_name)
    z = check_positive_int("z", z)
    d = data.d
    for h in widths:
        if h < d:
            raise ValueError(f"widths: Theorem 1's setting needs h >= d = {d}, got {h}")
    device = check_device(device, "cpu")

    def build(h, act):
        return [
            two_layer_net(
                d, h, z, act, init="orthonormal", rng=s, dtype=dtype, device=device
            )
            for s in seeds
        ]

    _, lr, epochs, project, threads = check_training(
        build(widths[0], "identity")[:1], data, lr, epochs, project, threads
    )
    runs = len(seeds) * (len(activations) + 1)
    work = sum(forward_work(data, epochs, runs, h, z) for h in widths)
    check_work(work, "widths, seeds, epochs")
    shape = (len(widths), len(seeds), epochs + 1)
    keys = ("diff", "linear_norm", "max_preact", "max_entry", "loss_nl")
    res = {k: {a: np.empty(shape) for a in activations} for k in keys}
    loss_lin = np.empty(shape)
    total = len(widths) * runs * epochs
    bar = _progress_bar(progress, total, f"twins ({'projected ' if project else ''}GD)")
    tick = None if bar is None else bar.update
    try:
        for i, h in enumerate(widths):
            # all seeds at once; one linear twin per (width, seed)
            lin = train_batch(
                build(h, "identity"), data, lr, epochs, project, threads, tick
            )
            loss_lin[i] = lin.losses.T
            lin_norm = _rms_norm(lin.embeddings).T  # (seeds, epochs + 1)
            for a in activations:
                nl = train_batch(build(h, a), data, lr, epochs, project, threads, tick)
                res["diff"][a][i] = _rms_norm(nl.embeddings - lin.embeddings).T
                res["linear_norm"][a][i] = lin_norm
                res["loss_nl"][a][i] = nl.losses.T
                res["max_preact"][a][i] = nl.max_preact.T
                res["max_entry"][a][i] = nl.max_entry.T
    finally:
        if bar is not None:
            bar.close()
    return TwinSweep(np.array(widths), np.array(seeds), **res, loss_lin=loss_lin)
