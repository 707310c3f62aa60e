r"""Two-layer networks :math:`f(x) = V^\top \sigma(W^\top x)` and their linear twins.

Weights are stored as ``W`` of shape (d, h) and ``V`` of shape (h, z), as in
the general loss (8). Two initialisations:

- ``"orthonormal"``: W and V semi-orthogonal, Haar distributed (for h <= d
  the columns of W are orthonormal, for h > d its rows are, i.e. the h x d
  matrix :math:`W^\top` of Theorem 1 has orthonormal columns); no scaling;
- ``"gaussian"``: i.i.d. N(0, 1) entries in the NTK parametrisation,
  :math:`f(x) = h^{-1/2} V^\top \sigma(d^{-1/2} W^\top x)`.

The activations are those of :mod:`ssl_notes.activations`. This module imports
torch (``import ssl_notes`` alone does not).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from ._validate import (
    as_matrix,
    as_rng,
    check_choice,
    check_device,
    check_positive_float,
    check_positive_int,
    check_tensor,
)
from .activations import get_activation
from .manifold import haar_orthonormal

__all__ = [
    "TwoLayerNet",
    "two_layer_net",
]


class TwoLayerNet(torch.nn.Module):
    r"""A two-layer network :math:`f(x) = s_2 V^\top \sigma(s_1 W^\top x)`.

    Use :func:`two_layer_net` to build one; ``s_1 = s_2 = 1`` for the
    orthonormal initialisation, ``s_1 = d^{-1/2}``, ``s_2 = h^{-1/2}`` for the
    NTK parametrisation.

    Parameters
    ----------
    W : torch.Tensor, shape (d, h), real floating dtype
    V : torch.Tensor, shape (h, z), same dtype
    activation : str, one of :data:`~ssl_notes.activations.ACTIVATIONS`
    scale_in, scale_out : float > 0, :math:`s_1` and :math:`s_2`

    Attributes
    ----------
    W : torch.nn.Parameter, shape (d, h)
    V : torch.nn.Parameter, shape (h, z)
    activation : str
    scale_in, scale_out : float
    """

    def __init__(
        self, W: Any, V: Any, activation: str, scale_in: float, scale_out: float
    ):
        super().__init__()
        W, V = check_tensor("W", W, ndim=2), check_tensor("V", V, ndim=2)
        if not W.dtype.is_floating_point or V.dtype != W.dtype:
            raise TypeError(
                f"W, V: expected one floating dtype, got {W.dtype} and {V.dtype}"
            )
        if V.shape[0] != W.shape[1]:
            raise ValueError(
                f"V: expected {W.shape[1]} rows to match W {tuple(W.shape)}, "
                f"got shape {tuple(V.shape)}"
            )
        get_activation(activation)
        self.W = torch.nn.Parameter(W)
        self.V = torch.nn.Parameter(V)
        self.activation = activation
        self.scale_in = check_positive_float("scale_in", scale_in)
        self.scale_out = check_positive_float("scale_out", scale_out)

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.W.shape[0]

    @property
    def h(self) -> int:
        """Hidden width."""
        return self.W.shape[1]

    @property
    def z(self) -> int:
        """Embedding dimension."""
        return self.V.shape[1]

    def _check_input(self, x: Any) -> torch.Tensor:
        if torch.is_tensor(x):
            x = check_tensor("x", x)
        else:
            x = torch.as_tensor(as_matrix("x", x))
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"x: expected shape (n, {self.d}), got {tuple(x.shape)}")
        return x.to(dtype=self.W.dtype, device=self.W.device)

    def hidden(self, x: Any) -> torch.Tensor:
        r"""Pre-activations :math:`s_1 W^\top x`, shape (n, h); x is (n, d)."""
        return self.scale_in * (self._check_input(x) @ self.W)

    def forward(self, x: Any) -> torch.Tensor:
        r""":math:`f(x) = s_2 V^\top\sigma(s_1 W^\top x)`, shape (n, z)."""
        sigma = get_activation(self.activation).torch
        return self.scale_out * (sigma(self.hidden(x)) @ self.V)

    def forward_linear(self, x: Any) -> torch.Tensor:
        r"""The linear twin with the same weights, :math:`s_2 V^\top s_1 W^\top x`."""
        return self.scale_out * (self.hidden(x) @ self.V)

    def M(self) -> torch.Tensor:
        r"""The end-to-end matrix :math:`M = s_1 s_2 W V` of the linear twin, (d, z)."""
        return self.scale_in * self.scale_out * (self.W @ self.V)

    def linear_copy(self) -> TwoLayerNet:
        """An independent copy with the identity activation (same initial weights)."""
        twin = copy.deepcopy(self)
        twin.activation = "identity"
        return twin

    def extra_repr(self) -> str:
        return (
            f"d={self.d}, h={self.h}, z={self.z}, activation={self.activation!r}, "
            f"scale_in={self.scale_in:.4g}, scale_out={self.scale_out:.4g}"
        )


def two_layer_net(
    d: int,
    h: int,
    z: int,
    activation: str = "identity",
    init: str = "orthonormal",
    rng: Any = None,
    dtype: Any = None,
    device: Any = None,
) -> TwoLayerNet:
    r"""Build a :class:`TwoLayerNet` :math:`f(x) = s_2 V^\top \sigma(s_1 W^\top x)`.

    Parameters
    ----------
    d, h, z : int
        Input dimension, hidden width, embedding dimension.
    activation : str, one of :data:`~ssl_notes.activations.ACTIVATIONS`
        ``"identity"``, ``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"softplus0"``.
    init : {"orthonormal", "gaussian"}
        ``"orthonormal"``: W (d x h) and V (h x z) Haar semi-orthogonal,
        ``s_1 = s_2 = 1`` (requires z <= h). ``"gaussian"``: N(0, 1) entries,
        NTK scaling ``s_1 = d^{-1/2}``, ``s_2 = h^{-1/2}``.
    rng : int, numpy.random.Generator or None
        The weights are drawn with numpy, so they do not depend on the device.
    dtype : torch.dtype, a floating dtype, default torch.float64
    device : torch.device or str, default CPU
    """
    d = check_positive_int("d", d)
    h = check_positive_int("h", h)
    z = check_positive_int("z", z)
    get_activation(activation)
    check_choice("init", init, ("orthonormal", "gaussian"))
    dtype = torch.float64 if dtype is None else dtype
    device = check_device(device)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype: expected a floating torch.dtype, got {dtype!r}")
    if z > h and init == "orthonormal":
        raise ValueError(f"z: orthonormal V (h x z) needs z <= h, got h = {h}, z = {z}")
    if d * h + h * z > 10**8:
        raise ValueError(
            f"d, h, z: {d * h + h * z} weights (d*h + h*z) is more than 1e8; "
            "use a smaller width h"
        )
    gen = as_rng(rng)
    if init == "orthonormal":
        W = haar_orthonormal(d, h, gen) if h <= d else haar_orthonormal(h, d, gen).T
        V = haar_orthonormal(h, z, gen)
        s1 = s2 = 1.0
    else:
        W = gen.standard_normal((d, h))
        V = gen.standard_normal((h, z))
        s1, s2 = d**-0.5, h**-0.5
    net = TwoLayerNet(
        torch.as_tensor(np.ascontiguousarray(W), dtype=dtype),
        torch.as_tensor(np.ascontiguousarray(V), dtype=dtype),
        activation,
        s1,
        s2,
    )
    return net.to(device) if device is not None else net
