"""Machinery of the chapter *Proposition 2 (a Frobenius-norm budget still collapses)*
(``book/proposition2.py``).
"""

from __future__ import annotations

__all__: list[str] = []
