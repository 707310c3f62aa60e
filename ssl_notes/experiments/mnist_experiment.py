"""Machinery of the chapter *The MNIST experiment*
(``book/mnist_experiment.py``).
"""

from __future__ import annotations

__all__: list[str] = []
