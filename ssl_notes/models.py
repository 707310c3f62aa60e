r"""Two-layer networks :math:`f(x) = V^\top \sigma(W^\top x)` and their linear twins.

Weights are stored as ``W`` of shape (d, h) and ``V`` of shape (h, z), as in
the general loss (8). Two initialisations:

- ``"orthonormal"``: W and V semi-orthogonal, Haar distributed (for h <= d
  the columns of W are orthonormal, for h > d its rows are, i.e. the h x d
  matrix :math:`W^\top` of Theorem 1 has orthonormal columns); no scaling;
- ``"gaussian"``: i.i.d. N(0, 1) entries in the NTK parametrisation,
  :math:`f(x) = h^{-1/2} V^\top \sigma(d^{-1/2} W^\top x)`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ._validate import as_rng, check_positive_int
from .manifold import haar_orthonormal

__all__ = ["ACTIVATIONS", "TwoLayerNet", "two_layer_net"]

ACTIVATIONS = ("identity", "tanh", "relu", "sigmoid")


def _activation(name: str):
    import torch

    return {
        "identity": lambda u: u,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
    }[name]


def _torch_module():
    import torch

    class TwoLayerNet(torch.nn.Module):
        r"""A two-layer network :math:`f(x) = s_2 V^\top \sigma(s_1 W^\top x)`.

        Use :func:`two_layer_net` to build one; ``s_1 = s_2 = 1`` for the
        orthonormal initialisation, ``s_1 = d^{-1/2}``, ``s_2 = h^{-1/2}`` for
        the NTK parametrisation.

        Attributes
        ----------
        W : torch.nn.Parameter, shape (d, h)
        V : torch.nn.Parameter, shape (h, z)
        activation : str
        scale_in, scale_out : float
        """

        def __init__(self, W, V, activation: str, scale_in: float, scale_out: float):
            super().__init__()
            self.W = torch.nn.Parameter(W)
            self.V = torch.nn.Parameter(V)
            self.activation = activation
            self.scale_in = float(scale_in)
            self.scale_out = float(scale_out)

        @property
        def d(self) -> int:
            return self.W.shape[0]

        @property
        def h(self) -> int:
            return self.W.shape[1]

        @property
        def z(self) -> int:
            return self.V.shape[1]

        def _check_input(self, x):
            if not torch.is_tensor(x):
                x = torch.as_tensor(np.asarray(x), dtype=self.W.dtype, device=self.W.device)
            if x.ndim != 2 or x.shape[1] != self.d:
                raise ValueError(f"x: expected shape (n, {self.d}), got {tuple(x.shape)}")
            return x.to(dtype=self.W.dtype, device=self.W.device)

        def hidden(self, x):
            r"""Pre-activations :math:`s_1 W^\top x`, shape (n, h)."""
            return self.scale_in * (self._check_input(x) @ self.W)

        def forward(self, x):
            r""":math:`f(x) = s_2 V^\top\sigma(s_1 W^\top x)`, shape (n, z)."""
            return self.scale_out * (_activation(self.activation)(self.hidden(x)) @ self.V)

        def forward_linear(self, x):
            r"""The linear counterpart with the same weights, :math:`s_2 V^\top s_1 W^\top x`."""
            return self.scale_out * (self.hidden(x) @ self.V)

        def M(self):
            r"""The end-to-end matrix :math:`M = s_1 s_2 W V` of the linear counterpart, (d, z)."""
            return self.scale_in * self.scale_out * (self.W @ self.V)

        def linear_copy(self) -> "TwoLayerNet":
            """An independent copy with the identity activation (same initial weights)."""
            twin = copy.deepcopy(self)
            twin.activation = "identity"
            return twin

        def extra_repr(self) -> str:
            return (
                f"d={self.d}, h={self.h}, z={self.z}, activation={self.activation!r}, "
                f"scale_in={self.scale_in:.4g}, scale_out={self.scale_out:.4g}"
            )

    return TwoLayerNet


_CLASS = None


def __getattr__(name: str):  # lazy: importing ssl_notes does not import torch
    global _CLASS
    if name == "TwoLayerNet":
        if _CLASS is None:
            _CLASS = _torch_module()
        return _CLASS
    raise AttributeError(name)


def two_layer_net(
    d: int,
    h: int,
    z: int,
    activation: str = "identity",
    init: str = "orthonormal",
    rng: Any = None,
    dtype: Any = None,
    device: Any = None,
):
    r"""Build a :class:`TwoLayerNet` :math:`f(x) = s_2 V^\top \sigma(s_1 W^\top x)`.

    Parameters
    ----------
    d, h, z : int
        Input dimension, hidden width, embedding dimension.
    activation : {"identity", "tanh", "relu", "sigmoid"}
    init : {"orthonormal", "gaussian"}
        ``"orthonormal"``: W (d x h) and V (h x z) Haar semi-orthogonal,
        ``s_1 = s_2 = 1`` (requires z <= h). ``"gaussian"``: N(0, 1) entries,
        NTK scaling ``s_1 = d^{-1/2}``, ``s_2 = h^{-1/2}``.
    rng : int, numpy.random.Generator or None
        The weights are drawn with numpy, so they do not depend on the device.
    dtype : torch.dtype, default torch.float64
    device : torch.device or str, default CPU
    """
    import torch

    d = check_positive_int("d", d)
    h = check_positive_int("h", h)
    z = check_positive_int("z", z)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {ACTIVATIONS}, got {activation!r}")
    gen = as_rng(rng)
    if init == "orthonormal":
        if z > h:
            raise ValueError(f"z: orthonormal V (h x z) needs z <= h, got h = {h}, z = {z}")
        W = haar_orthonormal(d, h, gen) if h <= d else haar_orthonormal(h, d, gen).T
        V = haar_orthonormal(h, z, gen)
        s1 = s2 = 1.0
    elif init == "gaussian":
        W = gen.standard_normal((d, h))
        V = gen.standard_normal((h, z))
        s1, s2 = d**-0.5, h**-0.5
    else:
        raise ValueError(f"init: expected 'orthonormal' or 'gaussian', got {init!r}")
    dtype = torch.float64 if dtype is None else dtype
    cls = __getattr__("TwoLayerNet")
    net = cls(
        torch.as_tensor(np.ascontiguousarray(W), dtype=dtype),
        torch.as_tensor(np.ascontiguousarray(V), dtype=dtype),
        activation,
        s1,
        s2,
    )
    return net.to(device) if device is not None else net
