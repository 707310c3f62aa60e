"""Machinery of the chapter
*Theorem 1 and Conjecture 1 (wide networks are almost linear)*
(``book/theorem1.py``).
"""

from __future__ import annotations

__all__: list[str] = []
