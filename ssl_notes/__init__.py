"""Helper package of the book *Learning dynamics of self-supervised models,
re-derived*.

Modules, one idea each:

- :mod:`ssl_notes.data`: data sets, augmentations, positives and negatives;
- :mod:`ssl_notes.losses`: the losses (1), (2) and the data matrix C of eq. (7);
- :mod:`ssl_notes.manifold`: matrices with orthonormal columns;
- :mod:`ssl_notes.activations`: the activations, one registry for numpy and torch;
- :mod:`ssl_notes.models`: two-layer networks and their linear counterparts;
- :mod:`ssl_notes.metrics`: principal angles, effective rank, fitted rates;
- :mod:`ssl_notes.ntk`, :mod:`ssl_notes.kernels`: empirical and analytic tangent
  kernels;
- :mod:`ssl_notes.constrained`: Frobenius and operator-norm constrained problems;
- :mod:`ssl_notes.wide_bounds`: Lemma 2 and Theorem 1, a wide network against its
  linear twin (numpy);
- :mod:`ssl_notes.twins`, :mod:`ssl_notes.batched_gd`: training the twins apart
  (Conjecture 1), in torch;
- :mod:`ssl_notes.dynamics`, :mod:`ssl_notes.closed_form`: the flow of Theorem 2
  and its closed form;
- :mod:`ssl_notes.training`: the discrete iterations, projected gradient descent
  (11) and the output iteration (12);
- :mod:`ssl_notes.steps`, :mod:`ssl_notes.timing`, :mod:`ssl_notes.benchmark`: one
  step of each route, its timing, and the runtime comparison
  (``python -m ssl_notes.benchmark``);
- :mod:`ssl_notes.plotting`: the figure style of the book.

The book's API reference page (``book/api.md``) lists every public function.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._glue import glue  # noqa: E402  (myst-nb when present, a no-op display otherwise)


def default_device():
    """Return ``torch.device('cuda')`` when a GPU is visible, else the CPU.

    Every chapter calls this once at the top: a GPU is used when present and
    never required.
    """
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


__all__ = ["__version__", "default_device", "glue"]
