r"""The activations of the book: one registry, in numpy and in torch.

Every module that applies an activation :math:`\sigma` looks it up here by name:
:mod:`ssl_notes.models` (the torch forward pass of the two-layer network),
:mod:`ssl_notes.kernels` (the Gaussian expectations of :math:`\sigma` and
:math:`\sigma'` in the infinite-width tangent kernel), :mod:`ssl_notes.wide_bounds`
(the numpy gap :math:`V^\top(\sigma(Wx) - Wx)`) and :mod:`ssl_notes.twins` (the
batched torch training). Each entry (:class:`Activation`) holds

- ``numpy``: :math:`\sigma` on arrays; ``derivative``: :math:`\sigma'` on arrays
  (for ReLU the Heaviside step, 0 at 0, which is what the NTK integrals need);
- ``torch``: :math:`\sigma` on tensors, differentiable (tensor methods, so this
  module does not import torch);
- the three numbers Theorem 1 asks about: :math:`\sigma(0)`, :math:`\sigma'(0)`
  and :math:`K = \sup_u |\sigma''(u)|` (:data:`ACTIVATION_FACTS`).

The names: ``identity``; ``tanh``; ``relu``; ``sigmoid``
:math:`1/(1 + e^{-u}) = (1 + \tanh(u/2))/2` (computed in the overflow-free tanh
form); ``softplus0``, the centred softplus :math:`2\log((1 + e^u)/2)`, which meets
every hypothesis of Theorem 1 with :math:`\sigma''(0) = 1/2` (tanh has
:math:`\sigma''(0) = 0`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ACTIVATIONS", "ACTIVATION_FACTS", "Activation", "get_activation"]

_LOG2 = math.log(2.0)


@dataclass(frozen=True)
class Activation:
    r"""One activation :math:`\sigma` of the registry (see the module docstring).

    Attributes
    ----------
    name : str
    numpy : callable, ndarray -> ndarray, :math:`\sigma` entrywise
    derivative : callable, ndarray -> ndarray, :math:`\sigma'` entrywise
    torch : callable, tensor -> tensor, :math:`\sigma` entrywise (differentiable)
    value_at_0, slope_at_0 : float
        :math:`\sigma(0)` and :math:`\sigma'(0)` (NaN for ReLU, whose one-sided
        derivatives at 0 are 0 and 1).
    curvature_bound : float
        :math:`K = \sup_{u\in\mathbb{R}} |\sigma''(u)|` (inf for ReLU).
    """

    name: str
    numpy: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    torch: Callable[[Any], Any]
    value_at_0: float
    slope_at_0: float
    curvature_bound: float


def _softplus0_torch(u: Any) -> Any:
    import torch

    return 2.0 * (torch.logaddexp(u, torch.zeros_like(u)) - _LOG2)


_REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "identity",
            lambda u: u,
            lambda u: np.ones(np.shape(u)),
            lambda u: u,
            0.0,
            1.0,
            0.0,
        ),
        Activation(
            "tanh",
            np.tanh,
            lambda u: 1.0 - np.tanh(u) ** 2,
            lambda u: u.tanh(),
            0.0,
            1.0,
            4.0 / (3.0 * math.sqrt(3.0)),
        ),
        Activation(
            "relu",
            lambda u: np.maximum(u, 0.0),
            lambda u: (np.asarray(u) > 0).astype(np.float64),
            lambda u: u.relu(),
            0.0,
            float("nan"),
            float("inf"),
        ),
        Activation(
            "sigmoid",
            lambda u: 0.5 * (1.0 + np.tanh(0.5 * u)),  # = 1/(1+e^{-u}), overflow-free
            lambda u: 0.25 * (1.0 - np.tanh(0.5 * u) ** 2),
            lambda u: u.sigmoid(),
            0.5,
            0.25,
            1.0 / (6.0 * math.sqrt(3.0)),
        ),
        Activation(
            "softplus0",
            lambda u: 2.0 * (np.logaddexp(0.0, u) - _LOG2),
            lambda u: 1.0 + np.tanh(0.5 * u),  # 2 sigmoid(u)
            _softplus0_torch,
            0.0,
            1.0,
            0.5,
        ),
    )
}

#: The names of the registry, in a fixed order.
ACTIVATIONS: tuple[str, ...] = tuple(_REGISTRY)

#: For each activation the triple :math:`(\sigma(0), \sigma'(0), K)`,
#: :math:`K = \sup_u |\sigma''(u)|`. Theorem 1 needs :math:`\sigma(0) = 0`,
#: :math:`\sigma'(0) = 1` and a finite K. ReLU has no derivative at 0 (one-sided
#: derivatives 0 and 1), recorded as nan, and no second derivative there (K = inf).
ACTIVATION_FACTS: dict[str, tuple[float, float, float]] = {
    a.name: (a.value_at_0, a.slope_at_0, a.curvature_bound) for a in _REGISTRY.values()
}


def get_activation(
    name: Any, argname: str = "activation", exclude: tuple[str, ...] = ()
) -> Activation:
    """The registry entry of the activation called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATIONS`.
    argname : str
        The caller's argument name, used in error messages.
    exclude : tuple of str
        Names the caller does not accept (e.g. ``("identity",)``).

    Raises
    ------
    TypeError
        ``name`` is not a string.
    ValueError
        ``name`` is not a registered activation (the message lists the valid ones).
    """
    if not isinstance(exclude, (tuple, list)) or not all(
        e in _REGISTRY for e in exclude
    ):
        raise TypeError(
            f"exclude: expected a tuple of names from {ACTIVATIONS}, got {exclude!r}"
        )
    valid = tuple(n for n in ACTIVATIONS if n not in exclude)
    if not isinstance(name, str):
        raise TypeError(
            f"{argname}: expected an activation name, one of {valid}, "
            f"got {type(name).__name__}"
        )
    if name not in valid:
        raise ValueError(f"{argname}: expected one of {valid}, got {name!r}")
    return _REGISTRY[name]
