r"""Empirical neural tangent kernels, one block per pair of output dimensions.

For a model :math:`f_\Theta:\mathbb{R}^d\to\mathbb{R}^z` the gradient inner products
that drive every learning dynamics of the book (eqs. 3, 4, 5) are

.. math:: \Theta_{kl}(x, x')
          = \langle \nabla_\Theta f_k(x), \nabla_\Theta f_l(x')\rangle,
          \qquad k, l = 1, \dots, z .

Lemma 1 of the paper is a statement about these blocks: for linear models and
kernel machines :math:`\Theta_{kl}(x,x') = K(x,x')\,1\{k = l\}` exactly; for a wide
two-layer network in the NTK parametrisation the off-diagonal blocks vanish like
:math:`h^{-1/2}` and the diagonal ones approach one common kernel.

Everything here is built on ``torch.func`` (``functional_call``, ``jacrev``,
``vmap``): one vectorised Jacobian per input set, no Python loop over parameters.

Over 400 lines because it holds both empirical tangent kernels, the free one of
Lemma 1 and the projected one of the constrained dynamics, which share their Jacobian
code and are checked against each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validate import as_array, as_matrix

__all__ = [
    "empirical_ntk",
    "ntk_matrix",
    "block_ratio",
    "diagonal_mean",
    "diagonal_spread",
    "feature_model",
    "projected_ntk",
]


#: The largest Jacobian (points x outputs x parameters) :func:`empirical_ntk` builds.
_MAX_JACOBIAN = 5 * 10**7
#: The largest kernel work (n1 n2 z^2 parameters multiply-adds) it accepts.
_MAX_WORK = 2 * 10**10


def _check_module(model: Any):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model: expected a torch.nn.Module, got {type(model).__name__}"
        )
    named = dict(model.named_parameters())
    if not named:
        raise ValueError("model: has no parameters, its tangent kernel is zero")
    return named


def _as_points(name: str, X: Any, ref, d: int | None):
    """``X`` as a 2-D finite tensor on the device and dtype of the parameter ``ref``."""
    import torch

    from ._validate import check_tensor

    if torch.is_tensor(X):
        X = check_tensor(name, X)
    else:
        X = torch.as_tensor(as_array(name, X))
    X = X.detach().to(dtype=ref.dtype, device=ref.device)
    if X.ndim != 2:
        raise ValueError(
            f"{name}: expected a 2-D array (n, d), got shape {tuple(X.shape)}"
        )
    if X.shape[0] == 0:
        raise ValueError(
            f"{name}: expected at least one point, got shape {tuple(X.shape)}"
        )
    if d is not None and X.shape[1] != d:
        raise ValueError(
            f"{name}: expected shape (n, {d}) to match the model input, "
            f"got {tuple(X.shape)}"
        )
    if not bool(torch.isfinite(X).all()):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return X


def _input_dim(model: Any) -> int | None:
    d = getattr(model, "d", None)
    if isinstance(d, (int, np.integer)):
        return int(d)
    in_features = getattr(model, "in_features", None)
    if isinstance(in_features, (int, np.integer)):
        return int(in_features)
    return None


def empirical_ntk(
    model: Any,
    X1: Any,
    X2: Any | None = None,
    params: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Empirical tangent kernel of ``model``, one block per pair of output dimensions.

    .. math:: \Theta[a, b, k, l] = \sum_{p}
              \frac{\partial f_k(x^{(1)}_a)}{\partial \theta_p}\,
              \frac{\partial f_l(x^{(2)}_b)}{\partial \theta_p},

    the gradient inner products :math:`\langle\nabla_\Theta f_k(x),
    \nabla_\Theta f_l(x')\rangle` of eqs. (3)-(5), evaluated at the current
    parameters. The per-point Jacobians are computed with
    ``torch.func.vmap(torch.func.jacrev(...))`` over a ``functional_call`` of the
    model, so each parameter tensor is handled as one block (no Python loop over
    scalar parameters, nor over points).

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch ``(n, d)`` to ``(n, z)`` (or ``(n,)``, read as z = 1), row by
        row (the output for one point must not depend on the others), e.g. a
        :class:`ssl_notes.models.TwoLayerNet`.
    X1 : array_like or torch.Tensor, shape (n1, d)
    X2 : array_like or torch.Tensor, shape (n2, d), optional
        Defaults to ``X1`` (then the Jacobian is computed once).
    params : sequence of str, optional
        Names (as in ``model.named_parameters()``) of the parameters Θ to
        differentiate; the others are held fixed. Default: every parameter with
        ``requires_grad``. ``params=["V"]`` on a two-layer network gives the
        kernel of the network with a frozen first layer, a kernel machine.

    Returns
    -------
    ndarray, shape (n1, n2, z, z), float64
        ``Theta[a, b, k, l]``. For ``X2 = X1``, ``Theta[a, b, k, l] =
        Theta[b, a, l, k]`` and the ``(n1 z) x (n1 z)`` matrix
        ``Theta.transpose(0, 2, 1, 3).reshape(n1 * z, n1 * z)`` is positive
        semi-definite.

    Raises
    ------
    TypeError
        ``model`` is not a module, or an input is not numeric.
    ValueError
        An input is not 2-D, is empty, has the wrong number of columns or
        non-finite entries; an unknown parameter name; a model output that is
        not one row per point.
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    named = _check_module(model)
    if params is None:
        names = [k for k, v in named.items() if v.requires_grad]
        if not names:
            raise ValueError(
                "model: no parameter requires grad; pass params=[...] to choose some"
            )
    else:
        if isinstance(params, str) or not hasattr(params, "__iter__"):
            raise TypeError(
                "params: expected a sequence of parameter names, "
                f"got {type(params).__name__}"
            )
        names = list(params)
        unknown = [k for k in names if k not in named]
        if unknown or not names:
            raise ValueError(
                f"params: unknown or empty parameter names {unknown}; "
                f"the model has {list(named)}"
            )
    ref = named[names[0]]
    d = _input_dim(model)
    A = _as_points("X1", X1, ref, d)
    B = A if X2 is None else _as_points("X2", X2, ref, d)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            "X1 and X2 must have the same number of columns, "
            f"got {tuple(A.shape)} and {tuple(B.shape)}"
        )

    theta = {k: named[k].detach() for k in names}
    frozen = {k: v.detach() for k, v in named.items() if k not in theta}

    with torch.no_grad():
        probe = model(A[:1])
    if probe.ndim not in (1, 2) or probe.shape[0] != 1:
        raise ValueError(
            "model: expected an output of shape (n, z) for an input (n, d), "
            f"got {tuple(probe.shape)} for n = 1"
        )
    n_par = sum(theta[k].numel() for k in names)
    z_out = probe.reshape(1, -1).shape[1]
    size = (A.shape[0] + (0 if X2 is None else B.shape[0])) * z_out * n_par
    work = A.shape[0] * B.shape[0] * z_out * z_out * n_par
    if size > _MAX_JACOBIAN or work > _MAX_WORK:
        raise ValueError(
            f"X1, X2: the Jacobians would hold {size:.1e} entries (points x z x "
            f"parameters; at most {_MAX_JACOBIAN:.0e}) and the kernel cost {work:.1e} "
            f"multiply-adds (n1 n2 z^2 parameters; at most {_MAX_WORK:.0e}); use fewer "
            "points or pass params=[...] to differentiate fewer parameters"
        )

    def f_single(p: dict, x):
        out = functional_call(model, {**p, **frozen}, (x.unsqueeze(0),))
        return out.reshape(-1)  # (z,)

    jac = vmap(jacrev(f_single), in_dims=(None, 0))
    J1 = jac(theta, A)  # name -> (n1, z, *shape)
    J2 = J1 if X2 is None else jac(theta, B)
    n1, n2 = A.shape[0], B.shape[0]
    z = next(iter(J1.values())).shape[1]
    K = torch.zeros((n1, n2, z, z), dtype=ref.dtype, device=ref.device)
    for k in names:  # one einsum per parameter tensor (two for a two-layer network)
        K += torch.einsum(
            "akp,blp->abkl", J1[k].reshape(n1, z, -1), J2[k].reshape(n2, z, -1)
        )
    return K.detach().cpu().numpy().astype(np.float64)


def _check_theta(Theta: Any) -> np.ndarray:
    T = as_array("Theta", Theta)
    if T.ndim != 4 or T.shape[2] != T.shape[3]:
        raise ValueError(f"Theta: expected shape (n1, n2, z, z), got {T.shape}")
    return T


def ntk_matrix(Theta: Any) -> np.ndarray:
    r"""The blocks as one ``(n1 z) x (n2 z)`` matrix.

    Row index ``a z + k``, column index ``b z + l``.
    """
    T = _check_theta(Theta)
    n1, n2, z, _ = T.shape
    return T.transpose(0, 2, 1, 3).reshape(n1 * z, n2 * z)


def block_ratio(Theta: Any) -> float:
    r"""Size of the off-diagonal blocks relative to the diagonal ones.

    .. math:: r = \frac{\big(\frac{1}{z(z-1)}
                        \sum_{k\ne l}\|\Theta_{kl}\|_F^2\big)^{1/2}}
                       {\big(\frac1z\sum_k\|\Theta_{kk}\|_F^2\big)^{1/2}},

    with :math:`\Theta_{kl}` the ``(n1, n2)`` matrix ``Theta[:, :, k, l]``: the
    root-mean-square off-diagonal block over the root-mean-square diagonal
    block. Zero exactly when the outputs do not interact (Lemma 1).

    Parameters
    ----------
    Theta : array_like, shape (n1, n2, z, z), z >= 2
    """
    T = _check_theta(Theta)
    z = T.shape[2]
    if z < 2:
        raise ValueError(
            f"Theta: block_ratio needs z >= 2 output dimensions, got z = {z}"
        )
    sq = np.sum(T**2, axis=(0, 1))  # (z, z) squared Frobenius norms of the blocks
    diag = np.trace(sq) / z
    if diag == 0:
        raise ValueError("Theta: the diagonal blocks are zero")
    off = (sq.sum() - np.trace(sq)) / (z * (z - 1))
    return float(np.sqrt(off / diag))


def diagonal_mean(Theta: Any) -> np.ndarray:
    r"""The mean diagonal block :math:`\bar\Theta = \frac1z\sum_k \Theta_{kk}`.

    Parameters
    ----------
    Theta : array_like, shape (n1, n2, z, z)

    Returns
    -------
    ndarray, shape (n1, n2)
    """
    T = _check_theta(Theta)
    return np.einsum("abkk->ab", T) / T.shape[2]


def diagonal_spread(Theta: Any) -> float:
    r"""How far the diagonal blocks are from one common kernel.

    .. math:: s = \frac{\big(\frac1z\sum_k \|\Theta_{kk} - \bar\Theta\|_F^2\big)^{1/2}}
                       {\|\bar\Theta\|_F},

    zero when every output dimension sees the same kernel.
    """
    T = _check_theta(Theta)
    mean = diagonal_mean(T)
    nrm = np.linalg.norm(mean)
    if nrm == 0:
        raise ValueError("Theta: the mean diagonal block is zero")
    diag = np.einsum("abkk->kab", T)
    return float(np.sqrt(np.mean(np.sum((diag - mean) ** 2, axis=(1, 2)))) / nrm)


def feature_model(W: Any, feature_map: Callable[[Any], Any] | None = None):
    r"""A kernel machine :math:`f(x) = W^\top \varphi(x)` as a ``torch.nn.Module``.

    With ``feature_map=None`` (:math:`\varphi(x) = x`) it is the linear model
    :math:`f(x) = W^\top x` of Lemma 1; with, e.g., random Fourier features
    (:func:`ssl_notes.kernels.rff_features`) it is a kernel machine with
    :math:`k(x, x') = \langle\varphi(x), \varphi(x')\rangle`. Only ``W`` is a
    parameter; its tangent kernel is exactly :math:`k(x,x')\,1\{k=l\}`.

    Parameters
    ----------
    W : array_like or torch.Tensor, shape (D, z)
        Initial weights (copied, float64 unless a tensor of another dtype).
    feature_map : callable, optional
        Maps a torch tensor ``(n, d)`` to ``(n, D)`` with torch operations.

    Returns
    -------
    torch.nn.Module with parameter ``W`` and attribute ``D``
    """
    import torch

    from ._validate import check_tensor

    if torch.is_tensor(W):
        Wt = check_tensor("W", W).detach().clone()
        if not Wt.dtype.is_floating_point:
            raise TypeError(f"W: expected a floating tensor, got dtype {Wt.dtype}")
    else:
        Wt = torch.as_tensor(as_matrix("W", W).copy())
    if Wt.ndim != 2:
        raise ValueError(f"W: expected a 2-D array (D, z), got shape {tuple(Wt.shape)}")
    if feature_map is not None and not callable(feature_map):
        raise TypeError(
            "feature_map: expected a callable or None, "
            f"got {type(feature_map).__name__}"
        )

    class FeatureModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(Wt)
            self.D = Wt.shape[0]
            if feature_map is None:
                self.d = Wt.shape[0]

        def forward(self, x):
            phi = x if feature_map is None else feature_map(x)
            if phi.ndim != 2 or phi.shape[-1] != self.D:
                raise ValueError(
                    f"feature_map: expected features of shape (n, {self.D}), "
                    f"got {tuple(phi.shape)}"
                )
            return phi @ self.W

    return FeatureModel()


def projected_ntk(net: Any, X: Any) -> np.ndarray:
    r"""Tangent kernel of a constrained two-layer network, gradients projected.

    For :class:`ssl_notes.models.TwoLayerNet` in Theorem 1's orientation (h >= d:
    the h x d matrix :math:`W_1 = ` ``net.W.T`` and V with orthonormal columns),
    the projected gradient flow :math:`\dot A = -(I - AA^\top)\nabla_A L` of each
    layer moves the outputs by
    :math:`\dot f_k(x) = -\sum_{i,l}\Theta^P_{kl}(x, x_i)\,\partial L/\partial
    f_l(x_i)`, with the kernel of the projected gradients

    .. math:: \Theta^P_{kl}(x, x') &= \langle P_{W_1}\nabla_{W_1}f_k(x),
              P_{W_1}\nabla_{W_1}f_l(x')\rangle \\
              &\quad + \langle P_V\nabla_Vf_k(x), P_V\nabla_Vf_l(x')\rangle,
              \qquad P_A G = (I - AA^\top)G,

    (each :math:`P_A` an orthogonal projector on the matrices of A's shape).

    Parameters
    ----------
    net : TwoLayerNet with h >= d, both layers on the constraint set (1e-8)
    X : array_like (n, d)

    Returns
    -------
    ndarray (n, n, z, z), float64
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    from .models import TwoLayerNet

    if not isinstance(net, TwoLayerNet):
        raise TypeError(f"net: expected a TwoLayerNet, got {type(net).__name__}")
    W, V = net.W.detach(), net.V.detach()
    d, h = W.shape
    if h < d:
        raise ValueError(
            f"net: expected h >= d (Theorem 1's orientation), got {h} < {d}"
        )
    eye = torch.eye(d, dtype=W.dtype, device=W.device)
    eyez = torch.eye(V.shape[1], dtype=W.dtype, device=W.device)
    if (
        float(torch.max(torch.abs(W @ W.T - eye))) > 1e-8
        or float(torch.max(torch.abs(V.T @ V - eyez))) > 1e-8
    ):
        raise ValueError("net: W W^T = I_d and V^T V = I_z must hold (to 1e-8)")
    A = _as_points("X", X, W, d)
    if A.shape[0] * (d * h + h * V.shape[1]) * V.shape[1] > _MAX_JACOBIAN:
        raise ValueError("X: too many points for the Jacobians; use fewer")

    def f_single(p, x):
        return functional_call(net, p, (x.unsqueeze(0),)).reshape(-1)

    J = vmap(jacrev(f_single), in_dims=(None, 0))({"W": W, "V": V}, A)
    JW = J["W"] - J["W"] @ (W.T @ W)  # (n, z, d, h): (I - W1 W1^T) on the h index
    JV = J["V"] - torch.einsum("hg,nzgk->nzhk", V @ V.T, J["V"])
    n, z = A.shape[0], V.shape[1]
    K = torch.einsum("akp,blp->abkl", JW.reshape(n, z, -1), JW.reshape(n, z, -1))
    K += torch.einsum("akp,blp->abkl", JV.reshape(n, z, -1), JV.reshape(n, z, -1))
    return K.cpu().numpy().astype(np.float64)
