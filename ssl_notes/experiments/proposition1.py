"""Machinery of the chapter *Proposition 1 (the unconstrained dynamics collapse)*
(``book/proposition1.py``).
"""

from __future__ import annotations

__all__: list[str] = []
