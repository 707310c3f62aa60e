"""Machinery of the chapter *Theorem 2 (the constrained flow at every width)*
(``book/theorem2.py``).
"""

from __future__ import annotations

__all__: list[str] = []
